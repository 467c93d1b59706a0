"""The question pool as an IMS QTI 1.2 package, the zip Canvas (Classic Quizzes: Settings >
Import Course Content > QTI .zip file) and Blackboard import.

Layout, as Canvas's own exports and text2qti (a maintained writer of Canvas QTI) have it:
`imsmanifest.xml` (IMS Content Packaging 1.1) lists one resource of type `imsqti_xmlv1p2`
per assessment file and one `webcontent` resource per figure; an assessment file is
`<questestinterop><assessment><section ident="root_section">`, holding one `<section>` per
variant with that variant's items. An item is one asked quantity: a Canvas
`numerical_question` (`question_type` and `points_possible` in its `itemmetadata`), the
variant's givens, figure and update order in its text, one `response_str`/`render_fib
fibtype="Decimal"` answer, scored 100 when `vargte` low and `varlte` high both hold.

Why an item per quantity: a Canvas numerical question takes one number, and Classic Quizzes
has no question with several numeric blanks (`fill_in_multiple_blanks_question` compares
text, with no tolerance). Items of a variant stay together in the variant's section.

Drawing a whole variant: Canvas cannot. A Canvas question group is a `<section>` with a
`<selection_number>`, and it draws that many of its *items*, each group on its own (nested
sections are flattened, a group cannot draw one of several sections); a group per quantity
would give a student net_h1 of one variant and its gradient of another. A section without a
selection is no group: Canvas imports every item of every variant into the one quiz (and a
question bank of the same). So a student gets a consistent variant only from a quiz that
holds that variant alone: `quiz_per_variant=True` writes one assessment per variant, which
Canvas imports as one quiz each ("exercise — v1 (student)"); publish each to its student
with the quiz's "Assign to". Left as one assessment, the import is a question bank to build
such quizzes from (the item titles start with the variant). Moodle, which can draw a random
question of several blanks, is the platform for a drawn pool.

Numbers: Canvas keeps a numeric answer to 4 decimals and turns one below 1e-4 into 0. So
the range is the value ± its tolerance, the low end rounded down and the high end up to 4
decimals: never narrower than the tolerance, wider where the tolerance is finer than 1e-4
(a right answer is never marked wrong; a value like 0.000333 accepts 0.0003 to 0.0004).
A value below 1e-4 (not 0) is held as a range from 0 to 1e-4: no right answer is marked
wrong, but wrong ones near it are marked right; `loose` names each such answer, and the
command line warns of it.

Text: the item text is HTML, built as elements (user text escaped there, and again as XML);
math is inline LaTeX in \\( \\), which Canvas typesets with MathJax since its 2021 releases
(text2qti issue #43); Blackboard shows the LaTeX source. Figures are SVG files in the
package, referenced as Canvas does (`$IMS-CC-FILEBASE$`, URL-escaped as text2qti does).
Identifiers derive from the pool's content: the same pool gives the same bytes, and another
exercise imported into the same course never collides with this one.
"""

from __future__ import annotations

import hashlib
import io
import math
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from .errors import TracerError
from .escape import xml_chars
from .files import MARK
from .lms import Blank, Pool, Question

QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
QTI_SCHEMA = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2p1.xsd"
CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
CP_SCHEMA = "http://www.imsglobal.org/xsd/imscp_v1p1.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
FILEBASE = "%24IMS-CC-FILEBASE%24"  # Canvas's placeholder for the package's folder
PLACES = 4  # Canvas keeps numeric answers to 4 decimals
SMALLEST = 1e-4  # and turns smaller ones into 0
POINTS = 1  # per asked quantity
ORDERS = {
    "simultaneous": "Weights are updated simultaneously: a hidden layer's delta uses the next "
                    "layer's weights as they were before this step's update.",
    "sequential": "Weights are updated sequentially, from the output layer back: a hidden "
                  "layer's delta uses the next layer's weights already updated.",
}


