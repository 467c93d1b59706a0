"""Check reports as plain data: JSON, a text table for the grader, a CSV gradebook, and the
view model of the Markdown feedback (`sheets.FeedbackSheet`, rendered by the renderer,
which never sees the checker)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from .check import Report, Status
from .document import derivation_steps
from .escape import markdown_text, spreadsheet_safe, terminal_text
from .evaluation import Trace
from .misconceptions import CATALOGUE
from .numbers import format_value
from .sheets import FeedbackLine, FeedbackSheet


def report_json(report: Report) -> dict[str, Any]:
    return {
        "results": [
            {"line": r.line, "name": r.name, "status": r.status, "given": r.given,
             "expected": r.expected, "formula": r.formula, "diagnosis": r.diagnosis,
             "reason": r.reason or None}
            for r in report.results
        ],
        "score": round(report.score, 6),
        "counts": report.counts,
    }


def _number(value: float | None, digits: int) -> str:
    return "" if value is None else format_value(value, digits)


def report_text(report: Report, digits: int) -> str:
    """A fixed-width table, one row per line of the sheet, then the score. Text from the
    sheet (names as written, reasons quoting it) is shown with its control characters as
    codes: an escape sequence could clear the terminal and draw a fake score."""
    header = ("line", "quantity", "status", "given", "expected", "formula", "diagnosis",
              "reason")
    rows = [header] + [
        (str(r.line), terminal_text(r.name, keep_lines=False), r.status,
         _number(r.given, digits), _number(r.expected, digits), r.formula or "",
         r.diagnosis or "", terminal_text(r.reason, keep_lines=False))
        for r in report.results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
             + "  " + row[-1] for row in rows]
    counts = report.counts
    lines.append("")
    lines.append(f"score {report.score:.3f}: " + ", ".join(f"{n} {s}" for s, n in counts.items()))
    return "\n".join(line.rstrip() for line in lines) + "\n"


def feedback_sheet(report: Report, trace: Trace) -> FeedbackSheet:
    """The Markdown feedback on one sheet: every line, and the right step where it is not
    correct."""
    digits = trace.symbolic.spec.digits
    descriptions = {m.id: m.description for m in CATALOGUE}
    wrong = [r.name for r in report.results if r.status != Status.CORRECT]
    steps = derivation_steps(trace, wrong, "md")
    lines = tuple(
        FeedbackLine(r.line, markdown_text(r.name), str(r.status), _number(r.given, digits),
                     _number(r.expected, digits), str(r.formula or ""),
                     markdown_text(f"{r.diagnosis}: {descriptions[r.diagnosis]}"
                                   if r.diagnosis else ""),
                     markdown_text(r.reason),
                     steps.get(r.name) if r.status != Status.CORRECT else None)
        for r in report.results)
    counts = {str(status): n for status, n in report.counts.items() if n}
    return FeedbackSheet(markdown_text(trace.symbolic.spec.title), f"{report.score:.0%}",
                         counts, lines)


def gradebook_csv(reports: Sequence[tuple[str, Report]], names: Sequence[str]) -> str:
    """One row per sheet: its file, score and the status of every quantity any sheet gave."""
    given = {r.name for _, report in reports for r in report.results}
    columns = [name for name in names if name in given]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["sheet", "score", *columns])
    for sheet, report in reports:
        status = {r.name: r.status for r in report.results}
        writer.writerow([spreadsheet_safe(sheet), f"{report.score:.4f}",
                         *(status.get(c, "") for c in columns)])
    return out.getvalue()
