"""HTML pages without a browser: one file, escaped text, working links, the page model's
folds and diagram paths, the commands that write HTML, and user templates.
(tests/test_html_browser.py opens the pages in Chromium.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import tracer
from tracer.cli import main
from tracer.escape import html_text
from tracer.evaluation import evaluate
from tracer.examples import example_spec
from tracer.files import MARK
from tracer.network import build_trace
from tracer.renderer import document, render, render_files
from tracer.showcase import showcase_documents
from tracer.spec import spec_from_dict
from tracer.webpage import circuit_page, page

SEED = tracer.example_text("seed")
PAGE_BUDGET = 160_000  # bytes: the seed page weighs about 103 kB


@pytest.fixture(scope="module")
def seed_page() -> str:
    return render(evaluate(build_trace(example_spec("seed"))), "html")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_html_text_escapes_markup_quotes_and_dollars() -> None:
    assert html_text("<b>&\"'$x$\x1b") == "&lt;b&gt;&amp;&quot;&#39;&#36;x&#36; "


def test_hostile_text_stays_text() -> None:
    hostile = '<script>alert(1)</script> $\\frac{a}{b}$ & "quoted" <img src=x onerror=y>'
    spec = spec_from_dict({**_spec_data(), "title": hostile, "description": hostile}, "x.toml")
    html = render(evaluate(build_trace(spec)), "html")
    assert "<script>alert" not in html and "<img" not in html
    assert html.count("<script") == 2  # the page's own: its paths (JSON) and its script
    assert html_text(hostile) in html
    assert "<mfrac><mi>a</mi>" not in html  # the title's $…$ is not set as math


def _spec_data() -> dict[str, object]:
    import tomllib

    return tomllib.loads(SEED)


def test_one_file_with_nothing_to_fetch(seed_page: str) -> None:
    assert seed_page.startswith("<!DOCTYPE html>")
    assert not re.search(r"\bsrc=|<link|@import|url\(|https?://(?!www\.w3\.org/2000/svg)",
                         seed_page)
    assert all(href.startswith("#") for href in re.findall(r'href="([^"]*)"', seed_page))
    assert len(seed_page.encode()) < PAGE_BUDGET


def test_every_link_has_its_target_and_ids_are_unique(seed_page: str) -> None:
    ids = re.findall(r'\bid="([^"]+)"', seed_page)
    assert len(ids) == len(set(ids))
    links = re.findall(r'href="#([^"]+)"', seed_page)
    assert len(links) == 8  # the summary: one per weight the post updates
    assert set(links) <= set(ids)
    assert "u1-w5_new" in links


def test_repeated_groups_start_folded() -> None:
    """The second neuron of a layer repeats the first: folded; the parameters' gradients
    and the new values are derived once: open."""
    trace = evaluate(build_trace(example_spec("seed")))
    web, doc = page(trace), document(trace, "html", follow=())  # computation order
    folds = {section.title: [(g.title, web.opened(section.groups, i))
                             for i, g in enumerate(section.groups)] for section in doc.sections}
    assert folds["Forward pass"] == [("Neuron h1", True), ("Neuron h2", False),
                                     ("Neuron o1", False), ("Neuron o2", False)]
    assert folds["Backward pass: output layer o"] == [
        ("Neuron o1", True), ("Neuron o2", False), ("Gradients of the parameters", True),
        ("New values", True)]


def test_a_lesson_tells_its_stories_open_and_folds_the_rest() -> None:
    """The followed weights' stories are open text; the other parameters, in short, fold."""
    trace = evaluate(build_trace(example_spec("seed")))
    html = render(trace, "html")
    for name in ("w5", "w1"):
        story = html.index(f'id="story-{name}"')
        assert html.index('<section class="story"', story - 40) < html.index("</section>", story)
    short = html[html.index("The other weights of layer o"):]
    assert short.index('<details class="group">') < short.index("</details>")
    assert '<details class="group" open>' not in short[:short.index("Backward pass: hidden")]