def qti_zip(pool: Pool, *, quiz_per_variant: bool = False) -> bytes:
    """The package: one assessment holding a section per variant, or with `quiz_per_variant`
    one assessment (one Canvas quiz) per variant. Raises TracerError for a value that is
    not a finite number."""
    base = _package_id(pool, quiz_per_variant)
    numbered = list(enumerate(pool.questions, 1))
    groups = [[entry] for entry in numbered] if quiz_per_variant else [numbered]
    files: dict[str, bytes] = {}
    assessments: list[tuple[str, str]] = []
    figures: list[tuple[str, str]] = []
    for number, questions in enumerate(groups, 1):
        ident = f"{base}_quiz{number}"
        title = _quiz_title(pool, questions[0][1]) if quiz_per_variant else pool.exercise
        href = f"{ident}/{ident}.xml"
        files[href] = _xml(_assessment(pool, questions, ident, title or "Exercise", base))
        assessments.append((ident, href))
    for index, question in numbered:
        if question.figure:
            figures.append((f"{base}_figure{index}", _figure(base, index)))
            files[_figure(base, index)] = xml_chars(question.figure).encode("utf-8")
    manifest = _xml(_manifest(base, assessments, figures))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in (("imsmanifest.xml", manifest), *files.items()):
            # a fixed date: the same pool gives the same bytes
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
        archive.comment = MARK.encode()  # known again as tracer's (files.written_by_tracer)
    return buffer.getvalue()


def answer_range(question: Question, blank: Blank) -> tuple[str, str]:
    """The accepted answers as Canvas holds them: value ± tolerance, rounded outward to 4
    decimals (exactly, from the floats' binary values)."""
    value, tolerance = blank.value, abs(blank.tolerance)
    if not (math.isfinite(value) and math.isfinite(tolerance)):
        raise TracerError(f"qti: variant {question.variant}, {blank.name}: not a finite number")
    scale = 10**PLACES
    low = math.floor((Fraction(value) - Fraction(tolerance)) * scale)
    high = math.ceil((Fraction(value) + Fraction(tolerance)) * scale)
    return (format(Decimal(low).scaleb(-PLACES), "f"), format(Decimal(high).scaleb(-PLACES), "f"))


def loose(pool: Pool) -> list[str]:
    """A line for each answer Canvas cannot hold faithfully: below 1e-4 it keeps 0, so the
    range takes in every answer from 0 to 1e-4 (none right is marked wrong; wrong ones near
    it are marked right)."""
    return [f"qti: variant {question.variant}, {blank.name} = {blank.value:.3g}: Canvas keeps "
            f"4 decimals, so any answer from {' to '.join(answer_range(question, blank))} is "
            "accepted; leave it out of `ask`, or use moodle or gift, to grade it closely"
            for question in pool.questions for blank in question.blanks
            if 0 < abs(blank.value) < SMALLEST]


def _package_id(pool: Pool, quiz_per_variant: bool) -> str:
    """An identifier from the pool's content (Canvas matches imported content by it)."""
    made = repr((pool, quiz_per_variant))  # the two layouts must not share identifiers
    return "tracer_" + hashlib.sha256(made.encode("utf-8", "replace")).hexdigest()[:16]


def _label(question: Question) -> str:
    return f"{question.variant} ({question.student})" if question.student else question.variant


def _quiz_title(pool: Pool, question: Question) -> str:
    return f"{pool.exercise or 'Exercise'} — {_label(question)}"


def _figure(base: str, index: int) -> str:
    return f"images/{base}_figure{index}.svg"


def _assessment(pool: Pool, questions: Sequence[tuple[int, Question]], ident: str,
                title: str, base: str) -> ET.Element:
    """The questions (numbered in the pool) as one assessment, a section per variant."""
    root = ET.Element("questestinterop", {
        "xmlns": QTI_NS, "xmlns:xsi": XSI_NS, "xsi:schemaLocation": f"{QTI_NS} {QTI_SCHEMA}"})
    assessment = _sub(root, "assessment", ident=ident, title=title)
    field = _sub(_sub(assessment, "qtimetadata"), "qtimetadatafield")
    _sub(field, "fieldlabel", "cc_maxattempts")
    _sub(field, "fieldentry", "1")
    top = _sub(assessment, "section", ident="root_section")
    for index, question in questions:
        section = _sub(top, "section", ident=f"{base}_variant{index}",
                       title=f"Variant {_label(question)}")
        for number, blank in enumerate(question.blanks, 1):
            section.append(_item(pool, question, blank, f"{base}_item{index}_{number}",
                                 _figure(base, index)))
    return root


