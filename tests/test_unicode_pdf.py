"""Names and titles in any script, and TeX's specials, read back from the PDFs exactly as
written (pdflatex for Latin text, LuaLaTeX with the Noto fonts for the rest)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

import tracer
from tracer.cli import main
from tracer.errors import TracerError
from tracer.pdf import compile_pdf

ROOT = Path(__file__).parent.parent
HAVE = all(shutil.which(tool) for tool in ("pdflatex", "lualatex", "pdftotext"))
REQUIRED = os.environ.get("TRACER_REQUIRE_TEX") == "1"
needs_tex = pytest.mark.skipif(not HAVE and not REQUIRED, reason="TeX not installed")

# Six scripts and TeX's specials, as a roster holds them.
NAMES = ["Björk Guðmundsdóttir « Þ »", "王小明 Nguyễn Văn Anh",
         "Ελένη Παπαδοπούλου Дмитрий Шостакович", "O'Neil & Anne--Marie 50% $x {y} #1 \\z"]


def text_of(pdf: Path) -> str:
    """The PDF's text, white space made single spaces (lines break anywhere)."""
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True,
                          capture_output=True, text=True)
    return " ".join(done.stdout.split())


@needs_tex
def test_every_name_reads_back_from_questions_keys_and_booklet(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    roster = "id,name\n" + "".join(
        f'u{k},"{name.replace(chr(34), chr(34) * 2)}"\n' for k, name in enumerate(NAMES, 1))
    Path("roster.csv").write_text(roster, encoding="utf-8")
    shutil.copy(ROOT / "examples" / "homework.toml", "hw.toml")
    assert main(["keys", "hw.toml", "--roster", "roster.csv", "--seed", "3", "-o", "keys",
                 "-f", "pdf", "--booklet"]) == 0
    booklet = text_of(Path("keys/booklet.pdf"))
    for k, name in enumerate(NAMES, 1):
        for document in (f"keys/u{k}.question.pdf", f"keys/u{k}.key.pdf"):
            assert name in text_of(Path(document)), (document, name)
        assert name in booklet, name


@needs_tex
def test_a_title_and_description_in_any_script(tmp_path: Path) -> None:
    title, description = "Обратное распространение — 反向传播 — Þjálfun", "Ελληνικά & 50% $"
    spec = tracer.example_text("seed").replace(
        'title = "', f'description = "{description}"\ntitle = "{title} ', 1)
    (tmp_path / "net.toml").write_text(spec, encoding="utf-8")
    assert main(["render", str(tmp_path / "net.toml"), "-f", "pdf", "-o",
                 str(tmp_path / "net.pdf")]) == 0
    text = text_of(tmp_path / "net.pdf")
    assert title in text and description in text


@needs_tex
def test_a_character_no_font_has_is_an_error_that_names_it() -> None:
    tex = ("\\documentclass{article}\\usepackage{fontspec}\\begin{document}"
           "Hieroglyph \U00013000\\end{document}\n")
    with pytest.raises(TracerError, match=r"no installed font has '\U00013000' \(U\+13000\)"):
        compile_pdf(tex)


@needs_tex
def test_documents_compile_side_by_side_and_report_progress() -> None:
    from tracer.pdf import compile_pdfs

    tex = "\\documentclass{article}\\begin{document}Page %s\\end{document}\n"
    seen: list[tuple[int, int]] = []
    pdfs = compile_pdfs([(f"doc {k}", tex % k) for k in range(3)],
                        lambda done, total: seen.append((done, total)))
    assert len(pdfs) == 3 and all(pdf.startswith(b"%PDF") for pdf in pdfs)
    assert seen == [(1, 3), (2, 3), (3, 3)]
    with pytest.raises(TracerError, match=r"^-f pdf: doc 1: pdflatex failed"):
        compile_pdfs([("doc 0", tex % 0), ("doc 1", "\\documentclass{article}\\bad")])
