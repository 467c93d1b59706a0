"""Handouts a teacher can print: question sheets that draw the network (every weight named,
with its value), its SVG a file of the keys folder that the manifest lists; and a booklet
of keys with a list of the students and, on every page, whose key it is."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import tracer
from tracer.cli import main
from tracer.handouts import key_files
from tracer.keys import Student, make_variants
from tracer.renderer import render_question
from tracer.sheets import question_sheet

from .test_files import HAVE_TEX, REQUIRE_TEX

ROOT = Path(__file__).parent.parent
EXERCISE = ROOT / "examples" / "homework.toml"
ROSTER = ROOT / "examples" / "roster.csv"
STUDENTS = [("s001", "Ada Lovelace"), ("s002", "Alan Turing"), ("s003", "Grace Hopper")]


def keys(fmt: str, booklet: bool = False, spec: tracer.Spec | None = None,
         students: list[tuple[str, str]] = STUDENTS) -> dict[str, str | bytes]:
    graph = tracer.build_trace(spec or tracer.load_spec(EXERCISE))
    variants = make_variants(graph, 7, [(i, Student(i, name)) for i, name in students])
    return key_files(graph, variants, 7, fmt, booklet=booklet)


def text(files: dict[str, str | bytes], name: str) -> str:
    found = files[name]
    assert isinstance(found, str)
    return found


def wide_exercise() -> tracer.Spec:
    """A hidden layer of 17 neurons: one more than diagram.MAX_DRAWN_WIDTH."""
    data = {
        "title": "Wide", "loss": "half_squared_error", "learning_rate": 0.5,
        "inputs": {"i1": 0.1, "i2": 0.2}, "targets": {"o1": 0.5},
        "layers": [
            {"name": "h", "activation": "sigmoid", "weights": [[0.1, 0.2]] * 17, "bias": 0.1},
            {"name": "o", "activation": "sigmoid", "weights": [[0.3] * 17], "bias": 0.2}],
        "randomize": {"weights": {"low": 0.05, "high": 0.95, "decimals": 2}},
    }
    return tracer.spec_from_dict(data, "wide.toml")


# -- the network on the question sheet -------------------------------------------------------

def test_markdown_sheet_links_the_network_svg_which_is_in_the_folder_and_the_manifest() -> None:
    files = keys("md")
    manifest = json.loads(text(files, "manifest.json"))
    for entry in manifest["variants"]:
        named = entry["files"]
        sheet = text(files, named["question"])
        links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", sheet)
        assert links == [f"{entry['variant']}.network.svg"] == [named["network_figure"]]
        picture = text(files, links[0])
        assert "<svg" in picture
        values = entry["values"]
        for weight in ("w1", "w7", "w8"):  # every weight's edge carries its value
            edge = re.search(rf'<g class="edge" data-quantity="{weight}".*?</g>', picture,
                             re.S)
            assert edge and f" = {values[weight]:g}<" in edge.group().replace("\u2212", "-")
        # the key (a worked document) shows its figures too, each a listed file
        key_links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text(files, named["key"]))
        assert len(key_links) == 3 and set(key_links) <= set(named.values())
        assert all(name in files for name in key_links)
    listed = {name for entry in manifest["variants"] for name in entry["files"].values()}
    svgs = {name for name in files if name.endswith(".svg")}
    assert svgs and svgs <= listed


def test_latex_sheet_draws_the_network_inline() -> None:
    files = keys("tex")
    assert not any(name.endswith(".svg") for name in files)  # LaTeX carries its figures
    values = json.loads(text(files, "manifest.json"))["variants"][0]["values"]
    sheet = text(files, "s001.question.tex")
    assert "\\usepackage{tikz}" in sheet
    picture = sheet[sheet.index("\\begin{tikzpicture}"):sheet.index("\\end{tikzpicture}")]
    for weight in ("w1", "w7", "w8"):  # each edge, marked by its weight, with its value
        edge = picture[picture.index(f"% edge {weight}\n"):]
        edge = edge[:edge.index("\n%")]
        assert f"$w_{{{weight[1:]}}} = {values[weight]:g}$" in edge
    assert "numbered layer by layer" not in sheet


def test_a_sheet_of_its_own_draws_the_network_in_latex_and_names_its_numbering_otherwise(
        ) -> None:
    trace = tracer.trace(tracer.example_spec())
    assert "\\begin{tikzpicture}" in render_question(question_sheet(trace, "tex", ["w5_new"]),
                                                     "tex")
    sheet = render_question(question_sheet(trace, "md", ["w5_new"]), "md")  # no file to link
    assert "![" not in sheet
    assert "| h | i1 … i2 | h1 | $w_{1}$ … $w_{2}$ |" in sheet
    assert "| | | o2 | $w_{7}$ … $w_{8}$ |" in sheet


def test_a_network_too_large_to_draw_gets_its_weight_numbering_in_words() -> None:
    for fmt in ("md", "tex"):
        files = keys(fmt, spec=wide_exercise(), students=STUDENTS[:1])
        assert not any(name.endswith(".svg") for name in files)
        sheet = text(files, f"s001.question.{fmt}")
        assert "tikzpicture" not in sheet and "![" not in sheet
        assert "row $j$ of a" in sheet
        if fmt == "md":
            assert "| h | i1 … i2 | h1 | $w_{1}$ … $w_{2}$ |" in sheet
            assert "| | | h2 | $w_{3}$ … $w_{4}$ |\n| | | … | … |\n| | | h17 |" in sheet
            assert "| o | h1 … h17 | o1 | $w_{35}$ … $w_{51}$ |" in sheet
        else:
            assert "h & i1 \\dots{} i2 & h1 & $w_{1}$ \\dots{} $w_{2}$ \\\\" in sheet


def test_rerunning_keys_into_the_same_folder_replaces_the_figures(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The folder is replaced only when the manifest lists every file in it: the SVGs are."""
    monkeypatch.chdir(tmp_path)
    command = ["keys", str(EXERCISE), "--roster", str(ROSTER), "--seed", "7", "-o", "out",
               "--booklet"]
    assert main(command) == 0
    first = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    assert "s004.network.svg" in first
    assert main(command) == 0
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == first
    assert main([*command[:-1], "-f", "tex"]) == 0  # LaTeX keys: no SVG left behind
    assert not list((tmp_path / "out").glob("*.svg"))
    assert main(command) == 0


