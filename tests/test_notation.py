"""Answer sheets as students write them: the notation of our documents (η, σ, δ, ∂, ·, ×, −,
½, x², w5⁺, net_{h1}), e^x, implicit products, spellings such as Etotal; what stays refused;
and the readable reasons of lines that cannot be read."""

from __future__ import annotations

import ast
import builtins
import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tracer
from tracer import answers, notation
from tracer.answers import parse_sheet
from tracer.check import Checker, Report
from tracer.cli import main
from tracer.errors import SpecError
from tracer.evaluation import Trace
from tracer.keys import asked
from tracer.names import could_be_name
from tracer.safeexpr import Formula, FormulaError, parse_formula

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker(tracer.trace(tracer.example_spec()))


def formula(checker: Checker, text: str) -> Formula:
    return parse_formula(text, checker.table.matcher)


def value(checker: Checker, text: str) -> float:
    trace = checker.trace
    return formula(checker, text).evaluate({name: trace[name] for name in checker.table.canonical})


def same_formula(checker: Checker, written: str, ascii_form: str) -> None:
    """`written` is read exactly as `ascii_form`: the same tree over the same names."""
    got, want = formula(checker, written), formula(checker, ascii_form)
    assert (ast.dump(got.tree), got.names) == (ast.dump(want.tree), want.names), written
    assert value(checker, written) == value(checker, ascii_form)


def lines_of(report: Report) -> list[tracer.check.Result]:
    """The results of the sheet's own lines (a report may add unanswered quantities)."""
    return [r for r in report.results if r.status != "missing"]


# -- names -------------------------------------------------------------------------------------

NAMES = [
    ("net_{h1}", "net_h1"), ("out_{o1}", "out_o1"), ("E_{total}", "E_total"),
    ("δ_o1", "delta_o1"), ("δ_{o1}", "delta_o1"), (" δ_o1 ", "delta_o1"), ("δo1", "delta_o1"),
    ("∂E_total/∂w5", "dE_total/dw5"), ("∂E_{total}/∂w_{5}", "dE_total/dw5"),
    ("∂E/∂w5", "dE_total/dw5"), ("∂out_{o1}/∂net_{o1}", "dout_o1/dnet_o1"),
    ("w5⁺", "w5_new"), ("w5'", "w5_new"), ("w5′", "w5_new"), ("w5’", "w5_new"),
    ("w5+", "w5_new"), ("w5_new", "w5_new"), ("w5^+", "w5_new"), ("w5^{+}", "w5_new"),
    ("{w_{5}}^{+}", "w5_new"), ("w_5^+", "w5_new"), ("w5 ⁺", "w5_new"),
    ("Etotal", "E_total"), ("E_tot", "E_total"), ("dEtotal/dw5", "dE_total/dw5"),
    ("∂Etotal/∂w5", "dE_total/dw5"), ("dE_tot/dout_o1", "dE_total/dout_o1"),
    ("Etotal_after", "E_total_after"), ("η", "eta"), ("w_{5}", "w5"), ("i_1", "i1"),
    ("b_{1}", "b1"), ("dnet_{o1}/dw_{5}", "dnet_o1/dw5"),
    # after the update, printed {E_{total}}^{+} and {out_{h1}}^{+} in the documents
    ("E_total⁺", "E_total_after"), ("E_total+", "E_total_after"),
    ("{E_{total}}^{+}", "E_total_after"), ("out_h1'", "out_h1_after"),
]


@pytest.mark.parametrize(("written", "canonical"), NAMES)
def test_names_in_the_documents_notation_resolve(checker: Checker, written: str,
                                                 canonical: str) -> None:
    assert checker.table.resolve(written) == canonical
    assert could_be_name(written)


@pytest.mark.parametrize("written", ["Etotals", "w5++", "w5''", "w55", "E_t", "∂∂w5", "w5⁺⁺",
                                     "out_h1''", "sigma", "w5_{new}x", "√w5", "w5\u200b"])
def test_names_that_stay_unknown(checker: Checker, written: str) -> None:
    assert checker.table.resolve(written) is None


