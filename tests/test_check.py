"""Checking student derivations: marks, carried errors, diagnoses, formulas, hostile input."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import random
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tracer
from tracer.answers import parse_sheet
from tracer.check import Checker, Report, Tolerance
from tracer.cli import main
from tracer.evaluation import Trace, evaluate_vector
from tracer.numbers import format_value
from tracer.spec import Spec

from .strategies import networks

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker(tracer.trace(tracer.example_spec()))


def marks(report: Report) -> dict[str, tuple[str, str | None]]:
    return {r.name: (r.status, r.diagnosis) for r in report.lines}


def sheet_of(trace: Trace, names: list[str], **changed: float) -> str:
    """A sheet giving the trace's own values (9 decimals), some replaced."""
    lines = []
    for name in names:
        value = changed.get(name.replace("/", "_"), trace[name])
        lines.append(f"{name} = {format_value(value, 9)}")
    return "\n".join(lines) + "\n"


FULL = ["net_h1", "out_h1", "out_h2", "out_o1", "out_o2", "E_total", "dE_total/dout_o1",
        "dout_o1/dnet_o1", "delta_o1", "dE_total/dw5", "w5_new", "dE_o2/dout_h1",
        "dE_total/dout_h1", "dout_h1/dnet_h1", "delta_h1", "dE_total/dw1", "w1_new",
        "E_total_after"]


def test_correct_derivation(checker: Checker, seed: Trace) -> None:
    report = checker.mark(sheet_of(seed, FULL))
    assert {r.status for r in report.lines} == {"correct"}
    # Scored over the exercise's default questions, of which the sheet answers 10.
    assert report.score == 10 / 25 and not report.passed
    assert {r.name for r in report.results if r.status == "missing"} == set(
        checker.asked) - set(FULL)
    asked = Checker(seed, asked=FULL).mark(sheet_of(seed, FULL))
    assert asked.score == 1.0 and asked.passed


def test_issue_example_sheet(checker: Checker) -> None:
    report = checker.mark(
        "net_h1 = 0.3775\n"
        "delta_o1 = (out_o1 - target_o1)*out_o1*(1 - out_o1) = 0.138498562\n"
        "dE_total/dw5 = delta_o1*out_h1\n"
        "w5_new = 0.35891648\n")
    assert [(r.status, r.formula) for r in report.lines] == [
        ("correct", None), ("correct", "equivalent"), ("correct", "equivalent"),
        ("correct", None)]


def test_sign_slip_is_diagnosed_and_carried(checker: Checker, seed: Trace) -> None:
    slipped = -seed["dE_total/dout_o1"]
    delta = slipped * seed["dout_o1/dnet_o1"]
    sheet = sheet_of(seed, ["dE_total/dout_o1", "dout_o1/dnet_o1", "delta_o1", "dE_total/dw5",
                            "w5_new"], dE_total_dout_o1=slipped, delta_o1=delta,
                     dE_total_dw5=delta * seed["out_h1"],
                     w5_new=seed["w5"] - 0.5 * delta * seed["out_h1"])
    got = marks(checker.mark(sheet))
    assert got["dE_total/dout_o1"] == ("wrong", "sign-error")
    assert got["dout_o1/dnet_o1"] == ("correct", None)
    assert got["delta_o1"] == ("carried", None)
    assert got["dE_total/dw5"] == ("carried", None)
    assert got["w5_new"] == ("carried", None)


def test_error_carried_over_skipped_steps(checker: Checker, seed: Trace) -> None:
    # dE_total/dout_o1 wrong, then straight to dE_total/dw5 without delta_o1
    wrong = seed["dE_total/dout_o1"] * 1.5
    sheet = (f"dE_total/dout_o1 = {wrong}\n"
             f"dE_total/dw5 = {wrong * seed['dout_o1/dnet_o1'] * seed['out_h1']}\n")
    got = marks(checker.mark(sheet))
    assert got["dE_total/dout_o1"][0] == "wrong"
    assert got["dE_total/dw5"] == ("carried", None)


