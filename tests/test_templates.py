"""Own templates, PDF output and notebook display."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tracer
from tracer.check import Checker
from tracer.cli import main
from tracer.errors import TracerError
from tracer.handouts import key_files
from tracer.keys import make_variants
from tracer.renderer import environment, render_feedback, render_pdf, render_question
from tracer.report import feedback_sheet
from tracer.sheets import question_sheet

ROOT = Path(__file__).parent.parent


def test_user_template_overrides_one_block(tmp_path: Path) -> None:
    (tmp_path / "worked.md.j2").write_text(
        '{% extends "builtin/worked.md.j2" %}\n'
        "{% block title %}\n# {{ doc.title }} (Course NN 101)\n{% endblock %}\n",
        encoding="utf-8")
    trace = tracer.trace(tracer.example_spec())
    text = tracer.render(trace, "md", environment([tmp_path]))
    plain = tracer.render(trace, "md")
    assert text.startswith("# A step by step backpropagation example (Course NN 101)\n")
    assert text.split("\n", 1)[1] == plain.split("\n", 1)[1]


def test_user_templates_are_sandboxed(tmp_path: Path) -> None:
    (tmp_path / "worked.md.j2").write_text("{{ doc.__class__.__init__.__globals__ }}",
                                           encoding="utf-8")
    with pytest.raises(TracerError, match="template error"):
        tracer.render(tracer.trace(tracer.example_spec()), "md", environment([tmp_path]))


def test_undefined_names_fail_loudly(tmp_path: Path) -> None:
    (tmp_path / "worked.md.j2").write_text("{{ doc.no_such_field }}", encoding="utf-8")
    with pytest.raises(TracerError, match=r"template error: .*no_such_field"):
        tracer.render(tracer.trace(tracer.example_spec()), "md", environment([tmp_path]))


def test_broken_template_is_one_line_with_file_and_line(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "worked.md.j2").write_text("line one\n{% if %}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["render", "--templates", "mine"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("tracer: error: ") and "worked.md.j2:2: template error" in err
    assert not (tmp_path / "output").exists()
    assert main(["render", "--templates", "missing"]) == 2
    assert "missing: --templates: is not a folder of templates" in capsys.readouterr().err


def test_templates_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["templates", "export", "mine"]) == 0
    assert {p.name for p in (tmp_path / "mine").iterdir()} >= {"worked.md.j2",
                                                               "worked.tex.j2"}
    assert main(["templates", "export", "mine"]) == 2  # never overwrites an edited copy
    assert main(["render", "--templates", "mine", "-o", "a.md"]) == 0
    assert main(["render", "-o", "b.md"]) == 0
    assert (tmp_path / "a.md").read_text().replace("](a.", "](b.") == (
        tmp_path / "b.md").read_text()


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
def test_pdf_is_reproducible_and_shows_the_derivation(tmp_path: Path) -> None:
    run = tracer.train(tracer.build_trace(tracer.example_spec()), 50, keep=[1])
    first, second = render_pdf(run), render_pdf(run)
    assert first == second and first.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-", "-"], input=first, capture_output=True,
                          check=True).stdout.decode()
    assert "0.082167041" in text and "Training" in text


def test_missing_pdflatex_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules["tracer.pdf"].shutil, "which", lambda name: None)
    with pytest.raises(TracerError, match="apt-get install texlive-latex-base"):
        render_pdf(tracer.trace(tracer.example_spec()))


def test_notebook_display() -> None:
    trace = tracer.trace(tracer.example_spec())
    assert trace._repr_markdown_() == tracer.render(trace, "md")
    latex = trace._repr_latex_()
    assert latex is not None
    assert latex.startswith("$$\\begin{aligned}") and "0.082167041" in latex


def test_templates_exported_by_earlier_versions_still_work(tmp_path: Path) -> None:
    """Question sheets and feedback see the names their templates always had."""
    (tmp_path / "question.md.j2").write_text(
        "{{ doc.title }} for {{ student }}: {% for row in asked %}{{ row.cells[1] }} "
        "{% endfor %}to {{ digits }} places\n", encoding="utf-8")
    (tmp_path / "check.md.j2").write_text(
        "{{ title }} {{ score }} {% for status, n in counts.items() %}{{ n }} {{ status }} "
        "{% endfor %}{{ lines | length }}\n", encoding="utf-8")
    trace = tracer.trace(tracer.example_spec())
    env = environment([tmp_path])
    sheet = question_sheet(trace, "md", ["net_h1", "w5_new"], "Ann")
    assert render_question(sheet, "md", env) == (
        "A step by step backpropagation example for Ann: net_h1 w5_new to 9 places\n")
    report = Checker(trace).mark("net_h1 = 0.3775\nw5_new = 1\n")
    assert render_feedback(feedback_sheet(report, trace), env) == (
        "A step by step backpropagation example 50% 1 correct 1 wrong 2\n")


def test_a_booklet_needs_a_worked_template_that_makes_parts(tmp_path: Path) -> None:
    """A whole-document worked.tex.j2 of its own (as exported before booklets had parts)
    would put the first key alone into the booklet: that is one line, not a short booklet."""
    (tmp_path / "worked.tex.j2").write_text(
        "\\documentclass{article}\\begin{document}{{ doc.title }}\\end{document}\n",
        encoding="utf-8")
    exercise = tracer.build_trace(tracer.load_spec(ROOT / "examples" / "homework.toml"))
    variants = make_variants(exercise, 1, [("a", None), ("b", None)])
    with pytest.raises(TracerError, match=r"worked\.tex\.j2: the booklet lacks 'Variant a'"):
        key_files(exercise, variants, 1, "tex", booklet=True, env=environment([tmp_path]))
