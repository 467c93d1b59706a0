"""The four rules added to the catalogue (multiplied-paths, gradient-for-delta,
bias-not-updated, bias-updated), each against values worked out here from the trace's
numbers by plain arithmetic, or from the spec alone by `reference`: the seed, a network of
three layers of three neurons (a bias per neuron and a shared one), `deep`, and the online
and batch examples. Each case is marked by a Checker; the correct value is not diagnosed,
the earlier entries of the catalogue do not take these cases, and a value worked on from the
wrong one is carried."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from pathlib import Path

import pytest

import tracer
from tracer import check
from tracer.check import Checker
from tracer.evaluation import Trace
from tracer.misconceptions import CATALOGUE
from tracer.spec import Spec

from .reference import nets_of, reference_step, total_loss

DATA = Path(__file__).parent / "data"
NEW = ("bias-not-updated", "bias-updated", "multiplied-paths", "gradient-for-delta")


def marks(checker: Checker, sheet: dict[str, float]) -> dict[str, tuple[str, str | None]]:
    """Each line of the sheet (name = value, full precision): its status and diagnosis."""
    text = "".join(f"{name} = {value!r}\n" for name, value in sheet.items())
    results = {r.name: (str(r.status), r.diagnosis) for r in checker.mark(text).results}
    return {name: results[name] for name in sheet}


def diagnosis(checker: Checker, name: str, value: float) -> tuple[str, str | None]:
    return marks(checker, {name: value})[name]


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def seed_with(update_biases: bool) -> Trace:
    return tracer.trace(dataclasses.replace(tracer.example_spec(), update_biases=update_biases))


def three_layers(update_biases: bool) -> Spec:
    """Three inputs; sigmoid layers h, g, o of three neurons each: h and o with a bias per
    neuron, g with one bias shared by the layer."""
    return tracer.spec_from_dict({
        "loss": "half_squared_error", "learning_rate": 0.5, "update_biases": update_biases,
        "inputs": {"x1": 0.5, "x2": -0.3, "x3": 0.8},
        "targets": {"o1": 0.1, "o2": 0.6, "o3": 0.9},
        "layers": [
            {"name": "h", "activation": "sigmoid", "bias": [0.1, -0.2, 0.3],
             "weights": [[0.2, -0.4, 0.6], [0.5, 0.3, -0.2], [-0.7, 0.1, 0.4]]},
            {"name": "g", "activation": "sigmoid", "bias": 0.25,
             "weights": [[0.3, 0.8, -0.5], [-0.6, 0.2, 0.7], [0.4, -0.3, 0.9]]},
            {"name": "o", "activation": "sigmoid", "bias": [0.05, -0.15, 0.2],
             "weights": [[0.9, -0.4, 0.2], [-0.3, 0.6, 0.5], [0.7, 0.1, -0.8]]},
        ],
    })


@pytest.fixture(scope="module", params=[False, True], ids=["biases-kept", "biases-trained"])
def net3(request: pytest.FixtureRequest) -> Trace:
    return tracer.trace(three_layers(request.param))


def spec_named(name: str) -> Spec:
    if name == "batch-sum":
        return dataclasses.replace(spec_named("batch"), batch_reduction="sum")
    return (tracer.example_spec(name) if name in tracer.EXAMPLES
            else tracer.load_spec(DATA / f"{name}.toml"))


# -- multiplied-paths -----------------------------------------------------------------------

def test_multiplied_paths_on_the_seed(seed: Trace) -> None:
    checker = Checker(seed)
    product = seed["dE_o1/dout_h1"] * seed["dE_o2/dout_h1"]
    delta = product * seed["out_h1"] * (1 - seed["out_h1"])
    assert marks(checker, {"dE_total/dout_h1": product, "delta_h1": delta,
                           "dE_total/dw1": delta * seed["i1"]}) == {
        "dE_total/dout_h1": ("wrong", "multiplied-paths"),
        "delta_h1": ("carried", None), "dE_total/dw1": ("carried", None)}
    # straight to the delta, the product never written: found through the changed rule
    assert diagnosis(checker, "delta_h1", delta) == ("wrong", "multiplied-paths")
    assert diagnosis(checker, "dE_total/dout_h1", seed["dE_total/dout_h1"]) == (
        "correct", None)


def test_multiplied_paths_of_three_outputs(net3: Trace) -> None:
    t, checker = net3, Checker(net3)
    g1 = math.prod(t[f"dE_o{k}/dout_g1"] for k in (1, 2, 3))
    delta = g1 * t["out_g1"] * (1 - t["out_g1"])
    assert abs(g1) > 1000 * checker.tolerance.atol  # not a value any small number matches
    assert diagnosis(checker, "dE_total/dout_g1", g1) == ("wrong", "multiplied-paths")
    assert marks(checker, {"dE_total/dout_g1": g1, "delta_g1": delta,
                           "dE_total/dw10": delta * t["out_h1"]}) == {
        "dE_total/dout_g1": ("wrong", "multiplied-paths"),
        "delta_g1": ("carried", None), "dE_total/dw10": ("carried", None)}
    assert diagnosis(checker, "dE_total/dout_g1", t["dE_total/dout_g1"]) == ("correct", None)


def test_multiplied_paths_into_a_hidden_layer() -> None:
    """`deep`: h's paths are products in its sum (no terms of their own), through g, whose
    neurons have one path each (nothing to multiply: their deltas stay right). (In the
    three-layer network h's product, through deltas that are products of three paths
    already, is about 1e-20: any number near 0 would match it.)"""
    t = tracer.trace(tracer.load_spec(DATA / "deep.toml"))
    checker = Checker(t)
    h1 = t["delta_g1"] * t["w7"] * t["delta_g2"] * t["w9"]
    assert diagnosis(checker, "dE_total/dout_h1", h1) == ("wrong", "multiplied-paths")
    assert marks(checker, {"dE_total/dout_h1": h1,
                           "delta_h1": h1 * t["out_h1"] * (1 - t["out_h1"])}) == {
        "dE_total/dout_h1": ("wrong", "multiplied-paths"), "delta_h1": ("carried", None)}
    assert diagnosis(checker, "dE_total/dout_h1", t["dE_total/dout_h1"]) == ("correct", None)


# -- gradient-for-delta ---------------------------------------------------------------------

def test_gradient_for_delta_on_the_seed(seed: Trace) -> None:
    checker = Checker(seed)
    # each path δ_o·out_h1, which is ∂E_total/∂w of the weight on it (w5, w7)
    paths = [seed["delta_o1"] * seed["out_h1"], seed["delta_o2"] * seed["out_h1"]]
    delta = sum(paths) * seed["out_h1"] * (1 - seed["out_h1"])
    assert marks(checker, {"dE_o1/dout_h1": paths[0], "dE_o2/dout_h1": paths[1],
                           "dE_total/dout_h1": sum(paths), "delta_h1": delta,
                           "dE_total/dw2": delta * seed["i2"]}) == {
        "dE_o1/dout_h1": ("wrong", "gradient-for-delta"),
        "dE_o2/dout_h1": ("wrong", "gradient-for-delta"),
        "dE_total/dout_h1": ("carried", None), "delta_h1": ("carried", None),
        "dE_total/dw2": ("carried", None)}
    assert diagnosis(checker, "dE_total/dout_h1", sum(paths)) == ("wrong", "gradient-for-delta")
    assert diagnosis(checker, "delta_h1", delta) == ("wrong", "gradient-for-delta")
    assert diagnosis(checker, "dE_o1/dout_h1", seed["dE_o1/dout_h1"]) == ("correct", None)


def test_gradient_for_delta_as_learners_write_it(seed: Trace) -> None:
    report = Checker(seed).mark("dE_total/dout_h1 = dE_total/dw5 + dE_total/dw7\n")
    (result,) = [r for r in report.results if r.line == 1]
    assert (result.status, result.formula, result.diagnosis) == (
        "wrong", "not-equivalent", "gradient-for-delta")


def test_gradient_for_delta_through_two_hidden_layers(net3: Trace) -> None:
    t, checker = net3, Checker(net3)
    outputs = sum(t[f"delta_o{k}"] for k in (1, 2, 3))
    wrong_delta = {m: outputs * t[f"out_g{m}"] * t[f"out_g{m}"] * (1 - t[f"out_g{m}"])
                   for m in (1, 2, 3)}
    h2 = sum(wrong_delta.values()) * t["out_h2"]  # Σ ∂E/∂w of w11, w14, w17 (wrongly)
    assert diagnosis(checker, "dE_o2/dout_g3", t["delta_o2"] * t["out_g3"]) == (
        "wrong", "gradient-for-delta")
    assert diagnosis(checker, "dE_total/dout_g3", outputs * t["out_g3"]) == (
        "wrong", "gradient-for-delta")
    assert diagnosis(checker, "dE_total/dout_h2", h2) == ("wrong", "gradient-for-delta")
    assert marks(checker, {"dE_total/dout_h2": h2,
                           "delta_h2": h2 * t["out_h2"] * (1 - t["out_h2"])}) == {
        "dE_total/dout_h2": ("wrong", "gradient-for-delta"), "delta_h2": ("carried", None)}
    assert diagnosis(checker, "dE_total/dout_h2", t["dE_total/dout_h2"]) == ("correct", None)


@pytest.mark.parametrize(("name", "at"), [("seed-sequential", ""), ("online", "@2"),
                                          ("batch", "@1"), ("softmax", "")])
def test_gradient_for_delta_in_other_orders_and_modes(name: str, at: str) -> None:
    """The same example's ∂E/∂w, whichever weight the path reads: the updated one
    (sequential), the previous example's update (online); into softmax outputs, whose
    paths are products in the hidden neuron's sum."""
    t = tracer.trace(spec_named(name))
    outputs = sorted(n for n in t.symbolic.names if n.startswith("delta_o") and n.endswith(at)
                     and (at or "@" not in n))
    passed = sum(t[delta] for delta in outputs) * t[f"out_h1{at}"]
    assert diagnosis(Checker(t), f"dE_total/dout_h1{at}", passed) == (
        "wrong", "gradient-for-delta")


