"""Focused documents: only the chain-rule paths through chosen parameters.

`--focus w5` keeps the steps that lie on the way from w5 to its gradient and its update
(net_o1 → out_o1 → E_total → ∂E_total/∂out_o1 → … → ∂E_total/∂w5 → w5⁺) in full, and shows
every other value they use (the given values, and the outputs of neurons w5 does not feed:
for a hidden weight, the output layer's) in a table.
A focus name is a weight or bias, a neuron (every parameter into it) or a layer.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from . import names
from .errors import TracerError
from .trace import Kind, Stage, SymbolicTrace


@dataclass(frozen=True)
class Focus:
    path: frozenset[str]  # derived in full
    used: frozenset[str]  # values the path's formulas use directly, shown in a table


def parameters_for(symbolic: SymbolicTrace, focus: str) -> list[str]:
    """The weights and biases a focus name stands for."""
    parameters = [t for t in symbolic if t.kind in (Kind.WEIGHT, Kind.BIAS)]
    if focus in symbolic and symbolic[focus].kind in (Kind.WEIGHT, Kind.BIAS):
        return [focus]
    layers = {layer.name: index for index, layer in enumerate(symbolic.spec.layers, start=1)}
    if focus in layers:
        return [t.name for t in parameters if t.layer == layers[focus]]
    into_neuron = [t.name for t in parameters if t.neuron == focus]
    if into_neuron:
        return into_neuron
    choices = [t.name for t in parameters] + list(layers) + [
        n for layer in symbolic.spec.layers for n in layer.neurons]
    close = difflib.get_close_matches(focus, choices, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise TracerError(f"unknown name {focus!r}{hint}: give a weight, a bias, a neuron or a "
                      "layer", key="--focus")


def focus(symbolic: SymbolicTrace, wanted: Iterable[str]) -> Focus:
    """The steps on the paths through the wanted parameters, and the values they use."""
    chosen = [p for name in wanted for p in parameters_for(symbolic, name)]
    targets = {t.name for t in symbolic if t.formula is not None and t.stage != Stage.AFTER
               and (t.name.split("@")[0] in {names.derivative(names.TOTAL_ERROR, p)
                                             for p in chosen}
                    or t.name.split("@")[0] in {names.updated(p) for p in chosen})}
    ancestors = _closure(symbolic, targets)
    influenced = _influenced(symbolic, set(chosen))
    # Every chain-rule factor on the way, also those the parameters do not change (∂net_o1/∂out_h1).
    local = {t.name for t in symbolic if t.kind == Kind.LOCAL and t.name in ancestors}
    errors = {t.name for t in symbolic if t.kind == Kind.ERROR and t.stage == Stage.ERROR
              and t.name in influenced}
    path = (ancestors & influenced) | targets | local | errors
    path -= _forward_elsewhere(symbolic, chosen)
    path = {name for name in path if symbolic[name].formula is not None}  # givens: the table
    used = {d for name in path for d in symbolic.dependencies(name)} - path
    return Focus(frozenset(path), frozenset(used))


def _forward_elsewhere(symbolic: SymbolicTrace, chosen: list[str]) -> set[str]:
    """Forward steps of neurons the chosen parameters do not feed: their values are in the
    table. Deriving them would list every weight of every later layer (5,245 lines for one
    hidden weight of a [48, 48, 48] network) though no chain-rule factor is about them."""
    fed = set()
    for parameter in (symbolic[p] for p in chosen):
        layer = symbolic.spec.layers[parameter.layer - 1]
        neurons = [parameter.neuron] if parameter.neuron else list(layer.neurons)  # shared bias
        fed |= {(parameter.layer, neuron) for neuron in neurons}
    return {t.name for t in symbolic if t.stage == Stage.FORWARD and t.kind in (Kind.NET, Kind.OUT)
            and (t.layer, t.neuron) not in fed}


def _closure(symbolic: SymbolicTrace, start: set[str]) -> set[str]:
    """`start` and everything its formulas use, transitively."""
    seen, stack = set(start), list(start)
    while stack:
        for name in symbolic.dependencies(stack.pop()):
            if name not in seen:
                seen.add(name)
                stack.append(name)
    return seen


def _influenced(symbolic: SymbolicTrace, start: set[str]) -> set[str]:
    """Every quantity whose value depends on one in `start` (trace order is topological)."""
    reached = set(start)
    for term in symbolic:
        if term.formula is not None and any(d in reached for d in
                                            symbolic.dependencies(term.name)):
            reached.add(term.name)
    return reached
