"""The checker on hostile sheets: values that are not finite reals, restated givens, terminal
escapes, huge numbers, and the limits that bound the cost of a sheet (checked by counting)."""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tracer
from tracer import answers, check, codegen
from tracer.check import Checker, Report, Status
from tracer.cli import main
from tracer.evaluation import Trace, evaluate_vector
from tracer.memo import Lru
from tracer.names import NameMatcher
from tracer.numbers import format_value
from tracer.report import feedback_sheet, report_json, report_text

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
from train import wide_spec

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker(tracer.trace(tracer.example_spec()))


def every_view(report: Report, trace: Trace) -> str:
    """The report as text, JSON and Markdown feedback (none may raise)."""
    return (report_text(report, trace.symbolic.spec.digits)
            + json.dumps(report_json(report)) + repr(feedback_sheet(report, trace)))


# -- values that are not finite real numbers ------------------------------------------------

NOT_REAL = [
    ("out_h1 = (0-0.5)^0.5", "fractional power"),  # complex in Python
    ("out_h1 = (0-0.5)**0.5*w1", "fractional power"),
    ("net_h1 = (-8)^(1/3)", "exponent"),
    ("net_h1 = (0-8)^(-0.5)", "fractional power"),
    ("net_h1 = 0^-1", "negative power"),
    ("net_h1 = 0.0**(-2)*w1", "negative power"),
    ("net_h1 = 10^400", "exponent"),
    ("net_h1 = 10.0^16^2", "exponent"),
    ("net_h1 = 1e308*10/1e308", "too large"),  # finite at the end, infinite on the way
    ("net_h1 = 1e999*w1", "too large"),
    ("net_h1 = 1" + "0" * 400 + "*w1", "too large"),
    ("net_h1 = 1e400", "finite"),
    ("net_h1 = exp(exp(exp(10)))", "range"),
    ("net_h1 = log(0-1)", "domain"),
    ("net_h1 = 1/(w1-w1)", "division by zero"),
    ("out_h1 = (w1-0.5)^0.5", "fractional power"),  # not real at any point
    ("out_h1 = log(w1-1)", "domain"),
]


@pytest.mark.parametrize(("line", "why"), NOT_REAL, ids=range(len(NOT_REAL)))
def test_a_value_that_is_not_a_finite_real_is_marked_on_its_line(
        checker: Checker, line: str, why: str) -> None:
    report = checker.mark(f"w1 = 0.15\n{line}\nnet_h1 = 0.3775\n")
    first, bad, last = report.lines
    assert (first.status, last.status) == ("correct", "correct")
    assert bad.status == "invalid" and why in bad.reason, bad
    every_view(report, checker.trace)


def test_a_formula_not_real_at_the_students_own_values(checker: Checker) -> None:
    report = checker.mark("net_h1 = -2\nout_h1 = (net_h1)^0.5\nout_h1 = log(net_h1)\n")
    assert [r.status for r in report.lines] == ["wrong", "wrong", "wrong"]
    assert [r.given for r in report.lines[1:]] == [None, None]  # no value at -2
    every_view(report, checker.trace)


# -- givens are the exercise's ----------------------------------------------------------------

ASKED = ["net_h1", "out_h1", "net_o1", "out_o1", "E_total", "dE_total/dout_o1", "delta_o1",
         "dE_total/dw5", "w5_new", "dE_total/dout_h1", "delta_h1", "dE_total/dw1", "w1_new",
         "E_total_after"]


def from_zero_givens(trace: Trace) -> tuple[str, Mapping[str, float]]:
    """Lines restating every given as 0, and every value computed from those zeros."""
    graph = trace.symbolic
    values = evaluate_vector(graph, [0.0] * len(graph.givens)).values
    restated = "".join(f"{term.name} = 0\n" for term in graph.givens)
    return restated, {name: values[graph.position(name)] for name in ASKED}