@pytest.mark.parametrize(
    ("line", "diagnosis"),
    [
        ("dout_h1/dnet_h1 = net_h1*(1 - net_h1)", "net-for-out"),
        ("dout_o1/dnet_o1 = -0.11712204", "net-for-out"),  # 1.105905967·(1 − 1.105905967)
        ("dE_total/dout_h1 = 0.055399425", "single-path"),
        ("dE_total/dout_h1 = -0.019049118", "single-path"),
        ("w1_new = 0.149561432", "no-learning-rate"),
        ("w5_new = 0.4 + 0.5*0.082167041", "plus-sign"),
        ("dnet_h1/dw1 = 0.1", "wrong-input"),
        ("dE_total/dout_o1 = 1.48273014", "factor-two"),
        ("dE_total/dout_o2 = 0.217071535", "sign-error"),
    ],
)
def test_misconceptions(checker: Checker, line: str, diagnosis: str) -> None:
    (result,) = checker.mark(line).lines
    assert (result.status, result.diagnosis) == ("wrong", diagnosis)


def test_post_summary_is_explained_by_updated_weights(seed: Trace) -> None:
    # The post's own figures after one update, checked against its step-by-step (simultaneous)
    # derivation: they are what sequential updates give.
    strict = Checker(seed, Tolerance.significant_figures(9))
    got = marks(strict.mark("E_total_after = 0.291027924\nw1_new = 0.149817639\n"))
    assert got == {"E_total_after": ("wrong", "updated-weights"),
                   "w1_new": ("wrong", "updated-weights")}


def test_formulas(checker: Checker) -> None:
    report = checker.mark(
        "dE_total/dw5 = dE_total/dout_o1*dout_o1/dnet_o1*dnet_o1/dw5\n"
        "dout_o1/dnet_o1 = exp(-net_o1)/(1 + exp(-net_o1))^2\n"
        "dout_o1/dnet_o1 = sigma(net_o1)*(1 - sigmoid(net_o1))\n"
        "delta_o1 = (target_o1 - out_o1)*out_o1*(1 - out_o1)\n"
        "w5_new = w5 - eta*dE/dw5 = 0.35891648\n"
        "w5_new = w5 - dE/dw5 = 0.35891648\n"
        "delta_o1 = delta_o1\n")
    got = [(r.status, r.formula, r.diagnosis) for r in report.lines]
    assert got[0] == ("correct", "equivalent", None)
    assert got[1] == ("correct", "equivalent", None)
    assert got[2] == ("correct", "equivalent", None)
    assert got[3] == ("wrong", "not-equivalent", "sign-error")
    assert got[4] == ("correct", "equivalent", None)
    assert got[5] == ("correct", "not-equivalent", None)  # marked by its number
    assert got[6][0] == "invalid"


def test_substitution_step_is_read_as_its_number(checker: Checker) -> None:
    (result,) = checker.mark("net_o1 = 0.40*0.593269992 + 0.45*0.596884378 + 0.60\n").lines
    assert result.status == "correct"
    assert result.given == pytest.approx(1.105905967, abs=1e-9)


def test_aliases(checker: Checker) -> None:
    report = checker.mark("dE/dw5 = 0.082167041\n∂E_total/∂w5 = 0.082167041\n"
                          "dE_total/dnet_o1 = 0.138498562\nw5+ = 0.35891648\n")
    assert [(r.name, r.status) for r in report.lines] == [
        ("dE_total/dw5", "correct"), ("dE_total/dw5", "correct"), ("delta_o1", "correct"),
        ("w5_new", "correct")]


HOSTILE = [
    "net_h1 = __import__('os').system('echo hacked')",
    "net_h1 = ().__class__.__base__.__subclasses__()",
    "net_h1 = out_h1.real",
    "net_h1 = 9**9**9**9",
    "net_h1 = 2**100000",
    "net_h1 = " + "(" * 5000 + "1" + ")" * 5000,
    "net_h1 = " + "1+" * 600_000 + "1",
    "net_h1 = [x for x in (1,)]",
    "net_h1 = lambda: 1",
    "net_h1 = exp(x=1)",
    "net_h1 = nan",
    "net_h1 = 1e-400",
    "net_h1 = 1_0",
    "net_h1 = ｏut_h1",
    "net_h1 = \\input{/etc/passwd}",
    "net_h1 = open('/etc/passwd')",
    "net_h1 = exp(1000)",
    "net_h1 = 1/0",
    "net_h1 = log(0)",
    "net_h1 = w1 if 1 else 2",
    "net_h1 = 10**400",
    "net_h1 = 1" + "0" * 400 + ".5",
]


@pytest.mark.parametrize("line", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_lines_are_invalid(checker: Checker, line: str) -> None:
    (result,) = checker.mark(line + "\n").lines
    assert result.status == "invalid", result
    assert result.reason


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_sheet_parser_never_raises(checker: Checker, text: str) -> None:
    for line in parse_sheet(text, checker.table):
        assert line.error or line.name is not None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["net_h1", "out_h1", "w1", "(", ")", "+", "-", "*", "/", "**",
                                 "^", "2", "0.5", "exp(", "log(", "sigma(", "tanh(", " ", "e",
                                 "1e5", ".", "=", "#"]), max_size=40))
