"""Pictures of the network and of the error curve: one layout, drawn as SVG or as TikZ.

The layout is plain data in SVG pixels: circles, lines (with arrowheads) and labels, in
parts that each stand for one quantity (an edge for w5, a node for h1). `svg` and `tikz`
only draw it, at the same coordinates, so the collision checks made on the layout hold for
both. Labels are placed along their edge where they meet no other label, node or edge; a
network too dense for that loses its edge labels and gets a table of each layer's weights.
A path figure colours the factors of one weight's chain-rule product (see `palette`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from . import memo, names, palette
from .escape import latex_text
from .evaluation import Trace
from .geometry import (
    SUB_DROP,
    SUP_RISE,
    Box,
    Run,
    circle_meets_box,
    inline_latex,
    runs,
    segment_meets_box,
    segment_meets_circle,
    text_box,
    text_width,
)
from .graph import Graph
from .numbers import format_value
from .palette import Colour, Factor
from .quantities import TOTAL_ERROR, Input, Neuron, Ref, Role, Weight, derivative
from .spec import Spec

# Beyond these a network is not drawn: its picture would be a grey mesh (every weight is an
# edge) and TeX slow to set (40 layers took 80 s) or past its dimensions (128 neurons).
MAX_DRAWN_LAYERS = 8
MAX_DRAWN_WIDTH = 16
PAGE_WIDTH, PAGE_HEIGHT = 15.0, 20.0  # cm a TikZ picture may take; larger ones are scaled
# Edge labels are kept while the labelled figure fits this width (px): the TikZ picture of
# a wider one is scaled below ~0.75 and its labels below 7 pt (measured: see the tests).
MAX_LABELLED_WIDTH = 760.0
# ... and while no two layers have more edges between them than this: measured, networks
# [m, n, n] with 3 × 3 or more edges between two layers found no such place within the
# width (2 × 5 did), and looking costs ~0.2 s a figure.
MAX_LABELLED_EDGES = 10
CM_PER_PX = 0.0282  # TikZ: 11 px text is set at 8.8 pt, before any scaling to the page

NAME_SIZE, NOTE_SIZE, LABEL_SIZE = 12.0, 11.0, 11.0
MARGIN, ROW_GAP, BARE_ROW_GAP = 12.0, 76.0, 40.0  # px; bare: no labels between rows
CLEAR, LABEL_CLEAR, NODE_CLEAR = 2.5, 5.0, 7.0  # least gaps: label to line, label, node
ARROW = 7.0  # arrowhead length


def drawable(spec: Spec) -> bool:
    """Whether the network is small enough to draw (see MAX_DRAWN_LAYERS); a circuit is
    drawn by circuitfigure instead."""
    if spec.circuit is not None:
        return False
    widths = [len(spec.inputs), *(layer.size for layer in spec.layers)]
    return len(spec.layers) <= MAX_DRAWN_LAYERS and max(widths) <= MAX_DRAWN_WIDTH


# -- the layout ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Label:
    """Text centred on (x, y): `latex` for TikZ (a whole TeX text, math in $…$), `runs` for
    SVG; `backed` labels sit on a white box (they may lie on their own edge). `extent`
    (half width, half height, baseline below y) is measured once, by `label`."""

    latex: str
    runs: tuple[Run, ...]
    x: float
    y: float
    size: float
    colour: Colour
    backed: bool = False
    extent: tuple[float, float, float] = (0.0, 0.0, 0.0)
    key: str = ""  # which label of the figure it is (its place is found once per structure)

    @property
    def baseline(self) -> float:
        return self.y + self.extent[2]

    @property
    def box(self) -> Box:
        half_width, half_height, _ = self.extent
        return Box(self.x - half_width, self.y - half_height, self.x + half_width,
                   self.y + half_height)


@dataclass(frozen=True)
class Circle:
    x: float
    y: float
    r: float
    stroke: Colour
    fill: Colour
    width: float = 1.0


@dataclass(frozen=True)
class Line:
    """A segment; with `arrow`, ending in an arrowhead at (x2, y2)."""

    x1: float
    y1: float
    x2: float
    y2: float
    colour: Colour
    width: float = 1.0
    arrow: bool = False


@dataclass(frozen=True)
class Part:
    """The elements that stand for one thing: `kind` is its SVG class (edge, node,
    weight-cell, …), `quantity` the canonical name it shows (w5, h1), if any."""

    kind: str
    quantity: str
    lines: tuple[Line, ...] = ()
    circles: tuple[Circle, ...] = ()
    labels: tuple[Label, ...] = ()
    curve: tuple[tuple[float, float], ...] = ()  # a polyline (the error curve)
    curve_colour: Colour = palette.INK


@dataclass(frozen=True)
class Layout:
    parts: tuple[Part, ...]
    width: float
    height: float
    labelled: bool = True  # False: edge labels gave way to weight tables


def label(latex: str, math: bool, size: float, colour: Colour, backed: bool = False,
          x: float = 0.0, y: float = 0.0) -> Label:
    """A label from LaTeX: inline math (`math`) or a plain name."""
    tex, pieces = (f"${inline_latex(latex)}$", runs(inline_latex(latex))) if math else (
        latex_text(latex), (Run(latex),))
    box = text_box(pieces, size, 0.0, 0.0)
    extent = ((box.right - box.left) / 2, (box.bottom - box.top) / 2,
              -(box.top + box.bottom) / 2)
    return Label(tex, pieces, x, y, size, colour, backed, extent)


@dataclass(frozen=True)
class _Numbers:
    """Writes values for labels; `padded`, as wide as any value of that many integer
    digits can be (a minus sign, every decimal): the layout of a network is found once
    for all its variants from these, and their labels fit where these fit."""

    digits: int
    padded: int = -1  # the decimals a padded value shows (the most any value shows)

    def __call__(self, value: float) -> str:
        text = format_value(value, self.digits)
        if self.padded < 0:
            return text
        whole, _, _ = text.lstrip("-").partition(".")
        return "-" + "0" * len(whole) + ("." + "0" * self.padded if self.padded else "")


def _decimals(trace: Trace, digits: int) -> int:
    """The most decimals a value of the figure shows (inputs, parameters, targets)."""
    spec = trace.symbolic.spec
    shown = [*_given(trace, spec.input_units, Role.INPUT),
             *_given(trace, spec.neuron_units[-1], Role.TARGET),
             *(trace.value(t) for t in trace.symbolic.terms
               if t.ref.role in (Role.WEIGHT, Role.BIAS) and not t.ref.example)]
    return max(len(format_value(v, digits).partition(".")[2]) for v in shown)


def _given(trace: Trace, units: Sequence[Input | Neuron], role: Role) -> list[float]:
    """The first example's inputs or targets, as this trace has them (the variants of an
    answer key share their spec's structure, not its values)."""
    example = 1 if trace.symbolic.spec.several else 0
    return [trace.value(trace.symbolic.only(Ref(role, unit, example=example)))
            for unit in units]


