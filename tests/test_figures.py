"""Figures, measured: no label on another label, on a node, or struck through by an edge that
is not its own, in every SVG we write (the showcase and random networks up to 4 layers × 6
wide) and in the TikZ pictures drawn from the same layouts; the text metric checked against
Chromium's own measure; arrowheads, minus signs, chain-rule colours, the log-scale curve."""

from __future__ import annotations

import math
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.strategies import network_data
from tracer import diagram, palette
from tracer.evaluation import Trace, evaluate
from tracer.examples import example_spec
from tracer.geometry import (SMALL, Box, Run, box_in_circle, circle_meets_box, runs,
                             segment_meets_box, segment_meets_circle, text_box)
from tracer.network import build_trace
from tracer.renderer import figures_of
from tracer.showcase import SHOWCASE
from tracer.spec import Spec, spec_from_dict
from tracer.training import train

SVG = "{http://www.w3.org/2000/svg}"


# -- what a figure holds, read back from what we wrote -------------------------------------

@dataclass
class Group:
    """One `<g>` of an SVG (or one `% kind quantity` block of a TikZ picture)."""

    name: str
    texts: list[tuple[str, Box]] = field(default_factory=list)
    segments: list[tuple[float, float, float, float, float]] = field(default_factory=list)
    circles: list[tuple[float, float, float]] = field(default_factory=list)


def svg_groups(picture: str) -> list[Group]:
    root = ET.fromstring(picture.split("-->", 1)[-1] if picture.startswith("<!--") else picture)
    groups = []
    for k, g in enumerate(root.iter(f"{SVG}g")):
        group = Group(f"{g.get('class')} {g.get('data-quantity', k)}")
        for element in g:
            tag = element.tag.removeprefix(SVG)
            if tag == "line":
                group.segments.append((*(float(element.get(a, 0)) for a in ("x1", "y1", "x2", "y2")),
                                       float(element.get("stroke-width", 1))))
            elif tag == "path":  # an arrowhead: a triangle's sides
                points = [float(v) for v in re.findall(r"-?[\d.]+", element.get("d", ""))]
                corners = list(zip(points[::2], points[1::2], strict=True))
                group.segments += [(*corners[i], *corners[(i + 1) % 3], 0.0) for i in range(3)]
            elif tag == "polyline":
                points = [tuple(map(float, p.split(","))) for p in element.get("points", "").split()]
                group.segments += [(*a, *b, 2.0) for a, b in zip(points, points[1:], strict=False)]
            elif tag == "circle":
                group.circles.append((float(element.get("cx", 0)), float(element.get("cy", 0)),
                                      float(element.get("r", 0)) + float(element.get("stroke-width", 1)) / 2))
            elif tag == "text":
                group.texts.append(svg_text_box(element))
        groups.append(group)
    return groups


def svg_text_box(element: ET.Element) -> tuple[str, Box]:
    """The text and the box our metric gives it, read from the SVG element itself."""
    size = float(element.get("font-size", 0))
    assert element.get("text-anchor") == "middle"
    pieces, level = [], 0
    for span in element.iter(f"{SVG}tspan"):
        dy = float(span.get("dy", 0))
        level = level if dy == 0 else (level - 1 if dy > 0 else level + 1)
        if span.get("font-size"):
            assert math.isclose(float(span.get("font-size", 0)), size * SMALL)
        pieces.append(Run(span.text or "", level))
    content = "".join(p.text for p in pieces)
    return content, text_box(tuple(pieces), size, float(element.get("x", 0)),
                             float(element.get("y", 0)))