def test_checker_never_raises_on_formula_soup(checker: Checker, tokens: list[str]) -> None:
    report = checker.mark("net_h1 = " + "".join(tokens) + "\n")
    assert len(report.lines) <= 1


def test_deeper_tanh_softmax_network() -> None:
    trace = tracer.trace(tracer.example_spec("softmax"))
    checker = Checker(trace)
    sheet = (f"dE_total/dout_o1 = {-trace['dE_total/dout_o1']}\n"
             f"dout_h1/dnet_h1 = 1 - net_h1^2\n"
             f"delta_o1 = out_o1 - target_o1 = {trace['delta_o1']}\n"
             f"dE_total/dout_h1 = {trace['delta_o1'] * trace['w5']}\n")
    got = {r.name: (r.status, r.diagnosis, r.formula) for r in checker.mark(sheet).lines}
    assert got["dE_total/dout_o1"] == ("wrong", "sign-error", None)
    assert got["dout_h1/dnet_h1"] == ("wrong", "net-for-out", "not-equivalent")
    # out − target equals the Jacobian sum only because the targets sum to 1; at other
    # points it does not, so the formula is not equivalent, while the number is right.
    assert got["delta_o1"][0] == "correct"
    assert got["dE_total/dout_h1"] == ("wrong", "single-path", None)


def test_online_examples_carry_within_each_example() -> None:
    trace = tracer.trace(tracer.load_spec(DATA / "online.toml"))
    checker = Checker(trace)
    wrong = trace["dE_total/dout_o1@1"] * 2
    sheet = (f"dE_total/dout_o1@1 = {wrong}\n"
             f"delta_o1@1 = {wrong * trace['dout_o1/dnet_o1@1']}\n")
    got = marks(checker.mark(sheet))
    assert got["dE_total/dout_o1@1"] == ("wrong", "factor-two")
    assert got["delta_o1@1"] == ("carried", None)


# -- the command line -----------------------------------------------------------------------

@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "seed.toml").write_text(tracer.example_text("seed"), encoding="utf-8")
    return tmp_path


