"""Canonical quantity names (ASCII, stable: answer sheets use them) and their LaTeX symbols."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .spec import Spec

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


# -- the given values of a spec, by canonical name ---------------------------------------

def given_values(spec: Spec) -> dict[str, float]:
    """The spec's numbers under their canonical names, in trace order."""
    several = len(spec.examples) > 1
    values: dict[str, float] = {}
    for k, example in enumerate(spec.examples, start=1):
        ex = example_suffix(k if several else 0)
        values.update({name + ex: value for name, value in example.inputs})
    number = 0
    for index, layer in enumerate(spec.layers, start=1):
        for row in layer.weights:
            for value in row:
                number += 1
                values[weight(number)] = value
        if isinstance(layer.bias, tuple):
            pairs = zip(layer.neurons, layer.bias, strict=True)
            values.update({neuron_bias(n): b for n, b in pairs})
        else:
            values[shared_bias(index)] = layer.bias
    for k, example in enumerate(spec.examples, start=1):
        ex = example_suffix(k if several else 0)
        values.update({target(n) + ex: v for n, v in example.targets})
    values[LEARNING_RATE] = spec.learning_rate
    return values


def given_keys(spec: Spec) -> dict[str, str]:
    """Each randomizable given value and its `[randomize]` key: w5 -> weights.w5,
    b_h1 -> biases.b_h1, i1@2 -> inputs.i1, target_o1 -> targets.o1, eta -> learning_rate."""
    keys = {}
    for name in given_values(spec):
        base = name.split("@")[0]
        if base == LEARNING_RATE:
            keys[name] = "learning_rate"
        elif base.startswith("target_"):
            keys[name] = "targets." + base.removeprefix("target_")
        elif base in dict(spec.inputs):
            keys[name] = "inputs." + base
        elif re.fullmatch(r"w\d+", base):
            keys[name] = "weights." + base
        else:
            keys[name] = "biases." + base
    return keys
