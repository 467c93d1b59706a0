"""The question pool a learning platform imports: one question per variant, each with its
given values, the network's figure and one numeric blank per asked quantity (its value and
an absolute tolerance). Plain data: `moodle`, `qti` and `gift` write it in their formats.

Platforms cannot tie a variant to a named student, so the per-student keys stay tracer's and
the platform draws each student a question from the pool. A platform's tolerance is a
margin around the value; the checker's rules (an update judged by its change, a number
carried from the student's own) have no counterpart there, so the margin is the value's own
tolerance under the exercise's `[grading]`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .check import Tolerance
from .diagram import drawable, layout, svg
from .evaluation import Trace
from .graph import Graph
from .keys import Variant, asked
from .numbers import fixed, format_value
from .quantities import Role

FORMATS = ("moodle", "qti", "qti-quizzes", "gift", "gradescope")


@dataclass(frozen=True)
class Blank:
    """One asked quantity of one variant."""

    name: str  # canonical: the answer-sheet name
    latex: str  # its symbol, without math delimiters
    value: float
    tolerance: float  # absolute: an answer within value ± tolerance is right


@dataclass(frozen=True)
class Question:
    variant: str  # the variant's file id
    student: str  # the student's name (or id), empty for a numbered variant
    givens: tuple[tuple[str, str], ...]  # (symbol LaTeX, value as shown)
    blanks: tuple[Blank, ...]
    figure: str  # the network as SVG, or empty for a network too large to draw


@dataclass(frozen=True)
class Pool:
    exercise: str  # the spec's title
    description: str
    decimals: int  # answers are asked to this many decimals
    update_order: str  # simultaneous or sequential: the question says which
    questions: tuple[Question, ...]


def make_pool(graph: Graph, variants: Sequence[Variant],
              tolerance: Tolerance | None = None) -> Pool:
    """One question per variant, in the variants' order."""
    spec = graph.spec
    rule = tolerance or Tolerance.of(spec.grading)
    wanted = asked(graph)
    decimals = spec.digits if spec.grading.decimals is None else spec.grading.decimals
    questions = tuple(_question(graph, variant, wanted, rule) for variant in variants)
    return Pool(spec.title, spec.description, decimals, spec.update_order, questions)


def _question(graph: Graph, variant: Variant, wanted: Sequence[str],
              rule: Tolerance) -> Question:
    trace = variant.trace
    digits = graph.spec.digits
    givens = tuple((term.latex, format_value(trace.value(term), digits))
                   for term in graph.givens)
    blanks = tuple(Blank(name, graph[name].latex, trace[name], _margin(trace, name, rule))
                   for name in wanted)
    figure = svg(layout(trace)) if drawable(graph.spec) else ""
    student = "" if variant.student is None else (variant.student.name or variant.student.id)
    return Question(variant.file_id, student, givens, blanks, figure)


def _margin(trace: Trace, name: str, rule: Tolerance) -> float:
    """The value's tolerance; for an updated weight, less than half its change, so that the
    weight copied unchanged (w1_new = w1) is never accepted."""
    margin = rule.margin(trace[name])
    term = trace.symbolic[name]
    if term.role == Role.UPDATE and term.of is not None:
        change = abs(trace.values[term.of] - trace[name])
        margin = min(margin, 0.49 * change) if change > 0 else margin
    return margin


def shown(value: float, places: int = 15) -> str:
    """A number as a platform reads it: plain decimal, no exponent, no trailing zeros."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    return fixed(value, places)  # not widened as a document shows it: a platform's number
