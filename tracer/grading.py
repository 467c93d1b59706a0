"""How an exercise is graded: the `[grading]` table of a spec.

    [grading]
    decimals = 4             # the handout asks for 4 decimals (or rtol / atol / sig_figs)
    rounding = 0.5           # credit for a value wrong only by rounding (default 0)
    require_numbers = true   # a formula without its number is incomplete

`rtol` (with an optional `atol`), `sig_figs` and `decimals` are three ways to say how close a
value must be: give one. Without any, the checker's default applies (rtol 1e-3). The
command line's --rtol, --atol and --sig-figs override the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from .randomize import Fail, Number

KEYS = ("rtol", "atol", "sig_figs", "decimals", "rounding", "require_numbers")
MAX_FIGURES = 15


@dataclass(frozen=True)
class Grading:
    rtol: float | None = None
    atol: float | None = None
    sig_figs: int | None = None
    decimals: int | None = None
    rounding: float = 0.0  # credit (0 to 1) for a value wrong only by rounding
    require_numbers: bool = False


def parse_grading(table: object, fail: Fail, number: Number) -> Grading:
    """The `[grading]` table; `fail(key, message)` and `number(value, key)` are the spec
    reader's."""
    if not isinstance(table, dict):
        fail("grading", "must be a table (rtol, atol, sig_figs, decimals, rounding, "
                        "require_numbers)")
    for key in table:
        if key not in KEYS:
            fail(f"grading.{key}", f"unknown key (one of: {', '.join(KEYS)})")
    ways = [key for key in ("rtol", "sig_figs", "decimals") if key in table]
    if len(ways) > 1:
        fail(f"grading.{ways[1]}", f"give one of rtol, sig_figs and decimals, not both "
                                   f"{ways[0]} and {ways[1]}")
    if "atol" in table and ways and ways[0] != "rtol":
        fail("grading.atol", f"goes with rtol, not with {ways[0]}")
    rtol, atol, rounding = (_fraction(table, key, fail, number, high)
                            for key, high in (("rtol", 1.0), ("atol", 1e6), ("rounding", 1.0)))
    return Grading(rtol, atol, _count(table, "sig_figs", 1, MAX_FIGURES, fail),
                   _count(table, "decimals", 0, MAX_FIGURES, fail), rounding or 0.0,
                   _flag(table, "require_numbers", fail))


def _fraction(table: dict[str, object], key: str, fail: Fail, number: Number,
              high: float) -> float | None:
    if key not in table:
        return None
    value = number(table[key], f"grading.{key}")
    if not 0 <= value <= high:
        fail(f"grading.{key}", f"must be from 0 to {high:g}, got {value:g}")
    return value


def _count(table: dict[str, object], key: str, low: int, high: int, fail: Fail) -> int | None:
    if key not in table:
        return None
    value = table[key]
    if type(value) is not int or not low <= value <= high:
        fail(f"grading.{key}", f"must be a whole number from {low} to {high}, got {_shown(value)}")
    return value


def _flag(table: dict[str, object], key: str, fail: Fail) -> bool:
    value = table.get(key, False)
    if type(value) is not bool:
        fail(f"grading.{key}", f"must be true or false, got {_shown(value)}")
    return bool(value)


def _shown(value: object) -> str:
    """A short description of a raw value (str() of a 5,000-digit integer fails)."""
    if type(value) is int:
        return str(value) if abs(value) < 10**12 else "a very large integer"
    return type(value).__name__ if not isinstance(value, str | float | bool) else (
        repr(value)[:40])
