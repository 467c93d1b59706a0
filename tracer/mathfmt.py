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

from .numbers import shown

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
        # A constant of a rule (a leaky slope) as written, 0.1, not 0.100000000000000;
        # sympy brackets a negative one where precedence needs it.
        return shown(float(expr), 15).latex


class _TextPrinter(StrPrinter):  # type: ignore[misc]
    """ASCII formula over canonical names, in written order."""

    def __init__(self) -> None:
        super().__init__({"order": "none"})


def latex(expr: sp.Expr, symbols: Mapping[sp.Symbol, str]) -> str:
    """The formula in LaTeX with recorded symbols."""
    return str(TraceLatexPrinter(symbols).doprint(expr))


# A slot, with the operator before it (a negative number after one needs brackets:
# 0.5 \cdot (-0.02), 1 - (-0.3), e^{- (-0.5)}), and whether a power or a product sign
# follows (a base needs them: (-0.5)^{2}; a number with a power of ten beside a product
# sign takes them too: (4.386 \times 10^{-5}) \cdot 0.5). Elsewhere (a whole side, a
# function's argument, a numerator, a sum's first term) a number stands as it is:
# tanh(-0.33), e^{-0.078}.
_SLOT = re.compile(r"(?P<op>(?:[-+]|\\cdot|\\times)\s*)?\x00(?P<slot>\d+)\x00"
                   r"(?:(?P<power>(?=\^))|(?P<times>(?=\s*\\cdot)))?")


def slotted_latex(expr: sp.Expr, slots: Mapping[str, int]) -> str:
    """The formula's LaTeX with a numbered slot where each symbol goes; `fill` puts numbers in.

    Symbols are atoms to the printer, so filling the slots later gives exactly what printing
    with the numbers would.
    """
    # Only the formula's own symbols: a mapping of the whole trace per step made a document
    # quadratic in its size (3 minutes for 4,608 weights).
    return latex(expr, {symbol: f"\x00{slots[symbol.name]}\x00" for symbol in expr.free_symbols})


def fill(slotted: str, numbers: Sequence[str]) -> str:
    """The slotted LaTeX with numbers (LaTeX math: `numbers.Shown.latex`), in brackets only
    where precedence needs them."""
    return _SLOT.sub(lambda match: _filled(match, numbers), slotted)


def _filled(match: re.Match[str], numbers: Sequence[str]) -> str:
    op, number = match.group("op") or "", numbers[int(match.group("slot"))]
    signed, scaled = number.startswith("-"), " " in number  # 4.386 \times 10^{-5}
    power, times = match.group("power") is not None, match.group("times") is not None
    if (op and signed) or (power and (signed or scaled)) or (scaled and (
            times or op.startswith(("\\cdot", "\\times")))):
        return rf"{op}\left({number}\right)"
    return op + number


def negated_factors(expr: sp.Expr) -> tuple[sp.Symbol, ...]:
    """The symbols of a negated product of a function (-target·log(out), -target/out) any of
    which, at 0, makes it 0: substituted, it would read "- 0 · log(0.28)". Nothing for another
    formula: "0.3 - 0.5 · 0" (an update with no gradient) reads well."""
    if type(expr) is not sp.Mul or not expr.could_extract_minus_sign() or all(
            arg.is_Symbol or arg.is_Number for arg in expr.args):
        return ()
    return tuple(arg for arg in expr.args if isinstance(arg, sp.Symbol))


def zero_terms(expr: sp.Expr) -> tuple[tuple[sp.Symbol, sp.Expr | None], ...]:
    """(symbol, the formula without the term the symbol at 0 makes 0) for each factor of a
    negated product that is the formula (None: nothing is left) or a term of it (binary
    cross-entropy): a document writes what is left, and says why, not "- 0 · log(0.5)"."""
    if type(expr) is not sp.Add:
        return tuple((symbol, None) for symbol in negated_factors(expr))
    return tuple((symbol, sp.Add(*(a for a in expr.args if a is not term), evaluate=False))
                 for term in expr.args for symbol in negated_factors(term))


def text(expr: sp.Expr) -> str:
    """The formula as ASCII over canonical names: delta_o1*dnet_o1/dw5."""
    return str(_TextPrinter().doprint(expr))


_UPRIGHT = r"\mathrm{"
_COLOURED = re.compile(r"\\textcolor\{[#\w]+\}\{")  # a factor in its colour: sets no wider


def source_length(form: str) -> int:
    """The length of LaTeX source, an upright word (\\mathrm{net}) counted as the word: it
    sets as wide as the word in italics."""
    colours = sum(len(m.group()) + 1 for m in _COLOURED.finditer(form))  # and its closing }
    return len(form) - (len(_UPRIGHT) + 1) * form.count(_UPRIGHT) - colours


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
