"""Grading a class: scores over the asked quantities, `[grading]` tolerances, updates judged
by their change, diagnoses that agree with the student's formula, and a class folder graded
against its own variants (issue 14). Sheets are written the way students write them."""

from __future__ import annotations

import csv
import json
import math
import shutil
from pathlib import Path

import pytest

import tracer
from tracer.check import Checker, Status, Tolerance
from tracer.cli import main
from tracer.errors import SpecError
from tracer.evaluation import Trace
from tracer.numbers import format_value, half_unit, is_rounding, shown_apart
from tracer.report import report_text
from tracer.tomlout import to_toml

ROOT = Path(__file__).parent.parent
ASKED = ["net_h1", "out_h1", "E_total", "delta_o1", "dE_total/dw5", "w5_new",
         "dE_total/dw1", "w1_new"]


@pytest.fixture(scope="module")
def seed() -> Trace:
    return tracer.trace(tracer.example_spec())


def spec_with(grading: str, ask: list[str] = ASKED) -> tracer.Spec:
    text = tracer.example_text("seed")
    listed = ", ".join(f'"{name}"' for name in ask)
    return tracer.parse_spec(f"ask = [{listed}]\n{text}\n[grading]\n{grading}\n")


def value(trace: Trace, name: str, digits: int = 9) -> str:
    return format_value(trace[name], digits)


# -- the score ------------------------------------------------------------------------------

def test_the_score_is_the_share_of_asked_quantities_answered_right(seed: Trace) -> None:
    checker = Checker(seed, asked=ASKED)
    one = checker.mark(f"net_h1 = {value(seed, 'net_h1')}\n")
    assert one.score == 1 / 8 and not one.passed
    missing = [r for r in one.results if r.status == Status.MISSING]
    assert [r.name for r in missing] == ASKED[1:] and all(r.scored for r in missing)
    spaced = checker.mark(f"\n\nnet_h1 = {value(seed, 'net_h1')}\n\n\n# done\n")
    assert spaced.score == one.score  # blank lines and comments change nothing
    full = "".join(f"{name} = {value(seed, name)}\n" for name in ASKED)
    assert checker.mark(full).score == 1.0 and checker.mark(full).passed


def test_a_name_answered_twice_is_marked_once_by_its_last_line(seed: Trace) -> None:
    checker = Checker(seed, asked=["net_h1", "out_h1"])
    report = checker.mark(f"net_h1 = 0.5\nnet_h1 = {value(seed, 'net_h1')}\n"
                          f"net_h1 = {value(seed, 'net_h1')}\n")
    first, second, third = report.lines
    assert not first.scored and "also answered on line 3, which counts" in first.reason
    assert not second.scored and third.scored and third.credit == 1
    assert report.score == 1 / 2  # out_h1 missing; net_h1 counted once
    # An unreadable last line does not hide a readable answer.
    last = checker.mark(f"net_h1 = {value(seed, 'net_h1')}\nnet_h1 = 0,5\n")
    assert [r.scored for r in last.lines] == [True, False] and last.score == 1 / 2


def test_givens_and_unasked_lines_count_for_nothing(seed: Trace) -> None:
    checker = Checker(seed, asked=["net_h1"])
    report = checker.mark(f"w1 = 0.15\ni1 = 0.05\nout_h1 = {value(seed, 'out_h1')}\n")
    assert [r.status for r in report.lines] == ["correct"] * 3
    assert not any(r.scored for r in report.lines) and report.score == 0.0


# -- [grading] ------------------------------------------------------------------------------

@pytest.mark.parametrize(("table", "message"), [
    ("rtol = 0.01\nsig_figs = 4", "grading.sig_figs: give one of rtol, sig_figs and decimals"),
    ("decimals = 4\natol = 0.1", "grading.atol: goes with rtol, not with decimals"),
    ("decimals = 4.5", "grading.decimals: must be a whole number from 0 to 15, got 4.5"),
    ("sig_figs = 0", "grading.sig_figs: must be a whole number from 1 to 15, got 0"),
    ("rounding = 2", "grading.rounding: must be from 0 to 1, got 2"),
    ("rtol = -1", "grading.rtol: must be from 0 to 1, got -1"),
    ("require_numbers = 1", "grading.require_numbers: must be true or false, got 1"),
    ("decimal = 4", "grading.decimal: unknown key (one of: rtol, atol, sig_figs, decimals"),
    (f"decimals = 1{'0' * 30}", "grading.decimals: must be a whole number from 0 to 15, got "
                                  "a very large integer"),
])
def test_bad_grading_tables(table: str, message: str) -> None:
    with pytest.raises(SpecError) as error:
        spec_with(table)
    assert message in error.value.line()