def test_a_name_of_the_trace_is_read_before_a_respelling() -> None:
    """An input may be named x_1 or Etotal: then that is what x_1 and Etotal mean."""
    data = tracer.spec_to_dict(tracer.example_spec())
    data["inputs"] = {"x_1": 0.05, "Etotal": 0.10}
    table = Checker(tracer.trace(tracer.spec_from_dict(data))).table
    assert table.resolve("x_1") == "x_1" and table.resolve("Etotal") == "Etotal"
    assert table.resolve("E_tot") == "E_total"
    assert formula_names(table.matcher, "x_1*w_1 + Etotal") == ("x_1", "w1", "Etotal")


def formula_names(matcher: tracer.names.NameMatcher, text: str) -> tuple[str, ...]:
    return parse_formula(text, matcher).names


# -- formulas ----------------------------------------------------------------------------------

FORMULAS = [  # as students type them, and the same in ASCII
    ("w1·i1 + w2×i2 + b1∗1", "w1*i1 + w2*i2 + b1*1"),
    ("w1 ⋅ i1+w2 * i2+b1", "w1*i1 + w2*i2 + b1"),
    ("1/(1+e^-net_h1)", "1/(1+exp(-net_h1))"),
    ("1/(1+e^(−net_h2))", "1/(1+exp((-net_h2)))"),
    ("1/(1 + e**(-net_h2))", "1/(1+exp((-net_h2)))"),
    ("1 / (1 + e^{-net_{h1}})", "1/(1+exp((-net_h1)))"),
    ("½(target_o1 − out_o1)² + ½(target_o2-out_o2)^2",
     "(0.5)*(target_o1 - out_o1)**2 + (0.5)*(target_o2 - out_o2)**2"),
    ("½ (target_o1 – out_o1)²", "(0.5)*(target_o1 - out_o1)**2"),
    ("(out_o2 - target_o2)*out_o2(1 - out_o2)", "(out_o2 - target_o2)*out_o2*(1 - out_o2)"),
    ("out_o1(1 - out_o1)", "out_o1*(1 - out_o1)"),
    ("2(out_o1 - target_o1)·½", "2*(out_o1 - target_o1)*(0.5)"),
    ("(out_o1)(1 − out_o1)", "(out_o1)*(1 - out_o1)"),
    ("(out_o1 - target_o1)2", "(out_o1 - target_o1)*2"),
    ("σ(net_h1)(1-σ(net_h1))", "sigma(net_h1)*(1-sigma(net_h1))"),
    ("w7 - η·dE_total/dw7", "w7 - eta*dE_total/dw7"),
    ("w8 − η × dE_total/dw8", "w8 - eta*dE_total/dw8"),
    ("δ_h1 · i1", "delta_h1*i1"),
    ("δ_{o1}·out_{h1}", "delta_o1*out_h1"),
    ("∂E_total/∂out_o1 ⋅ ∂out_o1/∂net_o1", "dE_total/dout_o1*dout_o1/dnet_o1"),
    ("dEtotal/dout_o1 * dout_o1/dnet_o1", "dE_total/dout_o1*dout_o1/dnet_o1"),
    ("w_{5}·out_{h1} + w_6·out_h2 + b_2", "w5*out_h1 + w6*out_h2 + b2"),
    ("out_h1³ − out_h1²", "out_h1**3 - out_h1**2"),
    ("out_h1⁻¹", "out_h1**(-1)"),
    ("w5⁺ − w5", "w5_new - w5"), ("w5' - w5", "w5_new - w5"), ("w5^+ - w5", "w5_new - w5"),
    ("−0.5·(target_o1 − out_o1)", "-0.5*(target_o1 - out_o1)"),
    ("w5+ - 1", "w5 + (-1)"),  # + marks an update only at the end of a line's name
    ("2½·w1", "2.5*w1"), ("½w1", "(0.5)*w1"), ("w1·½", "w1*(0.5)"),
]


@pytest.mark.parametrize(("written", "ascii_form"), FORMULAS)
def test_formulas_in_the_documents_notation(checker: Checker, written: str,
                                            ascii_form: str) -> None:
    same_formula(checker, written, ascii_form)