# -- bias-not-updated -----------------------------------------------------------------------

def seed_error_after(t: Trace, b1: float, b2: float) -> float:
    """E_total after the update, by hand: the seed's updated weights, biases b1 and b2."""
    w = {n: t[f"w{n}_new"] for n in range(1, 9)}
    h1 = sigmoid(w[1] * t["i1"] + w[2] * t["i2"] + b1)
    h2 = sigmoid(w[3] * t["i1"] + w[4] * t["i2"] + b1)
    o1 = sigmoid(w[5] * h1 + w[6] * h2 + b2)
    o2 = sigmoid(w[7] * h1 + w[8] * h2 + b2)
    return ((t["target_o1"] - o1) ** 2 + (t["target_o2"] - o2) ** 2) / 2


def test_bias_not_updated_on_the_seed() -> None:
    t = seed_with(update_biases=True)
    checker = Checker(t)
    after = seed_error_after(t, t["b1"], t["b2"])
    assert marks(checker, {"b1_new": t["b1"], "b2_new": t["b2"],
                           "net_h1_after": t["w1_new"] * t["i1"] + t["w2_new"] * t["i2"]
                           + t["b1"], "E_total_after": after}) == {
        "b1_new": ("wrong", "bias-not-updated"), "b2_new": ("wrong", "bias-not-updated"),
        "net_h1_after": ("carried", None), "E_total_after": ("carried", None)}
    assert diagnosis(checker, "E_total_after", after) == ("wrong", "bias-not-updated")
    assert diagnosis(checker, "b1_new", t["b1_new"]) == ("correct", None)
    assert diagnosis(checker, "E_total_after", t["E_total_after"]) == ("correct", None)


