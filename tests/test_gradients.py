"""Every derivative the trace prints, checked against independent references.

- each ∂E_total/∂p against sympy.diff of the fully composed loss and against 50-digit
  central finite differences (simultaneous order, where these are true gradients);
- each local derivative against sympy.diff of the expression it was taken from;
- each chain-rule product against the product of its factors;
- the updates of both orders against a plain reference loop written here.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings

import tracer
from tracer.evaluate import Trace
from tracer.spec import Spec
from tracer.trace import Kind

from .reference import (
    finite_difference_gradient,
    mp_total_error,
    parameters,
    sympy_gradient,
)
from .strategies import networks

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def close(a: float, b: float, rel: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)


def simultaneous(spec: Spec) -> Spec:
    return dataclasses.replace(spec, update_order="simultaneous", update_biases=True)


def gradient_names(trace: Trace) -> dict[str, str]:
    """parameter -> name of its ∂E_total/∂p in the trace."""
    return {
        t.name: f"dE_total/d{t.name}" for t in trace.symbolic
        if t.kind in (Kind.WEIGHT, Kind.BIAS) and f"dE_total/d{t.name}" in trace.symbolic
    }


@SETTINGS
@given(networks())
def test_gradients_match_composed_loss_and_finite_differences(spec: Spec) -> None:
    spec = simultaneous(spec)
    trace = tracer.trace(spec)
    exact = sympy_gradient(spec)
    numeric = finite_difference_gradient(spec)
    grads = gradient_names(trace)
    assert set(grads) == set(parameters(spec))  # every weight and bias has its gradient
    for parameter, name in grads.items():
        assert close(trace[name], exact[parameter]), (name, trace[name], exact[parameter])
        assert close(trace[name], numeric[parameter]), (name, trace[name], numeric[parameter])


def test_seed_gradients_match_composed_loss(seed: Trace) -> None:
    spec = simultaneous(seed.symbolic.spec)
    trace = tracer.trace(spec)
    exact = sympy_gradient(spec)
    for parameter, name in gradient_names(trace).items():
        assert close(trace[name], exact[parameter], rel=1e-12), name


def _local_checks(trace: Trace) -> int:
    at = {q.term.symbol: sp.Float(repr(q.value), 30) for q in trace}
    checked = 0
    for term in trace.symbolic:
        if term.derivation is None:
            continue
        expected = float(sp.diff(term.derivation.of, term.derivation.wrt).xreplace(at).evalf(30))
        assert close(trace[term.name], expected, rel=1e-12), term.name
        checked += 1
    return checked


@SETTINGS
@given(networks())
def test_local_derivatives_match_sympy_diff_of_their_origin(spec: Spec) -> None:
    assert _local_checks(tracer.trace(spec)) > 0


def test_seed_local_derivatives(seed: Trace, seed_sequential: Trace) -> None:
    # 2 ∂E/∂out + 4 ∂out/∂net + 8 ∂net/∂w + 4 ∂net/∂out per order
    assert _local_checks(seed) == 18
    assert _local_checks(seed_sequential) == 18


@SETTINGS
@given(networks())
def test_chain_products_equal_their_factors(spec: Spec) -> None:
    trace = tracer.trace(spec)
    chains = [t for t in trace.symbolic if t.chain]
    assert chains
    for term in chains:
        product = math.prod(trace[name] for name in term.chain)
        assert close(trace[term.name], product, rel=1e-12), term.name


def reference_step(spec: Spec) -> dict[str, float]:
    """One backprop step by hand: plain floats, the textbook loops, either update order."""
    p = parameters(spec)
    xs: list[list[float]] = [[v for _, v in spec.inputs]]
    names: list[list[list[str]]] = []
    biases: list[list[str]] = []
    number = 0
    for index, layer in enumerate(spec.layers, start=1):
        rows = []
        for _ in range(layer.size):
            rows.append([f"w{number + i}" for i in range(1, len(xs[-1]) + 1)])
            number += len(xs[-1])
        names.append(rows)
        biases.append([f"b_{layer.name}{j}" if isinstance(layer.bias, tuple) else f"b{index}"
                       for j in range(1, layer.size + 1)])
        nets = [sum(p[w] * x for w, x in zip(row, xs[-1], strict=True)) + p[b]
                for row, b in zip(rows, biases[-1], strict=True)]
        xs.append([1 / (1 + math.exp(-n)) for n in nets])
    targets = [v for _, v in spec.targets]
    new = dict(p)
    deltas = [(o - t) * o * (1 - o) for o, t in zip(xs[-1], targets, strict=True)]
    for at in range(len(spec.layers) - 1, -1, -1):
        inputs = xs[at]
        bias_grads: dict[str, float] = {}
        for j, delta in enumerate(deltas):
            for w, x in zip(names[at][j], inputs, strict=True):
                new[w] = p[w] - spec.learning_rate * delta * x
            bias_grads[biases[at][j]] = bias_grads.get(biases[at][j], 0.0) + delta
        if spec.update_biases:
            for b, grad in bias_grads.items():
                new[b] = p[b] - spec.learning_rate * grad
        if at == 0:
            break
        weights = new if spec.update_order == "sequential" else p
        outs = xs[at]
        deltas = [
            sum(deltas[k] * weights[names[at][k][j]] for k in range(len(deltas)))
            * outs[j] * (1 - outs[j])
            for j in range(len(outs))
        ]
    return new


@SETTINGS
@given(networks())
def test_updates_match_reference_loop_in_both_orders(spec: Spec) -> None:
    trace = tracer.trace(spec)
    expected = reference_step(spec)
    for parameter, value in expected.items():
        name = f"{parameter}_new"
        if name in trace.symbolic:
            assert close(trace[name], value), name
        else:  # a bias that is not trained keeps its value
            assert parameter.startswith("b") and not spec.update_biases
    assert close(trace["E_total_after"], mp_total_error(spec, expected))


@pytest.mark.parametrize("order", ["simultaneous", "sequential"])
def test_seed_updates_match_reference(seed: Trace, order: str) -> None:
    spec = dataclasses.replace(seed.symbolic.spec, update_order=order)
    trace = tracer.trace(spec)
    for parameter, value in reference_step(spec).items():
        if f"{parameter}_new" in trace.symbolic:
            assert close(trace[f"{parameter}_new"], value, rel=1e-14)
