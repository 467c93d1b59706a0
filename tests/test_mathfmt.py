"""Numbers substituted into formulas: brackets only where precedence needs them, and the
filled LaTeX means what the formula with those numbers means (read back and evaluated)."""

from __future__ import annotations

import math
import re

import pytest
import sympy as sp
from hypothesis import given, reject, settings
from hypothesis import strategies as st

import tracer
from tracer import mathfmt
from tracer.document import Document, build_document
from tracer.numbers import shown
from tracer.quantities import Stage

from .strategies import networks
from .test_golden import DATA

X, Y, Z = sp.symbols("x y z")
SLOTS = {"x": 0, "y": 1, "z": 2}


def filled(expr: sp.Expr, *values: str) -> str:
    return mathfmt.fill(mathfmt.slotted_latex(expr, SLOTS), values)


@pytest.mark.parametrize(
    ("expr", "values", "latex"),
    [
        (sp.tanh(X), ("-0.33",), r"\tanh{\left(-0.33 \right)}"),
        (sp.exp(X), ("-0.078126",), r"e^{-0.078126}"),
        (X, ("-0.3",), "-0.3"),  # a whole side: "= w33 = -0.3", not (-0.3)
        (X * Y, ("-1.18", "-0.2"), r"-1.18 \cdot \left(-0.2\right)"),
        (X - Y, ("0.5", "-0.3"), r"0.5 - \left(-0.3\right)"),
        (X + Y, ("-0.5", "-0.3"), r"-0.5 + \left(-0.3\right)"),
        (X**2, ("-0.5",), r"\left(-0.5\right)^{2}"),
        (X**2, (r"4.386 \times 10^{-5}",), r"\left(4.386 \times 10^{-5}\right)^{2}"),
        (X * Y, ("0.5", r"4.386 \times 10^{-5}"), r"0.5 \cdot \left(4.386 \times 10^{-5}\right)"),
        (X * Y, (r"-4.386 \times 10^{-5}", "0.5"), r"\left(-4.386 \times 10^{-5}\right) \cdot 0.5"),
        (X + Y, (r"-4.386 \times 10^{-5}", "0.5"), r"-4.386 \times 10^{-5} + 0.5"),
        (1 / (1 + sp.exp(-X)), ("-0.5",), r"\frac{1}{1 + e^{- \left(-0.5\right)}}"),
        (sp.Mul(sp.Add(X, Y), sp.Rational(1, 2), evaluate=False), ("-0.708", "0"),
         r"\left(-0.708 + 0\right) \cdot \frac{1}{2}"),
    ],
)
def test_brackets_only_where_precedence_needs_them(expr: sp.Expr, values: tuple[str, ...],
                                                   latex: str) -> None:
    assert filled(expr, *values) == latex


def test_float_constants_print_as_written() -> None:
    assert mathfmt.latex(sp.Float(0.1) * X, {X: "x"}) == r"0.1 \cdot x"
    assert mathfmt.latex(X ** sp.Float(-0.5), {X: "x"}) == "x^{-0.5}"


def test_negated_factors() -> None:
    assert mathfmt.negated_factors(-X * sp.log(Y)) == (X,)
    assert set(mathfmt.negated_factors(-X / Y)) == {X}
    assert mathfmt.negated_factors(X * sp.log(Y)) == ()
    assert mathfmt.negated_factors(X - Y) == ()
    assert mathfmt.negated_factors(-X * Y) == ()  # w - eta·0 reads well: kept


# -- read back: the filled LaTeX evaluates to the formula's value -------------------------

