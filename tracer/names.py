"""Canonical quantity names (ASCII, stable: answer sheets use them) and their LaTeX symbols."""

from __future__ import annotations

import re

_INDEXED = re.compile(r"^([A-Za-z]+)(\d+)$")


def identifier_latex(name: str) -> str:
    """LaTeX for a spec identifier: i1 -> i_{1}; other names with `_` escaped."""
    match = _INDEXED.fullmatch(name)
    if match:
        return f"{match.group(1)}_{{{match.group(2)}}}"
    return name.replace("_", r"\_")


def subscript(name: str) -> str:
    """A neuron name as a subscript body: h1 stays h1, hid_a1 becomes hid\\_a1."""
    return name.replace("_", r"\_")


def neuron_latex(stem: str, neuron: str) -> str:
    """net_{h1}, out_{o2}, E_{o1}, target_{o1}, \\delta_{h1}"""
    return f"{stem}_{{{subscript(neuron)}}}"


def weight(number: int) -> str:
    return f"w{number}"


def weight_latex(number: int) -> str:
    return f"w_{{{number}}}"


def shared_bias(layer: int) -> str:
    return f"b{layer}"


def neuron_bias(neuron: str) -> str:
    return f"b_{neuron}"


def bias_latex(name: str) -> str:
    """b1 -> b_{1}; b_h1 -> b_{h1}."""
    body = name[2:] if name.startswith("b_") else name[1:]
    return f"b_{{{subscript(body)}}}"


def target(neuron: str) -> str:
    return f"target_{neuron}"


def net(neuron: str) -> str:
    return f"net_{neuron}"


def out(neuron: str) -> str:
    return f"out_{neuron}"


def error(neuron: str) -> str:
    return f"E_{neuron}"


TOTAL_ERROR = "E_total"
LEARNING_RATE = "eta"


def delta(neuron: str) -> str:
    return f"delta_{neuron}"


def derivative(numerator: str, denominator: str) -> str:
    """dE_total/dout_o1"""
    return f"d{numerator}/d{denominator}"


def derivative_latex(numerator_latex: str, denominator_latex: str) -> str:
    return rf"\frac{{\partial {numerator_latex}}}{{\partial {denominator_latex}}}"


def updated(name: str) -> str:
    """w5 -> w5_new"""
    return f"{name}_new"


def after(name: str) -> str:
    """Forward quantities recomputed with the updated parameters: E_total -> E_total_after."""
    return f"{name}_after"


def plus_latex(symbol_latex: str, example: int = 0) -> str:
    """w_{5} -> {w_{5}}^{+}: the updated weight, or a value after the update.

    In online mode the update after example k reads {w_{5}}^{+(k)}.
    """
    mark = f"+({example})" if example else "+"
    return f"{{{symbol_latex}}}^{{{mark}}}"


def example_suffix(example: int) -> str:
    """The suffix of per-example names: out_o1@2. Empty for a single example."""
    return f"@{example}" if example else ""


def example_latex(symbol_latex: str, example: int) -> str:
    """out_{o1} -> {out_{o1}}^{(2)} for example 2; unchanged for a single example."""
    return f"{{{symbol_latex}}}^{{({example})}}" if example else symbol_latex
