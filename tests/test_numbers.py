"""Decimal rounding as by hand: half away from zero on the value a calculator shows."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracer.numbers import format_value, round_decimal


@pytest.mark.parametrize(
    ("value", "digits", "text"),
    [
        (0.0190491185, 9, "0.019049119"),  # binary round() gives ...118
        (-0.0190491185, 9, "-0.019049119"),
        (0.3775, 9, "0.3775"),
        (2.5, 0, "3"),
        (-2.5, 0, "-3"),
        (0.125, 2, "0.13"),
        (1e-12, 9, "0"),
        (-1e-12, 9, "0"),
        (0.75136507, 9, "0.75136507"),
        (123456.0, 3, "123456"),
        (3.5084786296312774e-05, 9, "0.000035085"),
    ],
)
def test_format_value(value: float, digits: int, text: str) -> None:
    assert format_value(value, digits) == text


def test_round_rejects_non_finite() -> None:
    with pytest.raises(ValueError):
        round_decimal(float("nan"), 3)


@given(st.floats(-1e6, 1e6, allow_nan=False), st.integers(0, 15))
def test_formatted_value_is_within_half_a_unit(value: float, digits: int) -> None:
    text = format_value(value, digits)
    assert abs(Decimal(text) - Decimal(repr(value))) <= Decimal(1).scaleb(-digits) / 2
    assert not text.startswith("-0") or text.startswith("-0.")
    assert "e" not in text.lower()
