"""Independent references for the tests, written from the spec's numbers alone.

Nothing here uses tracer's trace, its definitions or its derivatives: the activations and
losses are written out again (as sympy, as mpmath, and with hand-written derivatives for the
plain reference loop), so agreement with the trace means something. Parameters are named as
the issue defines them (w1.., b1.. or b_h1..).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import mpmath
import sympy as sp

from tracer.spec import Example, LayerSpec, Spec

Lib = Any  # the sympy or mpmath module


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


def structure(spec: Spec) -> list[tuple[list[list[str]], list[str]]]:
    """Per layer: weight names by [neuron][input] and the bias name of each neuron."""
    layers = []
    width = len(spec.inputs)
    number = 0
    for index, layer in enumerate(spec.layers, start=1):
        rows = []
        for _ in range(layer.size):
            rows.append([f"w{number + i}" for i in range(1, width + 1)])
            number += width
        biases = [f"b_{layer.name}{j}" if isinstance(layer.bias, tuple) else f"b{index}"
                  for j in range(1, layer.size + 1)]
        layers.append((rows, biases))
        width = layer.size
    return layers


def activate(layer: LayerSpec, nets: Sequence[Any], lib: Lib) -> list[Any]:
    name = layer.activation
    if name == "softmax":
        exps = [lib.exp(n) for n in nets]
        total = sum(exps)
        return [e / total for e in exps]
    if name == "sigmoid":
        return [1 / (1 + lib.exp(-n)) for n in nets]
    if name == "tanh":
        return [lib.tanh(n) for n in nets]
    if name == "linear":
        return list(nets)
    slope = layer.slope if name == "leaky_relu" else 0
    if lib is sp:
        return [sp.Piecewise((n, n > 0), (slope * n, True)) for n in nets]
    return [n if n > 0 else slope * n for n in nets]


def example_loss(spec: Spec, outs: Sequence[Any], targets: Sequence[float], lib: Lib) -> Any:
    pairs = list(zip(outs, targets, strict=True))
    if spec.loss == "half_squared_error":
        return sum((t - o) ** 2 / 2 for o, t in pairs)
    if spec.loss == "squared_error":
        return sum((t - o) ** 2 for o, t in pairs)
    if spec.loss == "mse":
        return sum((t - o) ** 2 for o, t in pairs) / len(pairs)
    if spec.loss == "binary_cross_entropy":
        return -sum(t * lib.log(o) + (1 - t) * lib.log(1 - o) for o, t in pairs)
    assert spec.loss == "cross_entropy"
    return -sum(t * lib.log(o) for o, t in pairs)


def forward(spec: Spec, p: Mapping[str, Any], example: Example, lib: Lib) -> list[list[Any]]:
    """Activations of every layer, inputs first."""
    xs: list[list[Any]] = [[value for _, value in example.inputs]]
    for layer, (rows, biases) in zip(spec.layers, structure(spec), strict=True):
        nets = [sum((p[w] * x for w, x in zip(row, xs[-1], strict=True)), start=0) + p[b]
                for row, b in zip(rows, biases, strict=True)]
        xs.append(activate(layer, nets, lib))
    return xs


def total_loss(spec: Spec, p: Mapping[str, Any], lib: Lib) -> Any:
    """E_total over every example: their sum or mean (batch_reduction)."""
    losses = [example_loss(spec, forward(spec, p, ex, lib)[-1], [t for _, t in ex.targets], lib)
              for ex in spec.examples]
    total = sum(losses[1:], start=losses[0])
    return total if spec.batch_reduction == "sum" else total / len(losses)


def sympy_gradient(spec: Spec) -> dict[str, float]:
    """∂E_total/∂p by sympy.diff of the fully composed loss, evaluated with 30 digits."""
    symbols = {name: sp.Symbol(name) for name in parameters(spec)}
    loss = total_loss(spec, symbols, sp)
    at = {symbols[name]: sp.Float(repr(v), 30) for name, v in parameters(spec).items()}
    return {name: float(sp.diff(loss, s).xreplace(at).evalf(30)) for name, s in symbols.items()}


def finite_difference_gradient(spec: Spec, dps: int = 50) -> dict[str, float]:
    """Central differences in 50-digit arithmetic (step 1e-20: truncation error ~1e-40)."""
    with mpmath.workdps(dps):
        base = {name: mpmath.mpf(repr(v)) for name, v in parameters(spec).items()}
        h = mpmath.mpf("1e-20")
        gradient = {}
        for name in base:
            up = total_loss(spec, {**base, name: base[name] + h}, mpmath)
            down = total_loss(spec, {**base, name: base[name] - h}, mpmath)
            gradient[name] = float((up - down) / (2 * h))
    return gradient


def mp_total_error(spec: Spec, p: Mapping[str, float]) -> float:
    with mpmath.workdps(30):
        return float(total_loss(spec, {k: mpmath.mpf(repr(v)) for k, v in p.items()}, mpmath))


def nets_of(spec: Spec, p: Mapping[str, float], example: Example) -> list[list[float]]:
    """Net inputs of every layer (to check that no ReLU sits exactly on its kink)."""
    xs = forward(spec, p, example, math)
    nets = []
    for (rows, biases), inputs in zip(structure(spec), xs, strict=False):
        nets.append([sum(p[w] * x for w, x in zip(row, inputs, strict=True)) + p[b]
                     for row, b in zip(rows, biases, strict=True)])
    return nets


# -- the plain reference loop: hand-written derivatives, floats -----------------------------

def _d_activation(layer: LayerSpec, nets: list[float], outs: list[float],
                  upstream: list[float]) -> list[float]:
    """δ = ∂E/∂net from ∂E/∂out, by the textbook derivative of each activation."""
    name = layer.activation
    if name == "softmax":
        return [sum(upstream[j] * outs[j] * ((1.0 if j == k else 0.0) - outs[k])
                    for j in range(len(outs))) for k in range(len(outs))]
    slope = {"relu": 0.0, "leaky_relu": layer.slope}.get(name)
    derivative: Callable[[float, float], float] = {
        "sigmoid": lambda n, o: o * (1 - o),
        "tanh": lambda n, o: 1 - o * o,
        "linear": lambda n, o: 1.0,
    }.get(name, lambda n, o: 1.0 if n > 0 else float(slope or 0.0))
    return [u * derivative(n, o) for u, n, o in zip(upstream, nets, outs, strict=True)]


def _d_loss(spec: Spec, outs: list[float], targets: list[float]) -> list[float]:
    n = len(outs)
    rules: dict[str, Callable[[float, float], float]] = {
        "half_squared_error": lambda o, t: o - t,
        "squared_error": lambda o, t: 2 * (o - t),
        "mse": lambda o, t: 2 * (o - t) / n,
        "binary_cross_entropy": lambda o, t: (o - t) / (o * (1 - o)),
        "cross_entropy": lambda o, t: -t / o,
    }
    return [rules[spec.loss](o, t) for o, t in zip(outs, targets, strict=True)]


def _example_gradients(spec: Spec, p: Mapping[str, float], example: Example,
                       weights_for_deltas: Callable[[int], Mapping[str, float]],
                       on_layer: Callable[[int, dict[str, float]], None]) -> None:
    """Backprop one example from the output layer down; `on_layer(layer, gradients)` is
    called once a layer's gradients are known (and may update weights for the next deltas)."""
    shape = structure(spec)
    xs = forward(spec, p, example, math)
    all_nets = nets_of(spec, p, example)
    upstream = _d_loss(spec, xs[-1], [t for _, t in example.targets])
    for at in range(len(spec.layers) - 1, -1, -1):
        deltas = _d_activation(spec.layers[at], all_nets[at], xs[at + 1], upstream)
        rows, biases = shape[at]
        grads: dict[str, float] = {}
        for j, delta in enumerate(deltas):
            for w, x in zip(rows[j], xs[at], strict=True):
                grads[w] = delta * x
            grads[biases[j]] = grads.get(biases[j], 0.0) + delta
        on_layer(at, grads)
        weights = weights_for_deltas(at)
        upstream = [sum(deltas[k] * weights[rows[k][i]] for k in range(len(deltas)))
                    for i in range(len(xs[at]))]