def clashes(groups: list[Group]) -> list[str]:
    """Every label on another label, on a node it is not inside of, or met by a line of
    another group; every node on another node; every line through a node it does not end at."""
    found = []
    texts = [(g, text, box) for g in groups for text, box in g.texts]
    for k, (g, text, box) in enumerate(texts):
        for h, other, other_box in texts[k + 1:]:
            if box.meets(other_box):
                found.append(f"{text!r} ({g.name}) on {other!r} ({h.name})")
        for h in groups:
            for x, y, r in h.circles:
                inside = h is g and box_in_circle(box, x, y, r)
                if not inside and circle_meets_box(x, y, r, box):
                    found.append(f"{text!r} ({g.name}) on node {h.name}")
            if h is not g and any(segment_meets_box(x1, y1, x2, y2, box.grown(w / 2))
                                  for x1, y1, x2, y2, w in h.segments):
                found.append(f"{text!r} ({g.name}) struck through by {h.name}")
    circles = [(g, c) for g in groups for c in g.circles]
    for k, (g, (x, y, r)) in enumerate(circles):
        for h, (x2, y2, r2) in circles[k + 1:]:
            if math.hypot(x - x2, y - y2) < r + r2:
                found.append(f"node {g.name} on node {h.name}")
        for h in groups:
            for x1, y1, xe, ye, _ in h.segments:
                ends = min(math.hypot(x1 - x, y1 - y), math.hypot(xe - x, ye - y))
                if ends > r + 2 and segment_meets_circle(x1, y1, xe, ye, x, y, r):
                    found.append(f"{h.name} through node {g.name}")
    return found


PT_PER_PX = diagram.CM_PER_PX * 72.27 / 2.54


def tikz_groups(picture: str) -> list[Group]:
    """The TikZ picture read back in layout pixels (a scaled picture scales its text with
    it, so what clashes unscaled clashes scaled): its `% kind quantity` blocks, their
    lines, arrowheads, circles and nodes (measured with the same metric)."""
    scale = float(m.group(1)) if (m := re.search(r"scale=([\d.]+)", picture)) else 1.0
    groups: list[Group] = []
    for line in picture.splitlines():
        if line.startswith("% "):
            groups.append(Group(line[2:]))
        elif groups:
            read_tikz_line(line, groups[-1], scale)
    return groups


def read_tikz_line(line: str, group: Group, scale: float) -> None:
    coords = [(float(x) / diagram.CM_PER_PX, -float(y) / diagram.CM_PER_PX)
              for x, y in re.findall(r"\((-?[\d.]+), (-?[\d.]+)\)", line)]
    width_match = re.search(r"line width=([\d.]+)pt", line)
    width = float(width_match.group(1)) / PT_PER_PX / scale if width_match else 0.0
    if r"\node" in line:
        size_match = re.search(r"\\fontsize\{([\d.]+)\}", line)
        assert size_match
        text = line[line.rindex("] at ") + 5:].split(" ", 2)[2][1:-2]
        pieces = runs(text.strip("$")) if text.startswith("$") else (Run(text),)
        box = text_box(pieces, float(size_match.group(1)) / PT_PER_PX, coords[-1][0], 0.0)
        middle = (box.top + box.bottom) / 2
        group.texts.append((text, Box(box.left, box.top - middle + coords[-1][1], box.right,
                                      box.bottom - middle + coords[-1][1])))
    elif "circle[radius=" in line:
        radius = re.search(r"radius=([\d.]+)", line)
        assert radius
        group.circles.append((*coords[0], float(radius.group(1)) / diagram.CM_PER_PX
                              + width / 2))
    elif line.startswith(r"\draw"):
        shaft = coords[:2] if r"\fill" in line else coords
        group.segments += [(*a, *b, width) for a, b in zip(shaft, shaft[1:], strict=False)]
        head = coords[2:5]
        if r"\fill" in line:
            group.segments += [(*head[i], *head[(i + 1) % 3], 0.0) for i in range(3)]


# -- the figures we write ---------------------------------------------------------------

def showcase_figures() -> Iterator[tuple[str, str, str]]:
    """(name, SVG, TikZ) of every figure the showcase documents carry."""
    for example, _ in sorted(set(SHOWCASE)):
        trace = evaluate(build_trace(example_spec(example)))
        for key, (svg, tikz) in figures_of(trace).items():
            yield f"{example}.{key}", svg, tikz
    run = train(build_trace(example_spec("softmax")), 200, keep=[1, 200])
    for key, (svg, tikz) in figures_of(run).items():
        yield f"softmax-training.{key}", svg, tikz


SHOWN = list(showcase_figures())