def test_bias_not_updated_is_the_slip_the_path_rules_resemble_after_the_update() -> None:
    """Multiplied paths leave the seed's hidden deltas about 30 times too small, so the
    hidden parameters barely move: net_h1_after is then within 1e-3 of what keeping the
    biases gives, and bias-not-updated, before the path rules in the catalogue, is named."""
    t = seed_with(update_biases=True)
    deltas = [t[f"dE_o1/dout_h{j}"] * t[f"dE_o2/dout_h{j}"] * t[f"dout_h{j}/dnet_h{j}"]
              for j in (1, 2)]
    net = ((t["w1"] - t["eta"] * deltas[0] * t["i1"]) * t["i1"]
           + (t["w2"] - t["eta"] * deltas[0] * t["i2"]) * t["i2"]
           + t["b1"] - t["eta"] * sum(deltas))
    assert diagnosis(Checker(t), "net_h1_after", net) == ("wrong", "bias-not-updated")


def test_bias_not_updated_on_larger_networks() -> None:
    t = tracer.trace(three_layers(update_biases=True))
    checker = Checker(t)
    assert diagnosis(checker, "b_o3_new", t["b_o3"]) == ("wrong", "bias-not-updated")
    assert diagnosis(checker, "b2_new", t["b2"]) == ("wrong", "bias-not-updated")  # shared
    # h1's bias (δ_h2 is 7e-6: keeping b_h2 changes nothing the tolerance sees)
    x = [t["x1"], t["x2"], t["x3"]]
    net = sum(t[f"w{n}_new"] * xi for n, xi in zip((1, 2, 3), x, strict=True)) + t["b_h1"]
    assert marks(checker, {"b_h1_new": t["b_h1"], "net_h1_after": net}) == {
        "b_h1_new": ("wrong", "bias-not-updated"), "net_h1_after": ("carried", None)}
    assert diagnosis(checker, "net_h1_after", t["net_h1_after"]) == ("correct", None)
    # Alone, this net_h1_after is also within 1e-3 of the one factor-two's halved deltas
    # give (which comes first); the output layer's net tells them apart.
    spec = three_layers(update_biases=True)
    kept = reference_step(dataclasses.replace(spec, update_biases=False))
    (example,) = spec.examples
    net_o3 = nets_of(spec, kept, example)[2][2]
    assert diagnosis(checker, "net_o3_after", net_o3) == ("wrong", "bias-not-updated")