PRECEDENCE = [  # e^ takes what Python's ** takes as its exponent
    ("e^-w1*w2", "exp(-w1)*w2"),
    ("e^-w1^2", "exp(-(w1**2))"),
    ("e^(-w1*w2)", "exp((-w1*w2))"),
    ("e^w1(1 - w1)", "exp(w1)*(1 - w1)"),
    ("e^σ(w1)", "exp(sigma(w1))"),
    ("e^-σ(w1)*2", "exp(-sigma(w1))*2"),
    ("e**2/w1", "exp(2)/w1"),
    ("2e^w1", None),  # 2e is not a number, nor a product
    ("e", "exp(1)"),
    ("1/(1 + e)", "1/(1 + exp(1))"),
    ("e(w1)", "exp(1)*(w1)"),
]


@pytest.mark.parametrize(("written", "meaning"), PRECEDENCE)
def test_e_to_the_x_and_its_precedence(checker: Checker, written: str,
                                       meaning: str | None) -> None:
    if meaning is None:
        with pytest.raises(FormulaError):
            formula(checker, written)
    else:
        same_formula(checker, written, meaning)


def test_e_is_a_quantity_where_the_network_has_one() -> None:
    data = tracer.spec_to_dict(tracer.example_spec())
    data["inputs"] = {"e": 0.05, "i2": 0.10}
    matcher = Checker(tracer.trace(tracer.spec_from_dict(data))).table.matcher
    read = parse_formula("e^2 + e", matcher)
    assert read.names == ("e",)
    assert read.evaluate({"e": 0.05}) == pytest.approx(0.05**2 + 0.05)
    with pytest.raises(FormulaError, match="exponent must be a number"):
        parse_formula("e^-w1", matcher)  # a power of the quantity e, not exp


@pytest.mark.parametrize(("text", "why"), [
    ("gradient(w5)", "only exp, log, tanh, sigma, relu, abs, max and min can be called"),
    ("out_o1 2", "syntax"),  # no bracket, no product
    ("out_o1 out_o2", "syntax"),
    ("e^", "syntax"),
    ("σ'(net_o1)", "syntax"),
])
def test_what_is_still_not_a_formula(checker: Checker, text: str, why: str) -> None:
    with pytest.raises(FormulaError, match=why):
        formula(checker, text)


@pytest.mark.parametrize(("text", "character"), [
    ("√out_h1", "U+221A SQUARE ROOT"),
    ("оut_h1", "U+043E CYRILLIC SMALL LETTER O"),  # a Cyrillic o
    ("out_h1\u200b*2", "U+200B ZERO WIDTH SPACE"),
    ("ｏut_h1", "U+FF4F FULLWIDTH LATIN SMALL LETTER O"),  # NFKC would make it out_h1
    ("out_h1 ÷ 2", "U+00F7 DIVISION SIGN"),
    ("out_h1⁻", "U+207B SUPERSCRIPT MINUS"),
])
def test_other_unicode_is_refused_by_name(checker: Checker, text: str, character: str) -> None:
    with pytest.raises(FormulaError) as raised:
        formula(checker, text)
    assert str(raised.value) == f"contains non-ASCII characters ({character})"


def test_an_unknown_character_in_a_name_is_named(checker: Checker) -> None:
    (line,) = parse_sheet("out_h1\u200b = 0.5\n", checker.table)
    assert line.error == ("unknown quantity name ‘out_h1\u200b’: contains non-ASCII "
                          "characters (U+200B ZERO WIDTH SPACE)")


# -- normalize ---------------------------------------------------------------------------------

GLYPHS = "ησδ∂−–·⋅×∗½⁺′’²³⁻¹⁰{}^_√оé\u200b\u00a0"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(GLYPHS) | st.characters(max_codepoint=127),
               max_size=60))
def test_normalize_is_idempotent(text: str) -> None:
    once = notation.normalize(text)
    assert notation.normalize(once) == once


ascii_names = st.sampled_from(["net_h1", "out_o1", "w5", "eta", "dE_total/dw5", "delta_o1",
                               "E_total", "e", "x", "i1", "w5_new"])
