"""What a web page adds to a document's view model: its math as MathML, which quantity each
symbol stands for, where each quantity lies in the network's diagram, and which repeated
derivations start folded.

`html` templates get a `Page` beside the `Document` (or sheet): `page.step(s)`,
`page.math(latex)`, `page.display(latex)` and `page.prose(text)` set math; `page.paths_json`
is read by the page's script to highlight a quantity's path in the diagram, whose elements
are grouped as `<g class="edge|node" data-quantity="…">` (see `diagram.svg`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from . import circuitfigure, diagram, mathml, names
from .document import Group
from .evaluation import Trace
from .quantities import (
    PARAMETER_ROLES,
    TOTAL_ERROR,
    Bias,
    Input,
    Neuron,
    Ref,
    Role,
    Unit,
    Value,
    Weight,
)
from .spec import Spec
from .steps import Step


@dataclass(frozen=True)
class Page:
    """The page's lookups, built from the trace its document shows (see `page`)."""

    symbols: Mapping[str, str] = field(default_factory=dict)  # LaTeX symbol -> name
    paths: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # name -> "node:h1"…
    roles: Mapping[str, str] = field(default_factory=dict)  # name -> its role
    updated: Mapping[str, str] = field(default_factory=dict)  # parameter LaTeX -> update name

    def math(self, latex: str) -> str:
        """Inline math."""
        return mathml.to_mathml(latex, symbols=self.symbols)

    def display(self, latex: str) -> str:
        """Display math (a block of its own)."""
        return mathml.to_mathml(latex, display=True, symbols=self.symbols)

    def prose(self, html: str) -> str:
        """Escaped text with its `$…$` set as inline math."""
        return mathml.prose(html, self.symbols)

    def step(self, step: Step) -> str:
        """lhs = formula = numbers = value as display math; a wide step on aligned lines, as
        in the Markdown and LaTeX documents."""
        if step.wide:
            lines = " \\\\ &= ".join([*step.forms, step.value])
            return self.display(rf"\begin{{aligned}}{step.lhs} &= {lines}\end{{aligned}}")
        return self.display(" = ".join([step.lhs, *step.forms, step.value]))

    def anchor(self, name: str, run: int = 1, part: str = "") -> str:
        """The id of a quantity's step in derivation `run` (a training run shows several)
        of booklet part `part` (a prefix; empty for a document of its own)."""
        return f"{part}u{run}-{name}"

    def opened(self, groups: Sequence[Group], index: int) -> bool:
        """Whether group `index` of a section starts open: folded when an earlier group of
        the section derives the same kinds of quantities in the same order (the second
        neuron of a layer repeats the first)."""
        def shape(group: Group) -> tuple[str, ...]:
            return tuple(self.roles.get(step.name, "") for step in group.steps)

        return shape(groups[index]) not in {shape(g) for g in groups[:index]}

    @property
    def paths_json(self) -> str:
        """The paths as JSON that is safe inside a <script> element."""
        return json.dumps(self.paths, separators=(",", ":")).replace("</", "<\\/")


def page(trace: Trace) -> Page:
    """The lookups of a document of `trace` (the first derivation a document shows)."""
    graph = trace.symbolic
    symbols: dict[str, str] = {}
    for term in graph:
        symbols.setdefault(term.latex, term.name)
    return Page(symbols, _paths(trace), {t.name: str(t.role) for t in graph},
                {t.latex: update.name for t, update in graph.updates})


# -- paths in the diagram -------------------------------------------------------------------

_Edges = Sequence[tuple[str, str, str]]  # (source node, target node, element key)


def _paths(trace: Trace) -> dict[str, tuple[str, ...]]:
    """Each quantity's elements in the network diagram, where the network is drawn."""
    spec = trace.symbolic.spec
    if not diagram.drawable(spec):
        return {}
    edges = [(source, target, f"edge:{key}") for source, target, key in diagram.network_edges(spec)]
    return {term.name: tuple(sorted(_path(term.ref, spec, edges))) for term in trace.symbolic}


def _path(ref: Ref, spec: Spec, edges: _Edges) -> set[str]:
    """The elements a quantity is about: for a derivative or an update, every path from
    what it is taken with respect to, to what it is of (the chain rule's path)."""
    total = names.name(TOTAL_ERROR)
    if ref.of is not None and ref.wrt is not None:
        end = total if ref.of.unit is None else _nodes(ref.of.unit, spec)[0]
        starts = _nodes(ref.wrt.unit, spec)
        found = _between(starts, end, edges) | {f"node:{node}" for node in starts}
        if ref.wrt.role in PARAMETER_ROLES:  # a weight's own edge
            found |= _unit(ref.wrt, spec, edges)
        if ref.of.role == Role.ERROR and ref.of.unit is not None:  # one output's error
            found |= _unit(ref.of, spec, edges)
        return found | {f"node:{end}"}
    if ref.role in (Role.DELTA, Role.UPDATE) and ref.unit is not None:
        return _unit(Ref(Role.WEIGHT if isinstance(ref.unit, Weight) else Role.OUT, ref.unit),
                     spec, edges) | _between(_nodes(ref.unit, spec), total, edges)
    return _unit(ref, spec, edges)


