"""A question pool as Moodle XML (https://docs.moodle.org/en/Moodle_XML_format).

One category question (`$course$/top/<exercise>`), then one embedded-answers (Cloze)
question per variant, with one `{1:NUMERICAL:=value:tolerance}` blank per asked quantity.
One question per variant keeps a variant's numbers together: a quiz's "random question
from this category" then hands each student one whole variant, never the givens of one
variant with the answers of another (separate numerical questions would be drawn apart).

The question text is HTML: the description, the network as an SVG embedded in the
question (`<file ... encoding="base64">`, shown by `@@PLUGINFILE@@/network-<variant>.svg`),
the given values with math in `\\( ... \\)` for Moodle's MathJax filter, and the blanks.
ElementTree writes the XML and escapes it (Moodle reads escaped text as well as CDATA);
the HTML inside is escaped here. Moodle finds Cloze blanks by matching `{n:TYPE:...}`
anywhere in the stored question text, so every brace of user text and LaTeX is written
as an HTML entity (`&#123;`): the browser, and so MathJax, still reads a brace, and no
title or name can add a blank. Tolerances are absolute, as Cloze NUMERICAL reads them.
"""

from __future__ import annotations

import base64
import html
import math
import xml.etree.ElementTree as ET
from urllib.parse import quote

from .errors import TracerError
from .escape import xml_chars
from .lms import Blank, Pool, Question, shown

PLUGINFILE = "@@PLUGINFILE@@"  # Moodle's marker for a file of the question's own
PENALTY = "0.3333333"  # Moodle's default penalty for each wrong try
TOLERANCE_PLACES = 15  # a tolerance that reads 0 at this many decimals cannot be given


def moodle_xml(pool: Pool) -> str:
    """The pool as a Moodle XML question file: a category, then one Cloze question per
    variant. Raises TracerError for a value a platform cannot be given."""
    quiz = ET.Element("quiz")
    category = ET.SubElement(quiz, "question", type="category")
    _text(ET.SubElement(category, "category"), category_path(pool.exercise))
    for question in pool.questions:
        quiz.append(_cloze(pool, question))
    ET.indent(quiz)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, "unicode") + "\n"


def category_path(*names: str) -> str:
    """`$course$/top/<name>/...` with each name escaped as Moodle writes category paths:
    a slash doubled, a name that starts or ends with one padded with a space."""
    parts = []
    for name in names:
        part = " ".join(name.split()).replace("/", "//")
        part = (" " if part.startswith("/") else "") + part + (" " if part.endswith("/") else "")
        parts.append(part)
    return "/".join(["$course$", "top", *parts])


def question_name(pool: Pool, question: Question) -> str:
    """exercise — variant (student name, if the variant is a student's)."""
    name = f"{pool.exercise} — {question.variant}"
    return f"{name} ({question.student})" if question.student else name


def answer_numbers(question: Question, blank: Blank) -> tuple[str, str]:
    """The blank's value and absolute tolerance as a platform reads them (plain decimals).
    Raises TracerError, naming the variant and quantity, for a value that is not finite
    or a tolerance that reads 0 (the platform would accept the exact value only)."""
    where = f"variant {question.variant}: {blank.name}"
    if not (math.isfinite(blank.value) and math.isfinite(blank.tolerance)):
        raise TracerError(f"{where}: {blank.value!r} ± {blank.tolerance!r} is not a finite "
                          "number a learning platform can check")
    tolerance = shown(blank.tolerance, TOLERANCE_PLACES)
    if float(tolerance) <= 0:
        raise TracerError(f"{where}: its tolerance {blank.tolerance!r} reads 0 at "
                          f"{TOLERANCE_PLACES} decimals; a platform would accept only the "
                          "exact value")
    # Enough decimals for 17 significant figures of a small value: the number as computed.
    exponent = math.floor(math.log10(abs(blank.value))) if blank.value else 0
    return shown(blank.value, max(15, 16 - exponent)), tolerance


def html_text(text: str) -> str:
    """User text (or LaTeX) for HTML that a Cloze question holds: escaped, braces too."""
    return html.escape(text).replace("{", "&#123;").replace("}", "&#125;")


def math_html(latex: str) -> str:
    """Inline math for Moodle's MathJax filter."""
    return "\\(" + html_text(latex) + "\\)"


def statement_html(pool: Pool, question: Question, figure: str = "") -> str:
    """The description, `figure` (HTML, if any), the given values as a table, the update
    order and the decimals asked for."""
    rows = "".join(f"<tr><td>{math_html(symbol)}</td><td>{html_text(value)}</td></tr>"
                   for symbol, value in question.givens)
    order = ("all weights are updated at once: hidden-layer gradients use the output "
             "weights from before the update" if pool.update_order == "simultaneous" else
             "weights are updated layer by layer from the output: hidden-layer gradients "
             "use the output weights already updated")
    parts = [f"<p>{html_text(pool.description)}</p>"] if pool.description.strip() else []
    parts += [figure] if figure else []
    parts += ["<table><tr><th>Given</th><th>Value</th></tr>" + rows + "</table>",
              f"<p>Updates: {html_text(order)}.</p>",
              f"<p>Give each answer to {pool.decimals} decimal places.</p>"]
    return "\n".join(parts)


def figure_name(question: Question) -> str:
    return f"network-{question.variant}.svg"


def _cloze(pool: Pool, question: Question) -> ET.Element:
    element = ET.Element("question", type="cloze")
    _text(ET.SubElement(element, "name"), question_name(pool, question))
    text = ET.SubElement(element, "questiontext", format="html")
    _text(text, _question_html(pool, question))
    if question.figure:
        data = base64.b64encode(question.figure.encode("utf-8")).decode("ascii")
        file = ET.SubElement(text, "file", name=figure_name(question), path="/",
                             encoding="base64")
        file.text = data
    _text(ET.SubElement(element, "generalfeedback", format="html"), "")
    ET.SubElement(element, "defaultgrade").text = str(len(question.blanks))
    ET.SubElement(element, "penalty").text = PENALTY
    ET.SubElement(element, "hidden").text = "0"
    return element


def _question_html(pool: Pool, question: Question) -> str:
    source = PLUGINFILE + "/" + quote(figure_name(question))
    figure = f'<p><img src="{html.escape(source)}" alt="The network"></p>'
    parts = [statement_html(pool, question, figure if question.figure else "")]
    items = []
    for blank in question.blanks:
        value, tolerance = answer_numbers(question, blank)
        items.append(f"<li>{math_html(blank.latex)} (<code>{html_text(blank.name)}</code> "
                     f"on the answer sheet): {{1:NUMERICAL:={value}:{tolerance}}}</li>")
    parts.append("<ul>\n" + "\n".join(items) + "\n</ul>")
    return "\n".join(parts)


def _text(parent: ET.Element, text: str) -> None:
    """A `<text>` child; characters XML 1.0 cannot hold become U+FFFD."""
    ET.SubElement(parent, "text").text = xml_chars(text)
