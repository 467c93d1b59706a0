"""Decimal formatting of values as a person writes them by hand.

Rounding is decimal and half away from zero, applied to the shortest repr of the float,
which is what a calculator shows: 0.0190491185 rounds to 0.019049119 here, whereas
Python's binary `round` sees 0.01904911849999... and rounds down.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Context, Decimal


def round_decimal(value: float, digits: int) -> Decimal:
    """`value` rounded to `digits` decimal places, half away from zero."""
    if not math.isfinite(value):
        raise ValueError(f"cannot round non-finite value {value!r}")
    exact = Decimal(repr(value))
    # The default context holds 28 digits: 1e25 to 9 places needs 35. Size it to the value.
    context = Context(prec=max(exact.adjusted(), 0) + digits + 2)
    return exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP, context=context)


def format_value(value: float, digits: int) -> str:
    """Fixed-point text, at most `digits` decimals, no trailing zeros: 0.3775, 0.593269992."""
    text = format(round_decimal(value, digits), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        return "0"
    return text


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
