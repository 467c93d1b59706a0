"""LaTeX to MathML (tracer/mathml.py): the constructs tracer writes, errors for anything
else, escaping, and every formula of the showcase and of random networks."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.strategies import network_data
from tracer.document import Document
from tracer.errors import TracerError
from tracer.evaluation import evaluate
from tracer.examples import example_spec
from tracer.mathml import MathError, prose, to_mathml
from tracer.network import build_trace
from tracer.renderer import document
from tracer.spec import spec_from_dict
from tracer.steps import Step
from tracer.training import train
from tracer.webpage import Page, page


def parsed(latex: str, **options: object) -> ET.Element:
    """The MathML as an XML tree: it must be well formed."""
    return ET.fromstring(to_mathml(latex, **options))  # type: ignore[arg-type]


def text_of(element: ET.Element) -> str:
    return "".join(element.itertext())


@pytest.mark.parametrize("latex,mathml", [
    (r"\frac{a}{2}", "<math><mfrac><mi>a</mi><mn>2</mn></mfrac></math>"),
    ("net_{h1}", "<math><msub><mi>net</mi><mrow><mi>h</mi><mn>1</mn></mrow></msub></math>"),
    ("x^{2}_{k}", "<math><msubsup><mi>x</mi><mi>k</mi><mn>2</mn></msubsup></math>"),
    (r"\sum_{k} x", "<math><munder><mo>∑</mo><mi>k</mi></munder><mi>x</mi></math>"),
    (r"\left(1 - 0.5\right)", '<math><mrow><mo stretchy="false">(</mo><mrow><mn>1</mn>'
     '<mo>−</mo><mn>0.5</mn></mrow><mo stretchy="false">)</mo></mrow></math>'),
    (r"\left(\frac{1}{2}\right)", '<math><mrow><mo stretchy="true">(</mo><mfrac><mn>1</mn>'
     '<mn>2</mn></mfrac><mo stretchy="true">)</mo></mrow></math>'),
    (r"a = -0.5", '<math><mi>a</mi><mo>=</mo><mo form="prefix">−</mo><mn>0.5</mn></math>'),
    (r"\delta \cdot \eta \times \partial",
     "<math><mi>δ</mi><mo>⋅</mo><mi>η</mi><mo>×</mo><mi>∂</mi></math>"),
    (r"\tanh{\left(x \right)}", '<math><mi mathvariant="normal">tanh</mi><mrow>'
     '<mo stretchy="false">(</mo><mi>x</mi><mo stretchy="false">)</mo></mrow></math>'),
    (r"\text{for}\: x", '<math><mtext>for</mtext><mspace width="0.222em"/><mi>x</mi></math>'),
    (r"\mathrm{d}x", '<math><mi mathvariant="normal">d</mi><mi>x</mi></math>'),
    (r"\begin{aligned}a &= b \\ &= c\end{aligned}",
     '<math><mtable class="aligned" displaystyle="true"><mtr><mtd><mi>a</mi></mtd><mtd>'
     "<mrow><mo>=</mo><mi>b</mi></mrow></mtd></mtr><mtr><mtd><mrow></mrow></mtd><mtd><mrow>"
     "<mo>=</mo><mi>c</mi></mrow></mtd></mtr></mtable></math>"),
])
def test_constructs(latex: str, mathml: str) -> None:
    assert to_mathml(latex) == mathml


def test_display_math_is_a_block() -> None:
    assert to_mathml("x", display=True) == '<math display="block"><mi>x</mi></math>'


def test_cases_get_a_brace() -> None:
    tree = parsed(r"\begin{cases} 0 & \text{for}\: x \leq 0 \\x & \text{otherwise} \end{cases}")
    assert text_of(tree) == "{0forx≤0xotherwise"  # the space is an <mspace>
    assert len(tree.findall(".//mtr")) == 2


@pytest.mark.parametrize("latex", [
    r"\input{/etc/passwd}", r"\frac{a}", "{a", "a}", r"\left( a", r"a \right)", "a & b",
    r"a \\ b", r"\begin{tabular}x\end{tabular}", r"\text{\input{x}}", "é", "a ? b",
    r"\begin{aligned} a \end{cases}", r"\left\foo a \right)", "x^", "",
])
def test_anything_else_is_an_error(latex: str) -> None:
    if latex == "":
        assert to_mathml("") == "<math></math>"
        return
    with pytest.raises(MathError) as error:
        to_mathml(latex)
    assert isinstance(error.value, TracerError)
    assert "\n" not in str(error.value)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(MathError):
        to_mathml("{" * 200 + "x" + "}" * 200)


def test_text_is_escaped() -> None:
    tree = parsed(r"\text{a<b & c>d}")
    assert text_of(tree) == "a<b & c>d"
    assert "<b" not in to_mathml(r"\text{a<b}").replace("<b>", "")
    assert to_mathml("a < b") == "<math><mi>a</mi><mo>&lt;</mo><mi>b</mi></math>"


def test_symbols_become_focusable_groups() -> None:
    symbols = {r"\frac{\partial E_{total}}{\partial w_{5}}": "dE_total/dw5", "w_{5}": "w5",
               "{w_{5}}^{+}": "w5_new"}
    mathml = to_mathml(r"{w_{5}}^{+} = w_{5} - \frac{\partial E_{total}}{\partial w_{5}}",
                       symbols=symbols)
    names = re.findall(r'data-q="([^"]+)" tabindex="0"', mathml)
    assert names == ["w5_new", "w5", "dE_total/dw5"]  # the w_{5} inside the others is theirs


def test_prose_sets_dollar_math_only() -> None:
    assert prose("the net input $net$ &#36;x&#36;") == (
        "the net input <math><mi>net</mi></math> &#36;x&#36;")


# -- hypothesis: the tokenizer and parser --------------------------------------------------

PIECES = ["a", "net", "7", "0.5", "+", "-", "=", "(", ")", "{", "}", "_", "^", "&", r"\\",
          r"\frac", r"\partial", r"\cdot", r"\left(", r"\right)", r"\text{x}", r"\sum",
          r"\delta", r"\begin{aligned}", r"\end{aligned}", r"\foo", " ", "<", "é", r"\:"]


@given(st.lists(st.sampled_from(PIECES), max_size=30))
def test_any_text_converts_or_fails_cleanly(pieces: list[str]) -> None:
    """Any sequence of tokens: well-formed MathML, or a MathError (never another error)."""
    try:
        mathml = to_mathml("".join(pieces))
    except MathError:
        return
    ET.fromstring(mathml)


def _leaf(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(["x", "net", "w", "3", "0.25", r"\delta", r"\eta",
                                 r"\partial", r"\text{and}"]))


@st.composite
def formulas(draw: st.DrawFn, depth: int = 3) -> str:
    """LaTeX of the shapes tracer writes, nested."""
    if depth == 0:
        return _leaf(draw)
    kind = draw(st.sampled_from(["leaf", "frac", "sub", "sup", "paren", "row", "group"]))
    inner = formulas(depth - 1)
    if kind == "frac":
        return rf"\frac{{{draw(inner)}}}{{{draw(inner)}}}"
    if kind == "sub":
        return rf"{{{draw(inner)}}}_{{{draw(inner)}}}"
    if kind == "sup":
        return rf"{{{draw(inner)}}}^{{{draw(inner)}}}"
    if kind == "paren":
        return rf"\left({draw(inner)}\right)"
    if kind == "row":
        operator = draw(st.sampled_from([" + ", " - ", r" \cdot ", " = "]))
        return operator.join(draw(st.lists(inner, min_size=2, max_size=3)))
    if kind == "group":
        return "{" + draw(inner) + "}"
    return _leaf(draw)


def _letters(text: str) -> Counter[str]:
    """Letters and digits a reader sees: command names are not text, \\text's are."""
    text = re.sub(r"\\text\{([^}]*)\}", r"\1", text)
    return Counter(re.sub(r"\\[A-Za-z]+", "", text).replace(".", "").replace(" ", "")
                   .translate(str.maketrans("", "", "{}_^()+-=")))


