"""The pool as Moodle XML and as GIFT, read back by readers written from the formats'
documentation (https://docs.moodle.org/en/Moodle_XML_format,
https://docs.moodle.org/en/Embedded_Answers_(Cloze)_question_type,
https://docs.moodle.org/en/GIFT_format): every variant's every asked value is there, with
its tolerance, and hostile titles and names come back as written."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import html
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

import tracer
from tracer.errors import TracerError
from tracer.gift import gift_text
from tracer.keys import Student, make_variants
from tracer.lms import Pool, make_pool
from tracer.moodle import moodle_xml
from tracer.network import build_trace

HOMEWORK = Path(__file__).resolve().parent.parent / "examples" / "homework.toml"
HOSTILE = "<script>alert(1)</script> ]]> {1:NUMERICAL:=5:1} ~ = # : & {#1} \\ \\n \\{ //"

# Cloze NUMERICAL grammar: {weight:NUMERICAL:=answer:tolerance}, numbers as Moodle's
# NUMBER_REGEX reads them; any {n:TYPE: opening is a blank to Moodle.
NUMBER = r"-?(?:[0-9]+[.,]?[0-9]*|[.,][0-9]+)(?:[eE][-+]?[0-9]+)?"
CLOZE = re.compile(rf"\{{([0-9]*):(?:NUMERICAL|NM):=({NUMBER}):({NUMBER})\}}")
ANY_BLANK = re.compile(r"\{[0-9]*:[A-Z_]+:")


def pool_of(spec: tracer.Spec | None = None, names: tuple[str, ...] = ()) -> Pool:
    graph = build_trace(spec or tracer.load_spec(HOMEWORK))
    entries: list[tuple[str, Student | None]] = [
        (f"s{i}", Student(f"s{i}", name)) for i, name in enumerate(names)]
    entries = entries or [("v1", None), ("v2", None)]
    return make_pool(graph, make_variants(graph, 7, entries))


def hostile_pool() -> Pool:
    text = HOMEWORK.read_text(encoding="utf-8")
    lines = f"title = {_toml(HOSTILE)}\ndescription = {_toml('Do it: ' + HOSTILE)}"
    text = re.sub(r"^title = .*$", lambda _: lines, text, count=1, flags=re.M)
    return pool_of(tracer.parse_spec(text), names=(HOSTILE, "Ann"))


def _toml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def category_names(path: str | None) -> list[str]:
    """A category path split as Moodle does: at a single `/`; `//` is a slash in a name."""
    assert path is not None
    return [part.replace("//", "/").strip() for part in re.split(r"(?<!/)/(?!/)", path)]


def close(parsed: float, value: float) -> bool:
    return math.isclose(parsed, value, rel_tol=1e-12, abs_tol=1e-300)


# --- Moodle XML ----------------------------------------------------------------------


def read_moodle(text: str) -> list[ET.Element]:
    root = ET.fromstring(text)
    assert root.tag == "quiz"
    questions = root.findall("question")
    assert len(questions) == len(list(root))
    return questions


@pytest.mark.parametrize("pool", [pool_of(), hostile_pool()], ids=["homework", "hostile"])
def test_moodle_structure_and_blanks(pool: Pool) -> None:
    category, *clozes = read_moodle(moodle_xml(pool))
    assert category.get("type") == "category"
    assert category_names(category.findtext("category/text")) == [
        "$course$", "top", pool.exercise]
    assert len(clozes) == len(pool.questions)
    for element, question in zip(clozes, pool.questions, strict=True):
        assert element.get("type") == "cloze"
        name = element.findtext("name/text")
        assert name is not None and question.variant in name
        assert name.startswith(pool.exercise) and question.student in name
        assert element.findtext("defaultgrade") == str(len(question.blanks))
        assert element.findtext("hidden") == "0"
        assert element.find("generalfeedback/text") is not None
        float(element.findtext("penalty") or "x")
        body = element.find("questiontext")
        assert body is not None and body.get("format") == "html"
        text = body.findtext("text") or ""
        blanks = CLOZE.findall(text)
        assert len(ANY_BLANK.findall(text)) == len(blanks) == len(question.blanks)
        assert "{#" not in text  # Moodle's placeholder for a blank
        for (weight, value, tolerance), blank in zip(blanks, question.blanks, strict=True):
            assert weight == "1"
            assert close(float(value), blank.value), (blank.name, value)
            assert close(float(tolerance), blank.tolerance) or abs(
                float(tolerance) - blank.tolerance) <= 1e-15
        check_figure(body, text, question.variant, question.figure)


def check_figure(body: ET.Element, text: str, variant: str, figure: str) -> None:
    files = body.findall("file")
    assert len(files) == 1
    file = files[0]
    assert file.get("name") == f"network-{variant}.svg"
    assert (file.get("path"), file.get("encoding")) == ("/", "base64")
    try:
        data = base64.b64decode(file.text or "", validate=True)
    except binascii.Error as error:
        pytest.fail(f"not base64: {error}")
    assert data.decode("utf-8") == figure and figure.lstrip().startswith("<svg")
    assert f'src="@@PLUGINFILE@@/network-{variant}.svg"' in text


def test_moodle_hostile_text_is_literal() -> None:
    pool = hostile_pool()
    text = moodle_xml(pool)
    assert "<script>" not in text and "]]>" not in text
    category, *clozes = read_moodle(text)
    assert category_names(category.findtext("category/text")) == ["$course$", "top", HOSTILE]
    first = clozes[0]
    assert first.findtext("name/text") == f"{HOSTILE} — {pool.questions[0].variant} ({HOSTILE})"
    body = first.findtext("questiontext/text") or ""
    assert "<script>" not in body  # the description is escaped once more, for HTML
    assert f"Do it: {HOSTILE}" in html.unescape(body)


def test_moodle_math_and_instructions() -> None:
    pool = pool_of()
    body = read_moodle(moodle_xml(pool))[1].findtext("questiontext/text") or ""
    shown = html.unescape(body)
    for symbol, value in pool.questions[0].givens:
        assert f"\\({symbol}\\)" in shown and value in shown
    assert f"{pool.decimals} decimal places" in shown
    for blank in pool.questions[0].blanks:
        assert f"<code>{blank.name}</code> on the answer sheet" in shown


# --- GIFT ----------------------------------------------------------------------------


@dataclasses.dataclass
class GiftQuestion:
    title: str
    markup: str  # the [format] marker, if any
    text: str  # unescaped, answers taken out
    answers: list[str]  # the unescaped insides of each {...}


def read_gift(source: str) -> tuple[list[str], list[GiftQuestion]]:
    """Blocks apart by blank lines; `//` comment lines; `$CATEGORY:`; `::title::`;
    `[format]`; `{...}` answers; backslash escapes `\\~ \\= \\# \\{ \\} \\: \\\\ \\n`."""
    categories, questions = [], []
    for block in re.split(r"\n[ \t]*\n", source.strip()):
        lines = [line for line in block.splitlines() if not line.strip().startswith("//")]
        text = "\n".join(lines).strip()
        if text.startswith("$CATEGORY:"):
            categories.append(text[len("$CATEGORY:"):].strip().replace("\\\\", "\\"))
        elif text:
            questions.append(_gift_question(text))
    return categories, questions


def _gift_question(text: str) -> GiftQuestion:
    tokens = _gift_tokens(text)  # (character, escaped)
    title = ""
    if tokens[:2] == [(":", False), (":", False)]:
        end = next(i for i in range(2, len(tokens) - 1)
                   if tokens[i] == tokens[i + 1] == (":", False))
        special = [c for c, escaped in tokens[2:end] if not escaped and c in "~=#{}:"]
        assert not special, f"unescaped {special} in the title"
        title, tokens = "".join(c for c, _ in tokens[2:end]), tokens[end + 2:]
    plain, answers, inside = "", [], None
    for char, escaped in tokens:
        if not escaped and char == "{":
            assert inside is None, "nested {"
            inside = ""
        elif not escaped and char == "}":
            assert inside is not None, "unmatched }"
            answers.append(inside)
            inside = None
        elif inside is not None:
            inside += char
        else:
            assert escaped or char not in "~=#:", f"unescaped {char!r} in text"
            plain += char
    assert inside is None, "unclosed {"
    markup = ""
    if plain.startswith("[") and "]" in plain:
        markup, plain = plain[1:plain.index("]")], plain[plain.index("]") + 1:]
    return GiftQuestion(title, markup, plain, answers)


def _gift_tokens(text: str) -> list[tuple[str, bool]]:
    tokens, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in "\\~=#{}:n":
            tokens.append(("\n" if text[i + 1] == "n" else text[i + 1], True))
            i += 2
        else:
            tokens.append((text[i], False))
            i += 1
    return tokens


def gift_numeric(answer: str) -> tuple[float, float]:
    match = re.fullmatch(rf"#\s*({NUMBER}):({NUMBER})\s*", answer)
    assert match, answer
    return float(match[1]), float(match[2])


@pytest.mark.parametrize("pool", [pool_of(), hostile_pool()], ids=["homework", "hostile"])
def test_gift_questions_and_answers(pool: Pool) -> None:
    categories, questions = read_gift(gift_text(pool))
    top = ["$course$", "top", pool.exercise]
    assert [category_names(c) for c in categories] == [top] + [
        [*top, q.variant] for q in pool.questions]
    expected = [(q, b) for q in pool.questions for b in q.blanks]
    assert len(questions) == len(expected)
    for read, (question, blank) in zip(questions, expected, strict=True):
        name = f"{pool.exercise} — {question.variant}"
        name += f" ({question.student})" if question.student else ""
        assert read.title == f"{name} — {blank.name}"
        assert read.markup == "html"
        assert len(read.answers) == 1
        value, tolerance = gift_numeric(read.answers[0])
        assert close(value, blank.value) and abs(tolerance - blank.tolerance) <= 1e-15
        shown = html.unescape(read.text)
        for symbol, given in question.givens:
            assert f"\\({symbol}\\)" in shown and given in shown
        assert f"\\({blank.latex}\\)" in shown and f"<code>{blank.name}</code>" in shown
        assert "<img" not in read.text  # GIFT cannot embed the figure


def test_gift_hostile_text_comes_back() -> None:
    pool = hostile_pool()
    source = gift_text(pool)
    _, questions = read_gift(source)
    first = questions[0]
    assert first.title.startswith(f"{HOSTILE} — s0 ({HOSTILE}) — ")
    assert f"Do it: {HOSTILE}" in html.unescape(first.text)
    assert "<script>" not in first.text  # HTML format: the text is escaped for HTML too


# --- what a platform cannot be given -------------------------------------------------


@pytest.mark.parametrize("writer", [moodle_xml, gift_text], ids=["moodle", "gift"])
@pytest.mark.parametrize(("field", "number"), [
    ("value", math.nan), ("value", -math.inf), ("tolerance", 1e-17), ("tolerance", 0.0),
    ("tolerance", math.inf)])
def test_unrepresentable_values_are_refused(writer: Callable[[Pool], str], field: str,
                                            number: float) -> None:
    pool = pool_of()
    question = pool.questions[1]
    blank = question.blanks[2]
    blank = (dataclasses.replace(blank, value=number) if field == "value"
             else dataclasses.replace(blank, tolerance=number))
    broken = dataclasses.replace(question, blanks=(*question.blanks[:2], blank,
                                                   *question.blanks[3:]))
    pool = dataclasses.replace(pool, questions=(pool.questions[0], broken))
    with pytest.raises(TracerError) as raised:
        writer(pool)
    message = str(raised.value)
    assert "\n" not in message
    assert question.variant in message and blank.name in message


def test_small_values_keep_their_figures() -> None:
    pool = pool_of()
    question = pool.questions[0]
    blank = dataclasses.replace(question.blanks[0], value=-1.234567890123456e-9,
                                tolerance=1e-12)
    pool = dataclasses.replace(pool, questions=(dataclasses.replace(
        question, blanks=(blank,)),))
    text = read_moodle(moodle_xml(pool))[1].findtext("questiontext/text") or ""
    ((_, value, _),) = CLOZE.findall(text)
    assert "e" not in value.lower() and close(float(value), blank.value)
    (read,) = read_gift(gift_text(pool))[1]
    assert close(gift_numeric(read.answers[0])[0], blank.value)