def _value(trace: Trace, ref: Ref, number: _Numbers) -> str:
    return number(trace.value(trace.symbolic.only(ref)))


# -- the network: nodes ---------------------------------------------------------------------

@dataclass(frozen=True)
class _Node:
    quantity: str  # h1
    name: Label
    note: Label | None
    r: float


def _node(quantity: str, name: Label, note: Label | None) -> _Node:
    """A node sized to its name and note, stacked and centred."""
    name = replace(name, key=f"name {quantity}")
    note = note and replace(note, key=f"note {quantity}")
    width = max(text_width(name.runs, name.size), text_width(note.runs, note.size) if note
                else 0.0)
    height = (name.box.bottom - name.box.top) + (
        note.box.bottom - note.box.top + 1 if note else 0.0)
    return _Node(quantity, name, note, max(17.0, math.hypot(width / 2, height / 2) + 3))


@dataclass(frozen=True)
class _Aside:
    """A label beside a node: a layer's shared bias over its first neuron, or the
    followed neuron's ∂out/∂net. It joins the node's part, or one of its own."""

    node: str
    text: Label
    kind: str = "node"
    quantity: str = ""


def _columns(trace: Trace, number: _Numbers) -> tuple[list[list[_Node]], list[_Aside]]:
    """The nodes, column by column: inputs with their values, each layer with its biases
    (a shared one once, over the layer), then E_total."""
    graph, spec = trace.symbolic, trace.symbolic.spec
    ink = palette.INK
    first = [_node(u.name, label(u.name, False, NAME_SIZE, ink),
                   label(number(value), True, NOTE_SIZE, ink))
             for u, value in zip(spec.input_units, _given(trace, spec.input_units, Role.INPUT),
                                 strict=True)]
    columns, asides = [first], []
    for neurons, biases in zip(spec.neuron_units, spec.bias_units, strict=True):
        terms = [graph.only(Ref(Role.BIAS, bias)) for bias in biases]
        notes = [label(f"{names.latex(t.ref)} = {number(trace.value(t))}", True,
                       NOTE_SIZE, ink) for t in terms]
        shared = biases[0].neuron is None
        columns.append([_node(n.name, label(n.name, False, NAME_SIZE, ink),
                              None if shared else note)
                        for n, note in zip(neurons, notes, strict=True)])
        if shared:
            asides.append(_Aside(neurons[0].name, replace(notes[0], key=f"bias {terms[0].name}"),
                                 "bias", terms[0].name))
    total = names.name(TOTAL_ERROR)
    columns.append([_node(total, label(names.latex(TOTAL_ERROR), True, NAME_SIZE, ink),
                          None)])
    return columns, asides


def _node_part(node: _Node, x: float, y: float, ring: Colour | None) -> Part:
    labels = [replace(node.name, x=x, y=y)]
    if node.note:
        name_h = node.name.box.bottom - node.name.box.top
        note_h = node.note.box.bottom - node.note.box.top
        top = y - (name_h + note_h + 1) / 2
        labels = [replace(node.name, x=x, y=top + name_h / 2),
                  replace(node.note, x=x, y=top + name_h + 1 + note_h / 2)]
    circle = Circle(x, y, node.r, ring or palette.INK, palette.NODE_FILL, 2.5 if ring else 1.0)
    return Part("node", node.quantity, circles=(circle,), labels=tuple(labels))


# -- the network: edges and what is written on them -------------------------------------------

@dataclass(frozen=True)
class _Edge:
    quantity: str  # w5, or E_o1 for an output's edge into E_total
    source: str
    target: str
    gap: int  # which gap between columns it crosses (0: inputs to the first layer)
    colour: Colour
    width: float
    labels: tuple[Label, ...]  # to place on it: the target of an output
    values: tuple[Label, ...] = ()  # the weight's value: given way to tables when dense
    factors: tuple[Label, ...] = ()  # chain-rule factors, beside it


