"""Hypothesis strategies: random small sigmoid networks as spec data."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tracer.spec import Spec, spec_from_dict

LAYER_NAMES = ("h", "g", "k", "m")
weights_value = st.floats(-2.0, 2.0, allow_nan=False).map(lambda v: round(v, 3))


@st.composite
def network_data(draw: st.DrawFn, max_hidden: int = 2, max_width: int = 3) -> dict[str, Any]:
    n_inputs = draw(st.integers(1, max_width))
    hidden = draw(st.lists(st.integers(1, max_width), min_size=1, max_size=max_hidden))
    sizes = [*hidden, draw(st.integers(1, max_width))]
    names = [*LAYER_NAMES[: len(hidden)], "o"]
    layers = []
    width = n_inputs
    for name, size in zip(names, sizes, strict=True):
        rows = [[draw(weights_value) for _ in range(width)] for _ in range(size)]
        per_neuron = draw(st.booleans())
        bias: Any = draw(weights_value)
        if per_neuron:
            bias = [draw(weights_value) for _ in range(size)]
        layers.append({"name": name, "activation": "sigmoid", "weights": rows, "bias": bias})
        width = size
    return {
        "loss": "half_squared_error",
        "learning_rate": draw(st.sampled_from([0.1, 0.5, 1.0])),
        "update_biases": draw(st.booleans()),
        "update_order": draw(st.sampled_from(["simultaneous", "sequential"])),
        "inputs": {f"i{k}": draw(st.floats(-1, 1).map(lambda v: round(v, 3)))
                   for k in range(1, n_inputs + 1)},
        "targets": {f"o{k}": draw(st.floats(0.01, 0.99).map(lambda v: round(v, 3)))
                    for k in range(1, sizes[-1] + 1)},
        "layers": layers,
    }


def networks(**kwargs: int) -> st.SearchStrategy[Spec]:
    return network_data(**kwargs).map(lambda data: spec_from_dict(data, "<hypothesis>"))