ascii_numbers = st.sampled_from(["0", "1", "0.5", "2.25", ".5", "1e-3", "12"])


@st.composite
def ascii_formulas(draw: st.DrawFn, depth: int = 3) -> str:
    if depth == 0 or draw(st.booleans()):
        return draw(ascii_names | ascii_numbers)
    left, right = draw(ascii_formulas(depth - 1)), draw(ascii_formulas(depth - 1))
    space = draw(st.sampled_from(["", " "]))
    text = f"{left}{space}{draw(st.sampled_from('+-*/'))}{space}{right}"
    return f"({text})" if draw(st.booleans()) else text


@settings(max_examples=300, deadline=None)
@given(ascii_formulas())
def test_normalize_leaves_ascii_formulas_as_they_are(text: str) -> None:
    assert notation.normalize(text) == text


trace_names = st.sampled_from(["net_h1", "out_o1", "w5", "eta", "dE_total/dw5", "delta_o1",
                                "E_total", "i1", "w5_new", "dE/dw5", "out_h1/out_h2"])


@st.composite
def trace_formulas(draw: st.DrawFn, depth: int = 3) -> str:
    if depth == 0 or draw(st.booleans()):
        return draw(trace_names | ascii_numbers)
    left, right = draw(trace_formulas(depth - 1)), draw(trace_formulas(depth - 1))
    text = f"{left} {draw(st.sampled_from(['+', '-', '*', '/', '^2 *']))} {right}"
    return f"({text})" if draw(st.booleans()) else text


@settings(max_examples=200, deadline=None)
@given(trace_formulas())
def test_ascii_formulas_mean_what_python_reads(checker: Checker, text: str) -> None:
    """Without e, brackets next to an operand or notation, nothing is rewritten: the tree
    is Python's own reading of the text with its names swapped out."""
    replaced, names = checker.table.matcher.substitute(text)
    read = formula(checker, text)
    assert read.names == names
    want = ast.parse(replaced.replace("^", "**").strip(), mode="eval").body
    assert ast.dump(read.tree) == ast.dump(want)


# -- whole sheets ------------------------------------------------------------------------------

STUDENT_SHEET = """\
# forward pass
net_{h1} = w1*i1 + w2*i2 + b1*1 = 0.3775
out_h1 = 1/(1+e^-net_h1) = 0.593269992
out_h2=1/(1+e^(−net_h2))=0.596884378
Etotal = 0.298371109
E_total = ½(target_o1 − out_o1)² + ½(target_o2-out_o2)^2 = 0.298371109
∂E_total/∂out_o1 = -(target_o1 - out_o1) = 0.74136507
dEtotal/dw5 = 0.082167041
δ_o1 = 0.138498562
delta_o2 = (out_o2 - target_o2)*out_o2(1 - out_o2) = -0.0380982
dout_o1/dnet_o1 = out_o1(1 - out_o1) = 0.186815602
w5⁺ = 0.35891648
w6' = 0.408666186
w7_new = w7 - η·dE_total/dw7 = 0.511301270
w8_new = w8 − η × dE_total/dw8 = 0.561370121
dE_total/dw1 = δ_h1 · i1 = 0.000438568
dE_total/dout_h1 = −0.0363503 * −1
dout_h1/dnet_h1 = σ(net_h1)(1-σ(net_h1)) = 0.241300709
"""


def test_a_sheet_as_students_write_it(checker: Checker) -> None:
    results = lines_of(checker.mark(STUDENT_SHEET))
    assert len(results) == 17
    assert {r.status for r in results} == {"correct"}, [(r.name, r.reason) for r in results
                                                        if r.status != "correct"]
    assert all(r.formula in (None, "equivalent") for r in results)
    assert not any("formula not read" in r.reason for r in results)
    assert [r.name for r in results][:4] == ["net_h1", "out_h1", "out_h2", "E_total"]