def network_edges(spec: Spec) -> list[tuple[str, str, str]]:
    """(source node, target node, quantity) of every edge the network figure draws, keyed as
    its SVG groups are (`data-quantity`): a weight's name; E_o1 for o1's edge into E_total."""
    weights = [(w.source.name, w.target.name, names.name(Ref(Role.WEIGHT, w)))
               for layer in spec.weight_units for row in layer for w in row]
    total = names.name(TOTAL_ERROR)
    return weights + [(n.name, total, names.name(Ref(Role.ERROR, n)))
                      for n in spec.neuron_units[-1]]


def _edges(trace: Trace, highlight: Weight | None, number: _Numbers) -> list[_Edge]:
    """An edge per weight, then each output's edge into E_total (labelled with its target);
    with `highlight`, the path of that weight's gradient coloured by factor."""
    spec = trace.symbolic.spec
    on_path = _downstream(spec, highlight)
    edges = []
    for gap, layer in enumerate(spec.weight_units):
        for row in layer:
            for weight in row:
                ref = Ref(Role.WEIGHT, weight)
                value = f"{names.latex(ref)} = {_value(trace, ref, number)}"
                colour, width, shown = _edge_style(weight.source.name, weight.target.name,
                                                   weight, highlight, on_path)
                values = (label(value, True, LABEL_SIZE, colour if highlight else palette.INK,
                                True),) if shown else ()
                edges.append(_Edge(names.name(ref), weight.source.name, weight.target.name, gap,
                                   colour, width, (), values,
                                   _factor_labels(spec, weight, highlight)))
    total = names.name(TOTAL_ERROR)
    outputs = spec.neuron_units[-1]
    for neuron, target in zip(outputs, _given(trace, outputs, Role.TARGET), strict=True):
        colour, width, _ = _edge_style(neuron.name, total, None, highlight, on_path)
        text = f"{names.latex(Ref(Role.TARGET, neuron))} = {number(target)}"
        edges.append(_Edge(names.name(Ref(Role.ERROR, neuron)), neuron.name, total,
                           len(spec.weight_units), colour, width,
                           (label(text, True, LABEL_SIZE,
                                  palette.GREY if highlight else palette.INK, True),), (),
                           _error_labels(neuron, highlight)))
    return [_keyed(edge) for edge in edges]


def _keyed(edge: _Edge) -> _Edge:
    q = edge.quantity
    return replace(edge, labels=tuple(replace(t, key=f"target {q}") for t in edge.labels),
                   values=tuple(replace(t, key=f"value {q}") for t in edge.values),
                   factors=tuple(replace(t, key=f"factor {k} {q}")
                                 for k, t in enumerate(edge.factors)))


def _downstream(spec: Spec, weight: Weight | None) -> set[str]:
    """The neurons a weight's change reaches (its target's and all after it)."""
    if weight is None:
        return set()
    reached = {weight.target.name}
    for layer in spec.weight_units:  # in layer order, so one pass follows every path
        for row in layer:
            reached |= {w.target.name for w in row if w.source.name in reached}
    return reached


def _edge_style(source: str, target: str, weight: Weight | None, highlight: Weight | None,
                on_path: set[str]) -> tuple[Colour, float, bool]:
    """Colour, stroke width and whether the weight's value is written on it (not in a
    path figure: its factors are, and the network figure has the values)."""
    if highlight is None:
        return palette.GREY, 1.0, True
    if weight == highlight:
        return palette.colour(Factor.NET_WEIGHT), 2.5, False
    if source in on_path:
        return palette.colour(Factor.ERROR_OUT), 2.5, False
    return palette.PALE, 1.0, False


def _factor_labels(spec: Spec, weight: Weight, highlight: Weight | None) -> tuple[Label, ...]:
    """On the followed weight: ∂net/∂w; on each edge out of its neuron (a hidden one):
    that path's δ·w, whose sum is ∂E_total/∂out of the neuron."""
    if highlight is None:
        return ()
    if weight == highlight:
        factor = derivative(Role.LOCAL, Ref(Role.NET, weight.target), Ref(Role.WEIGHT, weight))
        return (_factor(names.latex(factor), Factor.NET_WEIGHT),)
    if weight.source == highlight.target:
        role = Role.UPDATE if spec.update_order == "sequential" else Role.WEIGHT
        delta, path_weight = Ref(Role.DELTA, weight.target), Ref(role, weight)
        text = rf"{names.latex(delta)} \cdot {names.latex(path_weight)}"
        return (_factor(text, Factor.ERROR_OUT),)
    return ()


def _error_labels(neuron: Neuron, highlight: Weight | None) -> tuple[Label, ...]:
    """∂E_total/∂out on the edge of the followed weight's output neuron into E_total."""
    if highlight is None or highlight.target != neuron:
        return ()
    factor = derivative(Role.LOCAL, TOTAL_ERROR, Ref(Role.OUT, neuron))
    return (_factor(names.latex(factor), Factor.ERROR_OUT),)


def _factor(latex: str, factor: Factor) -> Label:
    return label(latex, True, LABEL_SIZE, palette.colour(factor), True)


# -- placing it all -----------------------------------------------------------------------------

MAX_ATTEMPTS = 40  # widenings of a gap before its labels give way
GROWTH = 1.15


@dataclass(frozen=True)
class _Placed:
    """What is fixed so far: lines and circles by the part they belong to, and labels."""

    lines: tuple[tuple[str, Line], ...]
    circles: tuple[Circle, ...]
    boxes: tuple[Box, ...]


