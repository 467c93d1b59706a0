"""Answer sheets: one step per line, `name = part [= part …]`, `#` comments.

A name is a canonical quantity name or an accepted alias; a part is a number, a formula over
canonical names, or arithmetic without names (a substitution step, read as the number it
equals). Both may be written in the notation of the documents (`δ_{o1}`, `η·x`, `−0.5`, `½`,
`x²`: see `notation`). Nothing here raises on bad text: a line that cannot be read carries
its reason, quoting the student's text as written (‘…’, no escapes: the report escapes
control characters when it prints).

Limits, so that a sheet costs little whatever its text: a line longer than `MAX_LINE`
characters or with more than `MAX_PARTS` parts is invalid unread (a formula part has the
limits of `safeexpr`); a sheet is read up to `MAX_SHEET` characters and `MAX_LINES` answer
lines, and only its first `MAX_SUGGESTIONS` unknown names get a "did you mean". Lines past
a sheet's limit are not dropped silently: one invalid line says from where nothing was marked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from . import messages, notation
from .names import NameTable
from .safeexpr import Formula, FormulaError, parse_formula, parse_number

MAX_LINE = 2000  # characters; longer lines are invalid before any parsing
MAX_PARTS = 8
MAX_LINES = 5000  # answer lines a sheet (blank and comment lines not counted)
MAX_SHEET = 1_000_000  # characters a sheet: 5,000 lines of 200 characters
MAX_SUGGESTIONS = 20  # unknown names a sheet with a "did you mean" (each a fuzzy search)
NAME_SPAN = 200  # characters searched for a line's name when the line is too long to read
QUOTED = 40  # characters of a part quoted in a reason (80 of a name)


@dataclass(frozen=True)
class Part:
    text: str
    number: float | None = None  # a plain number, or the value of arithmetic without names
    formula: Formula | None = None  # a formula over quantity names
    written: str = ""  # a plain number as written, in plain notation (0.3800, -0.5)


@dataclass(frozen=True)
class Line:
    line: int  # 1-based line number in the sheet
    written: str  # the name as written
    name: str | None  # its canonical name, when known
    parts: tuple[Part, ...] = ()
    error: str = ""  # why the line is invalid; empty when it was read
    unread: str = ""  # why a formula before the line's number could not be read

    @property
    def number(self) -> float | None:
        """The value the line gives: its last numeric part."""
        numbers = [part.number for part in self.parts if part.number is not None]
        return numbers[-1] if numbers else None

    @property
    def written_number(self) -> str:
        """The line's value as written (0.3800, its zeros kept), when it is a plain number
        (not the value of arithmetic, whose figures are not written)."""
        numbers = [part for part in self.parts if part.number is not None]
        return numbers[-1].written if numbers else ""

    @property
    def formulas(self) -> tuple[Formula, ...]:
        return tuple(part.formula for part in self.parts if part.formula is not None)


def parse_sheet(text: str, names: NameTable, t: messages.Catalogue | None = None
                ) -> list[Line]:
    """Every non-blank, non-comment line, read or marked invalid with its reason (in `t`'s
    language, English by default); past a limit of the sheet, one invalid line saying from
    where nothing was marked."""
    t = t or messages.catalogue()
    raws, cut = _head(text)
    suggest = _Suggestions(names.closest, MAX_SUGGESTIONS)
    lines: list[Line] = []
    for number, raw in enumerate(raws, start=1):
        if len(lines) >= MAX_LINES and _content(raw):
            return [*lines, _unmarked(number, t("sheet.too_many_lines", limit=MAX_LINES), t)]
        line = _parse_line(number, notation.labelled(raw), names, suggest, t)
        if line is not None:
            lines.append(line)
    if cut:
        lines.append(_unmarked(len(raws) + 1, t("sheet.too_long", limit=MAX_SHEET), t))
    return lines


def _head(text: str) -> tuple[list[str], bool]:
    """The sheet's lines within MAX_SHEET characters (a line cut there left out too), and
    whether any were left out."""
    if len(text) <= MAX_SHEET:
        return text.splitlines(), False
    return text[:MAX_SHEET].splitlines()[:-1], True


def _unmarked(number: int, why: str, t: messages.Catalogue) -> Line:
    return Line(number, "", None, error=t("sheet.unmarked", why=why))


def _content(raw: str) -> str:
    """The line without its comment and surrounding space."""
    return raw.split("#", 1)[0].strip()


class _Suggestions:
    """The nearest name (a "did you mean") for the first `count` unknown names of a sheet,
    then nothing."""

    def __init__(self, suggest: Callable[[str], str], count: int) -> None:
        self._suggest, self._left = suggest, count

    def __call__(self, written: str) -> str:
        self._left -= 1
        return self._suggest(written) if self._left >= 0 else ""


def _parse_line(number: int, raw: str, names: NameTable, suggest: Callable[[str], str],
                t: messages.Catalogue) -> Line | None:
    if len(raw) > MAX_LINE:
        return _too_long(number, raw, names, t)
    content = _content(raw)
    if not content:
        return None
    pieces = content.split("=")
    written = pieces[0].strip()
    if len(pieces) < 2:
        return Line(number, written, None, error=t("sheet.expected_equals"))
    name = names.resolve(written)
    if name is None:
        return Line(number, written, None, error=_unknown(written, suggest, t))
    if len(pieces) - 1 > MAX_PARTS:
        return Line(number, written, name, error=t("sheet.too_many_parts", limit=MAX_PARTS))
    if ";" in content:  # w5 = 0.36; w6 = 0.41 would be marked by w6's number
        return Line(number, written, name, error=t("sheet.one_answer"))
    return _read_parts(number, written, name, pieces[1:], names, t)


def _too_long(number: int, raw: str, names: NameTable, t: messages.Catalogue) -> Line:
    """An over-long line, unread but under its quantity's name when its start names one
    (a gradebook's column is named by it)."""
    head = raw[:NAME_SPAN].split("=", 1)
    name = names.resolve(head[0]) if len(head) == 2 else None
    written = head[0].strip() if name else raw[:QUOTED]
    return Line(number, written, name, error=t("sheet.line_too_long", limit=MAX_LINE))


def _unknown(written: str, suggest: Callable[[str], str], t: messages.Catalogue) -> str:
    """Why a name is not read: a character we do not accept, or no such quantity."""
    foreign = notation.foreign(written)
    quoted = _quoted(written, 2 * QUOTED)
    if foreign:
        return t("sheet.unknown_foreign", name=quoted, char=foreign)
    suggestion = suggest(written)
    if suggestion:
        return t("sheet.unknown_suggest", name=quoted, suggestion=suggestion)
    return t("sheet.unknown", name=quoted)


def _read_parts(number: int, written: str, name: str, texts: Sequence[str], names: NameTable,
                t: messages.Catalogue) -> Line:
    parts: list[Part] = []
    unread = ""
    for text in texts:
        part = _parse_part(text.strip(), names, t)
        if isinstance(part, str):
            unread = unread or part
        else:
            parts.append(part)
    # A right number is never lost to a formula we cannot read: the line is marked by its
    # number, the formula reported beside it. Without a final number, it is invalid.
    if unread and (isinstance(part, str) or part.number is None):
        return Line(number, written, name, error=unread)
    return Line(number, written, name, tuple(parts), unread=unread)


def _parse_part(text: str, names: NameTable, t: messages.Catalogue) -> Part | str:
    """A Part, or the reason it cannot be read."""
    if not text:
        return t("sheet.empty_part")
    plain = notation.normalize(text)  # −0.5 is a number
    number = parse_number(plain)
    if number is not None:
        return Part(text, number=number, written=plain.strip())
    if re.search(r"\d,\d", plain):  # 0,5: a decimal comma (a tuple, or two arguments)
        fixed = re.sub(r"(?<=\d),(?=\d)", ".", text)
        return t("sheet.decimal_comma", part=_quoted(text), fixed=_cut(fixed))
    if re.fullmatch(r"[+-]?[\d.eE+-]+", plain):
        return t("sheet.not_finite", part=_quoted(text))
    try:
        formula = parse_formula(text, names.matcher)  # made at the first formula
    except FormulaError as exc:
        return t("sheet.part_error", part=_quoted(text), why=exc.said(t))
    if not formula.names:  # arithmetic without names: the substitution step
        try:
            return Part(text, number=formula.evaluate({}))
        except FormulaError as exc:
            return t("sheet.part_predicate", part=_quoted(text), why=exc.said(t))
    return Part(text, formula=formula)


def _cut(text: str, limit: int = QUOTED) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _quoted(text: str, limit: int = QUOTED) -> str:
    """The student's text as written, between ‘ ’: repr would double backslashes and
    switch quotes."""
    return f"‘{_cut(text, limit)}’"


_VARIANT_LINE = re.compile(r"^#\s*Variant\s+([A-Za-z0-9._-]+)", re.MULTILINE)


def variant_named(text: str) -> str | None:
    """The variant a sheet's `# Variant <id>` line names (the blank sheets of `tracer keys`
    have one), if it has one."""
    line = _VARIANT_LINE.search(text[:2000])
    return line.group(1) if line else None
