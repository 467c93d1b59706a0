"""Formulas as LaTeX and as ASCII text, symbolically or with numbers substituted.

One `LatexPrinter` subclass: trace symbols print as their recorded LaTeX, or as formatted
numbers when substituting. Text formulas (JSON) print canonical names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

_SETTINGS = {"order": "none", "mul_symbol": "dot"}


class TraceLatexPrinter(LatexPrinter):  # type: ignore[misc]
    """LaTeX with each trace symbol printed from `symbols`; an unknown symbol is an error."""

    def __init__(self, symbols: Mapping[sp.Symbol, str]) -> None:
        super().__init__(_SETTINGS)
        self._symbols = symbols

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        try:
            return self._symbols[expr]
        except KeyError:
            raise KeyError(f"no LaTeX recorded for symbol {expr.name!r}") from None

    def _print_Float(self, expr: sp.Float) -> str:
        return _number_latex(str(expr))


class _TextPrinter(StrPrinter):  # type: ignore[misc]
    """ASCII formula over canonical names, in written order."""

    def __init__(self) -> None:
        super().__init__({"order": "none"})


def _number_latex(text: str) -> str:
    # A negative number in a product or power needs brackets: 0.5 \cdot (-0.02).
    return rf"\left({text}\right)" if text.startswith("-") else text


def latex(expr: sp.Expr, symbols: Mapping[sp.Symbol, str]) -> str:
    """The formula in LaTeX with recorded symbols."""
    return str(TraceLatexPrinter(symbols).doprint(expr))


_SLOT = re.compile("\x00(\\d+)\x00")


def slotted_latex(expr: sp.Expr, slots: Mapping[str, int]) -> str:
    """The formula's LaTeX with a numbered slot where each symbol goes; `fill` puts numbers in.

    Symbols are atoms to the printer, so filling the slots later gives exactly what printing
    with the numbers would.
    """
    # Only the formula's own symbols: a mapping of the whole trace per step made a document
    # quadratic in its size (3 minutes for 4,608 weights).
    return latex(expr, {symbol: f"\x00{slots[symbol.name]}\x00" for symbol in expr.free_symbols})


def fill(slotted: str, numbers: Sequence[str]) -> str:
    """The slotted LaTeX with formatted numbers, negative ones in brackets."""
    return _SLOT.sub(lambda match: _number_latex(numbers[int(match.group(1))]), slotted)


def text(expr: sp.Expr) -> str:
    """The formula as ASCII over canonical names: delta_o1*dnet_o1/dw5."""
    return str(_TextPrinter().doprint(expr))


# Characters a reader sees on a line of a long sum: a line may run one term past it, and a
# PDF's text width holds about 70 beside a step's left-hand side (measured: no overfull box).
LINE_WIDTH = 48
_UNSEEN = re.compile(r"\\[A-Za-z]+|[{}_^ ]")  # command names, grouping, spaces


def broken_sum(form: str, width: int = LINE_WIDTH) -> str:
    """A long sum in LaTeX set over several aligned lines of about `width` visible characters,
    broken only at a top-level + or −: TeX stops with "Dimension too large" on a line of 128
    products (about 6 m), and no reader follows one. Short forms come back as they were."""
    unseen = {i for m in _UNSEEN.finditer(form) for i in range(m.start(), m.end())}
    if len(form) - len(unseen) <= width + width // 2:
        return form
    out, depth, line = [], 0, 0
    for i, char in enumerate(form):
        if form.startswith(r"\left", i) or char == "{":
            depth += 1
        elif form.startswith(r"\right", i) or char == "}":
            depth -= 1
        elif depth == 0 and line > width and form.startswith((" + ", " - "), i):
            out.append(" \\\\\n&\\qquad")
            line = 0
        out.append(char)
        line += i not in unseen
    return "".join(out)