def layout(trace: Trace, highlight: Weight | None = None) -> Layout:
    """The network (first example), inputs on the left, E_total on the right; with
    `highlight`, that weight's gradient path, each chain-rule factor written where it
    arises in its colour. Too dense to label, the network figure shows tables instead.
    Where labels go is found once per network structure, for labels as wide as any
    variant's (answer keys draw hundreds of variants), then filled with this trace's."""
    digits = min(trace.symbolic.spec.digits, 4)
    padded = _Numbers(digits, _decimals(trace, digits))
    shape = _placed(trace.symbolic, highlight, *_figure(trace, highlight, padded))
    real = {text.key: text for text in _texts(*_figure(trace, highlight, _Numbers(digits)))}
    if highlight is not None:
        real["sum"] = _sum_label(highlight)
    parts = tuple(replace(part, labels=tuple(replace(real[text.key], x=text.x, y=text.y)
                                             for text in part.labels))
                  for part in shape.parts)
    filled = replace(shape, parts=parts)
    return filled if shape.labelled or highlight else _with_tables(filled, trace)


_Figure = tuple[tuple[tuple["_Node", ...], ...], tuple["_Aside", ...], tuple["_Edge", ...]]


def _figure(trace: Trace, highlight: Weight | None, number: _Numbers) -> _Figure:
    """What the figure shows: nodes by column, labels beside nodes, edges."""
    columns, asides = _columns(trace, number)
    if highlight is not None:
        asides.insert(0, _Aside(highlight.target.name, _ring_label(highlight.target)))
    return (tuple(tuple(column) for column in columns), tuple(asides),
            tuple(_edges(trace, highlight, number)))


def _texts(columns: tuple[tuple[_Node, ...], ...], asides: tuple[_Aside, ...],
           edges: tuple[_Edge, ...]) -> Iterator[Label]:
    for column in columns:
        for node in column:
            yield from (node.name, *((node.note,) if node.note else ()))
    yield from (aside.text for aside in asides)
    for edge in edges:
        yield from (*edge.labels, *edge.values, *edge.factors)


@memo.per_trace
def _placed(symbolic: Graph, highlight: Weight | None,
            columns: tuple[tuple[_Node, ...], ...], asides: tuple[_Aside, ...],
            edges: tuple[_Edge, ...]) -> Layout:
    """Every label placed, clear of the others (the search of `layout`): all of them if
    they fit a readable width; else a network figure's weights go to tables and a path
    figure names the sum of its δ·w paths once, beside the neuron, instead of per path."""
    ring = highlight.target.name if highlight else None
    found = None
    if max(sum(e.gap == gap for e in edges) for gap in range(len(columns) - 1)) <= (
            MAX_LABELLED_EDGES):
        found = _fitted(columns, edges, asides, ring, True)
    if found is not None and found.width <= MAX_LABELLED_WIDTH:
        return found
    if highlight is None:
        found = _fitted(columns, tuple(replace(e, values=()) for e in edges), asides, ring,
                        False)
    else:
        fewer = tuple(replace(e, factors=()) if e.source == ring else e for e in edges)
        found = _fitted(columns, fewer, (*asides, _Aside(ring or "", _sum_label(highlight))),
                        ring, False)
    if found is None:  # not seen in the tests; but never draw a clash
        found = _fitted(columns, tuple(replace(e, labels=(), values=(), factors=())
                                       for e in edges), (), ring, False)
    assert found is not None
    return found


def _sum_label(weight: Weight) -> Label:
    """∂E_total/∂out of the weight's neuron: the sum of the coloured paths out of it."""
    factor = derivative(Role.GRADIENT, TOTAL_ERROR, Ref(Role.OUT, weight.target))
    return replace(_factor(names.latex(factor), Factor.ERROR_OUT), key="sum")


def _fitted(columns: tuple[tuple[_Node, ...], ...], edges: tuple[_Edge, ...],
            asides: tuple[_Aside, ...], ring: str | None, labelled: bool) -> Layout | None:
    """The layout with every label placed, widening a gap between columns wherever one
    does not fit; None if one still does not after MAX_ATTEMPTS."""
    gaps = [_first_gap(edges, gap) for gap in range(len(columns) - 1)]
    for _ in range(MAX_ATTEMPTS):
        result = _attempt(columns, edges, asides, gaps, ring,
                          ROW_GAP if labelled else BARE_ROW_GAP)
        if isinstance(result, Layout):
            return replace(result, labelled=labelled)
        for gap in result:
            gaps[gap] *= GROWTH
        if labelled and sum(gaps) > MAX_LABELLED_WIDTH:
            return None
    return None


def _first_gap(edges: tuple[_Edge, ...], gap: int) -> float:
    """A first guess at the room between two columns: each edge's labels side by side,
    with room to slide (crossing edges take some)."""
    room = [sum(lb.extent[0] * 2 + 2 * LABEL_CLEAR for lb in (*e.labels, *e.values, *e.factors))
            for e in edges if e.gap == gap]
    return max(60.0, 1.6 * max(room, default=0.0))


