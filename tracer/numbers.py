"""Decimal formatting of values as a person writes them by hand.

Rounding is decimal and half away from zero, applied to the shortest repr of the float,
which is what a calculator shows: 0.0190491185 rounds to 0.019049119 here, whereas
Python's binary `round` sees 0.01904911849999... and rounds down.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Context, Decimal


def round_decimal(value: float, digits: int) -> Decimal:
    """`value` rounded to `digits` decimal places, half away from zero."""
    if not math.isfinite(value):
        raise ValueError(f"cannot round non-finite value {value!r}")
    exact = Decimal(repr(value))
    # The default context holds 28 digits: 1e25 to 9 places needs 35. Size it to the value.
    context = Context(prec=max(exact.adjusted(), 0) + digits + 2)
    return exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP, context=context)


SIGNIFICANT = 4  # a nonzero value is never shown with fewer significant digits
SCIENTIFIC_BELOW = Decimal("0.0001")  # a widened value below this is shown as 4.386 × 10⁻⁵
_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
MINUS = "\u2212"  # the minus sign of typeset text (a hyphen is shorter and sits low)


@dataclass(frozen=True)
class Shown:
    """A value as the documents show it: `plain` ASCII (parsers, exports, the checker) and
    the same number written for math, Unicode text or LaTeX text."""

    plain: str  # fixed-point, "-" sign, no exponent: 0.3775, -0.000001310
    mantissa: str  # -1.310 when written with a power of ten, else the plain text
    exponent: int = 0  # the power of ten; 0: written plainly

    @property
    def latex(self) -> str:
        """For LaTeX math (Markdown math spans too): -1.310 \\times 10^{-6}; its "-" typesets
        as a minus sign."""
        if not self.exponent:
            return self.plain
        return rf"{self.mantissa} \times 10^{{{self.exponent}}}"

    @property
    def text(self) -> str:
        """For Markdown and HTML text: −0.5, −1.310 × 10⁻⁶ (a real minus sign)."""
        body = self.mantissa.replace("-", MINUS)
        if not self.exponent:
            return body
        return f"{body} × 10{str(self.exponent).translate(_SUPERSCRIPTS)}"

    @property
    def tex_text(self) -> str:
        """For LaTeX text mode (a table cell): in math where a sign or a power is shown,
        since a "-" in text mode is a hyphen."""
        return f"${self.latex}$" if self.exponent or self.plain.startswith("-") else self.plain

    def written(self, fmt: str) -> str:
        """The number for a format: "md" or "html" text, "tex" text, "math" (LaTeX math)."""
        if fmt == "math":
            return self.latex
        return self.tex_text if fmt == "tex" else self.text


def shown(value: float, digits: int) -> Shown:
    """`value` as shown to `digits` decimals, half away from zero, no trailing zeros (0.3775,
    0.593269992). A value those decimals do not give exactly and leave with fewer than
    SIGNIFICANT significant digits is shown to SIGNIFICANT of them, its trailing zeros kept as
    they count (0.0004386, -0.000001310), unless that is the value exactly (0.00012, 0.125),
    below SCIENTIFIC_BELOW with a power of ten (-1.310 × 10⁻⁶)."""
    widened = _widened(value, digits)
    if widened is None:
        plain = fixed(value, digits)
        return Shown(plain, plain)
    plain = format(widened, "f")
    if abs(widened) >= SCIENTIFIC_BELOW:
        return Shown(plain, plain)
    exponent = widened.adjusted()
    return Shown(plain, format(widened.scaleb(-exponent), "f"), exponent)


def _widened(value: float, digits: int) -> Decimal | None:
    """`value` to SIGNIFICANT significant digits, when `digits` decimals keep fewer of a value
    they do not give exactly; else None."""
    rounded = round_decimal(value, digits)
    exact = Decimal(repr(value))
    if rounded == exact or (not rounded.is_zero()
                            and rounded.adjusted() + digits + 1 >= SIGNIFICANT):
        return None
    places = SIGNIFICANT - 1 - exact.adjusted()
    widened = round_decimal(value, places)
    if widened.adjusted() > exact.adjusted():  # 9.99996e-5 rounds up to 1.0000e-4: one less
        widened = round_decimal(value, places - 1)
    return exact if widened == exact else widened  # 0.125 as it is, not 0.1250


def _plain(number: Decimal) -> str:
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_value(value: float, digits: int) -> str:
    """Fixed-point ASCII text as `shown` gives it (what parsers and exports read): at most
    `digits` decimals, no trailing zeros (0.3775, 0.593269992), or at least SIGNIFICANT
    significant digits (0.0004386, -0.000001310); never an exponent."""
    return shown(value, digits).plain


def fixed(value: float, places: int) -> str:
    """Fixed-point ASCII text to at most `places` decimals, no trailing zeros, however few
    significant digits are left (a tolerance that reads 0 at 15 places is refused): what a
    learning platform reads, not what a document shows."""
    return _plain(round_decimal(value, places))


def display(value: float, digits: int, fmt: str) -> str:
    """The value as a document shows it in `fmt`: "md" or "html" text (−0.5), "tex" text
    ($-0.5$) or "math" (LaTeX math: -0.5, 4.386 \\times 10^{-5})."""
    return shown(value, digits).written(fmt)


def minus_signs(text: str) -> str:
    """Text with each hyphen-minus that signs a number (-0.5, -.5) set as a minus sign, for
    Markdown and HTML text that holds numbers already formatted."""
    return _SIGNED.sub(MINUS, text)


_SIGNED = re.compile(r"(?<![\w.])-(?=\.?\d)")


def shown_result_agrees(result: str, recomputed: float, digits: int) -> bool:
    """Whether a step's shown `result` (plain text) is what its shown numbers give:
    `recomputed`, the step's formula evaluated at the numbers as shown (each read back from
    its `Shown.plain`), rounded to the result's precision (its decimals, at least `digits`).
    False where values are carried unrounded and the last digit differs (the post's
    -0.019049119 from shown numbers, -0.019049118 from exact ones): a document then says
    that values are carried unrounded."""
    written = _decimal(result)
    if written is None or not math.isfinite(recomputed):
        return False
    exponent = written.as_tuple().exponent
    assert isinstance(exponent, int)  # finite, checked by _decimal
    return round_decimal(recomputed, max(-exponent, digits)) == written


def shows_as_zero(value: float, digits: int) -> bool:
    """Whether `value` reads 0 when shown to `digits` decimals."""
    return abs(value) < 0.5 * 10.0 ** -digits


def is_rounding(written: str, value: float, least: int = 2) -> bool:
    """Whether a number as `written` (its trailing zeros count) is `value` rounded (half
    away from zero) or cut to the decimals it shows, keeping at least `least` significant
    figures: what a student writes who kept too few figures. (Two quantizations: a sheet
    has hundreds of wrong lines.)"""
    digits = _decimal(written)
    if digits is None or not math.isfinite(value) or digits.is_zero():
        return False
    exponent = digits.as_tuple().exponent
    assert isinstance(exponent, int)  # finite, checked by _decimal
    if digits.adjusted() - exponent + 1 < least or float(digits) == value:
        return False
    exact = Decimal(repr(value))
    context = Context(prec=max(exact.adjusted(), 0) + abs(exponent) + 20)
    quantum = Decimal(1).scaleb(exponent)
    return any(exact.quantize(quantum, rounding=mode, context=context) == digits
               for mode in (ROUND_HALF_UP, ROUND_DOWN))


def _decimal(written: str) -> Decimal | None:
    """A plain decimal number as written (0.3800 keeps its zeros), else None."""
    try:
        digits = Decimal(written.strip())
    except ArithmeticError:
        return None
    return digits if digits.is_finite() and abs(digits.adjusted()) < 400 else None


def shown_apart(values: Sequence[float], digits: int) -> int:
    """The fewest decimals, from `digits` up to 17, at which the values no longer look the
    same (a wrong value printed like the right one would confuse the reader)."""
    for places in range(digits, 18):
        if len({format_value(v, places) for v in values}) == len(set(values)):
            return places
    return 17


def half_unit(written: str) -> float:
    """Half a unit in the last decimal place of a number as written (0.1498: 0.00005): how
    far a correctly rounded value can be from the exact one. 0 for no number written."""
    digits = _decimal(written)
    if digits is None:
        return 0.0
    exponent = digits.as_tuple().exponent
    assert isinstance(exponent, int)
    return 0.5 * 10.0 ** exponent
