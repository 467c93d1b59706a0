"""The colours of the chain rule: one colour per kind of factor, shared by the figures and
by the text that writes the same factors, so that a reader matches a factor of the formula
to its place on the path figure by its colour.

Okabe and Ito's colour-blind-safe palette (vermillion, blue, bluish green), the green
darkened: Okabe-Ito's own #009E73 reads poorly as text on white (3.4:1) and merges with
the blue under tritanopia (ΔE 17). tests/test_figures.py checks that the three stay apart
(CIE ΔE > 20) under simulated protanopia, deuteranopia and tritanopia, and read on white.
Each colour has a hex value (SVG, HTML) and an xcolor name (LaTeX: `xcolor_definitions`
defines them).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .quantities import DERIVATIVE_ROLES, Ref, Role


@dataclass(frozen=True)
class Colour:
    hex: str  # "#D55E00"
    xcolor: str  # the name `xcolor_definitions` gives it: letters only, safe in any TeX

    @property
    def html(self) -> str:
        """The hex value without '#', as xcolor's HTML model takes it."""
        return self.hex.removeprefix("#")


class Factor(StrEnum):
    """A factor of the chain-rule product for one weight's gradient."""

    ERROR_OUT = "error"  # ∂E_total/∂out, and for a hidden neuron its sum of δ·w paths
    OUT_NET = "activation"  # ∂out/∂net, the activation's slope
    NET_WEIGHT = "input"  # ∂net/∂w, the input the weight multiplies


FACTOR_COLOURS: dict[Factor, Colour] = {
    Factor.ERROR_OUT: Colour("#D55E00", "tracerErrorOut"),  # vermillion
    Factor.OUT_NET: Colour("#0072B2", "tracerOutNet"),  # blue
    Factor.NET_WEIGHT: Colour("#004D33", "tracerNetWeight"),  # bluish green, darkened
}

# The figures' neutral colours.
INK = Colour("#1B2631", "tracerInk")  # node outlines and names
GREY = Colour("#5D6D7E", "tracerGrey")  # edges and labels off the followed path
PALE = Colour("#AEB6BF", "tracerPale")  # edges off the path in a path figure
NODE_FILL = Colour("#F2F4F4", "tracerNodeFill")
WHITE = Colour("#FFFFFF", "tracerWhite")

ALL = (*FACTOR_COLOURS.values(), INK, GREY, PALE, NODE_FILL, WHITE)


def colour(factor: Factor) -> Colour:
    return FACTOR_COLOURS[factor]


def xcolor_definitions() -> str:
    """`\\definecolor` lines for every colour (needs xcolor, which TikZ loads)."""
    return "\n".join(rf"\definecolor{{{c.xcolor}}}{{HTML}}{{{c.html}}}" for c in ALL)


def latex_coloured(factor: Factor, latex: str) -> str:
    """`latex` (math or text) in the factor's colour, after `xcolor_definitions`."""
    return rf"\textcolor{{{colour(factor).xcolor}}}{{{latex}}}"


def math_coloured(factor: Factor, latex: str) -> str:
    """`latex` in the factor's colour inside Markdown math (KaTeX and MathJax read a hex
    colour in \\textcolor; no definitions needed)."""
    return rf"\textcolor{{{colour(factor).hex}}}{{{latex}}}"


def factor_of(ref: Ref) -> Factor | None:
    """The factor a derivative is in a weight's chain-rule product, if it is one: ∂E/∂out
    (and a hidden neuron's ∂E_total/∂out, its paths' δ·w), ∂out/∂net, ∂net/∂w or ∂net/∂b."""
    if ref.role not in DERIVATIVE_ROLES or ref.of is None or ref.wrt is None:
        return None
    pair = (ref.of.role, ref.wrt.role)
    if pair == (Role.ERROR, Role.OUT):
        return Factor.ERROR_OUT
    if pair == (Role.OUT, Role.NET):
        return Factor.OUT_NET
    if ref.of.role is Role.NET and ref.wrt.role in (Role.WEIGHT, Role.BIAS):
        return Factor.NET_WEIGHT
    return None


def html_coloured(factor: Factor, html: str) -> str:
    """`html` (already escaped) in the factor's colour."""
    return f'<span style="color:{colour(factor).hex}">{html}</span>'