@pytest.mark.parametrize(("name", "svg", "tikz"), SHOWN, ids=[n for n, _, _ in SHOWN])
def test_no_label_clashes_in_the_showcase_figures(name: str, svg: str, tikz: str) -> None:
    groups = svg_groups(svg)
    assert sum(len(g.texts) for g in groups) >= 6  # a figure with its labels, not an empty one
    assert clashes(groups) == []
    assert clashes(tikz_groups(tikz)) == []


def test_the_check_finds_what_it_looks_for() -> None:
    """A label moved onto another, onto a node, onto a foreign edge: each is found."""
    shape = diagram.layout(evaluate(build_trace(example_spec("seed"))))
    edges = [p for p in shape.parts if p.kind == "edge" and p.labels]
    nodes = [p for p in shape.parts if p.kind == "node"]
    first, second = edges[0], edges[1]
    cases = {
        "on": (first.labels[0].x, second.labels[0].y, second.labels[0].x),
        "node": (0, nodes[2].circles[0].y, nodes[2].circles[0].x),
        "edge": (0, (second.lines[0].y1 + second.lines[0].y2) / 2,
                 (second.lines[0].x1 + second.lines[0].x2) / 2),
    }
    for kind, (_, y, x) in cases.items():
        moved = _replace_label(shape, first, x, y)
        found = clashes(svg_groups(diagram.svg(moved)))
        assert found, kind
        assert clashes(tikz_groups(diagram.tikz(moved))), kind


def _replace_label(shape: diagram.Layout, part: diagram.Part, x: float, y: float
                   ) -> diagram.Layout:
    from dataclasses import replace

    moved = replace(part, labels=(replace(part.labels[0], x=x, y=y),))
    return replace(shape, parts=tuple(moved if p is part else p for p in shape.parts))


# -- random networks -----------------------------------------------------------------------

def figures(trace: Trace) -> dict[str, diagram.Layout]:
    weights = trace.symbolic.spec.weight_units
    return {"network": diagram.layout(trace), "output": diagram.layout(trace, weights[-1][0][0]),
            "hidden": diagram.layout(trace, weights[0][0][0])}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(network_data(max_hidden=3, max_width=6))
def test_no_label_clashes_in_random_networks(data: dict[str, Any]) -> None:
    trace = evaluate(build_trace(spec_from_dict(data)))
    for name, shape in figures(trace).items():
        assert clashes(svg_groups(diagram.svg(shape))) == [], name
        assert clashes(tikz_groups(diagram.tikz(shape))) == [], name
    # every weight's value is on the network figure: on its edge, or in its layer's table
    network = diagram.svg(figures(trace)["network"])
    for layer in trace.symbolic.spec.weight_units:
        for row in layer:
            for weight in row:
                name = f"w{weight.number}"
                assert re.search(rf'class="(edge|weight-cell)" data-quantity="{name}"[^>]*>'
                                 rf'(?:(?!</g>).)*<text', network, re.S), name


def spec_of(sizes: list[int], seed: int = 3) -> Spec:
    import random

    draw = random.Random(seed)
    layers, width = [], sizes[0]
    for k, size in enumerate(sizes[1:]):
        name = "o" if k == len(sizes) - 2 else "hgkm"[k]
        layers.append({"name": name, "activation": "sigmoid", "bias": round(draw.uniform(-1, 1), 2),
                       "weights": [[round(draw.uniform(-1, 1), 2) for _ in range(width)]
                                   for _ in range(size)]})
        width = size
    return spec_from_dict({
        "loss": "half_squared_error", "learning_rate": 0.5, "layers": layers,
        "inputs": {f"i{k + 1}": round(draw.uniform(-1, 1), 2) for k in range(sizes[0])},
        "targets": {f"o{k + 1}": round(draw.uniform(0, 1), 2) for k in range(sizes[-1])}})


@pytest.mark.parametrize("sizes", [[3, 4, 4, 2], [6, 6, 6, 6, 6], [1, 1, 1], [6, 1, 6],
                                   [2, 6, 2], [4, 6, 6, 6, 1]])
def test_no_label_clashes_in_the_widest_and_narrowest(sizes: list[int]) -> None:
    trace = evaluate(build_trace(spec_of(sizes)))
    for name, shape in figures(trace).items():
        assert clashes(svg_groups(diagram.svg(shape))) == [], name
        assert clashes(tikz_groups(diagram.tikz(shape))) == [], name