@pytest.mark.parametrize("name", ASKED)
def test_values_from_restated_givens_are_not_carried(checker: Checker, name: str) -> None:
    restated, zero = from_zero_givens(checker.trace)
    report = checker.mark(restated + f"{name} = {format_value(zero[name], 9)}\n")
    *givens, asked = report.lines
    assert {r.status for r in givens} == {Status.WRONG}
    assert all("given by the exercise" in r.reason for r in givens)
    assert asked.status == "wrong", asked
    assert asked.carried_value == pytest.approx(checker.trace[name])


def test_a_sheet_built_on_zero_givens_scores_little(checker: Checker) -> None:
    restated, zero = from_zero_givens(checker.trace)
    sheet = restated + "".join(f"{n} = {format_value(v, 9)}\n" for n, v in zero.items())
    report = checker.mark(sheet)
    statuses = {r.name: r.status for r in report.lines}
    assert statuses["net_h1"] == statuses["net_o1"] == statuses["E_total"] == "wrong"
    # What is carried is carried from the wrong net_h1 = 0 (σ(0) = 0.5 is right for it), not
    # from the zero givens; the givens themselves are not scored.
    assert report.score < 0.5


def test_a_wrong_computed_value_is_still_carried(checker: Checker) -> None:
    net = 0.5
    out = 1 / (1 + 2.718281828459045 ** -net)
    report = checker.mark(f"i1 = 0\nw1 = 9\nnet_h1 = w1*i1 + w2*i2 + b1 = {net}\n"
                          f"out_h1 = {format_value(out, 9)}\nout_h1 = sigma(net_h1)\n")
    assert [(r.name, r.status) for r in report.lines] == [
        ("i1", "wrong"), ("w1", "wrong"), ("net_h1", "wrong"), ("out_h1", "carried"),
        ("out_h1", "correct")]
    assert report.lines[2].formula == "equivalent"


def test_a_restated_given_that_is_right_is_correct(checker: Checker) -> None:
    report = checker.mark("eta = 0.5\nw5 = 0.40\ntarget_o1 = 0.01\n")
    assert {r.status for r in report.lines} == {Status.CORRECT}


def test_copied_givens_earn_no_score(checker: Checker) -> None:
    """Copying the exercise's 15 given values onto the sheet scored 0.9375 beside one wrong
    answer: restated givens are marked but not scored."""
    trace = checker.trace
    copied = "".join(f"{t.name} = {trace.value(t)!r}\n" for t in trace.symbolic.givens)
    report = checker.mark(copied + "net_h1 = 0.5\n")
    assert sum(r.status == Status.CORRECT for r in report.lines) == 15
    assert report.score == 0.0 and not report.passed
    one = Checker(trace, asked=["net_h1"])
    assert one.mark(copied + f"net_h1 = {trace['net_h1']!r}\n").score == 1.0
    assert one.mark(copied).score == 0.0


# -- terminal escapes ---------------------------------------------------------------------------

ESCAPES = ("\x1b[2J\x1b[1Ascore 1.000 = 1\n"
           "net_h1 = \x1b[2J\n"
           "net_h1 = 0.3775 # \x1b[1Ascore 1.000\n"
           "\x9b2J = 1\n"
           "w5\x1b[1A = 0.4\n"
           "\u202enet_h1 = 1\n"
           "\x07\x08\x7f = 2\n")


def test_report_text_never_carries_control_characters(checker: Checker) -> None:
    text = report_text(checker.mark(ESCAPES), 9)
    assert "\x1b" not in text and "\x9b" not in text and "\u202e" not in text
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text)
    assert "\\x1b[2J" in text  # shown, as its code


@pytest.mark.parametrize("fmt", ["text", "json", "md"])
def test_check_command_prints_no_escape_byte(tmp_path: Path, fmt: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "seed.toml").write_text(tracer.example_text("seed"), encoding="utf-8")
    (tmp_path / "s.txt").write_text(ESCAPES, encoding="utf-8")
    main(["check", str(tmp_path / "seed.toml"), str(tmp_path / "s.txt"), "-f", fmt])
    out = capsys.readouterr()
    assert "\x1b" not in out.out + out.err


