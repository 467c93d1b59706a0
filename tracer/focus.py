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

from .errors import TracerError
from .graph import Graph, Term
from .quantities import PARAMETER_ROLES, Neuron, Role, Stage


@dataclass(frozen=True)
class Focus:
    path: frozenset[int]  # positions derived in full
    used: frozenset[int]  # values the path's formulas use directly, shown in a table


def parameters_for(graph: Graph, focus: str) -> list[Term]:
    """The weights and biases a focus name stands for."""
    parameters = [t for t in graph.givens if t.role in PARAMETER_ROLES]
    if focus in graph and graph[focus].role in PARAMETER_ROLES:
        return [graph[focus]]
    layers = {layer.name: index for index, layer in enumerate(graph.spec.layers, start=1)}
    if focus in layers:
        return [t for t in parameters if t.layer == layers[focus]]
    into_neuron = [t for t in parameters if t.neuron is not None and t.neuron.name == focus]
    if into_neuron:
        return into_neuron
    choices = [t.name for t in parameters] + list(layers) + [
        n for layer in graph.spec.layers for n in layer.neurons]
    close = difflib.get_close_matches(focus, choices, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise TracerError(f"unknown name {focus!r}{hint}: give a weight, a bias, a neuron or a "
                      "layer", key="--focus")


def focus(graph: Graph, wanted: Iterable[str]) -> Focus:
    """The steps on the paths through the wanted parameters, and the values they use."""
    chosen = [p for name in wanted for p in parameters_for(graph, name)]
    ids = {p.id for p in chosen}
    units = {p.ref.unit for p in chosen}
    targets = {t.id for t in graph if t.stage != Stage.AFTER and (
        (t.role == Role.GRADIENT and t.wrt in ids)
        or (t.role == Role.UPDATE and t.ref.unit in units))}
    ancestors = graph.ancestors(targets)
    influenced = graph.descendants(ids)
    # Every chain-rule factor on the way, also those the parameters do not change (∂net_o1/∂out_h1).
    local = {i for i in ancestors if graph.terms[i].role == Role.LOCAL}
    errors = {i for i in influenced if graph.terms[i].role == Role.ERROR
              and graph.terms[i].stage == Stage.ERROR}
    found = (ancestors & influenced) | targets | local | errors
    found -= _forward_elsewhere(graph, chosen)
    path = {i for i in found if not graph.terms[i].given}  # given values: the table
    used = {p for i in path for p in graph.terms[i].parents} - path
    return Focus(frozenset(path), frozenset(used))


def _forward_elsewhere(graph: Graph, chosen: list[Term]) -> set[int]:
    """Forward steps of neurons the chosen parameters do not feed: their values are in the
    table. Deriving them would list every weight of every later layer (5,245 lines for one
    hidden weight of a [48, 48, 48] network) though no chain-rule factor is about them."""
    fed: set[Neuron] = set()
    for parameter in chosen:
        if parameter.neuron is None:  # a bias shared by its layer feeds all of it
            fed.update(graph.spec.neuron_units[parameter.layer - 1])
        else:
            fed.add(parameter.neuron)
    return {t.id for t in graph if t.stage == Stage.FORWARD and t.role in (Role.NET, Role.OUT)
            and t.neuron not in fed}
