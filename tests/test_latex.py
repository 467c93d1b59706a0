"""Every rendered .tex compiles with pdflatex and the PDF shows the key values.

Skipped where TeX is not installed, unless TRACER_REQUIRE_TEX=1 (CI sets it), where a missing
pdflatex is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

import tracer
from tracer.escape import pdflatex_can_set
from tracer.renderer import render_pdf

from .test_golden import spec_for

HAVE_TEX = shutil.which("pdflatex") is not None and shutil.which("pdftotext") is not None
REQUIRED = os.environ.get("TRACER_REQUIRE_TEX") == "1"

needs_tex = pytest.mark.skipif(not HAVE_TEX and not REQUIRED, reason="pdflatex not installed")

EXPECTED = {
    "seed": ["0.298371109", "0.082167041", "0.35891648", "0.036350306", "0.000438568",
             "0.149780716", "0.291027774"],
    "deep": ["0.25"],
}


def compile_pdf(tex: str, folder: Path) -> str:
    (folder / "doc.tex").write_text(tex, encoding="utf-8")
    env = {**os.environ, "openin_any": "p", "openout_any": "p"}
    # pdflatex where it sets every character, as tracer.pdf chooses; LuaLaTeX for the rest
    engine = "pdflatex" if all(map(pdflatex_can_set, tex)) else "lualatex"
    for _ in range(3):  # again only while LaTeX asks to rerun
        done = subprocess.run(
            [engine, "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error",
             "doc.tex"],
            cwd=folder, capture_output=True, text=True, env=env, timeout=120, check=False,
        )
        assert done.returncode == 0, done.stdout[-3000:]
        if "Rerun" not in done.stdout:
            break
    text = subprocess.run(["pdftotext", "-layout", "doc.pdf", "-"], cwd=folder,
                          capture_output=True, text=True, check=True).stdout
    return text


@needs_tex
@pytest.mark.parametrize("name", ["seed", "seed-sequential", "softmax", "deep", "rich", "batch",
                                  "online", "leaky"])
def test_tex_compiles_and_shows_values(name: str, tmp_path: Path) -> None:
    trace = tracer.trace(spec_for(name))
    pdf_text = compile_pdf(tracer.render(trace, "tex"), tmp_path)
    assert "Forward pass" in pdf_text
    for value in EXPECTED.get(name, []):
        assert value in pdf_text, value
    assert tracer.render(trace, "md").count("$$") > 0


@needs_tex
def test_training_run_question_sheet_and_booklet_compile(tmp_path: Path) -> None:
    from tracer.handouts import key_files
    from tracer.keys import make_variants
    from tracer.renderer import render_question
    from tracer.sheets import question_sheet

    trace = tracer.trace(tracer.example_spec("softmax"))
    run = tracer.train(trace.symbolic, 30, keep=[1, 30])
    assert "Training" in compile_pdf(tracer.render(run, "tex", every=10), tmp_path)
    sheet = render_question(question_sheet(trace, "tex", trace.names[:10], "Ann O'Neil & co_1"),
                            "tex")
    assert "Neil & co" in compile_pdf(sheet, tmp_path)  # & escaped, set as text
    exercise = tracer.build_trace(tracer.load_spec(
        Path(__file__).parent.parent / "examples" / "homework.toml"))
    files = key_files(exercise, make_variants(exercise, 2, [("a", None), ("b", None)]), 2,
                      "tex", booklet=True)
    booklet = files["booklet.tex"]
    assert isinstance(booklet, str)
    pages = compile_pdf(booklet, tmp_path)
    assert pages.count("Forward pass") == 2
    assert "Variant a" in pages and "Variant b" in pages  # each key says whose it is


@needs_tex
def test_hostile_title_compiles_literally(tmp_path: Path) -> None:
    data = tomllib.loads(tracer.example_text("seed"))
    data["title"] = r"50% of \input{x} & $y$ ^^5c #1 ~_{}"
    data["description"] = "Ünïcode ∑ ok"
    hostile = tracer.spec_from_dict(data, "hostile")
    pdf_text = compile_pdf(tracer.render(tracer.trace(hostile), "tex"), tmp_path)
    flat = " ".join(pdf_text.split())
    # pdftotext shows \textasciicircum as a modifier letter; what matters is that it printed.
    assert r"50% of \input{x} & $y$" in flat
    assert "5c #1" in flat
    assert "Ünïcode ∑ ok" in flat  # kept, and set by LuaLaTeX


@needs_tex
def test_a_wide_layer_and_a_deep_network_compile(tmp_path: Path) -> None:
    """A 128-neuron layer stopped TeX with "Dimension too large" (its output's net input on
    one line, and its figure); 40 layers took 80 s of TikZ. Long sums are set over lines and
    networks too large to draw are not drawn."""
    def network(widths: list[int]) -> str:
        layers, inputs = [], widths[0]
        for index, width in enumerate(widths[1:], start=1):
            name = "o" if index == len(widths) - 1 else "h" + chr(96 + (index - 1) // 26 + 1) \
                + chr(97 + (index - 1) % 26)
            rows = ", ".join("[" + ", ".join(["0.01"] * inputs) + "]" for _ in range(width))
            layers.append(f'[[layers]]\nname = "{name}"\nactivation = "sigmoid"\n'
                          f"weights = [{rows}]\nbias = 0.1\n")
            inputs = width
        return ('loss = "half_squared_error"\nlearning_rate = 0.5\n[inputs]\n'
                + "".join(f"i{k} = 0.1\n" for k in range(1, widths[0] + 1)) + "[targets]\n"
                + "".join(f"o{k} = 0.5\n" for k in range(1, widths[-1] + 1)) + "".join(layers))

    for widths in ([2, 128, 2], [2] * 41):
        trace = tracer.trace(tracer.parse_spec(network(widths)))
        assert render_pdf(trace).startswith(b"%PDF")


@needs_tex
@pytest.mark.parametrize("name", ["seed", "softmax", "wide3442"])
def test_no_line_runs_into_the_margin(name: str, tmp_path: Path) -> None:
    """No overfull box over 1 pt: every step, table and figure fits the text width."""
    compile_pdf(tracer.render(tracer.trace(spec_for(name)), "tex"), tmp_path)
    log = (tmp_path / "doc.log").read_text(encoding="utf-8", errors="replace")
    overfull = [float(points) for points in
                re.findall(r"Overfull \\[hv]box \(([\d.]+)pt too", log)]
    assert not [points for points in overfull if points > 1.0], overfull