def _attempt(columns: tuple[tuple[_Node, ...], ...], edges: tuple[_Edge, ...],
             asides: tuple[_Aside, ...], gaps: list[float], ring: str | None,
             row_gap: float) -> Layout | tuple[int, ...]:
    """The layout for these gaps, or the gaps to widen where a label found no place."""
    where = _positions(columns, gaps, row_gap)
    nodes = {n.quantity: n for column in columns for n in column}
    lines = {e.quantity: _line(e, where) for e in edges}
    parts = {q: _node_part(n, *where[q][:2], palette.colour(Factor.OUT_NET)
                           if q == ring else None) for q, n in nodes.items()}
    for edge in edges:  # a steep edge past a node of a column: widen the gap, fast
        if _through_node(lines[edge.quantity], where, {edge.source, edge.target}):
            return (edge.gap,) * 3
    placed = _Placed(tuple((q, line) for q, line in lines.items()),
                     tuple(c for p in parts.values() for c in p.circles),
                     tuple(lb.box for p in parts.values() for lb in p.labels))
    extra: list[Part] = []
    for aside in asides:
        spot = _node_label(aside.text, where[aside.node], placed)
        if spot is None:  # widen the gaps on either side of its node
            column = next(c for c, col in enumerate(columns)
                          if any(n.quantity == aside.node for n in col))
            return tuple(g for g in (column - 1, column) if 0 <= g < len(gaps))
        placed = replace(placed, boxes=(*placed.boxes, spot.box))
        if aside.kind == "node":
            parts[aside.node] = replace(parts[aside.node],
                                        labels=(*parts[aside.node].labels, spot))
        else:
            extra.append(Part(aside.kind, aside.quantity, labels=(spot,)))
    edge_labels: dict[str, list[Label]] = {e.quantity: [] for e in edges}
    for edge, text, beside in [(e, lb, False) for e in edges for lb in e.factors] + [
            (e, lb, False) for e in edges for lb in (*e.labels, *e.values)]:
        spot = _edge_label(text, edge.quantity, lines[edge.quantity], placed, beside)
        if spot is None:
            return (edge.gap,)
        placed = replace(placed, boxes=(*placed.boxes, spot.box))
        edge_labels[edge.quantity].append(spot)
    drawn = [Part("edge", e.quantity, lines=(lines[e.quantity],),
                  labels=tuple(edge_labels[e.quantity])) for e in edges]
    return _framed([*drawn, *parts.values(), *extra])


def _through_node(line: Line, where: dict[str, tuple[float, float, float]],
                  ends: set[str]) -> bool:
    return any(segment_meets_circle(line.x1, line.y1, line.x2, line.y2, x, y, r + NODE_CLEAR)
               for q, (x, y, r) in where.items() if q not in ends)


def _ring_label(neuron: Neuron) -> Label:
    factor = derivative(Role.LOCAL, Ref(Role.OUT, neuron), Ref(Role.NET, neuron))
    return replace(_factor(names.latex(factor), Factor.OUT_NET), key="ring")


def _positions(columns: tuple[tuple[_Node, ...], ...], gaps: list[float], row_gap: float
               ) -> dict[str, tuple[float, float, float]]:
    """(x, y, r) of every node: columns `gaps` apart (between their widest circles), rows
    one pitch apart, each column centred."""
    radii = [max(n.r for n in column) for column in columns]
    pitch = 2 * max(radii) + row_gap
    tallest = max(len(column) for column in columns)
    where, x = {}, MARGIN + radii[0]
    for c, column in enumerate(columns):
        if c:
            x += radii[c - 1] + gaps[c - 1] + radii[c]
        for k, node in enumerate(column):
            y = MARGIN + ((tallest - len(column)) / 2 + k + 0.5) * pitch
            where[node.quantity] = (x, y, node.r)
    return where


def _line(edge: _Edge, where: dict[str, tuple[float, float, float]]) -> Line:
    """From the source's circle to the target's, the arrowhead touching the target."""
    (x1, y1, r1), (x2, y2, r2) = where[edge.source], where[edge.target]
    length = math.hypot(x2 - x1, y2 - y1)
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    return Line(x1 + ux * r1, y1 + uy * r1, x2 - ux * (r2 + 1), y2 - uy * (r2 + 1),
                edge.colour, edge.width, True)


def _free(box: Box, own: str, placed: _Placed) -> bool:
    """Whether a label's box keeps clear of every label, node and line but its own."""
    near = box.grown(LABEL_CLEAR)
    left, top, right, bottom = near.left, near.top, near.right, near.bottom
    if any(left < b.right and b.left < right and top < b.bottom and b.top < bottom
           for b in placed.boxes):
        return False
    if any(circle_meets_box(c.x, c.y, c.r + c.width / 2 + NODE_CLEAR, box)
           for c in placed.circles):
        return False
    clear = box.grown(CLEAR + 1.5)
    return not any(q != own and segment_meets_box(ln.x1, ln.y1, ln.x2, ln.y2,
                                                  clear.grown(ln.width / 2))
                   for q, ln in placed.lines)


def _at_box(text: Label, x: float, y: float) -> Box:
    half_width, half_height, _ = text.extent
    return Box(x - half_width, y - half_height, x + half_width, y + half_height)


FRACTIONS = tuple(k / 40 for k in range(6, 35))  # along the edge, from its source


def _edge_label(text: Label, own: str, line: Line, placed: _Placed,
                beside: bool) -> Label | None:
    """The label on its edge (centred on the line), or `beside` it (above, else below,
    clear of it), where it is free, nearest the middle."""
    box = text.box
    slope = abs((line.y2 - line.y1) / (line.x2 - line.x1 or 1e-9))
    grow = CLEAR + line.width / 2 + 2.0  # a little more than `_free` keeps off a line
    lift = (box.bottom - box.top) / 2 + ((box.right - box.left) / 2 + grow) * slope + grow
    shifts = (-lift, lift) if beside else (0.0,)
    for t in sorted(FRACTIONS, key=lambda t: (abs(t - 0.5), t)):
        for shift in shifts:
            x, y = line.x1 + (line.x2 - line.x1) * t, line.y1 + (line.y2 - line.y1) * t + shift
            box = _at_box(text, x, y)
            if (not circle_meets_box(line.x2, line.y2, ARROW + 8, box)  # its arrowhead shows
                    and not circle_meets_box(line.x1, line.y1, 8, box)
                    and _free(box, "" if beside else own, placed)):
                return replace(text, x=x, y=y)
    return None


