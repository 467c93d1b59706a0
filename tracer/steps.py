"""One derivation step of a document: formula → numbers substituted → value.

The parts that depend only on a network's structure are printed once (sympy's printer costs
~0.25 ms an equation); each trace only formats its numbers. Shared by the worked document
(`document`) and the lessons that follow one weight (`lesson`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from . import mathfmt, messages
from .evaluation import Trace
from .graph import Graph, Term
from .memo import per_trace
from .numbers import display, shown

WIDE_STEP = 140


@dataclass(frozen=True)
class Step:
    """lhs = forms[0] = forms[1] = … = value. All strings are LaTeX math."""

    name: str
    lhs: str
    forms: tuple[str, ...]
    value: str
    note: str = ""  # escaped text: a documented choice behind the step

    @property
    def wide(self) -> bool:
        """Set on aligned lines: long, or more than formula → numbers → value."""
        length = sum(map(mathfmt.source_length, (self.lhs, *self.forms, self.value)))
        return len(self.forms) > 2 or length > WIDE_STEP



@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]  # math cells are LaTeX, text cells escaped



@dataclass(frozen=True)
class StaticStep:
    """The parts of a step that depend only on the network's structure (built once)."""

    lhs: str
    forms: tuple[str, ...]  # chain rule, origin, formula: symbolic LaTeX
    simplified: str | None
    numbers: str  # the formula with numbered slots for the values (mathfmt.fill)
    # (a value's position, `numbers` without the term it makes 0, or None): -target·log(out)
    zeros: tuple[tuple[int, str | None], ...] = ()


@per_trace
def static_step(graph: Graph, position: int) -> StaticStep:
    """Symbolic LaTeX of one step, printed once per structure: documents of many variants
    only format numbers (sympy's printer costs ~0.25 ms an equation), and a focused document
    of a large network prints only the steps it shows."""
    term = graph.terms[position]
    assert term.formula is not None
    latex_of = symbols(graph)
    forms = []
    if term.chain:
        forms.append(r" \cdot ".join(graph.terms[i].latex for i in term.chain))
    if term.derivation is not None:
        wrt = latex_of[term.derivation.wrt]
        of = _derived_from(graph, term.derivation.of, term.derivation.wrt)
        forms.append(rf"\frac{{\partial}}{{\partial {wrt}}}\left({of}\right)")
    forms.append(mathfmt.latex(term.formula, latex_of))
    simplified = None if term.simplified is None else mathfmt.latex(term.simplified, latex_of)
    return StaticStep(term.latex, tuple(forms), simplified,
                      mathfmt.slotted_latex(term.formula, graph.ids),
                      tuple((graph.ids[s.name], None if rest is None else
                             mathfmt.slotted_latex(rest, graph.ids))
                            for s, rest in mathfmt.zero_terms(term.formula)))


MAX_SUM_SHOWN = 8  # terms of a sum restated in full in a derivation; longer ones abbreviated


def _derived_from(graph: Graph, expr: sp.Expr, wrt: sp.Symbol) -> str:
    """The expression a local derivative is taken of. Each of a neuron's n weights restates
    its n-term net input: past MAX_SUM_SHOWN terms only the first two, the one with `wrt`
    and the last are shown (3,000 inputs made a 230 MB document of these sums)."""
    if type(expr) is not sp.Add or len(expr.args) <= MAX_SUM_SHOWN:
        return _latex(graph, expr)
    args = expr.args
    kept = sorted({0, 1, len(args) - 1} | {i for i, a in enumerate(args) if wrt in a.free_symbols})
    parts, last = [], -1
    for i in kept:
        if i > last + 1:
            parts.append(r"\cdots")
        parts.append(_latex(graph, args[i]))  # each printed once, for all n weights
        last = i
    return " + ".join(parts)


@per_trace
def _latex(graph: Graph, expr: sp.Expr) -> str:
    """A formula printed once per trace: each of a neuron's n weights shows ∂/∂w of the same
    n-term net input, which printed afresh made documents grow as weights^1.5."""
    return mathfmt.latex(expr, symbols(graph))


@per_trace
def symbols(graph: Graph) -> dict[sp.Symbol, str]:
    return {t.symbol: t.latex for t in graph}


class Context:
    """Formatted numbers of one trace, computed once, and its structure's static steps."""

    def __init__(self, trace: Trace, keep: frozenset[int] | None = None,
                 fmt: str = "md") -> None:
        self.trace = trace
        self.keep = keep  # with a focus, the steps that are shown
        self.digits = trace.symbolic.spec.digits
        self.fmt = fmt  # of text cells; math is LaTeX in every format
        self.values = [shown(v, self.digits).latex for v in trace.values]

    def format(self, value: float) -> str:
        """A value for a text cell or sentence: a real minus sign, a power of ten."""
        return display(value, self.digits, self.fmt)

    def text(self, position: int) -> str:
        return self.format(self.trace.values[position])

    def number(self, position: int) -> str:
        return self.values[position]

    def step(self, term: Term, escape: Callable[[str], str]) -> Step:
        """formula → numbers substituted → value, with the chain rule and origin where known."""
        static = static_step(self.trace.symbolic, term.id)
        value = self.number(term.id)
        forms = list(static.forms)
        t = messages.catalogue(self.trace.symbolic.spec.lang)
        note = t(f"step.{term.note}") if term.note else ""
        if term.simplified is not None and self.holds(term.simplified, term):
            forms.append(static.simplified or "")
        elif term.simplified is not None:
            note = ""  # the simplification's assumption fails for these numbers
        zero = next((z for z in static.zeros if self.trace.values[z[0]] == 0), None)
        if zero is None:
            forms.append(mathfmt.fill(static.numbers, self.values))
        else:  # not "- 0 · log(0.28)": what is left, and why
            if zero[1] is not None:
                forms.append(mathfmt.fill(zero[1], self.values))
            name = self.trace.symbolic.terms[zero[0]].name
            note = t("step.zero", name=name)
        unique = tuple(mathfmt.broken_sum(f) for i, f in enumerate(forms)
                       if f not in forms[:i] and f != value)
        return Step(term.name, static.lhs, unique, value, escape(note))

    def holds(self, expr: sp.Expr, term: Term) -> bool:
        """Whether `expr` evaluates to the term's value here (a guard for simplified forms)."""
        ids = self.trace.symbolic.ids
        values = {s: sp.Float(repr(self.trace.values[ids[s.name]]), 20)
                  for s in expr.free_symbols if s.name in ids}
        number = complex(expr.xreplace(values).evalf(20))
        expected = self.trace.value(term)
        return abs(number - expected) <= 1e-9 * max(1.0, abs(expected))
