"""Pictures of the network and of the error curve: one layout, drawn as SVG or as TikZ.

The layout is plain data (node positions, edges with their weight labels); `svg` and `tikz`
only draw it. A highlighted layout marks the path a chain-rule product follows, e.g.
w5 → net_o1 → out_o1 → E_total. Labels are escaped for their format here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from . import names
from .escape import latex_text
from .evaluation import Trace
from .numbers import format_value
from .quantities import TOTAL_ERROR, Ref, Role, Weight
from .spec import Spec

COLUMN, ROW = 3.2, 1.6  # layout units between layers and between neurons
# Beyond these a network is not drawn: its picture would be a grey mesh (every weight is an
# edge) and TeX slow to set (40 layers took 80 s) or past its dimensions (128 neurons).
MAX_DRAWN_LAYERS = 8
MAX_DRAWN_WIDTH = 16
PAGE_WIDTH, PAGE_HEIGHT = 15.0, 20.0  # cm a TikZ picture may take; larger ones are scaled


def drawable(spec: Spec) -> bool:
    """Whether the network is small enough to draw (see MAX_DRAWN_LAYERS)."""
    widths = [len(spec.inputs), *(layer.size for layer in spec.layers)]
    return len(spec.layers) <= MAX_DRAWN_LAYERS and max(widths) <= MAX_DRAWN_WIDTH


@dataclass(frozen=True)
class Node:
    name: str
    label: str  # the neuron or input name
    note: str  # the bias, for neurons
    x: float
    y: float


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str  # "w5 = 0.4", or "" for the edges into E_total
    highlighted: bool = False
    weight: Weight | None = None  # the weight the edge stands for


@dataclass(frozen=True)
class Layout:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    width: float
    height: float


def layout(trace: Trace, highlight: Weight | None = None) -> Layout:
    """The network (first example), inputs on the left, E_total on the right; with
    `highlight`, that weight's edge and every path from it to E_total marked."""
    graph = trace.symbolic
    spec = graph.spec
    digits = min(spec.digits, 4)
    total = names.name(TOTAL_ERROR)  # the error's node, also where online mode has none
    columns: list[list[tuple[str, str]]] = [[(unit.name, "") for unit in spec.input_units]]
    for neurons, biases in zip(spec.neuron_units, spec.bias_units, strict=True):
        terms = [graph.only(Ref(Role.BIAS, bias)) for bias in biases]
        columns.append([(n.name, f"{b.name} = {format_value(trace.value(b), digits)}")
                        for n, b in zip(neurons, terms, strict=True)])
    columns.append([(total, "")])
    tallest = max(len(column) for column in columns)
    nodes = []
    for c, column in enumerate(columns):
        offset = (tallest - len(column)) * ROW / 2
        nodes += [Node(name, name, note, c * COLUMN, offset + r * ROW)
                  for r, (name, note) in enumerate(column)]
    edges = _edges(trace, [name for name, _ in columns[-2]], total)
    return Layout(tuple(nodes), tuple(_highlighted(edges, highlight)),
                  (len(columns) - 1) * COLUMN, (tallest - 1) * ROW)


def _edges(trace: Trace, last: list[str], total: str) -> list[Edge]:
    """An edge per weight, labelled with its name and value, then the outputs into E_total."""
    graph = trace.symbolic
    digits = min(graph.spec.digits, 4)
    edges = []
    for layer in graph.spec.weight_units:
        for row in layer:
            for weight in row:
                term = graph.only(Ref(Role.WEIGHT, weight))
                label = f"{term.name} = {format_value(trace.value(term), digits)}"
                edges.append(Edge(weight.source.name, weight.target.name, label, False, weight))
    edges += [Edge(source, total, "") for source in last]
    return edges


