"""View models of the other documents: question sheets, feedback on a checked sheet, and
booklets of answer keys. Each template gets exactly one of these (or a `Document`), with
text already escaped for its format and numbers already formatted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from . import diagram, messages
from .document import ESCAPES, Document, build_document
from .evaluation import Trace
from .quantities import Ref, Role
from .steps import Row, Step


@dataclass(frozen=True)
class LayerNumbering:
    """How one layer's weights are numbered, said in words where the network is not drawn:
    row j of the layer's weights feeds its neuron j, one weight per input, in input order."""

    layer: str  # escaped
    inputs: tuple[str, str]  # the first and the last unit that feeds the layer (escaped)
    neurons: tuple[Row, ...]  # (neuron escaped, first weight LaTeX, last weight LaTeX)
    more: bool  # neurons left out between the last two rows (a wide layer shows 3)


@dataclass(frozen=True)
class QuestionSheet:
    """`question.<fmt>.j2`: the network and given values of one variant, what to compute.
    `doc.figures` holds the network's picture (`network`: a file name in Markdown, TikZ in
    LaTeX) where there is one; `numbering` says how the weights are numbered where not.
    `t` is the spec's language's catalogue (the sheet's words), `order` the update order
    in that language."""

    doc: Document
    student: str  # escaped; empty for an anonymous variant
    asked: tuple[Row, ...]  # (symbol LaTeX, the answer-sheet name as text)
    digits: int
    numbering: tuple[LayerNumbering, ...] = ()  # empty when the network is drawn
    t: messages.Catalogue = field(default_factory=messages.catalogue)
    order: str = ""  # the update order, in the sheet's language


def asked_rows(trace: Trace, fmt: str, asked: Sequence[str]) -> tuple[tuple[Row, ...], int]:
    """What a question sheet asks for, (symbol LaTeX, the answer-sheet name as text) per
    quantity, and the decimals the answers are graded at."""
    graph = trace.symbolic
    escape = ESCAPES[fmt]
    rows = tuple(Row((graph[name].latex, name if fmt == "md" else escape(name)))
                 for name in asked)
    decimals = graph.spec.grading.decimals
    return rows, graph.spec.digits if decimals is None else decimals


def question_sheet(trace: Trace, fmt: str, asked: Sequence[str], student: str = "",
                   figures: Mapping[str, str] | None = None) -> QuestionSheet:
    """The sheet of one variant. `figures` may name the network's picture (`network`: an
    SVG file beside a Markdown sheet); by default LaTeX draws it (TikZ) and Markdown has
    none. A network without a picture (too large to draw, diagram.drawable) gets its
    weight numbering in words."""
    escape = ESCAPES[fmt]
    graph = trace.symbolic
    rows, digits = asked_rows(trace, fmt, asked)
    if figures is None:
        figures = ({"network": diagram.tikz(diagram.layout(trace))}
                   if fmt == "tex" and diagram.drawable(graph.spec) else {})
    figures = {key: value for key, value in figures.items() if key == "network"}
    numbering = () if "network" in figures else _numbering(trace, escape)
    t = messages.catalogue(graph.spec.lang)
    return QuestionSheet(build_document(trace, fmt, figures=figures), escape(student), rows,
                         digits, numbering, t, t(f"order.{graph.spec.update_order}"))


SHOWN_NEURONS = 3  # rows of a layer's numbering: the first two neurons and the last


def _numbering(trace: Trace, escape: Callable[[str], str]) -> tuple[LayerNumbering, ...]:
    """Per layer, its inputs and, for its first two neurons and its last, their first and
    last weight: enough to read the numbering of a layer of any width."""
    graph = trace.symbolic
    spec = graph.spec
    out = []
    for layer, units in zip(spec.layers, spec.weight_units, strict=True):
        shown = units if len(units) <= SHOWN_NEURONS else (*units[:SHOWN_NEURONS - 1], units[-1])
        neurons = tuple(Row((escape(row[0].target.name),
                             graph.only(Ref(Role.WEIGHT, row[0])).latex,
                             graph.only(Ref(Role.WEIGHT, row[-1])).latex)) for row in shown)
        sources = units[0]
        out.append(LayerNumbering(escape(layer.name),
                                  (escape(sources[0].source.name), escape(sources[-1].source.name)),
                                  neurons, len(units) > len(shown)))
    return tuple(out)


@dataclass(frozen=True)
class FeedbackLine:
    """One line of a checked sheet: escaped text, numbers formatted, the LaTeX step.
    `status` is the status's id (correct, wrong, …: for the template to test), `mark` the
    status in the sheet's language, `formula` the verdict on a formula in it."""

    line: int
    name: str
    status: str
    given: str
    expected: str
    formula: str
    diagnosis: str
    reason: str
    step: Step | None  # the right derivation, for a line that is not correct
    mark: str = ""


@dataclass(frozen=True)
class FeedbackSheet:
    """`check.md.j2`: the feedback on one answer sheet."""

    title: str  # escaped
    score: str  # e.g. 75%
    counts: Mapping[str, int]  # status (in `t`'s language) -> asked quantities with it
    lines: tuple[FeedbackLine, ...]
    student: str = ""  # escaped: "Ada Lovelace (s001)", or empty
    t: messages.Catalogue = field(default_factory=messages.catalogue)  # the sheet's words


@dataclass(frozen=True)
class Booklet:
    """`booklet.<fmt>.j2`: several answer keys in one file. `cover` sets the preamble
    and title; each of `documents` is one part, labelled with its variant and student;
    `t` holds the booklet's own words."""

    cover: Document
    documents: tuple[Document, ...]
    t: messages.Catalogue = field(default_factory=messages.catalogue)


def booklet(documents: Sequence[Document], labels: Sequence[str], lang: str = messages.DEFAULT
            ) -> Booklet:
    """A booklet of `documents`, each marked as a part with its (escaped) label."""
    parts = tuple(replace(doc, standalone=False, label=label)
                  for doc, label in zip(documents, labels, strict=True))
    return Booklet(documents[0], parts, messages.catalogue(lang))