def _unit(ref: Ref, spec: Spec, edges: _Edges) -> set[str]:
    """The elements of one quantity itself: a weight's edge, a net input's incoming edges,
    an error's output and its edge into E_total."""
    unit = ref.unit
    if unit is None:
        total = names.name(TOTAL_ERROR)
        if ref.role != Role.ERROR:
            return set()  # the learning rate
        return {f"node:{total}", *(key for _, target, key in edges if target == total)}
    nodes = _nodes(unit, spec)
    found = {f"node:{node}" for node in nodes}
    if isinstance(unit, Weight):
        found.add(f"node:{unit.source.name}")
        found |= {key for source, target, key in edges
                  if (source, target) == (unit.source.name, unit.target.name)}
    elif ref.role == Role.NET:
        found |= {key for _, target, key in edges if target in nodes}
        found |= {f"node:{source}" for source, target, _ in edges if target in nodes}
    elif ref.role == Role.ERROR:
        total = names.name(TOTAL_ERROR)
        found |= {key for source, target, key in edges if source in nodes and target == total}
        found.add(f"node:{names.name(TOTAL_ERROR)}")
    return found


def _nodes(unit: Unit | None, spec: Spec) -> list[str]:
    """The diagram's nodes a unit belongs to (a weight: the neuron it feeds)."""
    if isinstance(unit, Input | Neuron | Value):
        return [unit.name]
    if isinstance(unit, Weight):
        return [unit.target.name]
    if isinstance(unit, Bias):
        neurons = [unit.neuron] if unit.neuron else spec.neuron_units[unit.layer - 1]
        return [neuron.name for neuron in neurons]
    return [names.name(TOTAL_ERROR)]


def _between(starts: Iterable[str], end: str, edges: _Edges) -> set[str]:
    """The edges (and their nodes) on a path from any of `starts` to `end`."""
    reached = set(starts)
    for source, target, _ in edges:  # edges come in layer order: one pass follows paths
        if source in reached:
            reached.add(target)
    leads = {end}
    for source, target, _ in reversed(edges):
        if target in leads:
            leads.add(source)
    on = [(s, t, key) for s, t, key in edges if s in reached and t in leads]
    return {key for *_, key in on} | {f"node:{n}" for s, t, _ in on for n in (s, t)}


# -- a circuit's page -------------------------------------------------------------------------

def circuit_page(trace: Trace) -> Page:
    """The lookups of a circuit's page: a value lights its node and the wires into it; a
    local derivative its wire; a gradient or an update every path from its value to the
    output (the paths the chain rule sums over)."""
    graph = trace.symbolic
    circuit = graph.spec.circuit
    assert circuit is not None
    symbols: dict[str, str] = {}
    for term in graph:
        symbols.setdefault(term.latex, term.name)
    paths: dict[str, tuple[str, ...]] = {}
    if circuitfigure.drawable(circuit):
        shape = circuitfigure.layout(trace, circuit)
        wires = [(shape.spots[w.source].quantity,
                  circuit.output if w.target is None else shape.spots[w.target].quantity,
                  f"edge:{w.quantity}") for w in shape.wires]
        paths = {term.name: tuple(sorted(_circuit_path(term.ref, circuit.output, wires)))
                 for term in graph}
    return Page(symbols, paths, {t.name: str(t.role) for t in graph},
                {t.latex: update.name for t, update in graph.updates})


def _circuit_path(ref: Ref, output: str, wires: _Edges) -> set[str]:
    chained = [w for w in wires if w[0] != w[1]]  # not the output's own wire
    if ref.of is not None and ref.wrt is not None:
        of, wrt = _value(ref.of.unit), _value(ref.wrt.unit)
        if ref.role == Role.LOCAL:  # its own wire (the direct one where there are two)
            return {key for s, t, key in wires if (s, t) == (wrt, of)} | {
                f"node:{of}", f"node:{wrt}"}
        return _between([wrt], of, chained)
    if not isinstance(ref.unit, Value):
        return set()  # the learning rate
    name = ref.unit.name
    if ref.role == Role.UPDATE:
        return _between([name], output, chained)
    return {f"node:{name}"} | {key for s, t, key in chained if t == name}


def _value(unit: Unit | None) -> str:
    assert isinstance(unit, Value)
    return unit.name
