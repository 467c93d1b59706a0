"""The catalogue of misconceptions: each re-derives the step under a changed rule.

A misconception is a function from a graph to variant graphs in which some formulas follow
the wrong rule; everything downstream is recomputed from them, so a diagnosis works for any
network, not by matching the seed's numbers. The terms a rule changes are found by their
roles and references.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from .functions import instantiate
from .graph import Graph, Term
from .network import build_trace
from .quantities import RATE, Role


@dataclass(frozen=True)
class Misconception:
    id: str
    description: str
    variants: Callable[[Graph], list[Graph]]


def _role_of(graph: Graph, position: int | None) -> Role | None:
    return None if position is None else graph.terms[position].role


def _of_total_error(graph: Graph, term: Term) -> bool:
    """A derivative of E_total (of one example, or of the batch)."""
    of = None if term.of is None else graph.terms[term.of]
    return of is not None and of.role == Role.ERROR and of.ref.unit is None


def _error_derivatives(graph: Graph) -> list[Term]:
    """∂E_total/∂out of the output neurons (the loss's own derivative)."""
    return [t for t in graph if t.role == Role.LOCAL and _of_total_error(graph, t)
            and _role_of(graph, t.wrt) == Role.OUT]


def _scaled(graph: Graph, factor: sp.Expr) -> list[Graph]:
    return [graph.with_formulas({t.id: sp.Mul(factor, t.formula)
                                 for t in _error_derivatives(graph)})]


def _net_for_out(graph: Graph) -> list[Graph]:
    """σ'(net) written as net(1 − net): the activation derivative read at net instead of out."""
    changes = {}
    for term in graph:
        if term.role != Role.LOCAL or term.of is None or term.wrt is None:
            continue
        out, net = graph.terms[term.of], graph.terms[term.wrt]
        # ∂out/∂net of one neuron; not an off-diagonal Jacobian term
        if out.role == Role.OUT and net.role == Role.NET and out.neuron == net.neuron:
            assert term.formula is not None
            changes[term.id] = instantiate(term.formula, {out.symbol: net.symbol})
    return [graph.with_formulas(changes)]


def _single_path(graph: Graph) -> list[Graph]:
    """A hidden neuron's ∂E_total/∂out taken through the k-th next neuron only."""
    sums = [t for t in graph if t.role == Role.GRADIENT and _of_total_error(graph, t)
            and _role_of(graph, t.wrt) == Role.OUT and isinstance(t.formula, sp.Add)]
    widest = max((len(t.formula.args) for t in sums if t.formula is not None), default=0)
    return [graph.with_formulas({t.id: t.formula.args[k] for t in sums
                                 if t.formula is not None and k < len(t.formula.args)})
            for k in range(widest)]


def _other_order(graph: Graph) -> list[Graph]:
    spec = graph.spec
    if len(spec.layers) < 2:
        return []
    flipped = "sequential" if spec.update_order == "simultaneous" else "simultaneous"
    return [build_trace(dataclasses.replace(spec, update_order=flipped))]


def _wrong_input(graph: Graph) -> list[Graph]:
    """∂net/∂w read as another input of the same neuron (shifted by 1, 2, …)."""
    by_shift: dict[int, dict[int, sp.Expr]] = {}
    for term in graph:
        if term.role != Role.LOCAL or term.derivation is None or term.formula is None or (
                _role_of(graph, term.wrt) != Role.WEIGHT):
            continue
        products = [a for a in sp.Add.make_args(term.derivation.of) if isinstance(a, sp.Mul)]
        inputs = [a.args[1] for a in products if len(a.args) == 2]
        if term.formula not in inputs or len(inputs) < 2:
            continue
        index = inputs.index(term.formula)
        for shift in range(1, len(inputs)):
            by_shift.setdefault(shift, {})[term.id] = inputs[(index + shift) % len(inputs)]
    return [graph.with_formulas(changes) for _, changes in sorted(by_shift.items())]


def _update_rule(eta_value: Callable[[sp.Symbol], sp.Expr]) -> Callable[[Graph], list[Graph]]:
    def variants(graph: Graph) -> list[Graph]:
        eta = graph.only(RATE).symbol
        changes = {t.id: instantiate(t.formula, {eta: eta_value(eta)}) for t in graph
                   if t.role == Role.UPDATE and t.formula is not None
                   and eta in t.formula.free_symbols}
        return [graph.with_formulas(changes)]
    return variants


CATALOGUE: tuple[Misconception, ...] = (
    Misconception("sign-error", "uses target − out for ∂E/∂out (the sign is flipped)",
                  lambda s: _scaled(s, sp.Integer(-1))),
    Misconception("factor-two", "drops or doubles the ½ of the squared error",
                  lambda s: _scaled(s, sp.Integer(2)) + _scaled(s, sp.Rational(1, 2))),
    Misconception("net-for-out", "writes σ′(net) as net(1 − net) instead of out(1 − out)",
                  _net_for_out),
    Misconception("single-path", "takes only one output's path for a hidden neuron's ∂E/∂out",
                  _single_path),
    Misconception("updated-weights", "uses the other update order: hidden deltas from "
                  "already-updated weights (or, for sequential, from the original ones)",
                  _other_order),
    Misconception("wrong-input", "uses another input for ∂net/∂w", _wrong_input),
    Misconception("no-learning-rate", "updates with w − ∂E/∂w (no learning rate)",
                  _update_rule(lambda eta: sp.Integer(1))),
    Misconception("plus-sign", "updates with w + η·∂E/∂w (climbs the error)",
                  _update_rule(lambda eta: -eta)),
)
