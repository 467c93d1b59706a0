"""Own templates, PDF output and notebook display."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import tracer
from tracer.check import Checker
from tracer.cli import main
from tracer.errors import TracerError
from tracer.evaluation import Trace
from tracer.handouts import key_files
from tracer.keys import make_variants
from tracer.renderer import (
    environment,
    render_feedback,
    render_pdf,
    render_question,
)
from tracer.report import feedback_sheet
from tracer.sandbox import TemplateBudget
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
    report = Checker(trace, asked=["net_h1", "w5_new"]).mark("net_h1 = 0.3775\nw5_new = 1\n")
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


# -- hostile templates: each ends as one line naming its file and line, nothing more ------------

# (the template's third line, a piece of the error that follows `worked.md.j2:3: `)
HOSTILE = {
    "division by zero": ("{{ 1/0 }}", "template error: ZeroDivisionError: division by zero"),
    "huge range": ("{{ range(10**9) }}", "template error: OverflowError: Range too big"),
    "indent of one line by 8e9": ('{{ "x"|indent(8*10**9) }}', "would make more than"),
    "extends itself": ('{% extends "worked.md.j2" %}', "template error: RecursionError"),
    "recursive macro": ("{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(1) }}",
                        "template error: RecursionError"),
    "truncate -1": ('{{ "abc"|truncate(-1) }}', "AssertionError: expected length >= 3"),
    "wordwrap 0": ('{{ "abc"|wordwrap(0) }}', "ValueError: invalid width 0"),
    "undefined attribute": ("{{ doc.no_such_field }}", "has no attribute 'no_such_field'"),
    "sandbox": ("{{ doc.__class__ }}", "access to attribute '__class__' of 'Document'"),
    "include ..": ('{% include "../secret.j2" %}', "template not found: ../secret.j2"),
    "format filter width": ("{{ '%2000000000d'|format(1) }}", "budget: |format would make"),
    "% width": ("{{ '%2000000000d' % 1 }}", "budget: '%' would make more than"),
    "% star width": ("{{ '%*d' % (10**9, 1) }}", "budget: '%' would make more than"),
    "string times": ("{{ 'a' * 10**10 }}", "budget: '*' would make more than 50000000"),
    "string times times": ("{{ 'a' * 100000 * 100000 }}", "budget: '*' would make"),
    "list times": ("{{ [0] * 10**9 }}", "budget: '*' would make more than"),
    "power": ("{{ 2 ** (10**9) }}", "budget: '**' would make a number of more than 10000"),
    "squaring": ("{% set ns = namespace(x=7) %}{% for i in range(40) %}"
                 "{% set ns.x = ns.x * ns.x %}{% endfor %}", "budget: '*' would make a number"),
    "doubling by ~": ('{% set ns = namespace(s="x") %}{% for i in range(40) %}'
                      "{% set ns.s = ns.s ~ ns.s %}{% endfor %}", "budget: '~' would make"),
    "doubling by +": ('{% set ns = namespace(s="x") %}{% for i in range(40) %}'
                      "{% set ns.s = ns.s + ns.s %}{% endfor %}", "budget: '+' would make"),
    "nested lists printed": ("{% set ns = namespace(x=[1]) %}{% for i in range(60) %}"
                             "{% set ns.x = [ns.x, ns.x] %}{% endfor %}{{ ns.x }}",
                             "budget: printing a value would make"),
    "nested lists |string": ("{% set ns = namespace(x=[1]) %}{% for i in range(60) %}"
                             "{% set ns.x = [ns.x, ns.x] %}{% endfor %}{{ ns.x|string }}",
                             "budget: |string would make"),
    "lipsum": ("{{ lipsum(10**6) }}", "budget: lipsum() would make"),
    "center filter": ("{{ 'x'|center(10**9) }}", "budget: |center would make"),
    "center constant": ("{{ 'x'|center(1000000000) }}", "budget: |center would make"),
    "indent": ("{{ 'x\\ny'|indent(10**9) }}", "budget: |indent would make"),
    "join": ("{{ range(100000)|join('x' * 1000) }}", "budget: |join would make"),
    "batch": ("{{ [1]|batch(10**9, 0)|list }}", "budget: |batch would make"),
    "slice": ("{{ [1]|slice(10**9)|list }}", "budget: |slice would make"),
    "replace": ("{{ 'abc'|replace('', 'x' * 20000000) }}", "budget: |replace would make"),
    "wordwrap wrapstring": ("{{ ('a ' * 100000)|wordwrap(1, wrapstring='x' * 10000) }}",
                            "budget: |wordwrap would make"),
    "urlize target": ("{{ ('a.com ' * 100000)|urlize(target='x' * 1000) }}",
                      "budget: |urlize would make"),
    "tojson indent": ("{{ [1, 2]|tojson(10**9) }}", "budget: |tojson would make"),
    "sum of lists": ("{{ ([[0] * 1000] * 5000)|sum(start=[]) }}", "budget: |sum would make"),
    "round": ("{{ 5|round(-10**9) }}", "budget: |round would make a number of more than"),
    "str.ljust": ("{{ 'x'.ljust(10**9) }}", "budget: str.ljust() would make"),
    "str.zfill": ("{{ 'x'.zfill(10**9) }}", "budget: str.zfill() would make"),
    "str.center": ("{{ 'x'.center(10**9) }}", "budget: str.center() would make"),
    "str.expandtabs": ("{{ ('\t' * 100).expandtabs(10**9) }}", "budget: str.expandtabs()"),
    "str.replace": ("{{ 'abc'.replace('', 'x' * 20000000) }}", "budget: str.replace()"),
    "str.join": ("{{ ('x' * 1000).join(range(100000)|map('string')) }}", "budget: str.join()"),
    "str.translate": ("{{ ('a' * 1000000).translate({97: 'x' * 100}) }}",
                      "budget: str.translate()"),
    "str.format width": ("{{ '{:>2000000000}'.format(1) }}", "budget: str.format() would"),
    "str.format nested": ("{{ '{:{}}'.format(1, 10**9) }}", "budget: str.format() would"),
    "str.format_map": ("{{ '{:{w}}'.format_map({'w': 10**9}) }}", "budget: str.format_map()"),
    "int.to_bytes": ("{{ (1).to_bytes(10**9, 'big') }}", "budget: int.to_bytes() would"),
}


def user_template(folder: Path, third_line: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "worked.md.j2"
    path.write_text(f"line one\n\n{third_line}\n", encoding="utf-8")
    return path


def render_error(seed: Trace, folder: Path, budget: TemplateBudget | None = None) -> str:
    """The one line a user's worked.md.j2 ends with."""
    with pytest.raises(TracerError) as caught:
        tracer.render(seed, "md", environment([folder], budget=budget))
    line = caught.value.line()
    assert "\n" not in line
    return line


