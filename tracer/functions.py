"""Activation and loss definitions: each is one symbolic expression; derivatives come from sympy.

Adding an activation or a loss is adding one entry to the tables at the bottom. Every local
derivative the trace shows is computed here once per kind, with `sympy.diff`, and later
instantiated per neuron with `xreplace`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sympy as sp

# Generic symbols the definitions are written in; instantiated per neuron by the trace.
NET = sp.Symbol("x", real=True)
OUT = sp.Symbol("y", real=True)
TARGET = sp.Symbol("t", real=True)


@dataclass(frozen=True)
class Activation:
    """out = expr(net), written in the generic symbol NET."""

    name: str
    expr: sp.Expr
    latex_name: str


@dataclass(frozen=True)
class Loss:
    """E_total = scale * Σ_k term(out_k, target_k); `mean` divides by the number of outputs."""

    name: str
    term: sp.Expr
    mean: bool
    fits: tuple[str, ...]  # output activations this loss is defined for


def instantiate(expr: sp.Expr, mapping: dict[sp.Symbol, sp.Expr]) -> sp.Expr:
    """`expr` with symbols replaced, keeping the written order of sums and products.

    `xreplace` re-evaluates every node and so re-sorts `y - t` into `-t + y`.
    """
    if isinstance(expr, sp.Symbol):
        return mapping.get(expr, expr)
    if not expr.args:
        return expr
    args = [instantiate(arg, mapping) for arg in expr.args]
    return expr.func(*args, evaluate=False)


def _positive_first(expr: sp.Expr) -> sp.Expr:
    """A sum written with its positive terms first: y - t rather than -t + y."""
    if not isinstance(expr, sp.Add):
        return expr
    args = sorted(expr.args, key=lambda arg: arg.could_extract_minus_sign())
    return sp.Add(*args, evaluate=False)


def _tidy(expr: sp.Expr) -> sp.Expr:
    """Write -y*(y - 1) as y*(1 - y) and -t + y as y - t: the forms textbooks use."""
    expr = sp.factor(expr)
    coeff, rest = expr.as_coeff_Mul()
    factors = list(sp.Mul.make_args(rest))
    if coeff < 0:
        for index, factor in enumerate(factors):
            if isinstance(factor, sp.Add):
                factors[index] = sp.expand(-factor)
                coeff = -coeff
                break
    factors = [_positive_first(factor) for factor in factors]
    leading = [] if coeff == 1 else [coeff]
    if len(leading) + len(factors) == 1:
        return (leading + factors)[0]
    return sp.Mul(*leading, *factors, evaluate=False)


@cache
def activation_derivative(activation: Activation) -> sp.Expr:
    """d out / d net from sympy, written in terms of OUT where that is possible (σ' = y(1 - y))."""
    derivative = sp.diff(activation.expr, NET)
    direct = derivative.xreplace({activation.expr: OUT})
    if NET not in direct.free_symbols:
        return _tidy(direct)
    # Invert out = f(net) and substitute, so the derivative reads in the output.
    for inverse in sp.solve(sp.Eq(OUT, activation.expr), NET):
        in_out = sp.simplify(derivative.subs(NET, inverse))
        if NET not in in_out.free_symbols:
            return _tidy(in_out)
    return derivative


@cache
def loss_derivative(loss: Loss) -> sp.Expr:
    """d term / d out from sympy, in the generic OUT and TARGET symbols."""
    return _tidy(sp.diff(loss.term, OUT))


def _half_squared() -> sp.Expr:
    return sp.Mul(
        sp.Rational(1, 2), sp.Pow(sp.Add(TARGET, -OUT, evaluate=False), 2), evaluate=False
    )


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", 1 / (1 + sp.exp(-NET)), r"\sigma"),
}

LOSSES: dict[str, Loss] = {
    "half_squared_error": Loss("half_squared_error", _half_squared(), False, ("sigmoid",)),
}
