"""View models of the other documents: question sheets, feedback on a checked sheet, and
booklets of answer keys. Each template gets exactly one of these (or a `Document`), with
text already escaped for its format and numbers already formatted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from .document import ESCAPES, Document, Row, Step, build_document
from .evaluation import Trace


@dataclass(frozen=True)
class QuestionSheet:
    """`question.<fmt>.j2`: the network and given values of one variant, what to compute."""

    doc: Document
    student: str  # escaped; empty for an anonymous variant
    asked: tuple[Row, ...]  # (symbol LaTeX, the answer-sheet name as text)
    digits: int


def question_sheet(trace: Trace, fmt: str, asked: Sequence[str], student: str = ""
                   ) -> QuestionSheet:
    escape = ESCAPES[fmt]
    graph = trace.symbolic
    rows = tuple(Row((graph[name].latex, name if fmt == "md" else escape(name)))
                 for name in asked)
    decimals = graph.spec.grading.decimals  # the precision the answers are graded at
    digits = graph.spec.digits if decimals is None else decimals
    return QuestionSheet(build_document(trace, fmt), escape(student), rows, digits)


@dataclass(frozen=True)
class FeedbackLine:
    """One line of a checked sheet: escaped text, numbers formatted, the LaTeX step."""

    line: int
    name: str
    status: str
    given: str
    expected: str
    formula: str
    diagnosis: str
    reason: str
    step: Step | None  # the right derivation, for a line that is not correct


@dataclass(frozen=True)
class FeedbackSheet:
    """`check.md.j2`: the feedback on one answer sheet."""

    title: str  # escaped
    score: str  # e.g. 75%
    counts: Mapping[str, int]  # status -> asked quantities with it, where not 0
    lines: tuple[FeedbackLine, ...]
    student: str = ""  # escaped: "Ada Lovelace (s001)", or empty


@dataclass(frozen=True)
class Booklet:
    """`booklet.<fmt>.j2`: several answer keys in one file. `cover` sets the preamble
    and title; each of `documents` is one part, labelled with its variant and student."""

    cover: Document
    documents: tuple[Document, ...]


def booklet(documents: Sequence[Document], labels: Sequence[str]) -> Booklet:
    """A booklet of `documents`, each marked as a part with its (escaped) label."""
    parts = tuple(replace(doc, standalone=False, label=label)
                  for doc, label in zip(documents, labels, strict=True))
    return Booklet(documents[0], parts)
