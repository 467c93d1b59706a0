"""Hypothesis strategies: random small networks of every activation and loss, as spec data."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tracer.functions import ACTIVATIONS, LOSSES
from tracer.spec import Spec, spec_from_dict

LAYER_NAMES = ("h", "g", "k", "m")
ELEMENTWISE = tuple(name for name, a in ACTIVATIONS.items() if not a.normalized)
value = st.floats(-2.0, 2.0, allow_nan=False).map(lambda v: round(v, 3))


def output_activations(loss: str) -> tuple[str, ...]:
    return LOSSES[loss].fits or tuple(ACTIVATIONS)


@st.composite
def targets(draw: st.DrawFn, loss: str, outputs: list[str]) -> dict[str, float]:
    if loss == "cross_entropy":  # a distribution over the outputs
        weights = [draw(st.integers(0, 5)) for _ in outputs]
        weights[draw(st.integers(0, len(outputs) - 1))] += 1
        return {name: w / sum(weights) for name, w in zip(outputs, weights, strict=True)}
    low = 0.0 if LOSSES[loss].unit_targets else -1.0
    return {name: round(draw(st.floats(low, 1.0)), 3) for name in outputs}


@st.composite
def layer_data(draw: st.DrawFn, name: str, activation: str, size: int,
               width: int) -> dict[str, Any]:
    rows = [[draw(value) for _ in range(width)] for _ in range(size)]
    bias: Any = draw(value)
    if draw(st.booleans()):
        bias = [draw(value) for _ in range(size)]
    data = {"name": name, "activation": activation, "weights": rows, "bias": bias}
    if activation == "leaky_relu" and draw(st.booleans()):
        data["slope"] = draw(st.sampled_from([0.01, 0.1, 0.2]))
    return data


@st.composite
def network_data(draw: st.DrawFn, max_hidden: int = 2, max_width: int = 3,
                 max_examples: int = 1, loss: str | None = None,
                 output: str | None = None, hidden_activation: str | None = None,
                 ) -> dict[str, Any]:
    loss = loss or draw(st.sampled_from(tuple(LOSSES)))
    n_inputs = draw(st.integers(1, max_width))
    hidden = draw(st.lists(st.integers(1, max_width), min_size=1, max_size=max_hidden))
    output = output or draw(st.sampled_from(output_activations(loss)))
    n_out = draw(st.integers(2 if output == "softmax" else 1, max_width))
    sizes, names = [*hidden, n_out], [*LAYER_NAMES[: len(hidden)], "o"]
    activations = [*(hidden_activation or draw(st.sampled_from(ELEMENTWISE)) for _ in hidden),
                   output]
    layers, width = [], n_inputs
    for name, activation, size in zip(names, activations, sizes, strict=True):
        layers.append(draw(layer_data(name, activation, size, width)))
        width = size
    outputs = [f"o{k}" for k in range(1, n_out + 1)]
    examples = [
        {"inputs": {f"i{k}": round(draw(st.floats(-1, 1)), 3) for k in range(1, n_inputs + 1)},
         "targets": draw(targets(loss, outputs))}
        for _ in range(draw(st.integers(1, max_examples)))
    ]
    data: dict[str, Any] = {
        "loss": loss,
        "learning_rate": draw(st.sampled_from([0.1, 0.5, 1.0])),
        "update_biases": draw(st.booleans()),
        "update_order": draw(st.sampled_from(["simultaneous", "sequential"])),
        "layers": layers,
    }
    if len(examples) == 1 and draw(st.booleans()):
        data.update(examples[0])
    else:
        data["examples"] = examples
        data["mode"] = draw(st.sampled_from(["batch", "online"]))
        data["batch_reduction"] = draw(st.sampled_from(["mean", "sum"]))
    return data


def networks(**kwargs: Any) -> st.SearchStrategy[Spec]:
    return network_data(**kwargs).map(lambda data: spec_from_dict(data, "<hypothesis>"))