@pytest.mark.parametrize(("trained", "rule"), [(True, "bias-not-updated"),
                                               (False, "bias-updated")])
@pytest.mark.parametrize("name", ["three", "deep", "online", "batch", "batch-sum", "softmax"])
def test_a_bias_rule_error_after_from_the_reference(name: str, trained: bool,
                                                    rule: str) -> None:
    """E_total after a step where the student does the other thing with the biases than
    the exercise (keeps them where it trains them; trains them, each example's in online
    mode, the mean or sum over a batch, where it keeps them), from the spec by the
    reference's own loops."""
    spec = dataclasses.replace(
        three_layers(trained) if name == "three" else spec_named(name), update_biases=trained)
    checker = Checker(tracer.trace(spec))
    other = total_loss(spec, reference_step(dataclasses.replace(spec, update_biases=not trained)),
                       math)
    assert diagnosis(checker, "E_total_after", other) == ("wrong", rule)


# -- bias-updated ---------------------------------------------------------------------------

def test_bias_updated_on_the_seed(seed: Trace) -> None:
    """(On the seed, the out_o1_after this gives is within 1e-3 of the one doubling
    ∂E/∂out gives, and factor-two, earlier in the catalogue, is named: the lines here are
    the ones where the two differ.)"""
    checker = Checker(seed)
    b1 = seed["b1"] - seed["eta"] * (seed["delta_h1"] + seed["delta_h2"])  # shared by h1, h2
    b2 = seed["b2"] - seed["eta"] * (seed["delta_o1"] + seed["delta_o2"])
    net = seed["w1_new"] * seed["i1"] + seed["w2_new"] * seed["i2"] + b1
    after = seed_error_after(seed, b1, b2)
    assert marks(checker, {"net_h1_after": net, "out_h1_after": sigmoid(net)}) == {
        "net_h1_after": ("wrong", "bias-updated"), "out_h1_after": ("carried", None)}
    assert diagnosis(checker, "E_total_after", after) == ("wrong", "bias-updated")
    assert diagnosis(checker, "E_total_after", seed["E_total_after"]) == ("correct", None)
    assert diagnosis(checker, "net_h1_after", seed["net_h1_after"]) == ("correct", None)
    # the same as the exercise that trains the biases, built by the network itself
    assert math.isclose(after, seed_with(update_biases=True)["E_total_after"], rel_tol=1e-12)