def read_back(latex: str) -> float:
    """Evaluates the LaTeX this module prints for + − · / powers, e, tanh and log (our own
    output, in a test: Python's precedence is the usual one, so -0.5**2 is -(0.5**2) and
    a missing bracket shows)."""
    text = re.sub(r"\\tanh\^\{(\d+)\}", r"tanh\1", latex)  # tanh^{2}(x), from x·x
    text = text.replace(r"\left(", "(").replace(r"\right)", ")").replace(r"\cdot", "*")
    text = text.replace(r"\times", "*").replace("^", "**").replace("{", "(").replace("}", ")")
    text = text.replace(r"\tanh", "tanh").replace(r"\log", "log").replace(r"\frac", "")
    text = text.replace(")(", ")/(")  # \frac{a}{b}; never a product: we print one with \cdot
    assert re.fullmatch(r"[-+*/() .0-9etanhlog]*", text), text
    powers = {f"tanh{n}": (lambda x, n=n: math.tanh(x) ** n) for n in range(2, 40)}
    value = eval(text, {"__builtins__": {}},
                 {"e": math.e, "tanh": math.tanh, "log": math.log, **powers})
    return float(value)


def _power(base: sp.Expr, exponent: int) -> sp.Expr:
    return base**exponent


leaves = st.sampled_from([X, Y, Z])
expressions = st.recursive(leaves, lambda inner: st.one_of(
    st.builds(lambda a, b: a + b, inner, inner), st.builds(lambda a, b: a - b, inner, inner),
    st.builds(lambda a, b: a * b, inner, inner), st.builds(lambda a: -a, inner),
    st.builds(lambda a, b: a / (1 + _power(b, 2)), inner, inner),
    st.builds(_power, inner, st.sampled_from([2, 3])), st.builds(sp.exp, inner),
    st.builds(sp.tanh, inner)),
    max_leaves=6)
numbers = st.builds(lambda m, e, s: s * m * 10.0 ** e, st.floats(0.1, 9.9),
                    st.integers(-7, 1), st.sampled_from([1, -1]))


@settings(deadline=None, max_examples=150)
@given(expressions, st.lists(numbers, min_size=3, max_size=3), st.integers(2, 9))
def test_filled_formula_means_the_formula(expr: sp.Expr, values: list[float],
                                          digits: int) -> None:
    numbers_shown = [shown(v, digits) for v in values]
    latex = filled(expr, *(n.latex for n in numbers_shown))
    at = {s: sp.Float(numbers_shown[SLOTS[s.name]].plain, 30) for s in (X, Y, Z)}
    expected = complex(expr.xreplace(at).evalf(30))
    try:
        value = read_back(latex)
    except (OverflowError, ZeroDivisionError):  # e^{e^{9.9}}: no float holds it
        reject()
    assert value == pytest.approx(expected.real, rel=1e-9, abs=1e-300)
    assert_no_redundant_brackets(latex)


LONE_NUMBER = re.compile(
    r"(?P<before>\S*)\s*\\left\((?P<number>-?[0-9.]+(?: \\times 10\^\{-?\d+\})?)\\right\)"
    r"(?:(?P<power>\^)|(?P<times>(?=\s*\\cdot)))?")
OPERATOR = re.compile(r"(?:[-+]|\\cdot|\\times)$")


def assert_no_redundant_brackets(latex: str) -> None:
    """A number in brackets is negative after an operator, a (negative or scaled) base of a
    power, or scaled beside a product sign; no number stands in two pairs of brackets or
    right after a brace."""
    assert not re.search(r"(?:\\left\(|\{)\s*\\left\(-?[0-9.]+(?: \\times 10\^\{-?\d+\})?"
                         r"\\right\)\s*(?:\\right\)|\})", latex), latex
    for match in LONE_NUMBER.finditer(latex):
        number, power = match.group("number"), match.group("power")
        after_operator = bool(OPERATOR.search(match.group("before")))
        times = match.group("times") is not None or match.group("before").endswith(r"\cdot")
        assert (number.startswith("-") and after_operator) or (
            power and (number.startswith("-") or "times" in number)) or (
            "times" in number and times), (match.group(), latex)


# -- every step of the showcase documents and of random networks --------------------------

def steps_of(document: Document) -> list[str]:
    """Every form and value of every step shown: the stories' and the groups'."""
    steps = [step for run in document.runs for section in run.sections
             for step in (*(beat.step for story in section.stories for beat in story.beats),
                          *(step for group in section.groups for step in group.steps))]
    return [form for step in steps for form in (*step.forms, step.value)]


NETWORKS = sorted(name for name in tracer.EXAMPLES
                  if tracer.example_spec(name).circuit is None)