# -- the booklet ----------------------------------------------------------------------------

def test_latex_booklet_heads_every_page_with_the_student_and_lists_them_first() -> None:
    booklet = text(keys("tex", booklet=True), "booklet.tex")
    assert "\\fancyhead[L]{\\tracerkey}" in booklet and "\\thepage" in booklet
    contents = booklet[booklet.index("\\section*{Contents}"):booklet.index("\\clearpage")]
    for n, (sid, name) in enumerate(STUDENTS, start=1):
        assert f"{name} ({sid}) & \\pageref{{tracer-key-{n}}}" in contents
        start = booklet.index(f"\\renewcommand{{\\tracerkey}}{{{name} ({sid})}}")
        assert booklet.rindex("\\clearpage", 0, start) > booklet.find(
            f"\\label{{tracer-key-{n - 1}}}")  # a new page for each key
        assert booklet.index(f"\\label{{tracer-key-{n}}}") > start
    assert booklet.count("\\begin{tikzpicture}") >= len(STUDENTS)


def test_markdown_booklet_lists_the_students_with_links_to_their_keys() -> None:
    booklet = text(keys("md", booklet=True), "booklet.md")
    head = booklet[:booklet.index("---")]
    for n, (sid, name) in enumerate(STUDENTS, start=1):
        assert f"{n}. [{name} ({sid})](#key-{n})" in head
        assert f'<a id="key-{n}"></a>\n\n# {name} ({sid})\n\n# Homework' in booklet
        assert f"]({sid}.network.svg)" in booklet


@pytest.mark.skipif(not (HAVE_TEX or REQUIRE_TEX) or (shutil.which("pdftotext") is None
                                                     and not REQUIRE_TEX),
                    reason="pdflatex not installed")
def test_every_page_of_the_booklet_pdf_names_its_student(tmp_path: Path) -> None:
    students = STUDENTS[:2]
    files = keys("pdf", booklet=True, students=students)
    (tmp_path / "booklet.pdf").write_bytes(files["booklet.pdf"])  # type: ignore[arg-type]
    (tmp_path / "sheet.pdf").write_bytes(files["s001.question.pdf"])  # type: ignore[arg-type]
    pages = subprocess.run(["pdftotext", "-layout", str(tmp_path / "booklet.pdf"), "-"],
                           capture_output=True, text=True, check=True).stdout.split("\f")[:-1]
    assert "Contents" in pages[0]
    owners = []
    for number, page in enumerate(pages, start=1):
        header = page.strip().splitlines()[0]
        assert f"Page {number}" in header
        if number > 1:
            owners.append([sid for sid, _ in students if f"({sid})" in header])
    assert all(len(owner) == 1 for owner in owners)  # every key page: one student's id
    order = [owner[0] for owner in owners]
    assert order == sorted(order) and set(order) == {sid for sid, _ in students}
    for sid, name in students:  # the contents give the page each key starts on
        first = order.index(sid) + 2
        assert re.search(rf"{name} \({sid}\)\s+{first}\b", pages[0])
    sheet = subprocess.run(["pdftotext", str(tmp_path / "sheet.pdf"), "-"],
                           capture_output=True, text=True, check=True).stdout
    # the network, its weights named (pdftotext scrambles the sloped labels: the level ones)
    assert "w1 = " in sheet and "w8 = " in sheet