@given(formulas())
def test_nothing_is_dropped(latex: str) -> None:
    """Every letter and digit of the formula is in the MathML's text, as many times."""
    tree = parsed(latex)
    shown = text_of(tree).replace(".", "")
    assert _letters(latex) == Counter(ch for ch in shown if ch.isalnum()
                                      and ch not in "δη∂")


# -- every formula tracer writes -------------------------------------------------------------

def formulas_of(doc: Document) -> list[str]:
    found = [doc.loss_formula]
    found += [row.cells[0] for row in (*doc.givens, *doc.updates)]
    return found


def steps_of(doc: Document) -> list[Step]:
    return [s for run in doc.runs for section in run.sections for group in section.groups
            for s in group.steps]


def check_document(doc: Document, web: Page) -> int:
    """Every formula and step converts to well-formed MathML; each step's left-hand side is
    the focusable symbol of its own quantity. Returns how many were converted."""
    for latex in formulas_of(doc):
        ET.fromstring(web.math(latex))
    steps = steps_of(doc)
    for s in steps:
        mathml = web.step(s)
        ET.fromstring(mathml)
        first = re.search(r'data-q="([^"]+)"', mathml)
        assert first is not None and first.group(1) == s.name, s.lhs
    return len(steps) + len(formulas_of(doc))


@pytest.mark.parametrize("example", ["seed", "seed-sequential", "softmax"])
def test_every_showcase_formula_converts(example: str) -> None:
    trace = evaluate(build_trace(example_spec(example)))
    assert check_document(document(trace, "html"), page(trace)) > 60


def test_a_training_run_converts() -> None:
    run = train(build_trace(example_spec("softmax")), 20, keep=[1, 20])
    assert check_document(document(run, "html"), page(run.kept[1])) > 100


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(network_data(max_examples=2))
def test_every_formula_of_random_networks_converts(data: dict[str, object]) -> None:
    """Every activation and loss, batch and online, biases or not."""
    trace = evaluate(build_trace(spec_from_dict(data, "random.toml")))
    assert check_document(document(trace, "html"), page(trace)) > 0