@pytest.mark.parametrize("name", NETWORKS)  # circuits: tests/test_circuit.py
def test_showcase_steps_have_no_redundant_brackets(name: str) -> None:
    trace = tracer.trace(tracer.example_spec(name))
    for form in steps_of(build_document(trace, "md")):
        assert_no_redundant_brackets(form)
        assert not re.search(r"(?:[-+]|\\cdot)\s*-\d", form), form  # "+ -0.5", "- -0.5"


@settings(deadline=None, max_examples=25)
@given(networks())
def test_random_network_steps_have_no_redundant_brackets(spec: tracer.Spec) -> None:
    for form in steps_of(build_document(tracer.trace(spec), "md")):
        assert_no_redundant_brackets(form)
        assert not re.search(r"(?:[-+]|\\cdot)\s*-\d", form), form
        assert not re.search(r"- 0 \\cdot", form), form  # "-0·log": a sentence instead


# -- upright words and minus signs in what the documents print ----------------------------

WORDS = re.compile(r"\\(?:mathrm|text|begin|end|operatorname)\{[^{}]*\}|\\[A-Za-z]+")


def italic_words(latex: str) -> list[str]:
    """Runs of two or more letters LaTeX would set as a product of italic variables."""
    return re.findall(r"[A-Za-z]{2,}", WORDS.sub(" ", latex))


def all_specs() -> dict[str, tracer.Spec]:
    specs = {name: tracer.example_spec(name) for name in tracer.EXAMPLES}
    for path in sorted(DATA.glob("*.toml")):
        specs[path.stem] = tracer.load_spec(path)
    return specs


@pytest.mark.parametrize("name", sorted(n for n, spec in all_specs().items()
                                         if spec.circuit is None))
def test_names_and_formulas_set_words_upright(name: str) -> None:
    trace = tracer.trace(all_specs()[name])
    document = build_document(trace, "md")
    symbols = [t.latex for t in trace.symbolic]
    assert r"E_{\mathrm{total}}" in " ".join(symbols) + document.loss_formula
    for latex in (*symbols, *steps_of(document), document.loss_formula,
                  *(step.lhs for run in document.runs for section in run.sections
                    for group in section.groups for step in group.steps)):
        assert not italic_words(latex), latex


@settings(deadline=None, max_examples=15)
@given(networks())
def test_random_network_symbols_set_words_upright(spec: tracer.Spec) -> None:
    for term in tracer.build_trace(spec):
        assert not italic_words(term.latex), term.latex


def text_outside_math(markdown: str) -> str:
    markdown = re.sub(r"^\$\$\n.*?\n\$\$$", "", markdown, flags=re.S | re.M)
    return re.sub(r"`[^`]*`|(?<![\\$])\$[^$\n]+?(?<!\\)\$", "", markdown)


@pytest.mark.parametrize("name", sorted(all_specs()))
def test_text_numbers_have_minus_signs(name: str) -> None:
    """Outside math, a negative number is set with U+2212 in Markdown and in math mode in
    LaTeX (a "-" in text is a hyphen); inside math "-" typesets as a minus."""
    trace = tracer.trace(all_specs()[name])
    markdown = tracer.render(trace, "md")
    assert not re.search(r"(?<![\w\\-])-\d", text_outside_math(markdown))
    latex = tracer.render(trace, "tex")
    assert not re.search(r"& -\d|^-\d", latex, re.M)
    if trace.symbolic.spec.circuit is not None:
        return  # a circuit's document is not a network's: its text is checked above
    for fmt, minus in (("md", "\u2212"), ("tex", "$-")):
        document = build_document(trace, fmt)
        cells = [cell for row in (*document.givens, *document.updates)
                 for cell in row.cells[1:]]
        negative = [cell for cell in cells if cell.startswith(minus)]
        assert len(negative) == sum(value < 0 for value in (
            *(trace[t.name] for t in trace.symbolic if t.stage == Stage.GIVEN),
            *(v for t, u in trace.symbolic.updates for v in (trace[t.name], trace[u.name]))))