# The post's network: i1, i2 → (w1…w4) → h1, h2 → (w5…w8) → o1, o2 → E_total.
@pytest.mark.parametrize("name,path", [
    ("w5", "edge:w5 node:h1 node:o1"),
    ("net_h1", "edge:w1 edge:w2 node:h1 node:i1 node:i2"),
    ("E_o1", "edge:E_o1 node:E_total node:o1"),
    ("delta_o1", "edge:E_o1 node:E_total node:o1"),
    ("dE_total/dw5", "edge:E_o1 edge:w5 node:E_total node:h1 node:o1"),
    ("dE_o1/dout_h1", "edge:E_o1 edge:w5 node:E_total node:h1 node:o1"),
    ("dE_total/dw1", "edge:E_o1 edge:E_o2 edge:w1 edge:w5 edge:w7 node:E_total node:h1 node:i1 "
                     "node:o1 node:o2"),
    ("w1_new", "edge:E_o1 edge:E_o2 edge:w1 edge:w5 edge:w7 node:E_total node:h1 node:i1 "
               "node:o1 node:o2"),
    ("b1", "node:h1 node:h2"),
    ("eta", ""),
])
def test_each_quantity_has_its_chain_rule_path(name: str, path: str) -> None:
    web = page(evaluate(build_trace(example_spec("seed"))))
    assert web.paths[name] == tuple(path.split())


def test_the_diagram_groups_edges_and_nodes_by_quantity(seed_page: str) -> None:
    network = seed_page[seed_page.index("<aside>"):seed_page.index("</aside>")]
    edges = re.findall(r'<g class="edge" data-quantity="([^"]+)"', network)
    nodes = re.findall(r'<g class="node" data-quantity="([^"]+)"', network)
    weights = [f"w{k}" for k in range(1, 9)]
    assert sorted(edges) == sorted([*weights, "E_o1", "E_o2"])  # line and label together
    assert nodes == ["i1", "i2", "h1", "h2", "o1", "o2", "E_total"]


def test_render_writes_one_html_file(workdir: Path) -> None:
    (workdir / "notes").mkdir()
    assert main(["render", "-o", "notes/page.html"]) == 0
    assert [p.name for p in (workdir / "notes").iterdir()] == ["page.html"]
    text = (workdir / "notes" / "page.html").read_text(encoding="utf-8")
    assert text.startswith(f"<!-- {MARK} -->\n<!DOCTYPE html>")
    assert main(["render", "-o", "notes/page.html"]) == 0  # its own file: replaced
    files = render_files(evaluate(build_trace(example_spec("seed"))), "html", "seed")
    assert list(files) == ["seed.html"]


def test_keys_in_html(workdir: Path) -> None:
    root = Path(tracer.__file__).parent.parent
    assert main(["keys", str(root / "examples" / "homework.toml"), "--roster",
                 str(root / "examples" / "roster.csv"), "--seed", "7", "-f", "html",
                 "-o", "out", "--booklet"]) == 0
    names = sorted(p.name for p in (workdir / "out").iterdir())
    keys = [n for n in names if n.endswith(".key.html")]
    assert keys and len(keys) == len([n for n in names if n.endswith(".question.html")])
    booklet = (workdir / "out" / "booklet.html").read_text(encoding="utf-8")
    assert booklet.count('class="part"') == len(keys)
    ids = re.findall(r'\bid="([^"]+)"', booklet)
    assert len(ids) == len(set(ids))
    question = (workdir / "out" / keys[0].replace(".key.", ".question.")).read_text("utf-8")
    assert "<svg" in question and "<math" in question


def test_check_feedback_in_html(workdir: Path) -> None:
    (workdir / "seed.toml").write_text(SEED, encoding="utf-8")
    (workdir / "sheet.txt").write_text("net_h1 = 0.3775\nout_h1 = 0.7\nE_total = <b>\n",
                                       encoding="utf-8")
    assert main(["check", "seed.toml", "sheet.txt", "-f", "html", "-o", "feedback.html"]) == 1
    text = (workdir / "feedback.html").read_text(encoding="utf-8")
    assert "<b>" not in text and "&lt;b&gt;" in text  # the sheet's text, quoted as text
    assert 'class="step" data-q="out_h1"' in text  # the right step, worked out
    assert "0.593269992" in text