def _node_label(text: Label, at: tuple[float, float, float], placed: _Placed) -> Label | None:
    """A label beside a node, above or below it first, where it is free."""
    x, y, r = at
    box = text.box
    half_w, half_h = (box.right - box.left) / 2, (box.bottom - box.top) / 2
    for extra in (4.0, 10.0, 18.0, 28.0, 40.0, 56.0):
        for angle in (-90, 90, -60, -120, 60, 120, -30, -150, 30, 150, 0, 180):
            ux, uy = math.cos(math.radians(angle)), math.sin(math.radians(angle))
            # the distance at which the box just clears the circle along this direction
            reach = r + extra + min(half_w / max(abs(ux), 1e-9), half_h / max(abs(uy), 1e-9))
            if _free(_at_box(text, x + ux * reach, y + uy * reach), "", placed):
                return replace(text, x=x + ux * reach, y=y + uy * reach)
    return None


def _framed(parts: list[Part]) -> Layout:
    """The parts moved so that everything lies MARGIN inside the picture."""
    bounds = [box for part in parts for box in _extent(part)]
    left = min(b.left for b in bounds) - MARGIN
    top = min(b.top for b in bounds) - MARGIN
    right = max(b.right for b in bounds) + MARGIN
    bottom = max(b.bottom for b in bounds) + MARGIN
    return Layout(tuple(_moved(p, -left, -top) for p in parts), right - left, bottom - top)


def _extent(part: Part) -> Iterator[Box]:
    for ln in part.lines:
        yield Box(min(ln.x1, ln.x2), min(ln.y1, ln.y2), max(ln.x1, ln.x2), max(ln.y1, ln.y2))
    for c in part.circles:
        yield Box(c.x - c.r, c.y - c.r, c.x + c.r, c.y + c.r)
    for lb in part.labels:
        yield lb.box
    for x, y in part.curve:
        yield Box(x, y, x, y)


def _moved(part: Part, dx: float, dy: float) -> Part:
    return replace(
        part,
        lines=tuple(replace(ln, x1=ln.x1 + dx, y1=ln.y1 + dy, x2=ln.x2 + dx, y2=ln.y2 + dy)
                    for ln in part.lines),
        circles=tuple(replace(c, x=c.x + dx, y=c.y + dy) for c in part.circles),
        labels=tuple(replace(lb, x=lb.x + dx, y=lb.y + dy) for lb in part.labels),
        curve=tuple((x + dx, y + dy) for x, y in part.curve))


# -- weight tables, for a network too dense to label its edges --------------------------------

TABLE_GAP, CELL_PAD, ROW_HEIGHT = 24.0, 10.0, 19.0


def _with_tables(shape: Layout, trace: Trace) -> Layout:
    """The layout with a table of each layer's weights below it, side by side while they
    fit the figure's width."""
    parts, x, y, bottom = list(shape.parts), MARGIN, shape.height, shape.height
    right = shape.width
    for number_, layer in enumerate(trace.symbolic.spec.weight_units):
        table, width, height = _table(trace, layer, trace.symbolic.spec.layers[number_].name)
        if x > MARGIN and x + width > max(shape.width, 480.0) - MARGIN:
            x, y = MARGIN, bottom + TABLE_GAP
        parts += [_moved(part, x, y) for part in table]
        right, bottom = max(right, x + width + MARGIN), max(bottom, y + height)
        x += width + TABLE_GAP
    return Layout(tuple(parts), right, bottom + MARGIN, labelled=False)


def _table(trace: Trace, layer: tuple[tuple[Weight, ...], ...], name: str
           ) -> tuple[list[Part], float, float]:
    """One layer's weights: a row per neuron it feeds, a column per source, at the origin."""
    number = _Numbers(min(trace.symbolic.spec.digits, 4))
    cells = [[label(f"{names.latex(Ref(Role.WEIGHT, w))} = "
                    f"{_value(trace, Ref(Role.WEIGHT, w), number)}",
                    True, LABEL_SIZE, palette.INK) for w in row] for row in layer]
    sources = [label(w.source.name, False, LABEL_SIZE, palette.GREY) for w in layer[0]]
    targets = [label(row[0].target.name, False, LABEL_SIZE, palette.GREY) for row in layer]
    title = label(f"weights into layer {name} (row: to, column: from)", False, LABEL_SIZE,
                  palette.INK)
    head = max(_width(t) for t in targets) + CELL_PAD
    widths = [max(_width(c) for c in column) + CELL_PAD
              for column in zip(*cells, sources, strict=True)]
    width = max(head + sum(widths), _width(title))
    top = ROW_HEIGHT  # the title's row
    xs = [head + sum(widths[:k]) + widths[k] / 2 for k in range(len(widths))]
    parts = [Part("table", "", labels=(
        replace(title, x=_width(title) / 2, y=ROW_HEIGHT / 2),
        *(replace(s, x=xs[k], y=top + ROW_HEIGHT / 2) for k, s in enumerate(sources)),
        *(replace(t, x=head / 2, y=top + (k + 1.5) * ROW_HEIGHT) for k, t in enumerate(targets))),
        lines=(Line(0, top + ROW_HEIGHT, head + sum(widths), top + ROW_HEIGHT, palette.GREY),
               Line(head, top, head, top + (len(layer) + 1) * ROW_HEIGHT, palette.GREY)))]
    parts += [Part("weight-cell", names.name(Ref(Role.WEIGHT, w)),
                   labels=(replace(cells[r][k], x=xs[k], y=top + (r + 1.5) * ROW_HEIGHT),))
              for r, row in enumerate(layer) for k, w in enumerate(row)]
    return parts, width, top + (len(layer) + 1) * ROW_HEIGHT