def test_each_spelling_marks_as_its_ascii_form(checker: Checker, seed: Trace) -> None:
    """A sheet in ASCII and the same in the documents' notation get the same marks, values
    and formula verdicts, wrong lines included."""
    ascii_sheet = ("net_h1 = w1*i1 + w2*i2 + b1 = 0.38\n"
                   "out_o1 = 1/(1+exp(-net_o1))\n"
                   "delta_o1 = (out_o1 - target_o1)*out_o1*(1 - out_o1)\n"
                   "dE_total/dw5 = delta_o1*out_h1 = 0.08\n"
                   "w5_new = w5 - eta*dE_total/dw5 = -0.5*2\n")
    unicode_sheet = ("net_{h1} = w1·i1 + w2×i2 + b1 = 0.38\n"
                     "out_{o1} = 1/(1+e^−net_o1)\n"
                     "δ_o1 = (out_o1 − target_o1)out_o1(1 – out_o1)\n"
                     "∂Etotal/∂w5 = δ_o1 ⋅ out_h1 = 0.08\n"
                     "w5⁺ = w5 − η∗∂E_total/∂w5 = −½·2\n")
    marked = [[(r.name, r.status, r.given, r.formula, r.diagnosis)
               for r in lines_of(checker.mark(sheet))] for sheet in (ascii_sheet, unicode_sheet)]
    assert marked[0] == marked[1]
    assert [(m[0], m[3]) for m in marked[1]] == [
        ("net_h1", "equivalent"), ("out_o1", "equivalent"), ("delta_o1", "equivalent"),
        ("dE_total/dw5", "equivalent"), ("w5_new", "equivalent")]
    assert marked[1][-1][2] == -1.0  # −½·2, the substitution step, read as its number


# -- reasons, long lines, decimal commas ---------------------------------------------------------

def test_reasons_quote_the_text_as_written(checker: Checker) -> None:
    lines = parse_sheet("net_h1 = \\frac{1}{2}\nw5'' = 1\nout_h1 = \"x\"\n", checker.table)
    assert lines[0].error == "‘\\frac{1}{2}’: is not a formula (syntax)"
    assert lines[1].error.startswith("unknown quantity name ‘w5''’")
    assert lines[2].error == "‘\"x\"’: constant ‘x’ is not a number"


def test_a_long_part_is_quoted_cut(checker: Checker) -> None:
    (line,) = parse_sheet("net_h1 = " + "w1 + " * 20 + "foo\n", checker.table)
    assert line.error == f"‘{('w1 + ' * 8)}…’: unknown name ‘foo’"


def test_an_over_long_line_is_reported_under_its_name(checker: Checker) -> None:
    long = "1+" * answers.MAX_LINE + "1"
    lines = parse_sheet(f"w5⁺ = {long}\nnot_a_name = {long}\n{long}\n", checker.table)
    assert [(line.name, line.written) for line in lines] == [
        ("w5_new", "w5⁺"), (None, f"not_a_name = {long}"[:40]), (None, long[:40])]
    assert all(f"longer than {answers.MAX_LINE}" in line.error for line in lines)
    (result,) = lines_of(checker.mark(f"w5⁺ = {long}\n"))
    assert (result.name, result.status) == ("w5_new", "invalid")


def test_too_many_parts_are_reported_under_the_name(checker: Checker) -> None:
    (line,) = parse_sheet("δ_o1 = " + " = ".join(["0.1"] * (answers.MAX_PARTS + 1)) + "\n",
                          checker.table)
    assert (line.name, line.error) == ("delta_o1", f"more than {answers.MAX_PARTS} parts")


def test_two_answers_on_one_line_are_not_marked_by_the_second(checker: Checker) -> None:
    (result,) = lines_of(checker.mark("w5⁺ = 0.35891648 ; w6' = 0.408666186\n"))
    assert (result.name, result.status) == ("w5_new", "invalid")
    assert "one answer a line" in result.reason


