"""The picture of a circuit: one layout, drawn as SVG (Markdown, HTML) or TikZ (LaTeX).

Values flow left to right, a column per depth (the leaves first). Each wire carries its
forward value above it and its gradient below it: the share of ∂out/∂value that flows back
along that wire (upstream × local; a value that feeds several nodes has the sum of its
wires' shares as its gradient). The output's own wire carries its value and 1. Labels slide
along their wire until they overlap no other label and no node (tests check none do).

SVG groups carry the quantity they show (`<g class="edge" data-quantity="dq/dx">`, `<g
class="node" data-quantity="q">`) so a page can highlight a step's quantities.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from . import names
from .circuit import gate_of, gradient_of, local_of
from .circuitspec import Circuit
from .evaluation import Trace
from .numbers import format_value

COLUMN, ROW, RADIUS = 3.4, 2.0, 0.36  # layout units (1 unit: 1 cm in TikZ, 40 px in SVG)
PIXELS = 40.0
CHAR, LINE = 0.19, 0.36  # a label character's width and a label's height, in units
GAP = 0.06  # between a wire and its labels
ENOUGH = 0.8  # a label this far from every other wire is clearly not theirs
FIGURE_DIGITS = 3
MAX_DRAWN = 40  # values: a larger circuit is not drawn (its table and steps still are)
PAGE_WIDTH = 15.0  # cm a TikZ picture may take; a wider one is scaled down
SLIDES = (0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.2, 0.8, 0.14, 0.86, 0.1, 0.9)
SYMBOLS = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "pow": "^", "neg": "−",
           "sigma": "σ", "tanh": "tanh", "exp": "exp", "log": "log", "relu": "relu",
           "max": "max", "min": "min", "abs": "|·|", "name": "=", "number": "c"}
TEX_SYMBOLS = {"add": "$+$", "sub": "$-$", "mul": r"$\times$", "div": r"$\div$",
               "pow": r"$\wedge$", "neg": "$-$", "sigma": r"$\sigma$", "abs": r"$|\cdot|$",
               "name": "$=$", "number": "$c$"}


@dataclass(frozen=True)
class Box:
    """A label's extent: centre and half sizes."""

    x: float
    y: float
    half_width: float
    half_height: float

    def overlaps(self, other: Box) -> bool:
        return (abs(self.x - other.x) < self.half_width + other.half_width
                and abs(self.y - other.y) < self.half_height + other.half_height)


@dataclass(frozen=True)
class Spot:
    """A value: leaf or gate, its centre, its name and (gates) its symbol."""

    quantity: str  # its canonical name
    name: str  # the identifier shown
    latex: str  # the identifier in TikZ math
    gate: str  # "" for a leaf, else the gate's kind (see circuit.gate_of)
    x: float
    y: float


Point = tuple[float, float]


@dataclass(frozen=True)
class Wire:
    """A wire from spot `source` into spot `target` (None: the output's own wire), through
    `points` (rim to rim; a wire that skips columns bends through a free row of each)."""

    quantity: str  # the local derivative it stands for (dq/dx), or the output's name
    source: int
    target: int | None
    points: tuple[Point, ...]
    value: str  # the forward value, formatted
    gradient: str  # its share of the gradient, formatted
    above: Box  # where the value sits (on the wire's last stretch, into its gate)
    below: Box  # where the gradient sits


@dataclass(frozen=True)
class CircuitLayout:
    spots: tuple[Spot, ...]
    wires: tuple[Wire, ...]
    width: float
    height: float


def drawable(circuit: Circuit) -> bool:
    return len(circuit.names) <= MAX_DRAWN


Slot = tuple[str, ...]  # a value's name, or (parent, node, column) for a wire's bend


