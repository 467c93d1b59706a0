"""The trace as a typed graph: one frozen `Term` per quantity, in the order it is computed.

A term knows its parents (the terms its formula uses, found when it is recorded), its role
and typed reference (`quantities.Ref`), what it is a derivative of and with respect to (other
terms), and its formula as a sympy expression over the parents' symbols. Builders (the
network in `network.py`) record terms; evaluation, documents, focus, keys and checking read
these fields. Numbers are attached by `evaluation`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import sympy as sp

from . import names
from .quantities import PARAMETER_ROLES, Neuron, Ref, Role, Stage
from .spec import Spec


@dataclass(frozen=True)
class Derivation:
    """A local derivative's origin: d(of)/d(wrt), taken with sympy.diff."""

    of: sp.Expr
    wrt: sp.Symbol


@dataclass(frozen=True, slots=True)  # slots: a third faster to make (24,000 a trace)
class Term:
    """One quantity of the trace. `formula` is None for given values."""

    id: int  # its position in the trace
    ref: Ref
    name: str  # canonical (names.name(ref)); sheets, JSON and `ask` lists use it
    symbol: sp.Symbol  # stands for the term in other terms' formulas
    stage: Stage
    layer: int = 0  # the 1-based layer whose part of the derivation it is; 0 for none
    neuron: Neuron | None = None  # the neuron whose part it is, if one
    formula: sp.Expr | None = None
    parents: tuple[int, ...] = ()  # the terms the formula uses, in trace order
    # What the quantity is of and with respect to, as terms: for a derivative its numerator
    # and denominator (the parameter itself, the given term, even where the formula reads
    # its value updated by an earlier example); for δ, E_total and the net input; for an
    # update, `of` is the parameter updated.
    of: int | None = None
    wrt: int | None = None
    chain: tuple[int, ...] = ()  # the chain-rule factors this term's product stands for
    derivation: Derivation | None = None
    simplified: sp.Expr | None = None  # a shorter equal form, shown by documents
    note: str = ""  # a documented choice or assumption behind the formula: `step.<note>`
    numeric: sp.Expr | None = None  # an equal form that is stable in floats; evaluation only

    @property
    def role(self) -> Role:
        return self.ref.role

    @property
    def latex(self) -> str:
        """The LaTeX symbol: made when asked for, as most traces are only evaluated
        (a fifth of the time it takes to record a trace went to making them all)."""
        return names.latex(self.ref)

    @property
    def example(self) -> int:
        return self.ref.example

    @property
    def given(self) -> bool:
        return self.formula is None

    @property
    def evaluated(self) -> sp.Expr | None:
        """The expression the numbers are computed from."""
        return self.numeric if self.numeric is not None else self.formula


def parents_of(expr: sp.Expr | None, ids: Mapping[str, int]) -> tuple[int, ...]:
    """The positions of the terms `expr` uses (`ids`: by symbol name), in trace order.

    A plain walk, symbols looked up by their names: `free_symbols` builds a set per node
    and hashing sympy symbols runs Python code, together 0.25 s of a 4,608-weight trace.
    """
    if expr is None:
        return ()
    if expr.is_Symbol:
        return (ids[expr.name],)
    found = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        if node.is_Symbol:
            found.add(ids[node.name])  # a KeyError: a symbol of no term (a generic one left)
        else:
            stack.extend(node.args)
    return tuple(sorted(found))


