"""Independent references for the tests: the fully composed loss and a plain mpmath network.

Written from the spec's numbers alone, without any of tracer's trace code, so that agreement
means something. Parameters are named as the issue defines them (w1.., b1.. or b_h1..).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import mpmath
import sympy as sp

from tracer.spec import Spec


def parameters(spec: Spec) -> dict[str, float]:
    """Weights and biases by canonical name, numbered layer by layer, neuron by neuron."""
    values: dict[str, float] = {}
    number = 0
    for index, layer in enumerate(spec.layers, start=1):
        for row in layer.weights:
            for weight in row:
                number += 1
                values[f"w{number}"] = weight
        if isinstance(layer.bias, tuple):
            for j, bias in enumerate(layer.bias, start=1):
                values[f"b_{layer.name}{j}"] = bias
        else:
            values[f"b{index}"] = layer.bias
    return values


def _forward(spec: Spec, p: Mapping[str, Any], squash: Callable[[Any], Any]) -> list[Any]:
    """Output layer activations for parameters `p` (numbers or sympy symbols)."""
    x: list[Any] = [value for _, value in spec.inputs]
    number = 0
    for index, layer in enumerate(spec.layers, start=1):
        outs = []
        for j in range(1, layer.size + 1):
            net: Any = 0
            for value in x:
                number += 1
                net = net + p[f"w{number}"] * value
            bias = f"b_{layer.name}{j}" if isinstance(layer.bias, tuple) else f"b{index}"
            outs.append(squash(net + p[bias]))
        x = outs
    return x


def _half_squared(spec: Spec, outs: list[Any]) -> Any:
    targets = [value for _, value in spec.targets]
    return sum((t - o) ** 2 / 2 for t, o in zip(targets, outs, strict=True))


def composed_loss(spec: Spec) -> tuple[sp.Expr, dict[str, sp.Symbol]]:
    """E_total as one sympy expression in the parameters."""
    symbols = {name: sp.Symbol(name) for name in parameters(spec)}
    outs = _forward(spec, symbols, lambda net: 1 / (1 + sp.exp(-net)))
    return _half_squared(spec, outs), symbols


def sympy_gradient(spec: Spec) -> dict[str, float]:
    """∂E_total/∂p by sympy.diff of the composed loss, evaluated with 30 digits."""
    loss, symbols = composed_loss(spec)
    at = {symbols[name]: sp.Float(repr(v), 30) for name, v in parameters(spec).items()}
    return {name: float(sp.diff(loss, s).evalf(30, subs=at)) for name, s in symbols.items()}


def mp_loss(spec: Spec, p: Mapping[str, Any]) -> Any:
    outs = _forward(spec, p, lambda net: 1 / (1 + mpmath.exp(-net)))
    return _half_squared(spec, outs)


def finite_difference_gradient(spec: Spec, dps: int = 50) -> dict[str, float]:
    """Central differences in 50-digit arithmetic (step 1e-20: truncation error ~1e-40)."""
    with mpmath.workdps(dps):
        base = {name: mpmath.mpf(repr(v)) for name, v in parameters(spec).items()}
        h = mpmath.mpf("1e-20")
        gradient = {}
        for name in base:
            up = mp_loss(spec, {**base, name: base[name] + h})
            down = mp_loss(spec, {**base, name: base[name] - h})
            gradient[name] = float((up - down) / (2 * h))
    return gradient


def mp_total_error(spec: Spec, p: Mapping[str, float]) -> float:
    with mpmath.workdps(30):
        return float(mp_loss(spec, {k: mpmath.mpf(repr(v)) for k, v in p.items()}))
