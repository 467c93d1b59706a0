"""Check reports as plain data: JSON, a text table for the grader, a CSV gradebook, and the
view model of the Markdown feedback (`sheets.FeedbackSheet`, rendered by the renderer,
which never sees the checker)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .check import DIAGNOSES, ROUNDING, Report, Result, Status
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


def gradescope_json(report: Report, digits: int) -> dict[str, Any]:
    """Gradescope's results.json: a point an asked quantity (its credit), one test each with
    its mark as the student should read it; the right values are not shown (a student may
    submit again)."""
    tests = [{"name": r.name, "score": r.credit, "max_score": 1.0,
              "status": "passed" if r.credit == 1 else "failed",
              "output": _gradescope_output(r, digits)}
             for r in report.results if r.scored]
    score = sum(r.credit for r in report.results if r.scored)
    return {"score": round(score, 6), "tests": tests, "output": _summary(report),
            "extra_data": {"generator": "tracer"}}


def _gradescope_output(result: Result, digits: int) -> str:
    given = f"you wrote {result.written or _number(result.given, digits)}: " if (
        result.given is not None) else ""
    words = [f"{given}{result.status}"]
    if result.diagnosis:
        words.append(f"likely misconception: {result.diagnosis} ({DIAGNOSES[result.diagnosis]})")
    if result.reason:
        words.append(result.reason)
    return "; ".join(words)


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


def report_text(report: Report, digits: int) -> str:
    """A fixed-width table, one row per line of the sheet, then the score. Text from the
    sheet (names as written, reasons quoting it) is shown with its control characters as
    codes: an escape sequence could clear the terminal and draw a fake score."""
    header = ("line", "quantity", "status", "given", "expected", "formula", "diagnosis",
              "reason")
    rows = [header] + [
        (_line(r), terminal_text(r.name, keep_lines=False), r.status, *_values(r, digits),
         r.formula or "", r.diagnosis or "", terminal_text(r.reason, keep_lines=False))
        for r in report.results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
             + "  " + row[-1] for row in rows]
    lines += ["", _summary(report)]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _summary(report: Report) -> str:
    """`score 0.923 over 13 asked: 12 correct, 1 missing`, then the other lines' marks."""
    asked = report.asked_counts
    text = f"score {report.score:.3f} over {sum(asked.values())} asked: " + ", ".join(
        f"{n} {status}" for status, n in asked.items())
    other = [r.status for r in report.results if not r.scored]
    if other:
        text += "; lines not scored (givens, answers given again, not asked): " + ", ".join(
            f"{other.count(status)} {status}" for status in Status if status in other)
    return text


def feedback_sheet(report: Report, trace: Trace, student: str = "", fmt: str = "md"
                   ) -> FeedbackSheet:
    """The feedback on one sheet, its text escaped for `fmt` (md or html): every line, and
    the right step where it is not correct."""
    digits = trace.symbolic.spec.digits
    escape = ESCAPES[fmt]
    # Values and formulas are tracer's own text; Markdown has always shown them as they are.
    plain = escape if fmt == "html" else str
    # the worked steps of the first MAX_WORKED: an empty sheet of a wide network would
    # otherwise get thousands
    wrong = [r.name for r in report.results if r.status != Status.CORRECT][:MAX_WORKED]
    steps = derivation_steps(trace, wrong, fmt)
    lines = tuple(
        FeedbackLine(r.line, escape(r.name), str(r.status), *_values(r, digits, plain),
                     plain(str(r.formula or "")),
                     escape(f"{r.diagnosis}: {DIAGNOSES[r.diagnosis]}" if r.diagnosis else ""),
                     escape(r.reason),
                     steps.get(r.name) if r.status != Status.CORRECT else None)
        for r in report.results)
    counts = {str(status): n for status, n in report.asked_counts.items()}
    return FeedbackSheet(escape(trace.symbolic.spec.title), f"{report.score:.0%}",
                         counts, lines, escape(student))


@dataclass(frozen=True)
class GradebookRow:
    """A student (or a sheet named by its file) and their marks."""

    student_id: str
    student_name: str
    extra: tuple[tuple[str, str], ...]  # the roster's other columns
    sheet: str  # the file marked; empty when none was handed in
    report: Report | None
    note: str = ""  # for the teacher: no sheet, a sheet not read, other sheets handed in


def gradebook_csv(rows: Sequence[GradebookRow], asked: Sequence[str]) -> str:
    """One row per student: id, name, the roster's other columns, the score (0 to 1), the
    status of each asked quantity, and the sheet marked. Every cell is spreadsheet-safe."""
    extra = list(dict.fromkeys(key for row in rows for key, _ in row.extra))
    fixed = {"student_id", "student_name", "score", *asked, "sheet", "note"}
    shown = [f"roster {key}" if key in fixed else key for key in extra]  # no column twice
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([spreadsheet_safe(cell) for cell in (
        "student_id", "student_name", *shown, "score", *asked, "sheet", "note")])
    for row in rows:
        answers = row.report.answers() if row.report else {}
        cells = dict(row.extra)
        writer.writerow([spreadsheet_safe(text) for text in (
            row.student_id, row.student_name, *(cells.get(key, "") for key in extra),
            row_score(row, 4),
            *(_cell(answers[n]) if n in answers else Status.MISSING for n in asked),
            row.sheet, row.note)])
    return "\ufeff" + out.getvalue()  # the byte order mark: Excel then reads UTF-8


def row_score(row: GradebookRow, places: int) -> str:
    """The row's score; 0 for a student without a sheet, none for a sheet without a
    student (it would lower the class's mean)."""
    if not row.student_id:
        return ""
    return f"{row.report.score if row.report else 0:.{places}f}"


def _cell(result: Result) -> str:
    """A quantity's mark in the gradebook: its status, or the rounding that earned part of
    the credit."""
    return result.diagnosis if result.diagnosis in ROUNDING else str(result.status)
