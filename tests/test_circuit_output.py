"""Circuits beyond their numbers: the figure (labels clear of each other and of the nodes,
groups an HTML page can highlight), the worked document (Markdown, LaTeX compiled, JSON,
escaping), keys (variants, question sheets, keys, variant specs) and `tracer check`
(an error carried forward, a formula, and the misconceptions re-derived for circuits)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracer import circuitfigure
from tracer.check import Checker
from tracer.evaluation import Trace, evaluate
from tracer.examples import example_spec, example_text
from tracer.handouts import key_files
from tracer.keys import default_ask, make_variants, variant_spec
from tracer.network import build_trace
from tracer.renderer import (
    circuit_question_figure,
    render,
    render_circuit_question,
    render_files,
)
from tracer.spec import parse_spec

from .test_latex import needs_tex

EXAMPLES = ("circuit", "sigmoid-neuron", "reuse")


def example(name: str) -> Trace:
    return evaluate(build_trace(example_spec(name)))


# -- the figure -------------------------------------------------------------------------------

def assert_clear(shape: circuitfigure.CircuitLayout) -> None:
    """No label overlaps another label or a node."""
    labels = [box for wire in shape.wires for box in (wire.above, wire.below)
              if box.half_width]
    nodes = [circuitfigure.Box(s.x, s.y, circuitfigure.RADIUS, circuitfigure.RADIUS)
             for s in shape.spots]
    for i, box in enumerate(labels):
        assert not any(box.overlaps(other) for other in labels[i + 1:]), box
        assert not any(box.overlaps(node) for node in nodes), box


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_examples_figures_have_no_label_collisions(name: str) -> None:
    trace = example(name)
    circuit = trace.symbolic.spec.circuit
    assert circuit is not None
    assert_clear(circuitfigure.layout(trace, circuit))
    assert_clear(circuitfigure.layout(trace, circuit, answers=False))


@st.composite
def layered(draw: st.DrawFn) -> str:
    """A random circuit of sums and products, values used again and again."""
    count = draw(st.integers(1, 4))
    known = [f"v{i}" for i in range(count)]
    values = {name: draw(st.integers(-3, 3)) or 1 for name in known}
    nodes = {}
    for i in range(draw(st.integers(1, 6))):
        picked = draw(st.lists(st.sampled_from(known), min_size=1, max_size=3))
        nodes[f"n{i}"] = draw(st.sampled_from([" + ", " * "])).join(picked)
        known.append(f"n{i}")
    unused = [n for n in known if not any(re.search(rf"\b{n}\b", t) for t in nodes.values())]
    nodes["out"] = " + ".join(unused)
    lines = ['kind = "graph"', "[values]", *(f"{k} = {v}" for k, v in values.items()),
             "[nodes]", *(f'{k} = "{v}"' for k, v in nodes.items())]
    return "\n".join(lines) + "\n"


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(layered())
def test_random_circuits_have_no_label_collisions(text: str) -> None:
    trace = evaluate(build_trace(parse_spec(text)))
    circuit = trace.symbolic.spec.circuit
    assert circuit is not None
    assert_clear(circuitfigure.layout(trace, circuit))


def test_svg_groups_name_their_quantities() -> None:
    trace = example("reuse")
    circuit = trace.symbolic.spec.circuit
    assert circuit is not None
    svg = circuitfigure.svg(circuitfigure.layout(trace, circuit))
    edges = re.findall(r'<g class="edge" data-quantity="([^"]+)">', svg)
    nodes = re.findall(r'<g class="node" data-quantity="([^"]+)">', svg)
    assert nodes == list(circuit.names)
    assert set(edges) == {"dm/da", "dm/dy", "db/dx", "da/dx", "df/dm", "df/db",
                          "df/dx_direct", "f"}
    # each wire: its value above, its gradient share below (x into a: 2, and 4 · 3)
    group = svg.split('data-quantity="da/dx">')[1].split("</g>")[0]
    assert '"value"' in group and ">2<" in group and ">12<" in group


def test_the_question_figure_gives_the_given_values_only() -> None:
    trace = example("reuse")
    circuit = trace.symbolic.spec.circuit
    assert circuit is not None
    shape = circuitfigure.layout(trace, circuit, answers=False)
    assert {w.gradient for w in shape.wires} == {""}
    assert {w.value for w in shape.wires} == {"2", "-1", ""}


# -- the document -------------------------------------------------------------------------------

def test_markdown_tells_the_story() -> None:
    text = render(example("reuse"), "md")
    assert "## Forward pass" in text and "## Backward pass" in text
    assert r"f = m \cdot b + x = 6 \cdot 4 + 2 = 26" in text
    # the reused value's paths, added, with both numbers of each
    assert (r"\frac{\partial f}{\partial a} \cdot \frac{\partial a}{\partial x} + "
            r"\frac{\partial f}{\partial b} \cdot \frac{\partial b}{\partial x} + "
            r"\left.\frac{\partial f}{\partial x}\right|_{\mathrm{direct}}") in text
    assert "4 \\cdot 3 + 6 \\cdot 4 + 1" in text and "&= 37" in text
    assert "A max gate routes" in text and "first one listed" in text
    assert "$x$ feeds 3 nodes" in text
    output_gate = text.split("### Gate $f")[1].split("###")[0]
    assert "combines several operations" in output_gate and "add gate" not in output_gate


def test_a_chain_of_one_operator_is_one_gate() -> None:
    text = render(example("sigmoid-neuron"), "md")
    assert "An add gate distributes" in text.split("### Gate $s")[1].split("###")[0]


def test_sigmoid_neuron_document_shows_the_published_numbers_and_updates() -> None:
    text = render(example("sigmoid-neuron"), "md")
    for number in ("0.3932", "-0.5898", "-0.1966", "-0.3932", "0.1966"):
        assert number in text
    assert "sigmoid gate" in text and "## Updates" in text
    # A negative number substituted after an operator is bracketed; first, it is not.
    assert r"a = w_{0} \cdot x_{0} = 2 \cdot \left(-1\right) = -2" in text
    assert r"= -2 + 6 + \left(-3\right) = 1" in text
    assert r"{w_{0}}^{+} = w_{0} - \eta \cdot \frac{\partial f}{\partial w_{0}}" in text


def test_user_text_is_escaped() -> None:
    spec = parse_spec(example_text("circuit").replace(
        'title = "f(x, y, z) = (x + y) z"', 'title = "a_b $x$ \\\\input{x} <b>"'))
    trace = evaluate(build_trace(spec))
    md, tex = render(trace, "md"), render(trace, "tex")
    assert r"a\_b \$x\$ \\input\{x\} &lt;b&gt;" in md
    assert r"\textbackslash{}input\{x\}" in tex and "\\input{x}" not in tex


def test_json_lists_every_quantity() -> None:
    data = json.loads(render(example("circuit"), "json"))
    values = {q["name"]: q["value"] for q in data["quantities"]}
    assert data["kind"] == "graph" and values["df/dx"] == -4 and values["df/dz"] == 3


def test_markdown_comes_with_its_svg() -> None:
    files = render_files(example("circuit"), "md", "circuit")
    assert set(files) == {"circuit.md", "circuit.circuit.svg"}
    assert "(circuit.circuit.svg)" in str(files["circuit.md"])


@needs_tex
@pytest.mark.parametrize("name", EXAMPLES)
def test_latex_compiles_with_pdflatex(name: str, tmp_path: Path) -> None:
    trace = example(name)
    picture = circuit_question_figure(trace)
    assert picture is not None
    question = render_circuit_question(trace, "tex", default_ask(trace.symbolic), "A. Student",
                                       {"circuit": picture[1]})
    for tex in (render(trace, "tex"), question):
        assert tex.isascii()  # pdflatex sets it: no Unicode crept into the words
        (tmp_path / "doc.tex").write_text(tex, encoding="utf-8")
        done = subprocess.run(["pdflatex", "-no-shell-escape", "-interaction=nonstopmode",
                               "-halt-on-error", "doc.tex"], cwd=tmp_path, capture_output=True,
                              text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stdout[-2000:]


# -- keys -----------------------------------------------------------------------------------------

def test_variants_draw_the_values_and_their_specs_agree() -> None:
    graph = build_trace(example_spec("reuse"))
    variants = make_variants(graph, 7, [("v1", None), ("v2", None), ("v3", None)])
    assert len({tuple(v.values.values()) for v in variants}) == 3
    for variant in variants:
        assert set(variant.values) == {"x", "y"}
        plain = evaluate(build_trace(variant_spec(graph.spec, variant.values)))
        assert plain.values == variant.trace.values


def test_key_files_for_a_circuit() -> None:
    graph = build_trace(example_spec("sigmoid-neuron"))
    variants = make_variants(graph, 3, [("v1", None), ("v2", None)])
    files = key_files(graph, variants, 3, "md")
    assert {"v1.question.md", "v1.key.md", "v1.toml", "v1.answers.txt", "v1.circuit.svg",
            "v1.given.svg", "manifest.json"} <= set(files)
    question = str(files["v1.question.md"])
    key = str(files["v1.key.md"])
    gradient = variants[0].trace["df/dw0"]
    shown = f"{gradient:.4f}".rstrip("0")
    assert shown in key and shown not in question
    assert "`df/dw0`" in question and "`w0_new`" in question
    assert str(files["v1.answers.txt"]).count(" = \n") == len(default_ask(graph))


# -- check --------------------------------------------------------------------------------------

def marks(checker: Checker, sheet: str) -> dict[str, tuple[str, str | None]]:
    return {r.name: (r.status, r.diagnosis) for r in checker.mark(sheet).lines}


def test_an_error_carried_forward() -> None:
    checker = Checker(example("circuit"))
    got = marks(checker, "q = 4\nf = -16\ndf/dx = -4\ndf/dy = -4\ndf/dz = 4\n")
    assert got["q"][0] == "wrong"
    assert got["f"][0] == "carried" and got["df/dz"][0] == "carried"
    assert got["df/dx"][0] == "correct"


def test_single_path_is_diagnosed() -> None:
    checker = Checker(example("reuse"))
    got = marks(checker, "a = 6\nb = 4\nm = 6\nf = 26\ndf/dx = 12\ndf/dy = 0\n")
    assert got["df/dx"] == ("wrong", "single-path")


def test_sign_error_is_diagnosed() -> None:
    checker = Checker(example("circuit"))
    got = marks(checker, "q = 3\nf = -12\ndf/dq = 4\ndf/dx = 4\ndf/dz = -3\n")
    assert got["df/dq"] == ("wrong", "sign-error")
    assert got["df/dz"] == ("wrong", "sign-error")
    assert got["df/dx"][0] == "carried"  # right from the student's own ∂f/∂q


@pytest.mark.parametrize(("rule", "eta"), [("no-learning-rate", 1.0), ("plus-sign", -0.1)])
def test_update_rules_are_diagnosed(rule: str, eta: float) -> None:
    trace = example("sigmoid-neuron")
    checker = Checker(trace)
    wrong = trace["w0"] - eta * trace["df/dw0"]
    got = marks(checker, f"df/dw0 = {trace['df/dw0']:.6f}\nw0_new = {wrong:.6f}\n")
    assert got["w0_new"] == ("wrong", rule)


def test_a_formula_over_circuit_names_is_judged() -> None:
    checker = Checker(example("reuse"))
    report = checker.mark("df/dx = df/da*da/dx + df/db*db/dx + df/dx_direct = 37\n"
                          "df/dy = df/dm + dm/dy = 4\n")
    results = {r.name: r for r in report.lines}
    assert results["df/dx"].formula == "equivalent" and results["df/dx"].status == "correct"
    assert results["df/dy"].formula == "not-equivalent"