def test_the_grading_table_round_trips_through_a_variant_spec() -> None:
    spec = spec_with("decimals = 4\nrounding = 0.5\nrequire_numbers = true")
    again = tracer.parse_spec(to_toml(tracer.spec_to_dict(spec)))
    assert again.grading == spec.grading and again.grading.decimals == 4


def test_decimals_accept_the_rounded_value_and_what_follows_from_it() -> None:
    trace = tracer.trace(spec_with("decimals = 4"))
    checker = Checker(trace)
    # 0.3775 -> out_h1 from the rounded 0.3775 is 0.5933; E_total from rounded outs
    report = checker.mark("net_h1 = 0.3775\nout_h1 = 0.5933\nE_total = 0.2984\n"
                          "delta_o1 = 0.1385\ndE_total/dw5 = 0.0822\n")
    assert {r.status for r in report.lines} <= {"correct", "carried"}
    # out_h1 to 3 decimals is more than half a unit of the 4th away: wrong, by rounding
    (coarse,) = checker.mark("out_h1 = 0.593\n").lines
    assert (coarse.status, coarse.diagnosis, coarse.credit) == ("wrong", "rounding", 0.0)


def test_rounding_earns_the_partial_credit_the_exercise_sets() -> None:
    trace = tracer.trace(spec_with("decimals = 4\nrounding = 0.5", ask=["out_h1"]))
    report = Checker(trace).mark("out_h1 = 0.59\n")
    assert report.lines[0].diagnosis == "rounding" and report.score == 0.5


def test_a_value_computed_from_rounded_intermediates_is_explained(seed: Trace) -> None:
    strict = Checker(seed, Tolerance.significant_figures(6), asked=["out_h1"])
    # net_h1 rounded to 0.38 in the student's head, out_h1 = σ(0.38) = 0.593867...
    (line,) = strict.mark("out_h1 = 0.5939\n").lines
    assert (line.status, line.diagnosis) == ("wrong", "rounded-carry")
    text = report_text(strict.mark("out_h1 = 0.5939\n"), 9)
    assert "rounded-carry" in text
    # written down, the rounded value is carried instead
    carried = 1 / (1 + math.exp(-0.38))
    assert [r.status for r in strict.mark(f"net_h1 = 0.38\nout_h1 = {carried:.9f}\n").lines
            ] == ["wrong", "carried"]


def test_a_formula_without_its_number_is_incomplete_when_numbers_are_required() -> None:
    trace = tracer.trace(spec_with("require_numbers = true", ask=["delta_o1"]))
    (line,) = Checker(trace).mark(
        "delta_o1 = (out_o1 - target_o1)*out_o1*(1 - out_o1)\n").lines
    assert (line.status, line.formula, line.credit) == ("incomplete", "equivalent", 0.0)
    assert "asks for the number" in line.reason
    relaxed = Checker(tracer.trace(spec_with("", ask=["delta_o1"])))
    assert relaxed.mark("delta_o1 = (out_o1 - target_o1)*out_o1*(1 - out_o1)\n").passed