@dataclass(frozen=True, eq=False)
class Graph:
    """The recorded step of one structure; hashed by identity (compiled code is cached).

    `values` are the given values the builder was given, in the order of the given terms.
    """

    spec: Spec
    terms: tuple[Term, ...]
    values: tuple[float, ...]
    _index: Mapping[str, int] = field(repr=False)

    @classmethod
    def of(cls, spec: Spec, terms: Iterable[Term], values: Iterable[float]) -> Graph:
        recorded = tuple(terms)
        _check_order(recorded)
        return cls(spec, recorded, tuple(values), {t.name: t.id for t in recorded})

    def __getitem__(self, name: str) -> Term:
        return self.terms[self._index[name]]

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __iter__(self) -> Iterator[Term]:
        return iter(self.terms)

    def __len__(self) -> int:
        return len(self.terms)

    def position(self, name: str) -> int:
        return self._index[name]

    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(term.name for term in self.terms)

    @cached_property
    def givens(self) -> tuple[Term, ...]:
        return tuple(term for term in self.terms if term.formula is None)

    def of_role(self, role: Role) -> tuple[Term, ...]:
        """The terms of one role, in trace order."""
        return self._roles.get(role, ())

    @cached_property
    def _roles(self) -> dict[Role, tuple[Term, ...]]:
        found: dict[Role, list[Term]] = {}
        for term in self.terms:
            found.setdefault(term.role, []).append(term)
        return {role: tuple(terms) for role, terms in found.items()}

    def find(self, ref: Ref) -> Term | None:
        """The term of a reference, or None where this trace has no such quantity (found
        by its name: names and references correspond one to one, and an index of every
        reference would hash 24,000 of them for one look-up)."""
        try:
            position = self._index.get(names.name(ref))
        except ValueError:  # a reference no quantity can have (an update of no parameter)
            return None
        return None if position is None else self.terms[position]

    def only(self, ref: Ref) -> Term:
        """The term of a reference that every trace of this kind has."""
        term = self.find(ref)
        if term is None:
            raise KeyError(ref)
        return term

    @property
    def ids(self) -> Mapping[str, int]:
        """Each term's position by its name, which is also its symbol's name (shared with
        variants). Looking symbols up by name is fast: hashing a sympy symbol runs Python."""
        return self._index

    # -- walks --------------------------------------------------------------------------
    def ancestors(self, ids: Iterable[int]) -> frozenset[int]:
        """`ids` and every term they depend on, transitively."""
        seen = set(ids)
        stack = list(seen)
        while stack:
            for parent in self.terms[stack.pop()].parents:
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return frozenset(seen)

    def descendants(self, ids: Iterable[int], within: frozenset[int] | None = None
                    ) -> frozenset[int]:
        """`ids` and every term that depends on one of them; with `within` (a set closed
        under `ancestors`, such as one term's ancestors), only those among it, found
        without visiting the rest. Terms are in topological order: one pass finds them."""
        reached = set(ids)
        if not reached:
            return frozenset()
        first = min(reached)
        candidates = sorted(within) if within is not None else range(first, len(self.terms))
        for position in candidates:
            if position > first and position not in reached and any(
                    p in reached for p in self.terms[position].parents):
                reached.add(position)
        return frozenset(reached if within is None else reached & within)

    def descendants_of_each(self, groups: Sequence[Iterable[int]]) -> list[list[int]]:
        """`descendants` of each group, in trace order, found in one pass for all: each term
        carries a bit per group that reaches it."""
        seeds = [0] * len(self.terms)
        for bit, group in enumerate(groups):
            for position in group:
                seeds[position] |= 1 << bit
        reach = [0] * len(self.terms)
        for term in self.terms:
            mask = seeds[term.id]
            for parent in term.parents:
                mask |= reach[parent]
            reach[term.id] = mask
        found: list[list[int]] = [[] for _ in groups]
        for position, mask in enumerate(reach):
            while mask:
                low = mask & -mask
                found[low.bit_length() - 1].append(position)
                mask ^= low
        return found

    # -- variants -----------------------------------------------------------------------
    def with_formulas(self, changes: Mapping[int, sp.Expr]) -> Graph:
        """The graph with some formulas replaced (their stable and simplified forms dropped,
        their parents found anew); every other term is shared."""
        if not changes:
            return self
        terms = tuple(
            replace(t, formula=changes[t.id], numeric=None, simplified=None,
                    parents=parents_of(changes[t.id], self._index)) if t.id in changes else t
            for t in self.terms)
        _check_order(terms[i] for i in changes)
        return Graph(self.spec, terms, self.values, self._index)

    @cached_property
    def updates(self) -> tuple[tuple[Term, Term], ...]:
        """Each parameter the step updates, with its final update."""
        pairs = []
        for term in self.givens:
            update = (self.find(Ref(Role.UPDATE, term.ref.unit))
                      if term.role in PARAMETER_ROLES else None)
            if update is not None:
                pairs.append((term, update))
        return tuple(pairs)


def _check_order(terms: Iterable[Term]) -> None:
    """Every term comes after the terms it uses: evaluation and the walks rely on it."""
    for term in terms:
        if term.parents and term.parents[-1] >= term.id:
            raise ValueError(f"{term.name} uses a term recorded after it")
