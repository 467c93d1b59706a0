"""PDF from LaTeX: pdflatex in a temporary folder, confined and reproducible."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import TracerError

TEX_PACKAGES = "texlive-latex-base texlive-latex-recommended"
PDFLATEX_TIMEOUT = 120  # seconds
MAX_PASSES = 3


def compile_pdf(tex: str) -> bytes:
    """A LaTeX document compiled as `render_pdf` describes."""
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        raise TracerError("pdflatex not found: install TeX Live (Debian: apt-get install "
                          f"{TEX_PACKAGES})", key="-f pdf")
    with tempfile.TemporaryDirectory(prefix="tracer-pdf-") as folder:
        # The mark by which tracer knows its own PDF again (files.written_by_tracer).
        (Path(folder) / "doc.tex").write_text("\\pdfinfo{/Creator (tracer)}\n" + tex,
                                              encoding="utf-8")
        environ = {**os.environ, "openin_any": "p", "openout_any": "p",
                   "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1", "TEXMFOUTPUT": folder}
        # Once, and again only while LaTeX asks (longtable widths, references): a second
        # pass was byte-identical for every document we make, and doubled the time.
        for _ in range(MAX_PASSES):
            try:
                done = subprocess.run(
                    [pdflatex, "-no-shell-escape", "-interaction=nonstopmode",
                     "-halt-on-error", "doc.tex"], cwd=folder, env=environ,
                    capture_output=True, timeout=PDFLATEX_TIMEOUT, check=False)
            except subprocess.TimeoutExpired:
                raise TracerError(f"pdflatex took longer than {PDFLATEX_TIMEOUT} s",
                                  key="-f pdf") from None
            if done.returncode != 0:
                raise TracerError(f"pdflatex failed: {_tex_error(done.stdout)}",
                                  key="-f pdf")
            if b"Rerun" not in done.stdout:
                break
        return (Path(folder) / "doc.pdf").read_bytes()


def _tex_error(log: bytes) -> str:
    lines = log.decode("utf-8", "replace").splitlines()
    errors = [line for line in lines if line.startswith("!")]
    return errors[0][1:].strip() if errors else "see its log"
