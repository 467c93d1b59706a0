"""Activation and loss definitions: each is one symbolic expression; derivatives come from sympy.

Adding an activation or a loss is adding one entry to the tables at the bottom. Every local
derivative the trace shows is computed here once per kind, with `sympy.diff`, rewritten in
the output where that is possible (σ' = out(1 - out)), and instantiated per neuron by the trace.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import sympy as sp

from . import derived

# Generic symbols the definitions are written in; instantiated per neuron by the trace.
NET = sp.Symbol("x", real=True)
OUT = sp.Symbol("y", real=True)
TARGET = sp.Symbol("t", real=True)
SLOPE = sp.Symbol("a", real=True)  # an activation's parameter, set per layer
# A generic net input w·x + b, differentiated once for every weight, bias and input.
WEIGHT = sp.Symbol("w", real=True)
INPUT = sp.Symbol("i", real=True)
BIAS = sp.Symbol("b", real=True)
# A second neuron of the same layer, for activations that couple a layer (softmax).
NET_K = sp.Symbol("x_k", real=True)
OUT_K = sp.Symbol("y_k", real=True)


@dataclass(frozen=True)
class Activation:
    """out = expr(net), or with `normalized`, out_j = expr(net_j) / Σ_k expr(net_k)."""

    name: str
    expr: sp.Expr
    normalized: bool = False  # couples the layer: output layer only, Jacobian shown
    parameter: str = ""  # layer key that sets SLOPE, e.g. "slope"
    default: float = 0.0
    note: str = ""  # a documented choice, e.g. the derivative at a kink: `step.<note>`
    stable: sp.Expr | None = None  # an equal form that cannot overflow, used for numbers only


@dataclass(frozen=True)
class Loss:
    """E_total = Σ_k term(out_k, target_k), divided by the number of outputs with `mean`."""

    name: str
    term: sp.Expr
    mean: bool = False
    fits: tuple[str, ...] = ()  # output activations it is defined for; () means any
    unit_targets: bool = False  # targets must lie in [0, 1]


def instantiate(expr: sp.Expr, mapping: Mapping[sp.Symbol, sp.Expr]) -> sp.Expr:
    """`expr` with symbols replaced, keeping the written order of sums and products.

    `xreplace` re-evaluates every node and so re-sorts `y - t` into `-t + y`.
    """
    if isinstance(expr, sp.Symbol):
        return mapping.get(expr, expr)
    if not expr.args:
        return expr
    args = [instantiate(arg, mapping) for arg in expr.args]
    kind = type(expr)
    if kind is sp.Add or kind is sp.Mul:  # from their arguments: 10x faster, same object
        return kind._from_args(args)
    try:
        return expr.func(*args, evaluate=False)
    except TypeError:  # Piecewise's (expr, cond) pairs take no `evaluate`
        return expr.func(*args)


def _positive_first(expr: sp.Expr) -> sp.Expr:
    """A sum written with its positive terms first: y - t rather than -t + y."""
    if not isinstance(expr, sp.Add):
        return expr
    args = sorted(expr.args, key=lambda arg: arg.could_extract_minus_sign())
    return sp.Add(*args, evaluate=False)


def _flip(factor: sp.Expr) -> sp.Expr:
    return _positive_first(sp.expand(-factor))


def _reads_backwards(factor: sp.Expr) -> bool:
    """y - 1 reads better as 1 - y (with the sign moved elsewhere)."""
    return isinstance(factor, sp.Add) and any(
        arg.is_Number and arg < 0 for arg in factor.args
    ) and not any(arg.is_Number and arg > 0 for arg in factor.args)


def _tidy_fraction(expr: sp.Expr) -> sp.Expr:
    """Signs moved so that y(1 - y), (y - t)/(y(1 - y)) and -t/y read as in textbooks."""
    numerator, denominator = sp.fraction(expr)
    coeff, rest = numerator.as_coeff_Mul()
    sign = -1 if coeff < 0 else 1
    top = [abs(coeff)] if abs(coeff) != 1 else []
    top += [_positive_first(f) for f in sp.Mul.make_args(rest)]
    bottom = []
    for factor in sp.Mul.make_args(denominator):
        if _reads_backwards(factor):
            factor, sign = _flip(factor), -sign
        bottom.append(_positive_first(factor))
    for index, factor in enumerate(top):
        if sign < 0 and (_reads_backwards(factor) or isinstance(factor, sp.Add)):
            top[index], sign = _flip(factor), 1
    for index, factor in enumerate(top):  # y - 1 in a product: flip it and the sign
        if _reads_backwards(factor):
            top[index], sign = _flip(factor), -sign
            break
    result = sp.Mul(*top, evaluate=False) if len(top) > 1 else (top[0] if top else sp.S.One)
    if bottom != [sp.S.One]:
        result = sp.Mul(result, sp.Pow(sp.Mul(*bottom, evaluate=False) if len(bottom) > 1
                                       else bottom[0], -1, evaluate=False), evaluate=False)
    return sp.Mul(-1, result, evaluate=False) if sign < 0 else result


def tidy(expr: sp.Expr) -> sp.Expr:
    """The textbook form: y(1 - y), 1 - y², y - t, (y - t)/(y(1 - y)), -t/y.

    Factored or expanded, whichever has fewer operations (ties go to factored).
    """
    if expr.has(sp.Piecewise):
        return expr
    factored = _tidy_fraction(sp.factor(expr))
    expanded = _positive_first(sp.expand(expr))
    return expanded if sp.count_ops(expanded) < sp.count_ops(factored) else factored


def _in_output(derivative: sp.Expr, expr: sp.Expr) -> sp.Expr:
    """`derivative` (in NET) rewritten in OUT = expr(NET) where sympy can invert expr."""
    direct = derivative.xreplace({expr: OUT})
    if NET not in direct.free_symbols:
        return direct
    if expr.has(sp.Piecewise):
        return derivative  # a kink: keep the cases in net
    for inverse in sp.solve(sp.Eq(OUT, expr), NET):
        in_out = sp.simplify(derivative.subs(NET, inverse))
        if NET not in in_out.free_symbols:
            return in_out
    return derivative


# Each derivative below is derived by sympy, and was derived once more for this release into
# `derived.py` (tests/test_derived.py derives them again and compares): deriving the sigmoid's
# on the first build of a process took 0.3-0.4 s (`solve` imports sympy.physics.units),
# longer than all the rest of a small command's work.

@cache
def activation_derivative(activation: Activation) -> sp.Expr:
    """d out / d net of an elementwise activation, in OUT where possible."""
    known = derived.ACTIVATION_DERIVATIVES.get(activation.name)
    return known if known is not None else derive_activation_derivative(activation)


def derive_activation_derivative(activation: Activation) -> sp.Expr:
    """d out / d net of an elementwise activation, from sympy, in OUT where possible."""
    if activation.normalized:
        raise ValueError(f"{activation.name} couples its layer: use jacobian()")
    return tidy(_in_output(sp.diff(activation.expr, NET), activation.expr))


@cache
def jacobian(activation: Activation) -> tuple[sp.Expr, sp.Expr]:
    """(d out_j/d net_j, d out_j/d net_k) of a normalized activation, in OUT and OUT_K."""
    known = derived.JACOBIANS.get(activation.name)
    return known if known is not None else derive_jacobian(activation)


def derive_jacobian(activation: Activation) -> tuple[sp.Expr, sp.Expr]:
    """(d out_j/d net_j, d out_j/d net_k) of a normalized activation, from sympy, in OUT and
    OUT_K. Differentiated on a two-neuron layer; the forms in the outputs do not depend on
    the layer's size (the sum of the other terms cancels).
    """
    total = sp.Symbol("S", positive=True)
    g_j, g_k = activation.expr, activation.expr.xreplace({NET: NET_K})
    out_j = g_j / (g_j + g_k)
    y_j, y_k = sp.Symbol("y_j", positive=True), sp.Symbol("y_k_", positive=True)

    def in_outputs(derivative: sp.Expr) -> sp.Expr:
        # g(net) = out * S: substitute the nets by the outputs and simplify.
        inverse = sp.solve(sp.Eq(y_j * total, g_j), NET)[0]
        inverse_k = sp.solve(sp.Eq(y_k * total, g_k), NET_K)[0]
        rewritten = derivative.xreplace({g_j + g_k: total}).subs({NET: inverse, NET_K: inverse_k})
        return tidy(sp.simplify(rewritten).xreplace({y_j: OUT, y_k: OUT_K}))

    return in_outputs(sp.diff(out_j, NET)), in_outputs(sp.diff(out_j, NET_K))


def net_derivatives() -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """(∂net/∂w, ∂net/∂b, ∂net/∂x) of net = w·x + b + …: each is instantiated per weight
    (with its input), per bias, per path (with its weight)."""
    return derived.NET_DERIVATIVES


def derive_net_derivatives() -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """(∂net/∂w, ∂net/∂b, ∂net/∂x) from sympy."""
    net = WEIGHT * INPUT + BIAS
    return sp.diff(net, WEIGHT), sp.diff(net, BIAS), sp.diff(net, INPUT)


@cache
def loss_derivative(loss: Loss) -> sp.Expr:
    """d term / d out, in the generic OUT and TARGET symbols."""
    known = derived.LOSS_DERIVATIVES.get(loss.name)
    return known if known is not None else derive_loss_derivative(loss)


def derive_loss_derivative(loss: Loss) -> sp.Expr:
    """d term / d out from sympy, in the generic OUT and TARGET symbols."""
    return tidy(sp.diff(loss.term, OUT))


# The definitions are built unevaluated, node by node as sympy would build `1 / (1 + exp(-x))`
# (tests/test_derived.py checks they are those expressions): evaluating a sum at import made
# sympy load its tensor and combinatorics modules, 60 ms of every command's start.
def _add(*terms: sp.Expr) -> sp.Expr:
    return sp.Add(*terms, evaluate=False)


def _mul(*factors: sp.Expr) -> sp.Expr:
    return sp.Mul(*factors, evaluate=False)


def _pow(base: sp.Expr, exponent: int) -> sp.Expr:
    return sp.Pow(base, sp.Integer(exponent), evaluate=False)


def _neg(expr: sp.Expr) -> sp.Expr:
    return _mul(sp.Integer(-1), expr)


def _above(expr: sp.Expr, strict: bool = True) -> sp.Basic:
    """expr > 0 (or >= 0), unevaluated."""
    relation = sp.StrictGreaterThan if strict else sp.GreaterThan
    return relation(expr, sp.Integer(0), evaluate=False)


_ONE = sp.Integer(1)
_SIGMOID = _pow(_add(_ONE, sp.exp(_neg(NET))), -1)
_DIFFERENCE = _add(TARGET, _neg(OUT))

ACTIVATIONS: dict[str, Activation] = {
    # exp(-net) overflows for net < -709: evaluate e^net / (1 + e^net) there instead.
    "sigmoid": Activation("sigmoid", _SIGMOID, stable=sp.Piecewise(
        (_SIGMOID, _above(NET, strict=False)),
        (_mul(_pow(_add(_ONE, sp.exp(NET)), -1), sp.exp(NET)), True))),
    "tanh": Activation("tanh", sp.tanh(NET)),
    "relu": Activation(
        "relu", sp.Piecewise((NET, _above(NET)), (sp.Integer(0), True)),
        note="relu_kink",  # step.relu_kink in the catalogues
    ),
    "leaky_relu": Activation(
        "leaky_relu", sp.Piecewise((NET, _above(NET)), (_mul(SLOPE, NET), True)),
        parameter="slope", default=0.01,
        note="leaky_kink",
    ),
    "linear": Activation("linear", NET),
    "softmax": Activation("softmax", sp.exp(NET), normalized=True),
}

LOSSES: dict[str, Loss] = {
    "half_squared_error": Loss(
        "half_squared_error", _mul(sp.Rational(1, 2), _pow(_DIFFERENCE, 2))),
    "squared_error": Loss("squared_error", _pow(_DIFFERENCE, 2)),
    "mse": Loss("mse", _pow(_DIFFERENCE, 2), mean=True),
    "binary_cross_entropy": Loss(
        "binary_cross_entropy",
        _add(_mul(sp.Integer(-1), TARGET, sp.log(OUT)),
             _mul(sp.Integer(-1), _add(_ONE, _neg(TARGET)), sp.log(_add(_ONE, _neg(OUT))))),
        fits=("sigmoid",), unit_targets=True,
    ),
    "cross_entropy": Loss("cross_entropy", _mul(sp.Integer(-1), TARGET, sp.log(OUT)),
                          fits=("softmax",), unit_targets=True),
}


# A simplification is shown when it is this short: the known cases read y - t.
SHORT_FORM_OPS = 2


def _simpler(expanded: sp.Expr, candidate: sp.Expr) -> sp.Expr | None:
    ops = sp.count_ops(candidate)
    return candidate if ops <= SHORT_FORM_OPS and ops < sp.count_ops(expanded) else None


@cache
def simplified_delta(activation: Activation, loss: Loss) -> sp.Expr | None:
    """δ = ∂E/∂out · ∂out/∂net in a shorter form, where one exists (sigmoid with binary
    cross-entropy gives y - t)."""
    key = (activation.name, loss.name)
    if key in derived.SIMPLIFIED_DELTAS:
        return derived.SIMPLIFIED_DELTAS[key]
    return derive_simplified_delta(activation, loss)


def derive_simplified_delta(activation: Activation, loss: Loss) -> sp.Expr | None:
    """δ = ∂E/∂out · ∂out/∂net simplified by sympy, when that is shorter; None when the
    product is already as simple.
    """
    if activation.normalized or activation.expr.has(sp.Piecewise):
        return None
    expanded = sp.Mul(loss_derivative(loss), activation_derivative(activation))
    return _simpler(expanded, tidy(sp.simplify(expanded)))


@cache
def normalized_delta(activation: Activation, loss: Loss) -> sp.Expr | None:
    """δ of a neuron of a normalized layer in its own OUT and TARGET, simplified using
    Σ_j t_j = 1, for a layer of any size (softmax with cross-entropy gives y - t); None where
    no shorter form exists."""
    key = (activation.name, loss.name)
    if key in derived.NORMALIZED_DELTAS:
        return derived.NORMALIZED_DELTAS[key]
    return derive_normalized_delta(activation, loss)


def derive_normalized_delta(activation: Activation, loss: Loss) -> sp.Expr | None:
    """`simplified_normalized_delta` of neuron 1 of 3 in OUT and TARGET, where it mentions no
    other neuron (tests/test_derived.py checks it for other sizes and neurons)."""
    if not activation.normalized:
        return None
    form = simplified_normalized_delta(activation, loss, 3, 0)
    y1, t1 = sp.Symbol("y1", positive=True), sp.Symbol("t1", real=True)
    if form is None or not form.free_symbols <= {y1, t1}:
        return None
    return instantiate(form, {y1: OUT, t1: TARGET})


def simplified_normalized_delta(activation: Activation, loss: Loss, size: int,
                                k: int) -> sp.Expr | None:
    """δ_k = Σ_j ∂E/∂out_j · ∂out_j/∂net_k for a normalized layer of `size` outputs, in the
    symbols y1.., t1.. (0-based k), simplified using Σ_j t_j = 1: softmax with cross-entropy
    gives y_k - t_k. None when no shorter form exists.
    """
    outs = sp.symbols(f"y1:{size + 1}", positive=True)
    targets = sp.symbols(f"t1:{size + 1}", real=True)
    diagonal, off = jacobian(activation)
    total = sp.S.Zero
    for j in range(size):
        d_out = loss_derivative(loss).xreplace({OUT: outs[j], TARGET: targets[j]})
        if loss.mean:
            d_out = d_out / size
        d_act = (diagonal.xreplace({OUT: outs[k]}) if j == k
                 else off.xreplace({OUT: outs[j], OUT_K: outs[k]}))
        total += d_out * d_act
    expanded = sp.expand(total)
    # Σ_j t_j multiplies y_k; it is 1 for targets that are a distribution.
    coefficient = expanded.coeff(outs[k])
    if sp.expand(coefficient - sp.Add(*targets)) == 0:
        expanded = sp.expand(expanded - coefficient * outs[k] + outs[k])
    candidate = tidy(expanded)
    return _simpler(sp.expand(total), candidate)