def test_user_templates_extend_the_html_one(workdir: Path) -> None:
    (workdir / "mine").mkdir()
    (workdir / "mine" / "worked.html.j2").write_text(
        '{% extends "builtin/worked.html.j2" %}{% block title %}<h1>Course: {{ doc.title }}'
        '</h1>{{ page.math("w_{5}") }}{% endblock %}', encoding="utf-8")
    assert main(["render", "--templates", "mine", "-o", "page.html"]) == 0
    text = (workdir / "page.html").read_text(encoding="utf-8")
    assert "<h1>Course: A step by step backpropagation example</h1>" in text
    assert '<msub class="q" data-q="w5" tabindex="0">' in text


def test_the_showcase_has_the_pages() -> None:
    documents = showcase_documents()
    for name, least in (("seed.html", 60), ("softmax.html", 60), ("circuit.html", 30),
                        ("sigmoid-neuron.html", 50), ("reuse.html", 50)):
        text = documents[name]
        assert isinstance(text, str) and text.startswith(f"<!-- {MARK} -->")
        assert text.count("<math") > least


# -- circuits ---------------------------------------------------------------------------------

CIRCUITS = ("circuit", "sigmoid-neuron", "reuse")


@pytest.mark.parametrize("example", CIRCUITS)
def test_a_circuit_page_is_one_file_with_its_figure_and_math(example: str) -> None:
    """One file, nothing to fetch, every formula converted (no LaTeX left, no <merror>),
    ids unique, and the figure inline with the wires and nodes the page's paths name."""
    html = render(evaluate(build_trace(example_spec(example))), "html")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert not re.search(r"\bsrc=|<link|@import|url\((?!#arrow)|https?://(?!www\.w3\.org/2000/svg)",
                         html)
    assert len(html.encode()) < PAGE_BUDGET
    body = html[html.index("<body"):html.index("<script")]
    assert "<merror" not in body and "\\frac" not in body and "$" not in body
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    figure = html[html.index("<aside>"):html.index("</aside>")]
    drawn = {f"{kind}:{q}" for kind, q in re.findall(
        r'<g class="(edge|node)" data-quantity="([^"]+)"', figure)}
    paths = circuit_page(evaluate(build_trace(example_spec(example)))).paths
    assert set().union(*paths.values()) <= drawn
    for name in re.findall(r'class="step" id="[^"]+" data-q="([^"]+)"', html):
        assert paths[name], name  # every step lights something in the figure


# reuse: x → a = 3x, x → b = x², (a, y) → m = max(a, y), (m, b, x) → f = m·b + x.
@pytest.mark.parametrize("name,path", [
    ("m", "edge:dm/da edge:dm/dy node:m"),
    ("dm/da", "edge:dm/da node:a node:m"),
    ("df/dx_direct", "edge:df/dx_direct node:f node:x"),
    ("df/dy", "edge:df/dm edge:dm/dy node:f node:m node:y"),
    ("df/dx", "edge:da/dx edge:db/dx edge:df/db edge:df/dm edge:df/dx_direct edge:dm/da "
              "node:a node:b node:f node:m node:x"),
    ("x", "node:x"),
])
def test_a_circuit_quantity_lights_its_node_and_wires(name: str, path: str) -> None:
    web = circuit_page(evaluate(build_trace(example_spec("reuse"))))
    assert web.paths[name] == tuple(path.split())


def test_a_circuit_update_lights_its_paths_and_the_rate_nothing() -> None:
    web = circuit_page(evaluate(build_trace(example_spec("sigmoid-neuron"))))
    assert web.paths["eta"] == ()
    assert web.paths["w0_new"] == web.paths["df/dw0"]
    assert "edge:df/ds" in web.paths["w0_new"]


def test_render_writes_a_circuit_page(workdir: Path) -> None:
    (workdir / "circuit.toml").write_text(tracer.example_text("circuit"), encoding="utf-8")
    assert main(["render", "circuit.toml", "-o", "circuit.html"]) == 0
    text = (workdir / "circuit.html").read_text(encoding="utf-8")
    assert "<h2 id=\"backward\">Backward pass</h2>" in text
    assert '<g class="edge" data-quantity="df/dq">' in text