def _item(pool: Pool, question: Question, blank: Blank, ident: str,
          figure: str) -> ET.Element:
    low, high = answer_range(question, blank)
    item = ET.Element("item", ident=ident, title=xml_chars(f"{_label(question)}: {blank.name}"))
    metadata = _sub(_sub(item, "itemmetadata"), "qtimetadata")
    for label, entry in (("question_type", "numerical_question"),
                         ("points_possible", str(POINTS)),
                         ("original_answer_ids", f"{ident}_answer"),
                         ("assessment_question_identifierref", f"{ident}_ref")):
        field = _sub(metadata, "qtimetadatafield")
        _sub(field, "fieldlabel", label)
        _sub(field, "fieldentry", entry)
    presentation = _sub(item, "presentation")
    _sub(_sub(presentation, "material"), "mattext", _html(pool, question, blank, figure),
         texttype="text/html")
    response = _sub(presentation, "response_str", ident="response1", rcardinality="Single")
    _sub(_sub(response, "render_fib", fibtype="Decimal"), "response_label", ident="answer1")
    processing = _sub(item, "resprocessing")
    _sub(_sub(processing, "outcomes"), "decvar", maxvalue="100", minvalue="0",
         varname="SCORE", vartype="Decimal")
    condition = _sub(processing, "respcondition", **{"continue": "No"})
    test = _sub(condition, "conditionvar")
    _sub(test, "vargte", low, respident="response1")
    _sub(test, "varlte", high, respident="response1")
    _sub(condition, "setvar", "100", action="Set", varname="SCORE")
    return item


def _html(pool: Pool, question: Question, blank: Blank, figure: str) -> str:
    """The question as an HTML fragment (well-formed: it parses as XML too)."""
    body = ET.Element("div")
    if pool.description:
        _sub(body, "p", pool.description)
    _sub(body, "p", "Given:")
    givens = _sub(body, "ul")
    for symbol, value in question.givens:
        _sub(givens, "li", f"\\({symbol} = {value}\\)")
    if pool.update_order in ORDERS:
        _sub(body, "p", ORDERS[pool.update_order])
    if question.figure:
        _sub(_sub(body, "p"), "img", src=f"{FILEBASE}/{figure}", alt="The network")
    _sub(body, "p", f"Compute \\({blank.latex}\\), to {pool.decimals} decimal places.")
    return ET.tostring(body, encoding="unicode")


def _manifest(base: str, assessments: Sequence[tuple[str, str]],
              figures: Sequence[tuple[str, str]]) -> ET.Element:
    root = ET.Element("manifest", {
        "identifier": f"{base}_manifest", "xmlns": CP_NS, "xmlns:xsi": XSI_NS,
        "xsi:schemaLocation": f"{CP_NS} {CP_SCHEMA}"})
    metadata = _sub(root, "metadata")
    _sub(metadata, "schema", "IMS Content")
    _sub(metadata, "schemaversion", "1.1.3")
    _sub(root, "organizations")
    resources = _sub(root, "resources")
    for ident, href in assessments:
        _sub(_sub(resources, "resource", identifier=ident, type="imsqti_xmlv1p2", href=href),
             "file", href=href)
    for ident, href in figures:
        _sub(_sub(resources, "resource", identifier=ident, type="webcontent", href=href),
             "file", href=href)
    return root


def _sub(parent: ET.Element, tag: str, text: str | None = None,
         **attributes: str) -> ET.Element:
    """A child element; its text and attributes cleaned of what XML cannot hold (ElementTree
    escapes the rest)."""
    child = ET.SubElement(parent, tag, {key: xml_chars(value) for key, value in attributes.items()})
    if text is not None:
        child.text = xml_chars(text)
    return child


def _xml(root: ET.Element) -> bytes:
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    return data + b"\n"