@pytest.mark.parametrize(("line", "reason"), [
    ("net_h1 = 0,3775", "‘0,3775’: use a decimal point (0.3775)"),
    ("net_h1 = −0,3775", "‘−0,3775’: use a decimal point (−0.3775)"),
    ("net_h1 = w1*i1 + w2*i2 + b1 = 0,3775", "‘0,3775’: use a decimal point (0.3775)"),
    ("net_h1 = 0,15·0,05 + 0,2*0,1 + 0,35",
     "‘0,15·0,05 + 0,2*0,1 + 0,35’: use a decimal point (0.15·0.05 + 0.2*0.1 + 0.35)"),
])
def test_a_decimal_comma_anywhere_is_told_to_use_a_point(checker: Checker, line: str,
                                                         reason: str) -> None:
    (result,) = lines_of(checker.mark(line + "\n"))
    assert (result.status, result.reason) == ("invalid", reason)


def test_a_decimal_comma_before_a_right_number_is_reported_beside_it(checker: Checker) -> None:
    (result,) = lines_of(checker.mark("net_h1 = 0,15*0,05 + 0,2*0,1 + 0,35 = 0.3775\n"))
    assert result.status == "correct" and "use a decimal point" in result.reason


# -- nothing reaches eval ------------------------------------------------------------------------

def test_reading_a_sheet_never_evaluates_code(checker: Checker,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("eval or exec was called")

    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    hostile = ("out_h1 = e^(__import__('os').system('echo hacked'))\n"
               "out_h1 = σ(().__class__.__base__)\n"
               "out_h1 = ½.__class__\n"
               "out_h1 = e^{[x for x in (1,)]}\n"
               "out_h1 = (lambda: 1)(2)\n")
    lines = parse_sheet(STUDENT_SHEET + hostile, checker.table)
    assert [bool(line.error) for line in lines] == [False] * 17 + [True] * 5
    trace = checker.trace
    for line in lines:
        for read in line.formulas:
            read.evaluate({name: trace[name] for name in read.names})


# -- ask ---------------------------------------------------------------------------------------

def test_ask_reads_names_as_sheets_do() -> None:
    spec = dataclasses.replace(tracer.example_spec(), ask=(
        "δ_o1", "∂E_total/∂w5", "w5⁺", "net_{h1}", "w5_new", "Etotal"))
    assert asked(tracer.build_trace(spec)) == (
        "delta_o1", "dE_total/dw5", "w5_new", "net_h1", "E_total")
    bad = dataclasses.replace(spec, ask=("δ_o1", "δ_o9"))
    with pytest.raises(SpecError, match=r"ask\[2\]: unknown quantity 'δ_o9'"):
        asked(tracer.build_trace(bad))


def test_keys_with_an_ask_in_the_documents_notation(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / "examples" / "homework.toml").read_text(encoding="utf-8")
    start = text.index("ask = [")
    end = text.index("]", start) + 1
    exercise = (text[:start] + 'ask = ["net_{h1}", "δ_o1", "∂E_total/∂w5", "w5⁺", "Etotal"]'
                + text[end:])
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ex.toml").write_text(exercise, encoding="utf-8")
    assert main(["keys", "ex.toml", "--variants", "1", "--seed", "3", "-o", "out"]) == 0
    (sheet,) = (tmp_path / "out").glob("*.answers.txt")
    asked_names = [line.split("=")[0].strip() for line in sheet.read_text(encoding="utf-8")
                   .splitlines() if line and not line.startswith("#")]
    assert asked_names == ["net_h1", "delta_o1", "dE_total/dw5", "w5_new", "E_total"]
    (variant,) = (tmp_path / "out").glob("*.toml")
    assert tracer.load_spec(variant).ask  # the variant spec reads back


def test_upright_words_of_the_documents_are_read() -> None:
    """The documents print words upright (\\mathrm{net}_{h1}, E_{\\mathrm{total}}): a sheet
    that copies their LaTeX names the same quantities."""
    normalize = notation.normalize
    assert normalize(r"\frac{\partial E_{\mathrm{total}}}{\partial \mathrm{out}_{o1}}") == (
        normalize(r"\frac{\partial E_{total}}{\partial out_{o1}}"))
    assert normalize(r"\mathrm{net}_{h1}") == "net_h1"
    assert normalize(r"\mathrm{hid\_a1}") == "hid_a1"
