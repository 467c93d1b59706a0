"""Decimal formatting of values as a person writes them by hand.

Rounding is decimal and half away from zero, applied to the shortest repr of the float,
which is what a calculator shows: 0.0190491185 rounds to 0.019049119 here, whereas
Python's binary `round` sees 0.01904911849999... and rounds down.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Context, Decimal


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