# -- large values ---------------------------------------------------------------------------

@pytest.mark.parametrize("spec", ["seed", "leaky"])  # leaky carries rounded values
def test_values_of_1e25_and_beyond_are_graded(spec: str) -> None:
    trace = tracer.trace(tracer.load_spec(DATA / "leaky.toml") if spec == "leaky"
                         else tracer.example_spec())
    first = trace.symbolic.names[len(trace.symbolic.givens)]  # the first computed value
    checker = Checker(trace)
    report = checker.mark("".join(f"{first} = {v}\n" for v in ("1e25", "1e28", "-3e28",
                                                                "1e300", "1e25*1e10")))
    assert [r.status for r in report.lines] == ["wrong"] * 5
    text = every_view(report, trace)
    assert "1e25 " in text and "1e+35" not in text  # shown as written


# -- limits -----------------------------------------------------------------------------------

def test_lines_past_max_lines_are_reported(checker: Checker) -> None:
    sheet = "net_h1 = 0.3775\n\n" * answers.MAX_LINES + "net_h1 = 0.3775\n" * 3
    results = checker.mark(sheet).lines
    assert len(results) == answers.MAX_LINES + 1
    last = results[-1]
    assert last.status == "invalid" and last.line == 2 * answers.MAX_LINES + 1
    assert f"more than {answers.MAX_LINES} answer lines" in last.reason
    assert "not marked" in last.reason


def test_a_sheet_longer_than_max_sheet_is_reported(checker: Checker) -> None:
    comment = "# " + "x" * 998 + "\n"
    count = answers.MAX_SHEET // len(comment)
    results = checker.mark("net_h1 = 0.3775\n" + comment * count + "net_h1 = 0.3\n").lines
    assert [r.status for r in results] == ["correct", "invalid"]
    assert f"longer than {answers.MAX_SHEET} characters" in results[1].reason
    assert results[1].line <= count + 1


def test_only_the_first_wrong_lines_are_diagnosed(checker: Checker) -> None:
    report = checker.mark("dE_total/dout_o2 = 0.217071535\n" * (check.MAX_DIAGNOSED + 5))
    diagnoses = [r.diagnosis for r in report.lines]
    assert diagnoses == ["sign-error"] * check.MAX_DIAGNOSED + [None] * 5
    assert all("not diagnosed" in r.reason for r in report.lines[check.MAX_DIAGNOSED:])
    assert {r.status for r in report.lines} == {Status.WRONG}


def test_only_the_first_unknown_names_get_a_suggestion(checker: Checker) -> None:
    results = checker.mark("w5_nwe = 1\n" * (answers.MAX_SUGGESTIONS + 3)).lines
    reasons = [r.reason for r in results]
    assert reasons[0] == "unknown quantity name ‘w5_nwe’ (did you mean w5_new?)"
    assert reasons[answers.MAX_SUGGESTIONS - 1] == reasons[0]
    assert reasons[answers.MAX_SUGGESTIONS:] == ["unknown quantity name ‘w5_nwe’"] * 3


@pytest.mark.parametrize(("written", "suggested"), [
    ("w5_nwe", "w5_new"), ("net_hh1", "net_h1"), ("dE_totl/dw5", "dE_total/dw5"),
    ("outh2", "out_h2"), ("Etotal", "E_total"), ("x" * 300, None)])
def test_suggestions(checker: Checker, written: str, suggested: str | None) -> None:
    hint = checker.table.suggest(written)
    assert hint == (f" (did you mean {suggested}?)" if suggested else "")


def test_lru_holds_at_most_its_size() -> None:
    cache: Lru[int, int] = Lru(3)
    made = [cache.get(k % 7, functools.partial(int, k)) for k in range(2000)]
    assert len(cache) == 3 and made[:3] == [0, 1, 2]
    assert cache.get(1999 % 7, lambda: -1) == 1999  # the most recent is kept


