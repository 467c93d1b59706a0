"""The QTI 1.2 package: a zip whose manifest lists what it holds, assessments in the QTI 1.2
ASI structure Canvas imports (an item per asked quantity, a section per variant), every
answer a range that holds the value and its tolerance at Canvas's 4 decimals, user text
escaped, and a value Canvas would turn into 0 kept loosely, and said in one line."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from decimal import Decimal
from fractions import Fraction
from xml.etree import ElementTree as ET

import pytest

import tracer
from tracer.files import MARK
from tracer.keys import make_variants
from tracer.lms import Blank, Pool, Question, make_pool
from tracer.network import build_trace
from tracer.qti import loose, qti_zip

QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
CP = "{http://www.imsglobal.org/xsd/imscp_v1p1}"
HOSTILE = "<script>alert('x')</script> ]]> &amp; \"quoted\" & 'single'"


@pytest.fixture(scope="module")
def pool() -> Pool:
    graph = build_trace(tracer.load_spec("examples/homework.toml"))
    return make_pool(graph, make_variants(graph, 7, [("v1", None), ("v2", None)]))


def unpack(data: bytes) -> tuple[ET.Element, dict[str, ET.Element], zipfile.ZipFile]:
    """The manifest and each assessment it lists (by path), parsed."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    manifest = ET.fromstring(archive.read("imsmanifest.xml"))
    assessments = {}
    for resource in manifest.iter(f"{CP}resource"):
        files = [f.get("href") for f in resource.iter(f"{CP}file")]
        assert files == [resource.get("href")]
        assert resource.get("href") in archive.namelist()
        if resource.get("type") == "imsqti_xmlv1p2":
            href = str(resource.get("href"))
            assessments[href] = ET.fromstring(archive.read(href))
    return manifest, assessments, archive


def items(root: ET.Element) -> list[ET.Element]:
    return list(root.iter(f"{QTI}item"))


def field(item: ET.Element, label: str) -> str | None:
    for entry in item.iter(f"{QTI}qtimetadatafield"):
        if entry.findtext(f"{QTI}fieldlabel") == label:
            return entry.findtext(f"{QTI}fieldentry")
    return None


def bounds(item: ET.Element) -> tuple[Decimal, Decimal]:
    condition = item.find(f"{QTI}resprocessing/{QTI}respcondition/{QTI}conditionvar")
    assert condition is not None
    return (Decimal(condition.findtext(f"{QTI}vargte") or "nan"),
            Decimal(condition.findtext(f"{QTI}varlte") or "nan"))


def html(item: ET.Element) -> ET.Element:
    """The item's text, HTML that parses as XML."""
    text = item.findtext(f"{QTI}presentation/{QTI}material/{QTI}mattext")
    assert text is not None
    return ET.fromstring(text)


def test_the_manifest_lists_one_assessment_and_the_figures(pool: Pool) -> None:
    manifest, assessments, archive = unpack(qti_zip(pool))
    assert manifest.tag == f"{CP}manifest"
    assert manifest.find(f"{CP}resources") is not None
    assert len(assessments) == 1
    figures = [r.get("href") for r in manifest.iter(f"{CP}resource")
               if r.get("type") == "webcontent"]
    assert len(figures) == len(pool.questions)
    assert sorted(archive.namelist()) == sorted(["imsmanifest.xml", *assessments,
                                                 *map(str, figures)])
    assert archive.read(str(figures[0])).startswith(b"<svg")
    assert archive.comment == MARK.encode()  # tracer knows it again


def test_the_assessment_is_qti_1_2_asi_as_canvas_reads_it(pool: Pool) -> None:
    _, assessments, _ = unpack(qti_zip(pool))
    (root,) = assessments.values()
    assert root.tag == f"{QTI}questestinterop"
    (assessment,) = root.findall(f"{QTI}assessment")
    assert assessment.get("title") == pool.exercise
    top = assessment.find(f"{QTI}section")
    assert top is not None
    sections = top.findall(f"{QTI}section")
    assert [s.get("title") for s in sections] == [f"Variant {q.variant}" for q in pool.questions]
    for section, question in zip(sections, pool.questions, strict=True):
        assert len(section.findall(f"{QTI}item")) == len(question.blanks)
    for item in items(root):
        assert field(item, "question_type") == "numerical_question"
        assert field(item, "points_possible") == "1"
        response = item.find(f"{QTI}presentation/{QTI}response_str")
        assert response is not None and response.get("rcardinality") == "Single"
        fib = response.find(f"{QTI}render_fib")
        assert fib is not None and fib.find(f"{QTI}response_label") is not None
        processing = item.find(f"{QTI}resprocessing")
        assert processing is not None
        decvar = processing.find(f"{QTI}outcomes/{QTI}decvar")
        assert decvar is not None and decvar.get("varname") == "SCORE"
        condition = processing.find(f"{QTI}respcondition")
        assert condition is not None
        tests = condition.find(f"{QTI}conditionvar")
        assert tests is not None
        assert {t.get("respident") for t in tests} == {response.get("ident")}
        setvar = condition.find(f"{QTI}setvar")
        assert setvar is not None and setvar.text == "100" and setvar.get("varname") == "SCORE"