def _width(text: Label) -> float:
    return text_width(text.runs, text.size)


# -- the error curve ------------------------------------------------------------------------

PLOT_LEFT, PLOT_TOP, PLOT_WIDTH, PLOT_HEIGHT = 70.0, 30.0, 400.0, 200.0


def error_curve_points(errors: Sequence[float], limit: int = 200) -> list[tuple[int, float]]:
    """At most `limit` (update, E_total) points, evenly spaced, the last one included."""
    step = max(1, len(errors) // limit)
    marks = sorted({*range(0, len(errors), step), len(errors) - 1})
    return [(k, errors[k]) for k in marks]


def error_layout(errors: Sequence[float]) -> Layout:
    """E_total against updates, the error on a log scale with a tick at each power of ten."""
    points = error_curve_points(errors)
    positive = [e for _, e in points if e > 0] or [1.0]
    low = math.floor(math.log10(min(positive)))
    high = max(math.ceil(math.log10(max(positive))), low + 1)
    last = max(points[-1][0], 1)
    bottom = PLOT_TOP + PLOT_HEIGHT

    def at(k: int, e: float) -> tuple[float, float]:
        share = (math.log10(max(e, 10.0 ** low)) - low) / (high - low)
        return PLOT_LEFT + PLOT_WIDTH * k / last, bottom - PLOT_HEIGHT * share

    ink = palette.INK
    parts = [Part("axis", "", lines=(Line(PLOT_LEFT, bottom, PLOT_LEFT + PLOT_WIDTH, bottom, ink),
                                      Line(PLOT_LEFT, bottom, PLOT_LEFT, PLOT_TOP, ink)))]
    every = max(1, math.ceil((high - low) / 8))
    for power in range(low, high + 1, every):
        y = at(0, 10.0 ** power)[1]
        grid = () if power == low else (Line(PLOT_LEFT, y, PLOT_LEFT + PLOT_WIDTH, y,
                                             palette.PALE, 0.5),)
        text = label(_power_of_ten(power), True, LABEL_SIZE, ink)
        parts.append(Part("tick", "", lines=(Line(PLOT_LEFT - 5, y, PLOT_LEFT, y, ink), *grid),
                          labels=(replace(text, x=PLOT_LEFT - 9 - _width(text) / 2, y=y),)))
    for k in _ticks(last):
        x = at(k, 1.0)[0]
        text = label(str(k), True, LABEL_SIZE, ink)
        parts.append(Part("tick", "", lines=(Line(x, bottom, x, bottom + 5, ink),),
                          labels=(replace(text, x=x, y=bottom + 15),)))
    caption = label("updates", False, LABEL_SIZE, ink)
    name = label(names.latex(TOTAL_ERROR), True, LABEL_SIZE, ink)
    parts.append(Part("axis", "", labels=(
        replace(caption, x=PLOT_LEFT + PLOT_WIDTH / 2, y=bottom + 34),
        replace(name, x=PLOT_LEFT, y=PLOT_TOP - 16))))
    parts.append(Part("curve", names.name(TOTAL_ERROR), curve=tuple(at(k, e) for k, e in points),
                      curve_colour=palette.colour(Factor.ERROR_OUT)))
    return _framed(parts)


def _power_of_ten(power: int) -> str:
    return {0: "1", 1: "10"}.get(power, f"10^{{{power}}}")


def _ticks(last: int) -> list[int]:
    """Round numbers of updates, about five, from 0 to `last`."""
    raw = last / 5
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return list(range(0, last + 1, int(step)))


def error_svg(errors: Sequence[float]) -> str:
    return svg(error_layout(errors))


def error_tikz(errors: Sequence[float]) -> str:
    return tikz(error_layout(errors))


# -- SVG ----------------------------------------------------------------------------------

FONTS = "DejaVu Sans, Arial, Helvetica, sans-serif"  # the widest first (see geometry)


def svg(shape: Layout, prefix: str = "") -> str:
    """The layout as a standalone SVG (no external fonts or files). Each part is a group
    `<g class="edge" data-quantity="w5" id="<prefix>edge-w5">`, so that a page can mark a
    path; `prefix` keeps the ids of several figures on one page apart."""
    width, height = f"{shape.width:.0f}", f"{shape.height:.0f}"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="{FONTS}">',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    for part in shape.parts:
        ident = f' id="{xml_escape(prefix)}{part.kind}-{xml_escape(part.quantity)}"' if (
            part.quantity) else ""
        quantity = f' data-quantity="{xml_escape(part.quantity)}"' if part.quantity else ""
        out.append(f'<g class="{part.kind}"{quantity}{ident}>')
        out += [_svg_line(line) for line in part.lines]
        out += [f'<circle cx="{c.x:.1f}" cy="{c.y:.1f}" r="{c.r:.1f}" fill="{c.fill.hex}" '
                f'stroke="{c.stroke.hex}" stroke-width="{c.width}"/>' for c in part.circles]
        if part.curve:
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in part.curve)
            out.append(f'<polyline points="{points}" fill="none" '
                       f'stroke="{part.curve_colour.hex}" stroke-width="2"/>')
        out += [_svg_label(text) for text in part.labels]
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _svg_line(line: Line) -> str:
    head = _arrowhead(line)
    x2, y2 = (head[0] if head else (line.x2, line.y2))
    drawn = (f'<line x1="{line.x1:.1f}" y1="{line.y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
             f'stroke="{line.colour.hex}" stroke-width="{line.width}"/>')
    if head:
        path = " L ".join(f"{x:.1f} {y:.1f}" for x, y in head[1:])
        drawn += f'<path d="M {path} Z" fill="{line.colour.hex}"/>'
    return drawn


