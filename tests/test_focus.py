"""Focused documents: only the chain-rule paths through chosen parameters, still correct."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

import tracer
from tracer.focus import focus
from tracer.numbers import format_value

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
from train import wide_spec


def blocks(text: str) -> list[str]:
    return re.findall(r"^\$\$\n.*?\n\$\$$", text, re.S | re.M)


def named(graph: tracer.Graph, ids: frozenset[int]) -> set[str]:
    return {graph.terms[i].name for i in ids}


@pytest.fixture(scope="module")
def seed() -> tracer.Trace:
    return tracer.trace(tracer.example_spec())


def test_focus_on_one_weight_keeps_its_path_only(seed: tracer.Trace) -> None:
    full = tracer.render(seed, "md", follow=())  # every step, in computation order
    focused = tracer.render(seed, "md", focus_on=["w5"])
    assert set(blocks(focused)) <= set(blocks(full))
    assert "\\frac{\\partial E_{\\mathrm{total}}}{\\partial w_{5}} &=" in focused
    assert "{w_{5}}^{+} =" in focused
    for other in ("w_{1}}^{+}", "\\partial w_{6}", r"\mathrm{net}_{h1} =",
                  "Backward pass: hidden"):
        assert other not in focused
    assert "| $\\mathrm{out}_{h1}$ | 0.593269992 |" in focused  # a value the path uses


def test_focus_on_a_hidden_weight_follows_every_output(seed: tracer.Trace) -> None:
    chosen = focus(seed.symbolic, ["w1"])
    path, used = named(seed.symbolic, chosen.path), named(seed.symbolic, chosen.used)
    assert {"net_h1", "out_h1", "delta_o1", "delta_o2", "dnet_o1/dout_h1", "dE_o2/dout_h1",
            "dE_total/dout_h1", "delta_h1", "dnet_h1/dw1", "dE_total/dw1", "w1_new"} <= path
    assert "dE_total/dw2" not in path and "net_h2" not in path
    # The outputs' own forward pass is not about w1: their values are in the table.
    assert {"out_o1", "out_o2", "w1", "w5"} <= used
    assert not {"net_o1", "out_o1", "w6", "out_h2"} & path


def test_focus_on_neurons_and_layers(seed: tracer.Trace) -> None:
    graph = seed.symbolic
    assert {"dE_total/dw1", "dE_total/dw2"} <= named(graph, focus(graph, ["h1"]).path)
    layer = named(graph, focus(graph, ["o"]).path)
    assert {f"w{k}_new" for k in range(5, 9)} <= layer and "w1_new" not in layer
    both = named(graph, focus(graph, ["w5", "w1"]).path)
    assert {"w5_new", "w1_new"} <= both


def test_unknown_focus_name(seed: tracer.Trace) -> None:
    with pytest.raises(tracer.TracerError, match="--focus: unknown name 'w99'"):
        focus(seed.symbolic, ["w99"])


@pytest.fixture(scope="module")
def wide() -> tracer.Trace:
    return tracer.trace(wide_spec([48, 48, 48]))


def test_short_document_for_one_weight_of_a_48_48_48_network(wide: tracer.Trace) -> None:
    text = tracer.render(wide, "md", focus_on=["w2305"])
    assert len(text.splitlines()) < 400
    value = format_value(wide["dE_total/dw2305"], 9)
    assert f"&= {value}\n" in text


def test_hidden_weight_of_a_48_48_48_network_lists_no_later_weights(wide: tracer.Trace) -> None:
    """w5 reaches all 48 outputs: 48 paths, but no output's 48-term forward pass."""
    chosen = focus(wide.symbolic, ["w5"])
    weights = {n for n in chosen.used if wide.symbolic.terms[n].role == "weight"}
    assert len(weights) == 48 + 48  # into h1, and from h1 to each output
    text = tracer.render(wide, "md", focus_on=["w5"])
    assert len(text.splitlines()) < 3000
    assert f"&= {format_value(wide['dE_total/dw5'], 9)}\n" in text
