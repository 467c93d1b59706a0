"""Spec loading: the seed loads; every bad spec gives one SpecError naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tracer
from tracer.errors import SpecError
from tracer.network import build_trace
from tracer.spec import Spec, parse_spec

from .strategies import networks

SEED = tracer.example_text("seed")


def test_seed_spec() -> None:
    spec = parse_spec(SEED)
    assert [name for name, _ in spec.inputs] == ["i1", "i2"]
    assert spec.layers[0].neurons == ("h1", "h2")
    assert spec.layers[1].weights == ((0.40, 0.45), (0.50, 0.55))
    assert spec.update_biases is False
    assert spec.digits == 9


def test_defaults() -> None:
    text = SEED.replace("update_biases = false", "").replace('update_order = "simultaneous"', "")
    spec = parse_spec(text)
    assert spec.update_biases is True
    assert spec.update_order == "simultaneous"


WITHOUT_TABLES = SEED.split("[inputs]")[0] + "[[layers]]" + SEED.split("[[layers]]", 1)[1]
EXAMPLES = """
[[examples]]
[examples.inputs]
i1 = 0.05
i2 = 0.10
[examples.targets]
o1 = 0.01
o2 = 0.99
[[examples]]
[examples.inputs]
i1 = 0.5
i2 = 0.9
[examples.targets]
o1 = 0.5
o2 = 0.4
"""


def test_examples_spec() -> None:
    spec = parse_spec(WITHOUT_TABLES + EXAMPLES)
    assert len(spec.examples) == 2
    assert spec.examples[1].inputs == (("i1", 0.5), ("i2", 0.9))
    assert spec.mode == "batch" and spec.batch_reduction == "mean"


def test_spec_round_trips_through_plain_data() -> None:
    for text in (SEED, WITHOUT_TABLES + EXAMPLES):
        spec = parse_spec(text)
        assert tracer.spec_from_dict(tracer.spec_to_dict(spec)) == spec


def edit(old: str, new: str) -> str:
    assert old in SEED, old
    return SEED.replace(old, new, 1)


BAD = [
    ("toml syntax", edit("learning_rate = 0.5", "learning_rate = "), "", "invalid TOML"),
    ("unknown key", edit("learning_rate = 0.5", "learning_rate = 0.5\nlerning_rate = 1"),
     "lerning_rate", "did you mean 'learning_rate'"),
    ("unknown layer key", edit('name = "h"', 'name = "h"\nactivaton = "sigmoid"'),
     "layers[1].activaton", "did you mean 'activation'"),
    ("string number", edit("learning_rate = 0.5", 'learning_rate = "0.5"'),
     "learning_rate", "must be a number, got a string"),
    ("bool number", edit("i1 = 0.05", "i1 = true"), "inputs.i1", "must be a number"),
    ("nan", edit("i1 = 0.05", "i1 = nan"), "inputs.i1", "finite"),
    ("inf", edit("o1 = 0.01", "o1 = inf"), "targets.o1", "finite"),
    ("huge", edit("i1 = 0.05", "i1 = 1e300"), "inputs.i1", "too large"),
    ("rate zero", edit("learning_rate = 0.5", "learning_rate = 0"), "learning_rate",
     "greater than 0"),
    ("rate negative", edit("learning_rate = 0.5", "learning_rate = -1"), "learning_rate",
     "greater than 0"),
    ("digits", edit("learning_rate = 0.5", "learning_rate = 0.5\ndigits = 40"), "digits",
     "between 1 and 15"),
    ("digits float", edit("learning_rate = 0.5", "learning_rate = 0.5\ndigits = 9.0"), "digits",
     "must be an integer"),
    ("row length", edit("[[0.15, 0.20], [0.25, 0.30]]", "[[0.15, 0.20], [0.25]]"),
     "layers[1].weights[2]", "has 1 weights, expected 2"),
    ("second layer width", edit("[[0.40, 0.45], [0.50, 0.55]]", "[[0.40], [0.50]]"),
     "layers[2].weights[1]", "expected 2"),
    ("empty weights", edit("[[0.15, 0.20], [0.25, 0.30]]", "[]"), "layers[1].weights",
     "non-empty"),
    ("bias list length", edit("bias = 0.35", "bias = [0.35]"), "layers[1].bias",
     "has 1 values, expected 2"),
    ("missing target", edit("o2 = 0.99", ""), "targets", "missing a target for output neuron o2"),
    ("unknown target", edit("o2 = 0.99", "o2 = 0.99\nh1 = 0.5"), "targets.h1",
     "not an output neuron"),
    ("unknown activation", edit('activation = "sigmoid"', 'activation = "sigmoidd"'),
     "layers[1].activation", "did you mean 'sigmoid'"),
    ("unknown loss", edit('loss = "half_squared_error"', 'loss = "half_square_error"'), "loss",
     "did you mean 'half_squared_error'"),
    ("missing loss", edit('loss = "half_squared_error"', ""), "loss", "is missing"),
    ("unknown order", edit('update_order = "simultaneous"', 'update_order = "batch"'),
     "update_order", "one of: simultaneous, sequential"),
    ("no layers", SEED.split("[[layers]]")[0], "layers", "is missing"),
    ("no inputs", edit("i1 = 0.05\ni2 = 0.10", ""), "inputs", "is empty"),
    ("duplicate layer", edit('name = "o"', 'name = "h"'), "layers[2].name",
     "neuron name h1 is already used by layers[1]"),
    ("input clash", edit("i1 = 0.05", "w1 = 0.05"), "inputs.w1", "clashes with a quantity name"),
    ("input neuron clash", edit("i1 = 0.05", "h1 = 0.05"), "layers[1].name",
     "neuron name h1 is already used by inputs.h1"),
    ("bad layer name", edit('name = "h"', 'name = "h}x"'), "layers[1].name", "must be letters"),
    ("layer name digit", edit('name = "h"', 'name = "h2"'), "layers[1].name",
     "not end with a digit"),
    ("bad input name", edit("i1 = 0.05", '"i 1" = 0.05'), "inputs.i 1", "names must be"),
    ("title newline", edit('title = "A step', 'title = "A\\nstep'), "title", "one line"),
    ("bool flag", edit("update_biases = false", 'update_biases = "no"'), "update_biases",
     "true or false"),
    ("slope on sigmoid", edit('bias = 0.35', 'bias = 0.35\nslope = 0.1'), "layers[1].slope",
     "only leaky_relu takes a slope"),
    ("softmax hidden", edit('activation = "sigmoid"', 'activation = "softmax"'),
     "layers[1].activation", "output layer only"),
    ("bce needs sigmoid", edit('loss = "half_squared_error"', 'loss = "cross_entropy"'), "loss",
     "does not fit output activation 'sigmoid' (it needs softmax)"),
    ("bce target range", edit("o1 = 0.01", "o1 = 1.5").replace(
        '"half_squared_error"', '"binary_cross_entropy"'), "targets.o1", "must lie in [0, 1]"),
    ("carry", edit("learning_rate = 0.5", 'learning_rate = 0.5\ncarry = "round"'), "carry",
     "did you mean 'rounded'"),
    ("mode", edit("learning_rate = 0.5", 'learning_rate = 0.5\nmode = "onlin"'), "mode",
     "did you mean 'online'"),
    ("reduction", edit("learning_rate = 0.5", 'learning_rate = 0.5\nbatch_reduction = 1'),
     "batch_reduction", "must be a string"),
    ("inputs and examples", SEED + EXAMPLES, "inputs", "not both"),
    ("example inputs differ", WITHOUT_TABLES + EXAMPLES.replace("i2 = 0.9", "i3 = 0.9"),
     "examples[2].inputs", "must name the inputs i1, i2 in this order"),
    ("example unknown key", WITHOUT_TABLES + EXAMPLES.replace("[examples.targets]\no1 = 0.5",
                                                              "[examples.target]\no1 = 0.5"),
     "examples[2].target", "did you mean 'targets'"),
    ("example target", WITHOUT_TABLES + EXAMPLES.replace("o2 = 0.4", "o3 = 0.4"),
     "examples[2].targets.o3", "is not an output neuron"),
    ("no examples", "examples = []\n" + WITHOUT_TABLES, "examples", "needs at least one entry"),
]


@pytest.mark.parametrize(("label", "text", "key", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_spec(label: str, text: str, key: str, message: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec(text, "bad.toml")
    error = caught.value
    assert error.source == "bad.toml"
    assert (error.key or "") == key
    assert message in error.message
    assert "\n" not in error.line()
    assert error.line().startswith("bad.toml: ")


def test_a_path_may_be_given_as_text(tmp_path: Path) -> None:
    path = tmp_path / "seed.toml"
    path.write_text(SEED, encoding="utf-8")
    assert tracer.load_spec(str(path)) == tracer.load_spec(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="file not found"):
        tracer.load_spec(tmp_path / "none.toml")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="is a directory"):
        tracer.load_spec(tmp_path)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(SEED.encode("utf-8").replace(b"A step", b"\xe9 step"))
    with pytest.raises(SpecError, match="cannot read"):
        tracer.load_spec(path)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_gives_spec_error_or_spec(text: str) -> None:
    try:
        parse_spec(text)
    except SpecError as error:
        assert "\n" not in error.line()


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_mutated_seed_gives_spec_error_or_spec(data: st.DataObject) -> None:
    lines = SEED.splitlines()
    index = data.draw(st.integers(0, len(lines) - 1))
    replacement = data.draw(st.sampled_from(
        ["", "x = 1", "[[layers]]", "bias = []", "weights = [[1]]", "i3 = 0.2", "o3 = 0.5",
         "name = \"\"", "activation = 3", "[targets]", "digits = -1", "weights = [[[1]]]"]))
    lines[index] = replacement
    try:
        parse_spec("\n".join(lines))
    except SpecError as error:
        assert "\n" not in error.line()


@settings(max_examples=60, deadline=None)
@given(networks(max_hidden=3, max_width=5, max_examples=3))
def test_the_trace_size_estimate_is_close_to_the_count(spec: Spec) -> None:
    # The limit is checked on the estimate before building: a poor one would refuse small
    # networks or let huge ones through.
    actual = len(build_trace(spec).terms)
    assert 0.75 * actual <= spec.estimated_terms <= 1.5 * actual


def test_a_network_beyond_the_trace_limit_is_refused_before_building() -> None:
    width = 320  # 320 inputs x 320 outputs: about 300,000 quantities
    inputs = "\n".join(f"i{k} = 0.1" for k in range(1, width + 1))
    targets = "\n".join(f"o{k} = 0.5" for k in range(1, width + 1))
    row = "[" + ", ".join(["0.01"] * width) + "]"
    text = (f'loss = "half_squared_error"\nlearning_rate = 0.5\n[inputs]\n{inputs}\n'
            f'[targets]\n{targets}\n[[layers]]\nname = "o"\nactivation = "sigmoid"\n'
            f"weights = [{', '.join([row] * width)}]\nbias = 0.1\n")
    with pytest.raises(SpecError, match=r"net.toml: layers: the trace would hold about "
                                        r"[0-9,]+ quantities, more than the limit of 100,000"):
        parse_spec(text, "net.toml")