def test_check_exit_codes_and_json(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "good.txt").write_text("\ufeffnet_h1 = 0.3775\r\nw5_new = 0.35891648\r\n",
                                      encoding="utf-8")
    (workdir / "bad.txt").write_text("net_h1 = 0.4\n", encoding="utf-8")
    seed = (workdir / "seed.toml").read_text(encoding="utf-8")
    (workdir / "seed.toml").write_text('ask = ["net_h1", "w5_new"]\n' + seed, encoding="utf-8")
    assert main(["check", "seed.toml", "good.txt"]) == 0
    assert "score 1.000" in capsys.readouterr().out
    assert main(["check", "seed.toml", "bad.txt", "-f", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["results"][0]["status"] == "wrong"
    assert set(data["results"][0]) >= {"name", "status", "given", "expected", "formula",
                                       "diagnosis", "reason"}
    assert data["score"] == 0.0
    assert main(["check", "seed.toml", "missing.txt"]) == 2
    assert "missing.txt: file not found" in capsys.readouterr().err
    (workdir / "latin1.txt").write_bytes(b"net_h1 = 0.3775 \xe9\n")
    assert main(["check", "seed.toml", "latin1.txt"]) == 2
    assert main(["check", "seed.toml", "good.txt", "--sig-figs", "0"]) == 2
    assert main(["check", "nope.toml", "good.txt"]) == 2


def test_check_markdown_feedback(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "s.txt").write_text("dE_total/dout_o1 = -0.74136507\n", encoding="utf-8")
    assert main(["check", "seed.toml", "s.txt", "-f", "md"]) == 1
    text = capsys.readouterr().out
    assert "sign-error" in text
    assert r"\frac{\partial E_{\mathrm{total}}}{\partial \mathrm{out}_{o1}}" in text


def test_check_folder_writes_gradebook(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sheets = workdir / "sheets"
    sheets.mkdir()
    (sheets / "ann.txt").write_text("net_h1 = 0.3775\nE_total = 0.298371109\n", encoding="utf-8")
    (sheets / "bob.txt").write_text("net_h1 = 0.5\nfoo = 1\n", encoding="utf-8")
    seed = (workdir / "seed.toml").read_text(encoding="utf-8")
    (workdir / "seed.toml").write_text('ask = ["net_h1", "out_h1", "E_total"]\n' + seed,
                                       encoding="utf-8")
    assert main(["check", "seed.toml", "sheets"]) == 1
    rows = list(csv.reader((sheets / "gradebook.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0] == ["student_id", "student_name", "score", "net_h1", "out_h1", "E_total",
                       "sheet", "note"]
    assert rows[1] == ["ann", "", f"{2 / 3:.4f}", "correct", "missing", "correct", "ann.txt",
                       ""]
    assert rows[2] == ["bob", "", "0.0000", "wrong", "missing", "missing", "bob.txt", ""]
    feedback = (sheets / "feedback" / "ann.md").read_text(encoding="utf-8")
    assert "out\\_h1 is missing" in feedback and "0.593269992" in feedback
    (workdir / "empty").mkdir()
    assert main(["check", "seed.toml", "empty"]) == 2


@settings(max_examples=12, deadline=None)
@given(networks(max_examples=2), st.randoms(use_true_random=False))
def test_variant_values_recomputed_in_part_equal_the_whole_variant(
        spec: Spec, rng: random.Random) -> None:
    """A misconception's values are recomputed through what its changed formulas affect
    only; they must equal the whole variant (the graph with those formulas) evaluated from
    the true values, and carried from a student's own."""
    try:
        trace = tracer.trace(spec)
    except tracer.NumericError:
        assume(False)
    checker = Checker(trace)
    graph = trace.symbolic
    student = {p: v * 1.01 for p, v in enumerate(trace.values)
               if graph.terms[p].formula is not None and rng.random() < 0.2}
    recomputed = checker.carried(student)  # NaN where a student's value leaves a domain
    for variant in checker.variants:
        whole = graph.with_formulas(variant.formulas())
        try:
            expected = evaluate_vector(whole, checker.givens).values
            carried = Checker(tracer.Trace(whole, expected)).carried(student)
        except (tracer.NumericError, OverflowError, ZeroDivisionError, ValueError):
            continue
        assert checker.variant_values(variant) == list(expected)
        part = checker.variant_values(variant, recomputed, student)
        # The whole run stops at the first term that cannot be computed (NaN after it),
        # even one the variant does not reach; the partial run goes on with the terms it
        # reaches. So: equal wherever the whole run got that far.
        assert all(a == b or math.isnan(b) for a, b in zip(part, carried, strict=True))

@pytest.mark.parametrize("name", ["seed", "seed-sequential", "softmax", "deep", "online"])
def test_the_other_order_changes_only_the_path_factors(name: str) -> None:
    """`updated-weights` swaps each ∂net/∂out factor's weight for its update or back,
    without building the other order's trace: the same formulas as that trace has, at
    exactly the terms whose formula the order changes."""
    spec = (tracer.example_spec(name) if name in tracer.EXAMPLES
            else tracer.load_spec(DATA / f"{name}.toml"))
    graph = tracer.build_trace(spec)
    flipped = "sequential" if spec.update_order == "simultaneous" else "simultaneous"
    other = tracer.build_trace(dataclasses.replace(spec, update_order=flipped))
    differing = {a.id for a, b in zip(graph, other, strict=True) if a.formula != b.formula}
    (variant,) = [v for v in Checker(tracer.evaluate(graph)).variants
                  if v.misconception == "updated-weights"]
    assert variant.positions == differing
    assert variant.formulas() == {i: other.terms[i].formula for i in differing}


def test_a_right_number_is_not_lost_to_a_formula_that_cannot_be_read(checker: Checker) -> None:
    report = checker.mark("w5_new = w5 - eta*gradient(w5) = 0.35891648\n"
                          "w6_new = w6 - eta*gradient(w6) = 0.9\n"
                          "w7_new = 0.5 = w7 - eta*gradient(w7)\n")
    right, wrong, last = report.lines
    assert right.status == "correct" and right.reason.startswith(
        "formula not read: ‘w5 - eta*gradient(w5)’: only exp, log, tanh, sigma")
    assert wrong.status == "wrong" and wrong.reason.startswith("formula not read")
    assert last.status == "invalid"  # the value the line ends with cannot be read


def test_a_decimal_comma_is_told_to_use_a_point(checker: Checker) -> None:
    (result,) = checker.mark("net_h1 = 0,3775\n").lines
    assert (result.status, result.reason) == (
        "invalid", "‘0,3775’: use a decimal point (0.3775)")
