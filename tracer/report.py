"""Check reports as plain data: JSON, a text table for the grader, a CSV gradebook, and the
view model of the Markdown feedback (`sheets.FeedbackSheet`, rendered by the renderer,
which never sees the checker)."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from . import messages
from .check import ROUNDING, Report, Result, Status, diagnosis_text, status_text, verdict_text
from .document import ESCAPES, derivation_steps
from .escape import spreadsheet_safe, terminal_text
from .evaluation import Trace
from .numbers import format_value, shown_apart
from .sheets import FeedbackLine, FeedbackSheet

MAX_WORKED = 100  # quantities a feedback file works out


def report_json(report: Report) -> dict[str, Any]:
    return {
        "results": [
            {"line": r.line, "name": r.name, "status": r.status, "given": r.given,
             "expected": r.expected, "formula": r.formula, "diagnosis": r.diagnosis,
             "reason": r.reason or None, "scored": r.scored, "credit": r.credit}
            for r in report.results
        ],
        "score": round(report.score, 6),
        "counts": report.asked_counts,  # of the asked quantities, as the score
        "line_counts": report.counts,  # of every result, lines not scored too
    }


def gradescope_json(report: Report, digits: int, t: messages.Catalogue | None = None
                    ) -> dict[str, Any]:
    """Gradescope's results.json: a point an asked quantity (its credit), one test each with
    its mark as the student should read it (in `t`'s language, English by default); the
    right values are not shown (a student may submit again)."""
    t = t or messages.catalogue()
    tests = [{"name": r.name, "score": r.credit, "max_score": 1.0,
              "status": "passed" if r.credit == 1 else "failed",
              "output": _gradescope_output(r, digits, t)}
             for r in report.results if r.scored]
    score = sum(r.credit for r in report.results if r.scored)
    return {"score": round(score, 6), "tests": tests, "output": _summary(report, t),
            "extra_data": {"generator": "tracer"}}


def _gradescope_output(result: Result, digits: int, t: messages.Catalogue) -> str:
    mark = status_text(result.status, t)
    words = [mark if result.given is None else t(
        "report.you_wrote", given=result.written or _number(result.given, digits), mark=mark)]
    if result.diagnosis:
        words.append(t("report.likely", diagnosis=result.diagnosis,
                       description=diagnosis_text(result.diagnosis, t)))
    if result.reason:
        words.append(result.reason)
    return t("language.semicolon").join(words)


def _number(value: float | None, digits: int) -> str:
    return "" if value is None else format_value(value, digits)


def _values(result: Result, digits: int, escape: Callable[[str], str] = str
            ) -> tuple[str, str]:
    """The given and expected values as text, with enough decimals to tell them apart
    when they differ (a wrong value must not print like the right one)."""
    given, expected = result.given, result.expected
    if result.status == Status.WRONG and given is not None and expected is not None:
        digits = shown_apart((given, expected), digits)
    return escape(result.written or _number(given, digits)), escape(_number(expected, digits))


def _line(result: Result) -> str:
    return str(result.line) if result.line else ""


REPORT_COLUMNS = ("line", "quantity", "status", "given", "expected", "formula", "diagnosis",
                  "reason")


def report_text(report: Report, digits: int, t: messages.Catalogue | None = None) -> str:
    """A fixed-width table, one row per line of the sheet, then the score, in `t`'s
    language (English by default; wide characters count two columns). Text from the
    sheet (names as written, reasons quoting it) is shown with its control characters as
    codes: an escape sequence could clear the terminal and draw a fake score."""
    t = t or messages.catalogue()
    header = tuple(t(f"report.{column}") for column in REPORT_COLUMNS)
    rows = [header] + [
        (_line(r), terminal_text(r.name, keep_lines=False), status_text(r.status, t),
         *_values(r, digits), verdict_text(r.formula, t) if r.formula else "",
         r.diagnosis or "", terminal_text(r.reason, keep_lines=False))
        for r in report.results
    ]
    widths = [max(columns(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = ["  ".join(cell + " " * (width - columns(cell))
                       for cell, width in zip(row, widths, strict=False))
             + "  " + row[-1] for row in rows]
    lines += ["", _summary(report, t)]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def columns(text: str) -> int:
    """The columns `text` takes in a terminal: wide (CJK) characters two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _summary(report: Report, t: messages.Catalogue) -> str:
    """`score 0.923 over 13 asked: 12 correct, 1 missing`, then the other lines' marks."""
    asked = report.asked_counts
    text = t("report.summary", score=f"{report.score:.3f}", asked=sum(asked.values()),
             counts=_counts(asked, t))
    other = [r.status for r in report.results if not r.scored]
    if other:
        text += t("report.not_scored", counts=_counts(
            {status: other.count(status) for status in Status if status in other}, t))
    return text


def _counts(counts: dict[Status, int], t: messages.Catalogue) -> str:
    return t.join([t("report.count", n=n, status=status_text(status, t))
                   for status, n in counts.items()])


def feedback_sheet(report: Report, trace: Trace, student: str = "", fmt: str = "md"
                   ) -> FeedbackSheet:
    """The feedback on one sheet, its text escaped for `fmt` (md or html): every line, and
    the right step where it is not correct."""
    digits = trace.symbolic.spec.digits
    t = messages.catalogue(trace.symbolic.spec.lang)
    escape = ESCAPES[fmt]
    # Values and formulas are tracer's own text; Markdown has always shown them as they are.
    plain = escape if fmt == "html" else str
    # the worked steps of the first MAX_WORKED: an empty sheet of a wide network would
    # otherwise get thousands
    wrong = [r.name for r in report.results if r.status != Status.CORRECT][:MAX_WORKED]
    steps = derivation_steps(trace, wrong, fmt)
    lines = tuple(
        FeedbackLine(r.line, escape(r.name), str(r.status), *_values(r, digits, plain),
                     plain(verdict_text(r.formula, t)) if r.formula else "",
                     escape(t("report.diagnosed", id=r.diagnosis,
                              description=diagnosis_text(r.diagnosis, t))
                            if r.diagnosis else ""),
                     escape(r.reason),
                     steps.get(r.name) if r.status != Status.CORRECT else None,
                     status_text(r.status, t))
        for r in report.results)
    counts = {status_text(status, t): n for status, n in report.asked_counts.items()}
    return FeedbackSheet(escape(trace.symbolic.spec.title), f"{report.score:.0%}",
                         counts, lines, escape(student), t)


@dataclass(frozen=True)
class GradebookRow:
    """A student (or a sheet named by its file) and their marks."""

    student_id: str
    student_name: str
    extra: tuple[tuple[str, str], ...]  # the roster's other columns
    sheet: str  # the file marked; empty when none was handed in
    report: Report | None
    note: str = ""  # for the teacher: no sheet, a sheet not read, other sheets handed in


def gradebook_csv(rows: Sequence[GradebookRow], asked: Sequence[str],
                  t: messages.Catalogue | None = None) -> str:
    """One row per student: id, name, the roster's other columns, the score (0 to 1), the
    status of each asked quantity, and the sheet marked; headers and marks in `t`'s
    language (English by default). Every cell is spreadsheet-safe."""
    t = t or messages.catalogue()
    extra = list(dict.fromkeys(key for row in rows for key, _ in row.extra))
    head = {key: t(f"gradebook.{key}") for key in GRADEBOOK_COLUMNS}
    fixed = {*head.values(), *asked}
    shown = [t("gradebook.roster", column=key) if key in fixed else key
             for key in extra]  # no column twice
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([spreadsheet_safe(cell) for cell in (
        head["student_id"], head["student_name"], *shown, head["score"], *asked,
        head["sheet"], head["note"])])
    for row in rows:
        answers = row.report.answers() if row.report else {}
        cells = dict(row.extra)
        writer.writerow([spreadsheet_safe(text) for text in (
            row.student_id, row.student_name, *(cells.get(key, "") for key in extra),
            row_score(row, 4),
            *(_cell(answers[n], t) if n in answers else status_text(Status.MISSING, t)
              for n in asked),
            row.sheet, row.note)])
    return "\ufeff" + out.getvalue()  # the byte order mark: Excel then reads UTF-8


GRADEBOOK_COLUMNS = ("student_id", "student_name", "score", "sheet", "note")


def row_score(row: GradebookRow, places: int) -> str:
    """The row's score; 0 for a student without a sheet, none for a sheet without a
    student (it would lower the class's mean)."""
    if not row.student_id:
        return ""
    return f"{row.report.score if row.report else 0:.{places}f}"


def _cell(result: Result, t: messages.Catalogue) -> str:
    """A quantity's mark in the gradebook: its status, or the rounding that earned part of
    the credit (its id in English, its name in other languages)."""
    if result.diagnosis in ROUNDING:
        return t(f"gradebook.{result.diagnosis}")
    return status_text(result.status, t)