def layout(trace: Trace, circuit: Circuit, answers: bool = True) -> CircuitLayout:
    """Where every value, wire and label goes; without `answers` (a question sheet) only
    the given values are written on their wires."""
    depth: dict[str, int] = {name: 0 for name, _ in circuit.values}
    edges = [(parent, node.name) for node in circuit.nodes
             for parent in dict.fromkeys(node.formula.names)]
    for node in circuit.nodes:
        depth[node.name] = 1 + max(depth[parent] for parent in node.formula.names)
    columns: dict[int, list[Slot]] = {}
    before: dict[Slot, list[Slot]] = {}  # each slot's predecessors, for its height
    for name in circuit.names:
        columns.setdefault(depth[name], []).append((name,))
    for parent, child in edges:
        previous: Slot = (parent,)
        for column in range(depth[parent] + 1, depth[child]):
            bend = (parent, child, str(column))
            columns[column].append(bend)
            before[bend] = [previous]
            previous = bend
        before.setdefault((child,), []).append(previous)
    place = _rows(columns, before)
    tallest = max(len(column) for column in columns.values())
    gates = {node.name: gate_of(node).kind for node in circuit.nodes}
    spots = [Spot(name, name, names.identifier_latex(name), gates.get(name, ""),
                  *place[(name,)]) for name in circuit.names]
    index = {name: i for i, name in enumerate(circuit.names)}
    paths = {(parent, child): [place[(parent,)], *(
        place[(parent, child, str(c))] for c in range(depth[parent] + 1, depth[child])),
        place[(child,)]] for parent, child in edges}
    wires = _wires(trace, circuit, spots, index, paths, answers)
    width = max(spot.x for spot in spots) + COLUMN * 0.75 + 0.3
    return CircuitLayout(tuple(spots), wires, width, tallest * ROW + 0.8)


def _rows(columns: dict[int, list[Slot]], before: dict[Slot, list[Slot]]
          ) -> dict[Slot, Point]:
    """Each slot's centre: columns left to right, each ordered by its predecessors' mean
    height (so that fewer wires cross) and centred on the tallest."""
    tallest = max(len(column) for column in columns.values())
    place: dict[Slot, Point] = {}
    for column, members in sorted(columns.items()):
        top = (tallest - len(members)) * ROW / 2 + ROW / 2 + 0.4
        if column:
            members = sorted(members, key=lambda slot: sum(
                place[p][1] for p in before[slot]) / len(before[slot]))
        for row, slot in enumerate(members):
            place[slot] = (1.0 + column * COLUMN, top + row * ROW)
    return place


def _wires(trace: Trace, circuit: Circuit, spots: Sequence[Spot], index: dict[str, int],
           paths: dict[tuple[str, str], list[Point]], answers: bool) -> tuple[Wire, ...]:
    graph, digits = trace.symbolic, min(FIGURE_DIGITS, trace.symbolic.spec.digits)
    taken = [Box(s.x, s.y, RADIUS, RADIUS) for s in spots]
    bent = {key: _clipped_path(points) for key, points in paths.items()}
    segments = [(a, b) for points in bent.values() for a, b in itertools.pairwise(points)]
    pending: list[tuple[float, int, str, str, str, tuple[Point, ...], float]] = []
    for node in circuit.nodes:
        upstream = 1.0 if node.name == circuit.output else trace.value(
            gradient_of(graph, node.name))
        for parent in dict.fromkeys(node.formula.names):
            local = local_of(graph, node.name, parent)
            points = bent[parent, node.name]
            pending.append((_slope(points[-2], points[-1]), len(pending), local.name,
                            parent, node.name, points,
                            upstream * trace.value(local)))
    placed: dict[int, Wire] = {}
    given = {name for name, _ in circuit.values}
    for _, order, quantity, parent, child, points, share in sorted(pending):
        last = (points[-2], points[-1])  # level wires first: their labels fit in less room
        shown = answers or parent in given
        placed[order] = _labelled(quantity, index[parent], index[child], points,
                                  format_value(trace[parent], digits) if shown else "",
                                  format_value(share, digits) if answers else "", taken,
                                  [seg for seg in segments if seg != last])
    wires = [placed[order] for order in sorted(placed)]
    out = spots[index[circuit.output]]
    points = ((out.x + RADIUS, out.y), (out.x + COLUMN * 0.75, out.y))
    wires.append(_labelled(circuit.output, index[circuit.output], None, points,
                           format_value(trace[circuit.output], digits) if answers else "",
                           "1" if answers else "", taken, segments))
    return tuple(wires)