def _arrowhead(line: Line) -> list[tuple[float, float]]:
    """Where the shaft ends, then the arrowhead's tip and base corners; none without arrow."""
    if not line.arrow:
        return []
    length = math.hypot(line.x2 - line.x1, line.y2 - line.y1) or 1.0
    ux, uy = (line.x2 - line.x1) / length, (line.y2 - line.y1) / length
    size = ARROW + line.width
    bx, by = line.x2 - ux * size, line.y2 - uy * size
    half = size * 0.4
    return [(bx + ux, by + uy), (line.x2, line.y2), (bx - uy * half, by + ux * half),
            (bx + uy * half, by - ux * half)]


def _svg_label(text: Label) -> str:
    back = ""
    if text.backed:
        box = text.box.grown(1.0)
        back = (f'<rect x="{box.left:.1f}" y="{box.top:.1f}" width="{box.right - box.left:.1f}" '
                f'height="{box.bottom - box.top:.1f}" fill="white"/>')
    spans, level = [], 0
    for run in text.runs:
        shift = _shift(run.level, text.size) - _shift(level, text.size)
        size = f' font-size="{text.size * 0.75:g}"' if run.level else ""
        dy = f' dy="{shift:.2f}"' if shift else ""
        spans.append(f"<tspan{dy}{size}>{xml_escape(run.text)}</tspan>")
        level = run.level
    return (f'{back}<text x="{text.x:.1f}" y="{text.baseline:.1f}" font-size="{text.size:g}" '
            f'fill="{text.colour.hex}" text-anchor="middle" xml:space="preserve">'
            f'{"".join(spans)}</text>')


def _shift(level: int, size: float) -> float:
    """A run's baseline below the text's (SVG y grows downwards)."""
    return {0: 0.0, -1: SUB_DROP * size, 1: -SUP_RISE * size}[level]


def xml_escape(text: str) -> str:
    """Text for an SVG text node or attribute (xml.sax.saxutils would import urllib)."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


# -- TikZ -----------------------------------------------------------------------------------

def tikz(shape: Layout) -> str:
    """The layout as a tikzpicture (needs \\usepackage{tikz}), at the SVG's coordinates
    (CM_PER_PX); one too large for the page is scaled, labels with it."""
    width, height = shape.width * CM_PER_PX, shape.height * CM_PER_PX
    scale = min(1.0, PAGE_WIDTH / width, PAGE_HEIGHT / height)
    fit = f"[scale={scale:.3f}, transform shape]" if scale < 1 else ""
    out = [rf"\begin{{tikzpicture}}{fit}", palette.xcolor_definitions()]
    for part in shape.parts:
        out.append(f"% {part.kind} {part.quantity}".rstrip())
        out += [_tikz_line(line) for line in part.lines]
        out += [rf"\filldraw[fill={c.fill.xcolor}, draw={c.stroke.xcolor}, "
                rf"line width={_pt(c.width)}] {_at(c.x, c.y)} circle[radius={_cm(c.r)}];"
                for c in part.circles]
        if part.curve:
            path = " -- ".join(_at(x, y) for x, y in part.curve)
            out.append(rf"\draw[{part.curve_colour.xcolor}, line width={_pt(2.0)}] {path};")
        out += [_tikz_label(text) for text in part.labels]
    out.append(r"\end{tikzpicture}")
    return "\n".join(out)


def _tikz_line(line: Line) -> str:
    head = _arrowhead(line)
    end = head[0] if head else (line.x2, line.y2)
    drawn = (rf"\draw[{line.colour.xcolor}, line width={_pt(line.width)}] "
             rf"{_at(line.x1, line.y1)} -- {_at(*end)};")
    if head:
        drawn += rf" \fill[{line.colour.xcolor}] {' -- '.join(_at(*p) for p in head[1:])} -- cycle;"
    return drawn


def _tikz_label(text: Label) -> str:
    back = ""
    if text.backed:
        box = text.box.grown(1.0)
        back = rf"\fill[white] {_at(box.left, box.top)} rectangle {_at(box.right, box.bottom)}; "
    size = text.size * CM_PER_PX * 72.27 / 2.54
    return (rf"{back}\node[inner sep=0pt, text={text.colour.xcolor}, "
            rf"font=\fontsize{{{size:.1f}}}{{{size * 1.2:.1f}}}\selectfont] at "
            rf"{_at(text.x, text.y)} {{{text.latex}}};")


def _at(x: float, y: float) -> str:
    return f"({_cm(x)}, {_cm(-y)})"


def _cm(px: float) -> str:
    return f"{px * CM_PER_PX:.3f}"


def _pt(px: float) -> str:
    return f"{px * CM_PER_PX * 72.27 / 2.54:.2f}pt"
