"""Answer sheets: one step per line, `name = part [= part …]`, `#` comments.

A name is a canonical quantity name or an accepted alias; a part is a number, a formula over
canonical names, or arithmetic without names (a substitution step, read as the number it
equals). Nothing here raises on bad text: a line that cannot be read carries its reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .names import NameTable
from .safeexpr import Formula, FormulaError, parse_formula, parse_number

MAX_LINE = 2000  # characters; longer lines are invalid before any parsing
MAX_PARTS = 8
MAX_LINES = 5000


@dataclass(frozen=True)
class Part:
    text: str
    number: float | None = None  # a plain number, or the value of arithmetic without names
    formula: Formula | None = None  # a formula over quantity names


@dataclass(frozen=True)
class Line:
    line: int  # 1-based line number in the sheet
    written: str  # the name as written
    name: str | None  # its canonical name, when known
    parts: tuple[Part, ...] = ()
    error: str = ""  # why the line is invalid; empty when it was read

    @property
    def number(self) -> float | None:
        """The value the line gives: its last numeric part."""
        numbers = [part.number for part in self.parts if part.number is not None]
        return numbers[-1] if numbers else None

    @property
    def formulas(self) -> tuple[Formula, ...]:
        return tuple(part.formula for part in self.parts if part.formula is not None)


def parse_sheet(text: str, names: NameTable) -> list[Line]:
    """Every non-blank, non-comment line, read or marked invalid with its reason."""
    lines: list[Line] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if len(lines) >= MAX_LINES:
            lines.append(Line(number, "", None, error=f"more than {MAX_LINES} lines"))
            break
        line = _parse_line(number, raw, names)
        if line is not None:
            lines.append(line)
    return lines


def _parse_line(number: int, raw: str, names: NameTable) -> Line | None:
    if len(raw) > MAX_LINE:
        return Line(number, raw[:40], None, error=f"line longer than {MAX_LINE} characters")
    content = raw.split("#", 1)[0].strip()
    if not content:
        return None
    pieces = content.split("=")
    written = pieces[0].strip()
    if len(pieces) < 2:
        return Line(number, written, None, error="expected `name = value`")
    name = names.resolve(written)
    if name is None:
        return Line(number, written, None,
                    error=f"unknown quantity name {written!r}{names.suggest(written)}")
    if len(pieces) - 1 > MAX_PARTS:
        return Line(number, written, name, error=f"more than {MAX_PARTS} parts")
    parts = []
    for text in pieces[1:]:
        part = _parse_part(text.strip(), names)
        if isinstance(part, str):
            return Line(number, written, name, error=part)
        parts.append(part)
    return Line(number, written, name, tuple(parts))


def _parse_part(text: str, names: NameTable) -> Part | str:
    """A Part, or the reason it cannot be read."""
    if not text:
        return "empty part"
    number = parse_number(text)
    if number is not None:
        return Part(text, number=number)
    if re.fullmatch(r"[+-]?[\d.eE+-]+", text):
        return f"{text!r} is not a finite decimal number"
    try:
        formula = parse_formula(text, names.matcher)  # made at the first formula
    except FormulaError as exc:
        return f"{text[:40]!r}: {exc}"
    if not formula.names:  # arithmetic without names: the substitution step
        try:
            return Part(text, number=formula.evaluate({}))
        except FormulaError as exc:
            return f"{text[:40]!r} {exc}"
    return Part(text, formula=formula)