@pytest.fixture(scope="module")
def wide() -> Checker:
    return Checker(tracer.trace(wide_spec([6, 6, 6])))


def test_caches_stay_bounded_after_2000_lines(wide: Checker,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing is compiled or kept per line or per sheet: 2,000 wrong lines over 8 sheets
    compile each variant once at most, and the caches hold a few entries a variant."""
    compiled: list[int] = []

    def counting(*args: object) -> object:
        compiled.append(1)
        return codegen.compile_formulas(*args)  # type: ignore[arg-type]

    monkeypatch.setattr("tracer.check.compile_formulas", counting)
    trace, graph = wide.trace, wide.symbolic
    computed = [t.name for t in graph if t.formula is not None]
    for sheet in range(8):
        names = [computed[(k * 37 + sheet) % len(computed)] for k in range(250)]
        report = wide.mark("".join(f"{n} = {trace[n] * (1.5 + sheet) + 0.01}\n"
                                   for n in names))
        assert len(report.lines) == 250
    assert len(compiled) <= len(wide.variants)
    assert wide.cached <= 2 * check.MAX_CACHED_VARIANTS + 2 * len(wide.variants)


# -- the name matcher -------------------------------------------------------------------------

class RegexMatcher:
    """The matcher as it was: one regular expression over every spelling, longest first."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self._names = dict(names)
        body = "|".join(re.escape(s) for s in sorted(self._names, key=len, reverse=True))
        # A name may follow a `/` (out_h1/out_h2); one the old pattern refused there.
        self._pattern = re.compile(rf"(?<![A-Za-z0-9_@])(?:{body})(?![A-Za-z0-9_@])")

    def substitute(self, text: str) -> tuple[str, tuple[str, ...]]:
        found: list[str] = []

        def placeholder(match: re.Match[str]) -> str:
            canonical = self._names[match.group(0)]
            if canonical not in found:
                found.append(canonical)
            return f" _q{found.index(canonical)} "

        return self._pattern.sub(placeholder, text), tuple(found)


TABLES = {name: Checker(tracer.trace(spec)).table for name, spec in (
    ("seed", tracer.example_spec()), ("online", tracer.load_spec(DATA / "online.toml")))}
PIECES = ["/", "@", "@1", "@2", "_", "d", "dE/d", "dE_total/d", "delta", "1", "2", "12", "x",
          "+", "*", " ", "(", ")", "-", ".", "é", "∂", "^", "_new", "_after", "/d", "dout_"]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(sorted(TABLES)), st.data())
def test_the_tokenizer_finds_what_the_regular_expression_found(
        table: str, data: st.DataObject) -> None:
    spellings = TABLES[table].spellings
    words = st.sampled_from(sorted(spellings)) | st.sampled_from(PIECES)
    text = "".join(data.draw(st.lists(words, max_size=12)))
    assume("^+" not in text)  # an update mark (w5^+ for w5⁺), read since: see test_notation
    assert NameMatcher(spellings).substitute(text) == RegexMatcher(spellings).substitute(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("dE/dw5*out_h1/2", (" _q0 * _q1 /2", ("dE_total/dw5", "out_h1"))),
    ("out_h1/out_h2", (" _q0 / _q1 ", ("out_h1", "out_h2"))),  # a quotient of two names
    ("dout_o1/dnet_o1", (" _q0 ", ("dout_o1/dnet_o1",))),
    ("deltao1+delta_o1", (" _q0 + _q0 ", ("delta_o1",))),
    ("w1@2 + 2w1 + w1_new", ("w1@2 + 2w1 +  _q0 ", ("w1_new",))),
])
def test_tokenizer_examples(text: str, expected: tuple[str, tuple[str, ...]]) -> None:
    assert NameMatcher(TABLES["seed"].spellings).substitute(text) == expected