def test_the_command_line_tolerance_overrides_the_table(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    spec = tmp_path / "ex.toml"
    spec.write_text('ask = ["out_h1"]\n' + tracer.example_text("seed") +
                    "\n[grading]\ndecimals = 2\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text("out_h1 = 0.59\n", encoding="utf-8")
    assert main(["check", str(spec), str(tmp_path / "a.txt")]) == 0
    assert main(["check", str(spec), str(tmp_path / "a.txt"), "--sig-figs", "4"]) == 1
    assert "wrong" in capsys.readouterr().out


# -- updates, by their change --------------------------------------------------------------

def test_an_update_on_a_gradient_1_percent_wrong_is_not_correct(seed: Trace) -> None:
    """w1_new from a ∂E/∂w1 1.2 % too large is within 2e-5 of the weight: judged by the
    weight it was correct; by the change it is not (carried when the gradient is written)."""
    checker = Checker(seed, asked=["dE_total/dw1", "w1_new"])
    gradient = seed["dE_total/dw1"] * 1.012
    update = 0.15 - 0.5 * gradient
    (alone,) = checker.mark(f"w1_new = {update:.9f}\n").lines
    assert alone.status == "wrong"
    both = checker.mark(f"dE_total/dw1 = {gradient:.9f}\nw1_new = {update:.9f}\n").lines
    assert [r.status for r in both] == ["wrong", "carried"]
    # the right update written to 4 decimals stays correct: rounding the weight is no error
    assert checker.mark("w1_new = 0.1498\n").lines[0].status == "correct"


def test_the_change_allows_for_the_figures_written() -> None:
    tolerance = Tolerance()
    assert tolerance.close_change(0.1498, 0.149780716, 0.15, "0.1498")
    assert not tolerance.close_change(0.1498, 0.149780716, 0.15)  # figures not written
    assert not tolerance.close_change(0.149778087, 0.149780716, 0.15, "0.149778087")
    # never more than half the change: 0.15 is not an update of 0.15 by 4.4e-5
    assert not tolerance.close_change(0.15, 0.149956, 0.15, "0.15")
    assert half_unit("0.1498") == pytest.approx(5e-5) and half_unit("2.0") == 0.05
    assert half_unit("0.3800") == pytest.approx(5e-5) and half_unit("") == 0.0


# -- diagnoses that hold up ----------------------------------------------------------------

def test_the_diagnosis_agrees_with_the_students_formula(seed: Trace) -> None:
    """On the seed network i2 = 2·i1, so δ_h1·i2 is also what a doubled ½ gives: the
    formula says which it is."""
    checker = Checker(seed, asked=["dE_total/dw1"])
    wrong = seed["delta_h1"] * seed["i2"]
    (line,) = checker.mark(f"dE_total/dw1 = delta_h1*i2 = {wrong:.9f}\n").lines
    assert (line.status, line.diagnosis) == ("wrong", "wrong-input")


def test_no_diagnosis_contradicts_the_students_own_earlier_values(seed: Trace) -> None:
    checker = Checker(seed)
    doubled = 2 * seed["dE_total/dout_o1"]
    # a doubled ½ would double δ_o1 too; the student's δ_o1 is right
    report = checker.mark(f"delta_o1 = {value(seed, 'delta_o1')}\n"
                          f"dE_total/dw5 = {2 * seed['dE_total/dw5']:.9f}\n")
    assert report.lines[1].diagnosis != "factor-two"
    alone = checker.mark(f"dE_total/dout_o1 = {doubled:.9f}\n")
    assert alone.lines[0].diagnosis == "factor-two"


def test_a_marked_published_derivation(seed: Trace) -> None:
    """A derivation as a learner posts it: a sign error carried forward, an arithmetic slip,
    notation of several kinds. Marked as a careful marker would."""
    sheet = (
        "net_h1 = w1*i1 + w2*i2 + b1 = 0.3775\n"
        "out_h1 = 1/(1+exp(-net_h1)) = 0.593269992\n"
        "out_o1 = 0.75136507\n"
        "∂E_total/∂out_o1 = target_o1 - out_o1 = -0.74136507\n"  # sign error
        "dout_o1/dnet_o1 = out_o1*(1-out_o1) = 0.186815602\n"
        "delta_o1 = -0.138498562\n"  # carried
        "dE_total/dw5 = delta_o1*out_h1 = -0.082167041\n"  # carried
        "w5_new = w5 - eta*dE_total/dw5 = 0.44108352\n"  # carried, not correct
        "dE_total/dw6 = 0.086267628\n"  # digits swapped: a slip
    )
    report = Checker(seed).mark(sheet)
    got = {r.name: (str(r.status), r.diagnosis) for r in report.lines}
    assert got == {
        "net_h1": ("correct", None), "out_h1": ("correct", None), "out_o1": ("correct", None),
        "dE_total/dout_o1": ("wrong", "sign-error"),
        "dout_o1/dnet_o1": ("correct", None), "delta_o1": ("carried", None),
        "dE_total/dw5": ("carried", None), "w5_new": ("carried", None),
        "dE_total/dw6": ("wrong", None)}


# -- what the reports show -----------------------------------------------------------------

def test_a_wrong_value_never_prints_like_the_right_one(seed: Trace) -> None:
    strict = Checker(seed, Tolerance.significant_figures(12), asked=["out_h1"])
    given = seed["out_h1"] + 3e-11
    text = report_text(strict.mark(f"out_h1 = {given!r}\n"), 9)
    row = next(line for line in text.splitlines() if line.startswith("1 "))
    assert row.split()[2] == "wrong" and row.split()[3] != row.split()[4]
    assert shown_apart((0.5932699921, 0.593269992), 9) == 10


@pytest.mark.parametrize(("written", "value", "expected"), [
    ("0.15", 0.149780716, True), ("0.149", 0.149780716, True), ("0.1498", 0.149780716, True),
    ("0.14978", 0.149780716, True), ("0.1497", 0.149780716, True),  # cut
    ("0.1", 0.149780716, False),  # one figure says too little
    ("0.149780716", 0.149780716, False), ("0", 0.0001, False), ("-0.02", -0.019049119, False),
    ("-0.019", -0.019049119, True), ("123.5", 123.456, True), ("1e-05", 1.23e-05, False),
    ("0.30", 0.2984, True),  # 2 figures written: the zero counts
    ("0.3800", 0.3775, False), ("1", 0.96, False), ("", 0.5, False),
])
def test_is_rounding(written: str, value: float, expected: bool) -> None:
    assert is_rounding(written, value) == expected


# -- a class folder ------------------------------------------------------------------------

ROSTER = ("id,name,email,section\n"
          "s01,Kurt Gödel,kurt@example.org,A\n"
          "s02,Зо́я Космоде́мьянская,zoya@example.org,A\n"
          "s03,李白,li@example.org,B\n"
          "s04,\"O'Neil, Siobhán\",siobhan@example.org,B\n"
          "s05,عمر الخيام,omar@example.org,B\n"
          "s06,Ngũgĩ wa Thiong'o,ngugi@example.org,A\n")


def filled(keys: Path, variant: str, wrong: str | None = None, skip: int = 0) -> str:
    """A student's sheet: their blank sheet with their variant's values, `skip` answers left
    blank, `wrong` answered 1.5 times its value."""
    trace = tracer.trace(tracer.load_spec(keys / f"{variant}.toml"))
    lines = []
    blank = (keys / f"{variant}.answers.txt").read_text(encoding="utf-8").splitlines()
    answers = [line for line in blank if line.endswith("= ")]
    for line in blank:
        if line.endswith("= ") and answers.index(line) >= len(answers) - skip:
            continue
        name = line.split(" =")[0]
        if line.endswith("= "):
            number = trace[name] * (1.5 if name == wrong else 1)
            line = f"{line}{number:.9f}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def class_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """The keys of the example homework for ROSTER, and an inbox holding their manifest
    (as a teacher collects the sheets), in `tmp_path`, the working folder."""
    monkeypatch.chdir(tmp_path)
    shutil.copy(ROOT / "examples" / "homework.toml", "hw.toml")
    Path("roster.csv").write_text(ROSTER, encoding="utf-8")
    assert main(["keys", "hw.toml", "--roster", "roster.csv", "--seed", "11", "-o", "keys"]) == 0
    keys, inbox = tmp_path / "keys", tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(keys / "manifest.json", inbox / "manifest.json")
    return keys, inbox


def test_a_class_folder_is_graded_against_its_own_variants(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    keys, inbox = class_keys(tmp_path, monkeypatch)
    (inbox / "s01.answers.txt").write_text(filled(keys, "s01"), encoding="utf-8")
    # renamed by the learning platform: its `# Variant` line says whose it is
    (inbox / "Goedel_Kurt_late_submission_4411.txt").write_text(
        filled(keys, "s02"), encoding="utf-8")
    (inbox / "s03.answers.txt").write_text(filled(keys, "s03", wrong="net_h1"),
                                           encoding="utf-8")
    (inbox / "s04.answers.txt").write_text(filled(keys, "s04", skip=6), encoding="utf-8")
    (inbox / "s05.answers.txt").write_text(
        (keys / "s05.answers.txt").read_text(encoding="utf-8"), encoding="utf-8")  # blank
    # s06 hands nothing in
    assert main(["check", "hw.toml", "inbox"]) == 1
    err = capsys.readouterr().err
    assert "marked against its variant in inbox/manifest.json" in err
    rows = list(csv.DictReader((inbox / "gradebook.csv").read_text(encoding="utf-8-sig")
                               .splitlines()))
    header = list(rows[0])
    asked = list(tracer.load_spec("hw.toml").ask)
    assert header == ["student_id", "student_name", "email", "section", "score", *asked,
                      "sheet", "note"]
    scores = {row["student_id"]: float(row["score"]) for row in rows}
    assert scores == {"s01": 1.0, "s02": 1.0, "s03": pytest.approx(1 - 1 / 12, abs=1e-4),
                      "s04": 0.5, "s05": 0.0, "s06": 0.0}
    by_id = {row["student_id"]: row for row in rows}
    assert by_id["s02"]["sheet"] == "Goedel_Kurt_late_submission_4411.txt"
    assert by_id["s02"]["student_name"] == "Зо́я Космоде́мьянская"
    assert by_id["s03"]["net_h1"] == "wrong" and by_id["s03"]["out_h1"] == "correct"
    assert by_id["s06"]["sheet"] == "" and set(by_id["s06"][n] for n in asked) == {"missing"}
    assert by_id["s04"]["section"] == "B" and by_id["s04"]["E_total_after"] == "missing"
    feedback = sorted(p.name for p in (inbox / "feedback").iterdir())
    assert feedback == ["s01.md", "s02.md", "s03.md", "s04.md", "s05.md"]
    assert "net\\_h1 is wrong" in (inbox / "feedback" / "s03.md").read_text(encoding="utf-8")
    # JSON on request, one entry a student
    assert main(["check", "hw.toml", "inbox", "-f", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [s["student_id"] for s in data["students"]] == [f"s0{k}" for k in range(1, 7)]


def test_the_gradebook_tells_the_teacher_what_was_not_marked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    keys, inbox = class_keys(tmp_path, monkeypatch)
    (inbox / "s01.answers.txt").write_text(filled(keys, "s01", wrong="net_h1"),
                                           encoding="utf-8")
    (inbox / "s01.txt").write_text(filled(keys, "s01"), encoding="utf-8")  # handed in again
    (inbox / "scan_0042.txt").write_text("net_h1 = 0.5\n", encoding="utf-8")  # whose?
    (inbox / "s02.txt").write_bytes(b"net_h1 = 0.3775 \xe9\n")  # not UTF-8
    assert main(["check", "hw.toml", "inbox"]) == 1
    err = capsys.readouterr().err
    assert "scan_0042.txt: its '# Variant' line or its file name must name one variant" in err
    raw = (inbox / "gradebook.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfstudent_id,")  # Excel reads the names as UTF-8
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    notes = {row["sheet"]: row["note"] for row in rows}
    assert notes["s01.txt"] == "also handed in: s01.answers.txt"  # the last by name counts
    assert notes["scan_0042.txt"] == "not marked: names no variant of the manifest"
    assert notes["s02.txt"].startswith("could not be read:")
    assert rows[-1]["sheet"] == "scan_0042.txt" and rows[-1]["student_id"] == ""
    assert rows[-1]["score"] == ""  # not a zero that would lower the class's mean
    no_sheet = next(r for r in rows if r["student_id"] == "s03")
    assert (no_sheet["note"], no_sheet["score"]) == ("no sheet", "0.0000")
    # a variant's sheet checked alone against the exercise: marked, with a warning
    assert main(["check", "hw.toml", "inbox/s01.txt"]) in (0, 1)
    assert "this is variant s01's sheet, marked against the exercise's own numbers" in (
        capsys.readouterr().err)


def test_rounding_credit_shows_in_the_gradebook_and_the_question_sheet_asks_for_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("ex.toml").write_text('ask = ["net_h1", "out_h1"]\n' + tracer.example_text("seed")
                               + "\n[grading]\ndecimals = 4\nrounding = 0.5\n",
                               encoding="utf-8")
    Path("inbox").mkdir()
    Path("inbox/ann.txt").write_text("net_h1 = 0.3775\nout_h1 = 0.59\n", encoding="utf-8")
    assert main(["check", "ex.toml", "inbox"]) == 1
    row = next(csv.DictReader(Path("inbox/gradebook.csv").read_text(encoding="utf-8-sig")
                              .splitlines()))
    assert (row["score"], row["out_h1"]) == ("0.7500", "rounding")
    assert main(["keys", "ex.toml", "--variants", "1", "--seed", "1", "-o", "keys"]) == 0
    assert "to 4 decimal places" in Path("keys/v1.question.md").read_text(encoding="utf-8")


def test_a_dropped_half_in_the_error_itself_is_factor_two(seed: Trace) -> None:
    checker = Checker(seed, asked=["E_total"])
    doubled = 2 * seed["E_total"]
    (line,) = checker.mark(f"E_total = (target_o1 − out_o1)² + (target_o2 − out_o2)² = "
                           f"{doubled:.9f}\n").lines
    assert (line.status, line.diagnosis, line.formula) == ("wrong", "factor-two",
                                                          "not-equivalent")
    # and only where the loss has a ½: cross-entropy has none to drop
    softmax = Checker(tracer.trace(tracer.example_spec("softmax")))
    assert all(v.positions.isdisjoint(
        {t.id for t in softmax.symbolic if t.name.startswith("E_o")})
        for v in softmax.variants if v.misconception == "factor-two")


def test_a_weight_left_as_it_was_is_not_a_rounding() -> None:
    """w1_new = w1 = 0.15 is within half a unit of 0.1498 at 2 decimals: but the weight
    was not updated, and the formula says so."""
    trace = tracer.trace(spec_with("decimals = 4\nrounding = 0.5", ask=["w1_new"]))
    checker = Checker(trace)
    for line in ("w1_new = w1 = 0.15\n", "w1_new = 0.15\n"):
        (result,) = checker.mark(line).lines
        assert (result.status, result.diagnosis, result.credit) == ("wrong", None, 0.0), line


def deep_spec() -> tracer.Spec:
    return tracer.parse_spec(
        'loss = "half_squared_error"\nlearning_rate = 0.5\n'
        "[inputs]\nx1 = 0.1\nx2 = 0.5\nx3 = 0.9\n[targets]\no1 = 0.01\no2 = 0.99\n"
        '[[layers]]\nname = "h"\nactivation = "sigmoid"\n'
        "weights = [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]]\nbias = [0.1, 0.2, 0.3]\n"
        '[[layers]]\nname = "k"\nactivation = "sigmoid"\n'
        "weights = [[2.3, -2.2, 2.1], [2.6, 2.5, -2.4], [-2.9, 2.8, 2.7]]\nbias = 0.1\n"
        '[[layers]]\nname = "o"\nactivation = "sigmoid"\n'
        "weights = [[2.5, -2.4, 2.3], [-2.2, 2.1, 2.6]]\nbias = [0.2, 0.3]\n")


@pytest.mark.parametrize(("rule", "diagnosis"), [
    (lambda t: t["delta_k1"] * t["dnet_k1/dout_h2"], "single-path"),
    (lambda t: math.prod(t[f"delta_k{k}"] * t[f"dnet_k{k}/dout_h2"] for k in (1, 2, 3)),
     "multiplied-paths"),
    (lambda t: sum(t[f"delta_k{k}"] for k in (1, 2, 3)) * t["out_h2"], "gradient-for-delta"),
])
def test_a_slip_on_the_first_hidden_layer_alone_is_diagnosed(rule: object,
                                                             diagnosis: str) -> None:
    """The last hidden layer right, the one before it wrong: the rule applied to that
    layer alone (applied to both, it would change the values the student got right)."""
    trace = tracer.trace(deep_spec())
    wrong = rule(trace)  # type: ignore[operator]
    checker = Checker(trace, Tolerance.significant_figures(6))
    for sheet in (f"dE_total/dout_h2 = {wrong:.9g}\n",
                  f"delta_k1 = {trace['delta_k1']:.9f}\ndE_total/dout_h2 = {wrong:.9g}\n"):
        assert checker.mark(sheet).lines[-1].diagnosis == diagnosis, sheet


def test_a_rule_that_would_change_a_value_the_student_got_right_is_not_given(
        seed: Trace) -> None:
    """Flipped ∂E/∂out explain this value, but the student's own δ_o2 is right: the rule
    does not explain the sheet."""
    checker = Checker(seed, asked=["delta_o2", "dE_total/dout_h1"])
    flipped = -seed["dE_total/dout_h1"]
    report = checker.mark(f"delta_o2 = {value(seed, 'delta_o2')}\n"
                          f"dE_total/dout_h1 = {flipped:.9f}\n")
    assert report.lines[1].status == "wrong" and report.lines[1].diagnosis != "sign-error"
    # without δ_o2 on the sheet the sign error is the explanation
    alone = checker.mark(f"dE_total/dout_h1 = {flipped:.9f}\n")
    assert alone.lines[0].diagnosis == "sign-error"


def test_written_zeros_count(seed: Trace) -> None:
    """0.3800 says four decimals: not a rounding of 0.3775; 0.30 is E_total to two."""
    trace = tracer.trace(spec_with("decimals = 4\nrounding = 0.5", ask=["net_h1", "E_total"]))
    report = Checker(trace).mark("net_h1 = 0.3800\nE_total = 0.30\n")
    assert [(r.diagnosis, r.written) for r in report.lines] == [
        (None, "0.3800"), ("rounding", "0.30")]
    assert "0.3800" in report_text(report, 9)  # shown as written


def test_a_wrong_formula_alone_stays_wrong_when_numbers_are_required() -> None:
    trace = tracer.trace(spec_with("require_numbers = true", ask=["net_h1"]))
    (line,) = Checker(trace).mark("net_h1 = w1*i1 + w2*i2\n").lines
    assert (line.status, line.formula) == ("wrong", "not-equivalent")


def test_the_last_online_update_is_judged_by_the_last_change() -> None:
    """w5_new is w5_new@2 under its last name: its change is the second example's."""
    trace = tracer.trace(tracer.load_spec(ROOT / "tests" / "data" / "online.toml"))
    checker = Checker(trace, asked=["w5_new"])
    assert checker.mark(f"w5_new = {trace['w5_new']:.6f}\n").passed
    assert checker.mark(f"w5_new@2 = {trace['w5_new@2']:.6f}\n").lines[0].status == "correct"


def test_feedback_files_and_headers_stay_apart(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("ex.toml").write_text('ask = ["net_h1"]\n' + tracer.example_text("seed"),
                               encoding="utf-8")
    Path("inbox").mkdir()
    Path("inbox/anna.txt").write_text("net_h1 = 0.3775\n", encoding="utf-8")
    Path("inbox/anna.answers.txt").write_text("net_h1 = 0.5\n", encoding="utf-8")
    Path("inbox/bad.txt").write_bytes(b"\xff\n")
    assert main(["check", "ex.toml", "inbox"]) == 1
    assert len(list(Path("inbox/feedback").iterdir())) == 3  # two annas, and bad
    bad = Path("inbox/feedback/bad.md").read_text(encoding="utf-8")
    assert "net\\_h1 is missing" in bad and "could not be read" in bad


def test_a_roster_column_cannot_run_in_a_spreadsheet_or_take_a_column() -> None:
    from tracer.report import GradebookRow, gradebook_csv

    rows = [GradebookRow("s1", "Ann", (("=HYPERLINK(1)", "x"), ("score", "7")), "a.txt", None)]
    header = next(csv.reader(gradebook_csv(rows, ["net_h1"]).lstrip("\ufeff").splitlines()))
    assert header == ["student_id", "student_name", "'=HYPERLINK(1)", "roster score", "score",
                      "net_h1", "sheet", "note"]


def test_a_variant_line_naming_another_class_is_not_matched_by_the_file_name(
        tmp_path: Path) -> None:
    from tracer.marking import variant_of

    variants = {"s01": None, "s02": None}
    assert variant_of(tmp_path / "s01.txt", "# Variant v7\nnet_h1 = 1\n", variants) is None
    assert variant_of(tmp_path / "s01.txt", "net_h1 = 1\n", variants) == "s01"
    assert variant_of(tmp_path / "x.txt", "# Variant s02, student: s02\n", variants) == "s02"