def _clipped_path(points: Sequence[Point]) -> tuple[Point, ...]:
    """A wire's points with its ends moved from the circles' centres to their rims."""
    first, _ = _clipped(points[0], points[1])
    _, last = _clipped(points[-2], points[-1])
    return (first, *points[1:-1], last)


def _clipped(start: Point, end: Point) -> tuple[Point, Point]:
    """The wire between two circles, from rim to rim."""
    dx, dy = end[0] - start[0], end[1] - start[1]
    length = math.hypot(dx, dy)
    ux, uy = dx / length, dy / length
    return ((start[0] + ux * RADIUS, start[1] + uy * RADIUS),
            (end[0] - ux * RADIUS, end[1] - uy * RADIUS))


Segment = tuple[Point, Point]


def _labelled(quantity: str, source: int, target: int | None, points: tuple[Point, ...],
              value: str, gradient: str, taken: list[Box], wires: Sequence[Segment]) -> Wire:
    """The wire with its two labels at the first place along it where they hit no label or
    node placed so far and no other wire; else where they hit no label or node; else the
    middle."""
    start, end = points[-2], points[-1]
    slope = _slope(start, end)
    candidates = []
    for t in SLIDES:
        x = start[0] + t * (end[0] - start[0])
        y = start[1] + t * (end[1] - start[1])
        # far enough above and below that the wire, sloping across the label, misses it
        pair = []
        for text, sign in ((value, -1), (gradient, 1)):
            half = _half(text)
            lift = LINE / 2 + slope * half + GAP
            pair.append(Box(x, y + sign * lift, half, LINE / 2))
        candidates.append((pair[0], pair[1]))

    def free(pair: tuple[Box, Box], strict: bool) -> bool:
        shown = [box for box in pair if box.half_width]  # an empty label takes no room
        if any(box.overlaps(b) for box in shown for b in taken):
            return False
        return not strict or not any(_crosses(box, wire) for box in shown for wire in wires)

    clear = [pair for pair in candidates if free(pair, True)]
    if clear:  # the place farthest from other wires: a label read as another's is worse
        above, below = max(clear, key=lambda pair: _clearance(pair, wires))
    else:
        above, below = next((pair for pair in candidates if free(pair, False)), candidates[0])
    taken += [box for box in (above, below) if box.half_width]
    return Wire(quantity, source, target, points, value, gradient, above, below)


def _clearance(pair: tuple[Box, Box], wires: Sequence[Segment]) -> float:
    """How far the labels' centres are from the nearest other wire, up to ENOUGH (beyond
    it every place is as good, and the order of SLIDES, the middle first, decides)."""
    distances = [_distance((box.x, box.y), wire) for box in pair if box.half_width
                 for wire in wires]
    return round(min([*distances, ENOUGH]), 1)


def _distance(point: Point, wire: Segment) -> float:
    (x1, y1), (x2, y2) = wire
    dx, dy = x2 - x1, y2 - y1
    length = dx * dx + dy * dy
    t = 0.0 if not length else max(0.0, min(1.0, ((point[0] - x1) * dx + (point[1] - y1) * dy)
                                           / length))
    return math.hypot(point[0] - x1 - t * dx, point[1] - y1 - t * dy)


def _slope(start: Point, end: Point) -> float:
    run = end[0] - start[0]
    return abs((end[1] - start[1]) / run) if run else 0.0


def _crosses(box: Box, wire: Segment, samples: int = 48) -> bool:
    """Whether the wire passes through the box (sampled along it: labels are small)."""
    (x1, y1), (x2, y2) = wire
    return any(abs(x1 + (x2 - x1) * k / samples - box.x) < box.half_width
               and abs(y1 + (y2 - y1) * k / samples - box.y) < box.half_height
               for k in range(samples + 1))


def _half(text: str) -> float:
    return len(text) * CHAR / 2 + 0.04 if text else 0.0


# -- SVG -------------------------------------------------------------------------------------

