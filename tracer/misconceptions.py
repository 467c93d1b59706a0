"""The catalogue of misconceptions: each re-derives the step under a changed rule.

A misconception is a function from a symbolic trace to variant traces in which some formulas
follow the wrong rule; everything downstream is recomputed from them, so a diagnosis works for
any network, not by matching the seed's numbers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from . import names
from .functions import instantiate
from .trace import Kind, SymbolicTrace, Term, build_trace


@dataclass(frozen=True)
class Misconception:
    id: str
    description: str
    variants: Callable[[SymbolicTrace], list[SymbolicTrace]]


def _with(symbolic: SymbolicTrace, changes: dict[str, sp.Expr]) -> SymbolicTrace:
    """The trace with the formulas of some terms replaced (and their stable forms dropped)."""
    if not changes:
        return symbolic
    terms = tuple(dataclasses.replace(t, formula=changes[t.name], numeric=None, simplified=None)
                  if t.name in changes else t for t in symbolic.terms)
    return SymbolicTrace(symbolic.spec, terms, {t.name: i for i, t in enumerate(terms)}, symbolic)


def _error_derivatives(symbolic: SymbolicTrace) -> list[Term]:
    """∂E_total/∂out of the output neurons (the loss's own derivative)."""
    output = len(symbolic.spec.layers)
    return [t for t in symbolic if t.kind == Kind.LOCAL and t.layer == output
            and t.name.startswith("dE_total/dout_")]


def _scaled(symbolic: SymbolicTrace, factor: sp.Expr) -> list[SymbolicTrace]:
    changes = {t.name: sp.Mul(factor, t.formula) for t in _error_derivatives(symbolic)}
    return [_with(symbolic, changes)]


def _net_for_out(symbolic: SymbolicTrace) -> list[SymbolicTrace]:
    """σ'(net) written as net(1 − net): the activation derivative read at net instead of out."""
    changes = {}
    for term in symbolic:
        base = term.name.split("@")[0]
        if term.kind == Kind.LOCAL and base.startswith("dout_") and term.formula is not None:
            out_name, net_name = base.removeprefix("d").split("/d")
            if out_name.removeprefix("out_") != net_name.removeprefix("net_"):
                continue  # an off-diagonal Jacobian term
            suffix = term.name[len(base):]
            out, net = symbolic[out_name + suffix].symbol, symbolic[net_name + suffix].symbol
            changes[term.name] = instantiate(term.formula, {out: net})
    return [_with(symbolic, changes)]


def _single_path(symbolic: SymbolicTrace) -> list[SymbolicTrace]:
    """A hidden neuron's ∂E_total/∂out taken through the k-th next neuron only."""
    sums = [t for t in symbolic if t.kind == Kind.GRADIENT and t.name.startswith("dE_total/dout_")
            and isinstance(t.formula, sp.Add)]
    widest = max((len(t.formula.args) for t in sums if t.formula is not None), default=0)
    return [_with(symbolic, {t.name: t.formula.args[k] for t in sums
                             if t.formula is not None and k < len(t.formula.args)})
            for k in range(widest)]


def _other_order(symbolic: SymbolicTrace) -> list[SymbolicTrace]:
    spec = symbolic.spec
    if len(spec.layers) < 2:
        return []
    flipped = "sequential" if spec.update_order == "simultaneous" else "simultaneous"
    return [build_trace(dataclasses.replace(spec, update_order=flipped))]


def _wrong_input(symbolic: SymbolicTrace) -> list[SymbolicTrace]:
    """∂net/∂w read as another input of the same neuron (shifted by 1, 2, …)."""
    by_shift: dict[int, dict[str, sp.Expr]] = {}
    for term in symbolic:
        if term.kind != Kind.LOCAL or term.derivation is None or term.formula is None:
            continue
        wrt = symbolic.terms[symbolic.position(term.derivation.wrt.name)]
        if wrt.kind != Kind.WEIGHT and not wrt.name.startswith("w"):
            continue
        products = [a for a in sp.Add.make_args(term.derivation.of) if isinstance(a, sp.Mul)]
        inputs = [a.args[1] for a in products if len(a.args) == 2]
        if term.formula not in inputs or len(inputs) < 2:
            continue
        index = inputs.index(term.formula)
        for shift in range(1, len(inputs)):
            by_shift.setdefault(shift, {})[term.name] = inputs[(index + shift) % len(inputs)]
    return [_with(symbolic, changes) for _, changes in sorted(by_shift.items())]


def _update_rule(eta_value: Callable[[sp.Symbol], sp.Expr]) -> Callable[
        [SymbolicTrace], list[SymbolicTrace]]:
    def variants(symbolic: SymbolicTrace) -> list[SymbolicTrace]:
        eta = symbolic[names.LEARNING_RATE].symbol
        changes = {t.name: instantiate(t.formula, {eta: eta_value(eta)}) for t in symbolic
                   if t.kind == Kind.UPDATE and t.formula is not None
                   and eta in t.formula.free_symbols}
        return [_with(symbolic, changes)]
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