def reference_step(spec: Spec) -> dict[str, float]:
    """One training step by the textbook loops: batch (mean or sum) or online, either order."""
    p = dict(parameters(spec))
    trained = {name for name in p if spec.update_biases or name.startswith("w")}
    if spec.mode == "online" and len(spec.examples) > 1:
        for example in spec.examples:
            p = _online_example(spec, p, example, trained)
        return p
    return _batch_step(spec, p, trained)


def _online_example(spec: Spec, p: dict[str, float], example: Example,
                    trained: set[str]) -> dict[str, float]:
    new = dict(p)

    def apply(at: int, grads: dict[str, float]) -> None:
        for name, grad in grads.items():
            if name in trained:
                new[name] = p[name] - spec.learning_rate * grad

    _example_gradients(spec, p, example,
                       lambda at: new if spec.update_order == "sequential" else p, apply)
    return new


def _batch_step(spec: Spec, p: dict[str, float], trained: set[str]) -> dict[str, float]:
    """Layer by layer over all examples; sequential order needs every example's output layer
    gradient before the hidden deltas, so the examples are walked once per layer."""
    new = dict(p)
    scale = 1.0 if spec.batch_reduction == "sum" or len(spec.examples) == 1 else 1 / len(
        spec.examples)
    for layer in range(len(spec.layers) - 1, -1, -1):
        total: dict[str, float] = {}

        def collect(at: int, grads: dict[str, float], layer: int = layer,
                    total: dict[str, float] = total) -> None:
            if at == layer:
                for name, grad in grads.items():
                    total[name] = total.get(name, 0.0) + scale * grad

        for example in spec.examples:
            _example_gradients(spec, p, example,
                               lambda at: new if spec.update_order == "sequential" else p,
                               collect)
        for name, grad in total.items():
            if name in trained:
                new[name] = p[name] - spec.learning_rate * grad
    return new


def saturated(spec: Spec, *parameter_sets: Mapping[str, float], margin: float = 0.0) -> bool:
    """Whether plain floats leave their range for these parameters: an exp that overflows, or
    an output within `margin` of 0 or 1 (exactly 0 or 1: a cross-entropy cannot take its log;
    1 - 1e-11: 1 - out keeps only a few digits, and so does the error)."""
    for p in parameter_sets:
        for example in spec.examples:
            try:
                outs = forward(spec, p, example, math)[-1]
            except (OverflowError, ValueError, ZeroDivisionError):
                return True
            if any(min(abs(o), abs(1 - o)) <= margin or abs(o) > 1e150 for o in outs):
                return True
    return False