def test_idents_are_unique(pool: Pool) -> None:
    _, assessments, _ = unpack(qti_zip(pool, quiz_per_variant=True))
    idents = [element.get("ident") for root in assessments.values() for element in root.iter()
              if element.tag in (f"{QTI}assessment", f"{QTI}section", f"{QTI}item")
              and element.get("ident") != "root_section"]
    refs = [field(item, "assessment_question_identifierref")
            for root in assessments.values() for item in items(root)]
    assert len(idents) == len(set(idents)) == 2 + 2 + sum(len(q.blanks) for q in pool.questions)
    assert len(refs) == len(set(refs))


def test_every_answer_is_a_range_holding_value_and_tolerance(pool: Pool) -> None:
    _, assessments, _ = unpack(qti_zip(pool))
    (root,) = assessments.values()
    blanks = [blank for question in pool.questions for blank in question.blanks]
    for item, blank in zip(items(root), blanks, strict=True):
        low, high = bounds(item)
        assert low == low.quantize(Decimal("0.0001")) and high == high.quantize(Decimal("0.0001"))
        value, tolerance = Fraction(blank.value), Fraction(blank.tolerance)
        assert Fraction(low) <= value - tolerance and value + tolerance <= Fraction(high)
        assert Fraction(high - low) >= 2 * tolerance
        assert Fraction(high - low) <= 2 * tolerance + Fraction(2, 10**4)  # rounded, no more
        assert f"\\({blank.latex}\\)" in ET.tostring(html(item), encoding="unicode")
        assert blank.name in str(item.get("title"))


def test_hostile_text_reads_back_literally(pool: Pool) -> None:
    questions = tuple(dataclasses.replace(q, student=f"{HOSTILE} {i}")
                      for i, q in enumerate(pool.questions))
    hostile = dataclasses.replace(pool, exercise=HOSTILE, description=HOSTILE,
                                  questions=questions)
    data = qti_zip(hostile)
    _, assessments, archive = unpack(data)
    (root,) = assessments.values()
    assert b"<script>" not in archive.read(next(iter(assessments)))
    assessment = root.find(f"{QTI}assessment")
    assert assessment is not None and assessment.get("title") == HOSTILE
    titles = [s.get("title") for s in root.iter(f"{QTI}section")][1:]
    assert titles == [f"Variant {q.variant} ({q.student})" for q in questions]
    for item in items(root):
        assert HOSTILE in str(item.get("title"))
        assert html(item)[0].text == HOSTILE  # the description, a paragraph


def test_characters_xml_cannot_hold_are_replaced(pool: Pool) -> None:
    odd = dataclasses.replace(pool, exercise="a\x00b\x1bc\ud800")
    _, assessments, _ = unpack(qti_zip(odd))
    (root,) = assessments.values()
    assessment = root.find(f"{QTI}assessment")
    assert assessment is not None and assessment.get("title") == "a\ufffdb\ufffdc\ufffd"


def hand_pool(*values: float) -> Pool:
    blanks = tuple(Blank(f"q{i}", f"q_{{{i}}}", value, 1e-6) for i, value in enumerate(values))
    question = Question("v7", "Ann", (("x", "1"),), blanks, "")
    return Pool("Tiny", "", 9, "simultaneous", (question,))


@pytest.mark.parametrize("value", [4.39e-5, -4.39e-5, 1e-12])
def test_a_value_below_1e_4_is_kept_loosely_and_named_in_one_line(value: float) -> None:
    """Canvas holds it as 0: the range takes in 0, so the right answer is never marked
    wrong; the loose margin is said, in one line naming the variant and the quantity."""
    _, assessments, _ = unpack(qti_zip(hand_pool(0.5, value)))
    (root,) = assessments.values()
    low, high = bounds(items(root)[1])
    assert low <= 0 <= high and low <= Decimal(value) <= high
    (line,) = loose(hand_pool(0.5, value))
    assert "\n" not in line and line.startswith("qti: variant v7, q1 = ")
    assert "Canvas keeps 4 decimals" in line and "0.5" not in line


def test_zero_and_values_at_1e_4_are_kept() -> None:
    _, assessments, _ = unpack(qti_zip(hand_pool(0.0, 1e-4, -0.000333)))
    (root,) = assessments.values()
    assert [bounds(item) for item in items(root)] == [
        (Decimal("-0.0001"), Decimal("0.0001")), (Decimal("0.0000"), Decimal("0.0002")),
        (Decimal("-0.0004"), Decimal("-0.0003"))]
    assert not any(r.get("type") == "webcontent"  # no figure, no file
                   for r in unpack(qti_zip(hand_pool(1.0)))[0].iter(f"{CP}resource"))


def test_a_quiz_per_variant(pool: Pool) -> None:
    manifest, assessments, _ = unpack(qti_zip(pool, quiz_per_variant=True))
    assert len(assessments) == len(pool.questions)
    for root, question in zip(assessments.values(), pool.questions, strict=True):
        assessment = root.find(f"{QTI}assessment")
        assert assessment is not None
        assert assessment.get("title") == f"{pool.exercise} — {question.variant}"
        assert len(items(root)) == len(question.blanks)
    assert len(list(manifest.iter(f"{CP}resource"))) == 2 * len(pool.questions)


def test_the_same_pool_gives_the_same_bytes(pool: Pool) -> None:
    assert qti_zip(pool) == qti_zip(pool)
    other = dataclasses.replace(pool, questions=pool.questions[:1])
    assert set(unpack(qti_zip(other))[1]).isdisjoint(unpack(qti_zip(pool))[1])
