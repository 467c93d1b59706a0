"""Every number of the issue's table, the post's published figures, in both update orders."""

from __future__ import annotations

import pytest

import tracer
from tracer.evaluation import Trace
from tracer.numbers import format_value

# Hand-verified values (9 decimals) of Mazur's post, simultaneous order.
SIMULTANEOUS = {
    "net_h1": "0.3775", "out_h1": "0.593269992", "out_h2": "0.596884378",
    "net_o1": "1.105905967", "out_o1": "0.75136507", "out_o2": "0.772928465",
    "E_o1": "0.274811083", "E_o2": "0.023560026", "E_total": "0.298371109",
    "dE_total/dout_o1": "0.74136507", "dout_o1/dnet_o1": "0.186815602",
    "delta_o1": "0.138498562", "dE_total/dw5": "0.082167041", "w5_new": "0.35891648",
    "w6_new": "0.408666186", "w7_new": "0.51130127", "w8_new": "0.561370121",
    "dE_o1/dout_h1": "0.055399425", "dE_o2/dout_h1": "-0.019049118",
    "dE_total/dout_h1": "0.036350306", "dout_h1/dnet_h1": "0.241300709",
    "dE_total/dw1": "0.000438568", "w1_new": "0.149780716", "w2_new": "0.199561432",
    "w3_new": "0.249751144", "w4_new": "0.299502287", "E_total_after": "0.291027774",
}
# Sequential order: the hidden layer uses w5+..w8+, so only the forward pass, the output layer
# and these published figures are known by hand.
UNCHANGED_BY_ORDER = (
    "net_h1", "out_h1", "out_h2", "net_o1", "out_o1", "out_o2", "E_o1", "E_o2", "E_total",
    "dE_total/dout_o1", "dout_o1/dnet_o1", "delta_o1", "dE_total/dw5",
    "w5_new", "w6_new", "w7_new", "w8_new",
)
SEQUENTIAL = {
    **{name: SIMULTANEOUS[name] for name in UNCHANGED_BY_ORDER},
    "E_total_after": "0.291027924",
    "w1_new": "0.149817639",
}


@pytest.mark.parametrize("name", sorted(SIMULTANEOUS))
def test_simultaneous_value(seed: Trace, name: str) -> None:
    assert format_value(seed[name], 9) == SIMULTANEOUS[name]


@pytest.mark.parametrize("name", sorted(SEQUENTIAL))
def test_sequential_value(seed_sequential: Trace, name: str) -> None:
    assert format_value(seed_sequential[name], 9) == SEQUENTIAL[name]


def test_sequential_hidden_path_uses_updated_weight(seed_sequential: Trace) -> None:
    assert seed_sequential["dnet_o2/dout_h1"] == seed_sequential["w7_new"]
    assert seed_sequential["dE_o2/dout_h1"] == (
        seed_sequential["delta_o2"] * seed_sequential["w7_new"])


def test_orders_differ_only_downstream_of_hidden_deltas(
    seed: Trace, seed_sequential: Trace
) -> None:
    # The output layer and its updates are the same; the hidden layer is not.
    assert seed["w5_new"] == seed_sequential["w5_new"]
    assert seed["dE_total/dout_h1"] != seed_sequential["dE_total/dout_h1"]


@pytest.mark.parametrize(
    ("example", "error", "out_o1", "out_o2"),
    [
        ("seed", "0.0000351019", "0.015913620", "0.984064274"),
        ("seed-sequential", "0.0000350848", "0.015912196", "0.984065734"),
    ],
)
def test_ten_thousand_updates(example: str, error: str, out_o1: str, out_o2: str) -> None:
    run = tracer.train(tracer.build_trace(tracer.example_spec(example)), 10_000)
    assert f"{run.errors[-1]:.10f}" == error
    assert f"{run.last['out_o1_after']:.9f}" == out_o1
    assert f"{run.last['out_o2_after']:.9f}" == out_o2


def test_post_summary_rounds_to_published_figures() -> None:
    # The post prints 0.000035085 after 10,000 sequential updates.
    run = tracer.train(tracer.build_trace(tracer.example_spec("seed-sequential")), 10_000)
    assert format_value(run.errors[-1], 9) == "0.000035085"


def test_first_training_step_is_the_documented_step(seed: Trace) -> None:
    run = tracer.train(seed.symbolic, 1)
    assert run.last.values == seed.values
    assert tuple(run.errors) == (seed["E_total"], seed["E_total_after"])


def test_training_loop_repeats_the_documented_step_bit_for_bit(seed: Trace) -> None:
    symbolic = seed.symbolic
    values = None
    errors = []
    for _ in range(5):
        step = tracer.evaluate(symbolic, values)
        errors.append(step["E_total"])
        values = {name: step[f"{name}_new"] for name in [f"w{k}" for k in range(1, 9)]}
    run = tracer.train(symbolic, 5)
    assert list(run.errors[:5]) == errors
    assert run.last.values == step.values