@pytest.mark.parametrize(("template", "message"), HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_template_is_one_line(seed: Trace, tmp_path: Path, template: str,
                                        message: str) -> None:
    path = user_template(tmp_path / "mine", template)
    line = render_error(seed, path.parent)
    assert line.startswith(f"{path}:3: ") and message in line


def test_a_template_that_never_ends_is_stopped(seed: Trace, tmp_path: Path) -> None:
    path = user_template(tmp_path, "{% for i in range(100000) %}{% for j in range(100000) %}"
                                   "{% endfor %}{% endfor %}")
    line = render_error(seed, tmp_path, TemplateBudget(seconds=0.5))
    assert line == f"{path}:3: template budget: took longer than 0.5 s"


def test_the_time_budget_holds_off_the_main_thread(seed: Trace, tmp_path: Path) -> None:
    """No timer there: the clock is looked at by the template's calls (here `range`)."""
    user_template(tmp_path, "{% for i in range(100000) %}{% for j in range(100000) %}"
                            "{% endfor %}{% endfor %}")
    lines: list[str] = []
    worker = threading.Thread(target=lambda: lines.append(
        render_error(seed, tmp_path, TemplateBudget(seconds=0.5))))
    worker.start()
    worker.join()
    assert lines and lines[0].endswith("worked.md.j2:3: template budget: took longer than 0.5 s")


def test_a_template_that_fills_memory_is_stopped(seed: Trace, tmp_path: Path) -> None:
    """Text collected by `{% set %}` is no output, and no one operation makes it large."""
    user_template(tmp_path, "{% set x %}{% for i in range(100000) %}{% for j in range(100000) %}"
                            "ab{% endfor %}{% endfor %}{% endset %}")
    line = render_error(seed, tmp_path, TemplateBudget(seconds=30, memory_bytes=64 << 20))
    assert line.endswith("worked.md.j2:3: template budget: used more than 64 MiB of memory")


def test_output_is_capped(seed: Trace, tmp_path: Path) -> None:
    user_template(tmp_path, '{% for i in range(100000) %}{{ "x" * 100 }}{% endfor %}')
    line = render_error(seed, tmp_path, TemplateBudget(output_chars=1000))
    assert line.endswith("worked.md.j2:3: template budget: wrote more than 1000 characters")


def test_the_budget_leaves_ordinary_templates_alone(seed: Trace, tmp_path: Path) -> None:
    user_template(tmp_path, "{{ '%5.2f'|format(3.14159) }} {{ '{:>4}'.format(7) }} "
                            "{{ 'ab' * 3 ~ [1, 2]|join(',') }} {{ 'x'|center(5) }}| "
                            "{{ range(4)|sum }} {{ [[1], [2]]|sum(start=[]) }} {{ 2 ** 10 }} "
                            "{{ 'a\tb'.expandtabs(2) }} {{ lipsum(1, html=False)|length > 0 }}")
    text = tracer.render(seed, "md", environment([tmp_path]))
    assert text == "line one\n\n 3.14    7 ababab1,2   x  | 6 [1, 2] 1024 a b True\n"


@pytest.mark.parametrize("case", ["seed.md", "seed.tex", "deep.md", "rich.tex", "leaky.md"])
def test_the_budget_leaves_the_built_in_templates_alone(tmp_path: Path, case: str) -> None:
    """With a user's (empty) folder, the built-ins render on the budget: the same text."""
    name, fmt = case.split(".")
    spec = tracer.example_spec(name) if name in tracer.EXAMPLES else tracer.load_spec(
        ROOT / "tests" / "data" / f"{name}.toml")
    trace = tracer.trace(spec)
    assert tracer.render(trace, fmt, environment([tmp_path])) == tracer.render(trace, fmt)


def test_the_timer_and_handler_before_a_render_are_restored(seed: Trace, tmp_path: Path
                                                           ) -> None:
    def theirs(signum: int, frame: object) -> None:
        raise AssertionError("their timer went off during the test")

    previous = signal.signal(signal.SIGALRM, theirs)
    signal.setitimer(signal.ITIMER_REAL, 100)
    try:
        user_template(tmp_path, "{{ doc.title }}")
        tracer.render(seed, "md", environment([tmp_path]))
        assert signal.getsignal(signal.SIGALRM) is theirs
        assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 100
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_links_out_of_the_template_folder_are_refused(seed: Trace, tmp_path: Path) -> None:
    folder, outside = tmp_path / "mine", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    (outside / "secret.j2").write_text("secret\n", encoding="utf-8")
    (folder / "title.j2").write_text("{{ doc.title }}\n", encoding="utf-8")
    (folder / "inside.j2").symlink_to("title.j2")  # stays inside: fine
    (folder / "sub").symlink_to(outside, target_is_directory=True)
    (folder / "leak.md.j2").symlink_to("/etc/passwd")
    (folder / "secret.j2").symlink_to(outside / "secret.j2")
    env = environment([folder])
    user_template(folder, '{% include "inside.j2" %}')
    assert tracer.render(seed, "md", env) == (
        "line one\n\nA step by step backpropagation example\n")
    for name in ("leak.md.j2", "secret.j2", "sub/secret.j2"):
        user_template(folder, f'{{% include "{name}" %}}')
        with pytest.raises(TracerError) as caught:
            tracer.render(seed, "md", environment([folder]))
        assert caught.value.line() == (f"{folder / name}: is a link to a file outside the "
                                       "--templates folder; not reading it")


def test_a_hostile_template_on_the_command_line(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    folder, out = tmp_path / "mine", tmp_path / "out.md"
    user_template(folder, "{{ 'a' * 10**10 }}")
    assert main(["render", "--templates", str(folder), "-o", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.err == (f"tracer: error: {folder / 'worked.md.j2'}:3: template budget: "
                            "'*' would make more than 50000000 characters\n")
    assert "Traceback" not in captured.out + captured.err
    assert not out.exists()
