"""PDF from LaTeX in a temporary folder, confined and reproducible: pdflatex where it can set
every character, LuaLaTeX where the text holds others (王小明, Ελένη, Nguyễn: the templates
load fontspec under LuaTeX, with Noto fonts as the fallback for what Latin Modern lacks).
pdflatex is about four times faster, so a class of Latin names keeps its speed."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .errors import TracerError
from .escape import pdflatex_can_set

TEX_PACKAGES = "texlive-latex-base texlive-latex-recommended"
UNICODE_PACKAGES = ("texlive-luatex fonts-noto-core fonts-noto-cjk texlive-lang-chinese "
                    "texlive-lang-japanese")  # the last two: ctex, for Chinese documents
PDFLATEX_TIMEOUT = 120  # seconds
MAX_PASSES = 3
_MISSING = re.compile(r"Missing character: There is no (.) \(U\+([0-9A-F]+)\)")


def compile_pdfs(documents: Sequence[tuple[str, str]],
                 progress: Callable[[int, int], None] | None = None) -> list[bytes]:
    """Several (whose, LaTeX) documents, compiled side by side (a TeX run takes one core);
    an error says whose document it was. `progress(done, total)` after each."""
    done = itertools.count(1)
    lock = threading.Lock()

    def one(document: tuple[str, str]) -> bytes:
        whose, tex = document
        try:
            pdf = compile_pdf(tex)
        except TracerError as exc:
            raise TracerError(f"{whose}: {exc.message}", key="-f pdf") from None
        if progress is not None:
            with lock:  # one line of the bar at a time
                progress(next(done), len(documents))
        return pdf

    if len(documents) < 2:
        return [one(document) for document in documents]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return list(pool.map(one, documents))


def compile_pdf(tex: str) -> bytes:
    """A LaTeX document compiled as `render_pdf` describes."""
    engine = "pdflatex" if all(map(pdflatex_can_set, tex)) else "lualatex"
    program = shutil.which(engine)
    if program is None:
        packages = TEX_PACKAGES if engine == "pdflatex" else UNICODE_PACKAGES
        raise TracerError(f"{engine} not found: install TeX Live (Debian: apt-get install "
                          f"{packages})", key="-f pdf")
    with tempfile.TemporaryDirectory(prefix="tracer-pdf-") as folder:
        # The mark by which tracer knows its own PDF again (files.written_by_tracer).
        creator = ("\\pdfinfo{/Creator (tracer)}\n" if engine == "pdflatex" else
                   "\\directlua{pdf.setinfo('/Creator (tracer)')}\n")
        (Path(folder) / "doc.tex").write_text(creator + tex, encoding="utf-8")
        log = _run(engine, program, folder)
        missing = _MISSING.search(log.decode("utf-8", "replace"))
        if missing:
            raise TracerError(f"no installed font has {missing.group(1)!r} (U+"
                              f"{missing.group(2)}): install fonts that cover it (Debian: "
                              f"{UNICODE_PACKAGES})", key="-f pdf")
        return (Path(folder) / "doc.pdf").read_bytes()


def _run(engine: str, program: str, folder: str) -> bytes:
    """Runs the engine once, and again only while LaTeX asks (longtable widths,
    references): a second pass was byte-identical for every document we make, and doubled
    the time. Returns the log."""
    environ = {**os.environ, "openin_any": "p", "openout_any": "p",
               "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1", "TEXMFOUTPUT": folder}
    for _ in range(MAX_PASSES):
        try:
            done = subprocess.run(
                [program, "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error",
                 "doc.tex"], cwd=folder, env=environ, capture_output=True,
                timeout=PDFLATEX_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            raise TracerError(f"{engine} took longer than {PDFLATEX_TIMEOUT} s",
                              key="-f pdf") from None
        if done.returncode != 0:
            raise TracerError(f"{engine} failed: {_tex_error(done.stdout)}", key="-f pdf")
        if b"Rerun" not in done.stdout:
            break
    return (Path(folder) / "doc.log").read_bytes()


def _tex_error(log: bytes) -> str:
    lines = log.decode("utf-8", "replace").splitlines()
    errors = [line for line in lines if line.startswith("!")]
    return errors[0][1:].strip() if errors else "see its log"