def _highlighted(edges: list[Edge], weight: Weight | None) -> list[Edge]:
    """The weight's edge, then every edge downstream of its neuron."""
    if weight is None:
        return edges
    start = [e for e in edges if e.weight == weight]
    reached = {e.target for e in start}
    marked = {id(e) for e in start}
    for edge in edges:  # edges are in layer order, so one pass follows every path
        if edge.source in reached:
            reached.add(edge.target)
            marked.add(id(edge))
    return [Edge(e.source, e.target, e.label, id(e) in marked, e.weight) for e in edges]


def svg(shape: Layout, scale: float = 60.0) -> str:
    """The layout as a standalone SVG (no external fonts or files)."""
    pad = 1.2
    where = {n.name: ((n.x + pad) * scale, (n.y + pad) * scale) for n in shape.nodes}
    width, height = (shape.width + 2 * pad) * scale, (shape.height + 2 * pad) * scale
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}"'
           f' viewBox="0 0 {width:.0f} {height:.0f}" font-family="sans-serif" font-size="11">',
           f'<rect width="{width:.0f}" height="{height:.0f}" fill="white"/>']
    for edge in shape.edges:
        (x1, y1), (x2, y2) = where[edge.source], where[edge.target]
        colour, stroke = ("#c0392b", 2.5) if edge.highlighted else ("#7f8c8d", 1.0)
        out.append(f'{_group(edge)}<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" '
                   f'y2="{y2:.1f}" stroke="{colour}" stroke-width="{stroke}"/></g>')
    for edge in shape.edges:  # over every line, each on a white halo: never struck through
        if edge.label:
            (x1, y1), (x2, y2) = where[edge.source], where[edge.target]
            at, rising = _label_place(y1, y2)
            lx, ly = x1 + (x2 - x1) * at, y1 + (y2 - y1) * at + (12 if rising else -3)
            colour = "#c0392b" if edge.highlighted else "#7f8c8d"
            out.append(f'{_group(edge)}<text x="{lx:.1f}" y="{ly:.1f}" fill="{colour}" '
                       'text-anchor="middle" stroke="white" stroke-width="3" '
                       f'paint-order="stroke">{xml_escape(edge.label)}</text></g>')
    for node in shape.nodes:
        x, y = where[node.name]
        out.append(f'<g class="node" data-quantity="{xml_escape(node.name)}">')
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="16" fill="#ecf0f1" stroke="#2c3e50"/>')
        out.append(f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle">'
                   f"{xml_escape(node.label)}</text>")
        if node.note:
            out.append(f'<text x="{x:.1f}" y="{y + 30:.1f}" text-anchor="middle" '
                       f'fill="#2c3e50">{xml_escape(node.note)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def tikz(shape: Layout) -> str:
    """The layout as a tikzpicture (needs \\usepackage{tikz})."""
    # The layout is in cm; one too large for the page is scaled, labels with it.
    scale = min(1.0, PAGE_WIDTH / max(shape.width + 2, 1), PAGE_HEIGHT / max(shape.height + 2, 1))
    fit = f", scale={scale:.3f}, transform shape" if scale < 1 else ""
    out = [rf"\begin{{tikzpicture}}[x=1cm, y=-1cm, font=\scriptsize{fit}]"]
    for node in shape.nodes:
        out.append(rf"\node[circle, draw, fill=black!5, minimum size=7mm] ({_id(node.name)}) "
                   rf"at ({node.x:.2f}, {node.y:.2f}) {{{latex_text(node.label)}}};")
        if node.note:
            out.append(rf"\node[anchor=north] at ({node.x:.2f}, {node.y + 0.4:.2f}) "
                       rf"{{{latex_text(node.note)}}};")
    for edge in shape.edges:
        style = "red, very thick" if edge.highlighted else "black!50"
        out.append(rf"\draw[{style}] ({_id(edge.source)}) -- ({_id(edge.target)});")
    height = {node.name: node.y for node in shape.nodes}
    for edge in shape.edges:  # over every line, on white: never struck through by another
        if edge.label:
            at, rising = _label_place(height[edge.source], height[edge.target])
            colour = "red" if edge.highlighted else "black!50"
            out.append(rf"\path ({_id(edge.source)}) -- node[pos={at}, sloped, "
                       rf"{'below' if rising else 'above'}, inner sep=1pt, fill=white, "
                       rf"text={colour}] {{{latex_text(edge.label)}}} ({_id(edge.target)});")
    out.append(r"\end{tikzpicture}")
    return "\n".join(out)


def _label_place(source_y: float, target_y: float) -> tuple[float, bool]:
    """Where along an edge its label goes (0 at the source), and whether the edge rises
    (y grows downwards). A falling or level edge is labelled above it near its source, a
    rising one below it past its middle: two edges that cross (w2 and w3 of the post) then
    have their labels on either side of the crossing, not both at it, and clear of the
    target's bias."""
    rising = target_y < source_y
    return (0.55 if rising else 0.3), rising


def _group(edge: Edge) -> str:
    """An edge's elements are grouped by what they stand for, so a page can highlight them:
    a weight's edge by its name (w5), an output's edge into E_total by the output (o1)."""
    key = edge.source if edge.weight is None else names.name(Ref(Role.WEIGHT, edge.weight))
    return f'<g class="edge" data-quantity="{xml_escape(key)}">'


def xml_escape(text: str) -> str:
    """Text for an SVG text node (xml.sax.saxutils would import urllib for this)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _id(name: str) -> str:
    """A TikZ node name: letters and digits only (names are identifiers already)."""
    return "n" + "".join(ch if ch.isalnum() else "x" for ch in name)


def error_curve_points(errors: Sequence[float], limit: int = 200) -> list[tuple[int, float]]:
    """At most `limit` (update, E_total) points, evenly spaced, the last one included."""
    step = max(1, len(errors) // limit)
    marks = sorted({*range(0, len(errors), step), len(errors) - 1})
    return [(k, errors[k]) for k in marks]


def error_svg(errors: Sequence[float], width: int = 480, height: int = 240) -> str:
    points = error_curve_points(errors)
    left, bottom, top, right = 60, 30, 15, 15
    top_value = max(e for _, e in points) or 1.0
    last = max(points[-1][0], 1)

    def at(k: int, e: float) -> str:
        x = left + (width - left - right) * k / last
        y = top + (height - top - bottom) * (1 - e / top_value)
        return f"{x:.1f},{y:.1f}"

    polyline = " ".join(at(k, e) for k, e in points)
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" '
        'stroke="black"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="black"/>',
        f'<polyline points="{polyline}" fill="none" stroke="#c0392b" stroke-width="2"/>',
        f'<text x="{left - 5}" y="{top + 4}" text-anchor="end">{top_value:.3g}</text>',
        f'<text x="{left - 5}" y="{height - bottom}" text-anchor="end">0</text>',
        f'<text x="{width - right}" y="{height - 10}" text-anchor="end">{last} updates</text>',
        f'<text x="{left}" y="{height - 10}">0</text>',
        f'<text x="{left + 5}" y="{top + 12}">E_total</text>',
        "</svg>",
    ]) + "\n"


def error_tikz(errors: Sequence[float]) -> str:
    points = error_curve_points(errors)
    top_value = max(e for _, e in points) or 1.0
    last = max(points[-1][0], 1)
    coordinates = " ".join(f"({8 * k / last:.3f},{4 * e / top_value:.3f})" for k, e in points)
    return "\n".join([
        r"\begin{tikzpicture}[font=\scriptsize]",
        r"\draw[->] (0,0) -- (8.3,0) node[right] {updates};",
        r"\draw[->] (0,0) -- (0,4.3) node[above] {$E_{total}$};",
        rf"\node[left] at (0,4) {{{top_value:.3g}}};",
        r"\node[left] at (0,0) {0};",
        rf"\node[below] at (8,0) {{{last}}};",
        rf"\draw[red, thick] plot coordinates {{{coordinates}}};",
        r"\end{tikzpicture}",
    ])