def test_bias_updated_on_larger_networks() -> None:
    spec = three_layers(update_biases=False)
    t = tracer.trace(spec)
    checker = Checker(t)
    b_h1 = t["b_h1"] - t["eta"] * t["delta_h1"]  # a bias of its own
    x = [t["x1"], t["x2"], t["x3"]]
    net = sum(t[f"w{n}_new"] * xi for n, xi in zip((1, 2, 3), x, strict=True)) + b_h1
    assert diagnosis(checker, "net_h1_after", net) == ("wrong", "bias-updated")
    # g's bias is shared: its gradient sums g1, g2 and g3's deltas
    trained = reference_step(dataclasses.replace(spec, update_biases=True))
    assert math.isclose(trained["b2"], t["b2"] - t["eta"] * sum(
        t[f"delta_g{m}"] for m in (1, 2, 3)), rel_tol=1e-9)
    (example,) = spec.examples
    nets = nets_of(spec, trained, example)
    assert diagnosis(checker, "net_g2_after", nets[1][1]) == ("wrong", "bias-updated")
    assert marks(checker, {"net_o1_after": nets[2][0], "out_o1_after": sigmoid(nets[2][0])}) == {
        "net_o1_after": ("wrong", "bias-updated"), "out_o1_after": ("carried", None)}
    assert diagnosis(checker, "net_g2_after", t["net_g2_after"]) == ("correct", None)


# -- the rules as variants ------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda biases: dataclasses.replace(tracer.example_spec(), update_biases=biases),
    three_layers, lambda biases: dataclasses.replace(spec_named("online"),
                                                     update_biases=biases)],
    ids=["seed", "three", "online"])
@pytest.mark.parametrize("biases", [False, True])
def test_a_bias_rule_is_the_other_setting_of_the_exercise(
        make: Callable[[bool], Spec], biases: bool) -> None:
    """The bias rule of a spec gives, for every quantity, the value the spec with
    update_biases the other way has (built by the network builder, not by the rule)."""
    trace, other = tracer.trace(make(biases)), tracer.trace(make(not biases))
    checker = Checker(trace)
    (variant,) = [v for v in checker.variants if v.misconception == (
        "bias-not-updated" if biases else "bias-updated")]
    values = checker.variant_values(variant)
    for term in trace.symbolic:
        if term.name in other.symbolic:
            assert math.isclose(values[term.id], other[term.name], rel_tol=1e-12,
                                abs_tol=1e-15), term.name


@pytest.mark.parametrize("biases", [False, True])
def test_the_variants_each_rule_makes(biases: bool) -> None:
    """One variant a rule whatever the width; the path rules and net-for-out one more for
    each layer they reach when they reach several (all layers, then each alone). With two
    hidden layers and three inputs a layer (wrong-input's two variants) the catalogue makes
    26, which the checker's cache holds."""
    checker = Checker(tracer.trace(three_layers(biases)))
    made = [v.misconception for v in checker.variants]
    assert {m: made.count(m) for m in NEW} == {
        "bias-not-updated": int(biases), "bias-updated": int(not biases),
        "multiplied-paths": 3, "gradient-for-delta": 3}
    assert made.count("single-path") == 6 and made.count("net-for-out") == 4
    assert len(made) == 26 <= check.MAX_CACHED_VARIANTS
    assert [m.id for m in CATALOGUE][-4:] == list(NEW)
