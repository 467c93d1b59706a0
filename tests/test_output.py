"""output/ holds the showcase documents; this fails when they are stale.

Regenerate with `tracer showcase` (writes output/).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

from tracer.showcase import showcase_documents

OUTPUT = Path(__file__).parent.parent / "output"
DOCUMENTS = showcase_documents()
HAVE_PDFTOTEXT = shutil.which("pdftotext") is not None


@cache
def with_pdfs() -> dict[str, str | bytes]:
    """Rendered (and PDFs compiled) once for every PDF test, not once per test."""
    return showcase_documents(pdf=True)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_showcase_is_current(name: str) -> None:
    path = OUTPUT / name
    assert path.exists(), f"output/{name} is missing: run `tracer showcase`"
    content = DOCUMENTS[name]
    current = path.read_text(encoding="utf-8") if isinstance(content, str) else path.read_bytes()
    assert current == content, f"output/{name} is stale: run `tracer showcase`"


def test_showcase_has_the_documents_the_issues_ask_for() -> None:
    names = set(DOCUMENTS)
    assert {"seed.md", "seed.tex", "seed-sequential.md", "seed.network.svg",
            "softmax.md", "softmax-training.md", "softmax-training.errors.svg",
            "seed.html", "softmax.html",  # web pages (issue 18)
            "seed-zh.md", "seed-zh.html",  # the Chinese edition (issue 19)
            "circuit.md", "circuit.html", "sigmoid-neuron.md", "reuse.md"} <= names  # issue 17
    for name in names:  # every figure a document links is there
        if name.endswith(".md"):
            text = str(DOCUMENTS[name])
            for svg in (n for n in names if n.endswith(".svg")):
                if svg.startswith(name.removesuffix(".md") + "."):
                    assert f"]({svg})" in text


@pytest.mark.skipif(not HAVE_PDFTOTEXT and os.environ.get("TRACER_REQUIRE_TEX") != "1",
                    reason="pdftotext not installed")
@pytest.mark.parametrize("name", ["seed.pdf", "softmax-training.pdf"])
def test_showcase_pdf_is_current(name: str) -> None:
    # The PDF's bytes depend on the TeX version; its text must match the current rendering.
    path = OUTPUT / name
    assert path.exists(), f"output/{name} is missing: run `tracer showcase`"
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    fresh = with_pdfs()[name]
    assert isinstance(fresh, bytes)
    fresh_text = subprocess.run(["pdftotext", "-", "-"], input=fresh, capture_output=True,
                                check=True).stdout.decode()
    assert text == fresh_text, f"output/{name} is stale: run `tracer showcase`"
