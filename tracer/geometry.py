"""Plane geometry for the figures: text set from a small subset of inline LaTeX, its size,
and the intersection tests that keep labels off each other, off nodes and off edges.

One metric serves the layout, the SVG, the TikZ picture and the tests: each character's
advance in DejaVu Sans (the widest of the sans-serif fonts the SVG names: Arial, Helvetica
and Liberation Sans are narrower, and Computer Modern at the TikZ size narrower still), so
a box computed here holds the text as any of them sets it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

# Advance widths of DejaVu Sans in em (read from its hmtx table); 1 em for anything else.
_WIDTHS = dict(zip(
    ' ()+,-./:=[]_|ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz∂δση·−×⁺′…0123456789',
    (
        0.318, 0.39, 0.39, 0.838, 0.318, 0.361, 0.318, 0.337, 0.337, 0.838, 0.39, 0.39, 0.5, 0.337,
        0.684, 0.686, 0.698, 0.77, 0.632, 0.575, 0.775, 0.752, 0.295, 0.295, 0.656, 0.557, 0.863,
        0.748, 0.787, 0.603, 0.787, 0.695, 0.635, 0.611, 0.732, 0.684, 0.989, 0.685, 0.611, 0.685,
        0.613, 0.635, 0.55, 0.635, 0.615, 0.352, 0.635, 0.634, 0.278, 0.278, 0.579, 0.278, 0.974,
        0.634, 0.612, 0.635, 0.635, 0.411, 0.521, 0.392, 0.634, 0.592, 0.818, 0.592, 0.592, 0.525,
        0.517, 0.612, 0.634, 0.634, 0.318, 0.838, 0.838, 0.528, 0.3, 1, 0.636, 0.636, 0.636, 0.636,
        0.636, 0.636, 0.636, 0.636, 0.636, 0.636,
    ), strict=True))
ASCENT, DESCENT = 0.929, 0.236  # DejaVu Sans's line box (hhea), in em
SMALL = 0.75  # a sub- or superscript's size, relative to its text
SUB_DROP, SUP_RISE = 0.3, 0.45  # their baseline shifts, in em of the text


@dataclass(frozen=True)
class Run:
    """A stretch of text on one baseline: 0 normal, -1 subscript, 1 superscript."""

    text: str
    level: int = 0


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float

    def grown(self, by: float) -> Box:
        return Box(self.left - by, self.top - by, self.right + by, self.bottom + by)

    def meets(self, other: Box) -> bool:
        return (self.left < other.right and other.left < self.right
                and self.top < other.bottom and other.top < self.bottom)

    def inside(self, other: Box) -> bool:
        return (other.left <= self.left and self.right <= other.right
                and other.top <= self.top and self.bottom <= other.bottom)


def run_width(run: Run, size: float) -> float:
    scale = size * (SMALL if run.level else 1.0)
    return sum(_WIDTHS.get(ch, 1.0) for ch in run.text) * scale


def text_width(runs: tuple[Run, ...], size: float) -> float:
    return sum(run_width(run, size) for run in runs)


def text_box(runs: tuple[Run, ...], size: float, x: float, baseline: float) -> Box:
    """The box of `runs` set from `baseline`, centred on `x`."""
    width = text_width(runs, size)
    top = baseline - ASCENT * size
    bottom = baseline + DESCENT * size
    for run in runs:
        if run.level > 0:
            top = min(top, baseline - (SUP_RISE + SMALL * ASCENT) * size)
        elif run.level < 0:
            bottom = max(bottom, baseline + (SUB_DROP + SMALL * DESCENT) * size)
    return Box(x - width / 2, top, x + width / 2, bottom)


def centred_baseline(runs: tuple[Run, ...], size: float, y: float) -> float:
    """The baseline that centres the box of `runs` on `y`."""
    box = text_box(runs, size, 0.0, 0.0)
    return y - (box.top + box.bottom) / 2


def segment_meets_box(x1: float, y1: float, x2: float, y2: float, box: Box) -> bool:
    """Whether the segment enters the box (Liang–Barsky clipping)."""
    low, high = 0.0, 1.0
    dx, dy = x2 - x1, y2 - y1
    for p, q in ((-dx, x1 - box.left), (dx, box.right - x1), (-dy, y1 - box.top),
                 (dy, box.bottom - y1)):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            low = max(low, t)
        else:
            high = min(high, t)
        if low > high:
            return False
    return True


def circle_meets_box(x: float, y: float, r: float, box: Box) -> bool:
    nearest_x = min(max(x, box.left), box.right)
    nearest_y = min(max(y, box.top), box.bottom)
    return math.hypot(x - nearest_x, y - nearest_y) < r


def box_in_circle(box: Box, x: float, y: float, r: float) -> bool:
    return all(math.hypot(cx - x, cy - y) <= r for cx in (box.left, box.right)
               for cy in (box.top, box.bottom))


def segment_meets_circle(x1: float, y1: float, x2: float, y2: float,
                         x: float, y: float, r: float) -> bool:
    dx, dy = x2 - x1, y2 - y1
    length = dx * dx + dy * dy
    t = 0.0 if length == 0 else max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / length))
    return math.hypot(x1 + t * dx - x, y1 + t * dy - y) < r


# -- inline LaTeX, the subset names and numbers are written in -----------------------------

_SYMBOLS = {"partial": "∂", "delta": "δ", "sigma": "σ", "eta": "η", "cdot": "·",
            "times": "×", "prime": "′", ",": " ", ";": " ", "!": "", "quad": " "}
_WRAPPERS = {"mathrm", "mathit", "text", "operatorname", "mathbf", "mathsf"}
_SPACED = {"=": " = ", "+": " + ", "·": " · ", "×": " × "}


class LatexSubsetError(ValueError):
    """A formula outside the subset a figure sets as text."""


@functools.lru_cache(maxsize=4096)  # a figure's names recur in every variant
def runs(latex: str) -> tuple[Run, ...]:
    """Inline math (`\\partial E_{total}/\\partial w_{5} = -0.3`) as runs of text: scripts
    one level deep, Greek letters and ∂ as characters, a real minus sign (U+2212)."""
    out: list[Run] = []
    _parse(latex, 0, 0, out)
    merged: list[Run] = []
    for run in out:
        if merged and merged[-1].level == run.level:
            merged[-1] = Run(merged[-1].text + run.text, run.level)
        elif run.text:
            merged.append(run)
    return tuple(merged)


def _parse(text: str, start: int, level: int, out: list[Run]) -> int:
    """Reads `text` from `start` to the end or to the closing brace of this group (whose
    index it returns), appending runs."""
    k = start
    while k < len(text):
        ch = text[k]
        if ch == "}":
            return k
        if ch == "{":
            k = _parse(text, k + 1, level, out) + 1
        elif ch in "_^":
            k = _script(text, k + 1, (-1 if ch == "_" else 1) if level == 0 else level, out)
        elif ch == "\\":
            k = _command(text, k + 1, level, out)
        elif ch != " ":
            out.append(Run(_SPACED.get(ch, "−" if ch == "-" else ch) if level == 0 else
                           ("−" if ch == "-" else ch), level))
            k += 1
        else:
            k += 1
    return k


def _script(text: str, k: int, level: int, out: list[Run]) -> int:
    if k < len(text) and text[k] == "{":
        end = _parse(text, k + 1, level, out)
        if end >= len(text):
            raise LatexSubsetError(f"unbalanced braces in {text!r}")
        return end + 1
    if k < len(text):
        out.append(Run("−" if text[k] == "-" else text[k], level))
    return k + 1


def _command(text: str, k: int, level: int, out: list[Run]) -> int:
    end = k + 1
    while end < len(text) and text[k].isalpha() and text[end].isalpha():
        end += 1
    word = text[k:end]
    if word in _SYMBOLS:
        symbol = _SYMBOLS[word]
        out.append(Run(_SPACED.get(symbol, symbol) if level == 0 else symbol, level))
        return end
    if word in _WRAPPERS or word == "frac":
        if end >= len(text) or text[end] != "{":
            raise LatexSubsetError(f"\\{word} without an argument in {text!r}")
        close = _parse(text, end + 1, level, out)
        if word != "frac":
            return close + 1
        out.append(Run("/", level))
        if close + 1 >= len(text) or text[close + 1] != "{":
            raise LatexSubsetError(f"\\frac with one argument in {text!r}")
        return _parse(text, close + 2, level, out) + 1
    raise LatexSubsetError(f"\\{word} is not set in figures ({text!r})")


def inline_latex(latex: str) -> str:
    """`latex` with every \\frac{a}{b} written a/b, as a figure's label sets it."""
    k = latex.find(r"\frac{")
    if k < 0:
        return latex
    first_end = _closing(latex, k + 5)
    second_end = _closing(latex, first_end + 1)
    numerator = latex[k + 6:first_end]
    denominator = latex[first_end + 2:second_end]
    return inline_latex(f"{latex[:k]}{{{numerator}}}/{{{denominator}}}{latex[second_end + 1:]}")


def _closing(text: str, opening: int) -> int:
    """The index of the brace closing the one at `opening`."""
    if opening >= len(text) or text[opening] != "{":
        raise LatexSubsetError(f"\\frac without braces in {text!r}")
    depth = 0
    for k in range(opening, len(text)):
        depth += (text[k] == "{") - (text[k] == "}")
        if depth == 0:
            return k
    raise LatexSubsetError(f"unbalanced braces in {text!r}")