def svg(shape: CircuitLayout) -> str:
    """The layout as a standalone SVG picture."""
    width, height = shape.width * PIXELS, shape.height * PIXELS
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
             f'width="{width:.0f}" height="{height:.0f}" font-family="sans-serif" '
             'font-size="12">',
             '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
             'markerHeight="7" orient="auto-start-reverse">'
             '<path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker>',
             '<rect width="100%" height="100%" fill="white"/>']
    for wire in shape.wires:
        parts += _svg_wire(wire)
    for spot in shape.spots:
        parts += _svg_spot(spot)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _px(value: float) -> str:
    return f"{value * PIXELS:.1f}"


def _svg_wire(wire: Wire) -> list[str]:
    points = " ".join(f"{_px(x)},{_px(y)}" for x, y in wire.points)
    return [f'<g class="edge" data-quantity="{wire.quantity}">',
            f'<polyline points="{points}" fill="none" stroke="#555" stroke-width="1.5" '
            'marker-end="url(#arrow)"/>',
            _svg_text(wire.above, wire.value, "#1a7f37", "value"),
            _svg_text(wire.below, wire.gradient, "#cf222e", "gradient"),
            "</g>"]


def _svg_text(box: Box, text: str, colour: str, kind: str) -> str:
    if not text:
        return ""
    return (f'<text class="{kind}" x="{_px(box.x)}" y="{_px(box.y + 0.12)}" '
            f'text-anchor="middle" fill="{colour}">{text.replace("-", "−")}</text>')


def _svg_spot(spot: Spot) -> list[str]:
    label = SYMBOLS.get(spot.gate, "") if spot.gate else spot.name
    size = ' font-size="10"' if len(label) > 2 else ""
    lines = [f'<g class="node" data-quantity="{spot.quantity}">',
             f'<circle cx="{_px(spot.x)}" cy="{_px(spot.y)}" r="{RADIUS * PIXELS:.1f}" '
             f'fill="{"#f6f8fa" if spot.gate else "#ddf4ff"}" stroke="#333"/>',
             f'<text x="{_px(spot.x)}" y="{_px(spot.y + 0.12)}" text-anchor="middle"'
             f'{size}>{label}</text>']
    if spot.gate:  # the gate's name above its circle
        lines.append(f'<text x="{_px(spot.x)}" y="{_px(spot.y - RADIUS - 0.12)}" '
                     f'text-anchor="middle" font-style="italic">{spot.name}</text>')
    return [*lines, "</g>"]


# -- TikZ ------------------------------------------------------------------------------------

def tikz(shape: CircuitLayout) -> str:
    """The layout as a TikZ picture (y grows downwards in the layout, upwards in TikZ)."""
    scale = min(1.0, PAGE_WIDTH / shape.width)
    lines = [rf"\begin{{tikzpicture}}[scale={scale:.3f}, every node/.style={{transform "
             r"shape, font=\footnotesize}, >=stealth]"]
    for wire in shape.wires:
        path = " -- ".join(_at(point) for point in wire.points)
        lines.append(rf"\draw[->, gray!70!black, thick] {path};")
        if wire.value:
            lines.append(rf"\node[text=green!45!black] at "
                         rf"{_at((wire.above.x, wire.above.y))} {{${wire.value}$}};")
        if wire.gradient:
            lines.append(rf"\node[text=red!75!black] at "
                         rf"{_at((wire.below.x, wire.below.y))} {{${wire.gradient}$}};")
    for spot in shape.spots:
        fill = "gray!8" if spot.gate else "cyan!10"
        label = TEX_SYMBOLS.get(spot.gate, rf"\scriptsize\textrm{{{spot.gate}}}") if (
            spot.gate) else f"${spot.latex}$"
        lines.append(rf"\node[circle, draw, fill={fill}, minimum size="
                     rf"{2 * RADIUS:.2f}cm, inner sep=0pt] at {_at((spot.x, spot.y))} "
                     rf"{{{label}}};")
        if spot.gate:
            lines.append(rf"\node at {_at((spot.x, spot.y - RADIUS - 0.2))} "
                         rf"{{${spot.latex}$}};")
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)


def _at(point: Point) -> str:
    return f"({point[0]:.2f},{-point[1]:.2f})"

