"""The files of `tracer keys`, put together in memory before anything is written: per
variant its question sheet, its key (the full derivation), its plain spec and a blank answer
sheet; then the booklet and the manifest. The manifest names the files as they are written
(PDFs for `-f pdf`), built from the same records, never patched as text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from .document import ESCAPES
from .files import stamped
from .gift import gift_text
from .gradescope import autograder_zip
from .graph import Graph
from .keys import (
    Manifest,
    Variant,
    asked,
    blank_sheet,
    fingerprint,
    variant_files,
    variant_toml,
)
from .lms import make_pool
from .moodle import moodle_xml
from .pdf import compile_pdf
from .qti import qti_zip
from .renderer import (
    Environment,
    document,
    environment,
    render_booklet,
    render_document,
    render_question,
)
from .sheets import booklet as make_booklet
from .sheets import question_sheet


def key_files(graph: Graph, variants: Sequence[Variant], seed: int, fmt: str,
              booklet: bool = False, env: Environment | None = None,
              lms: Sequence[str] = ()) -> dict[str, str | bytes]:
    """Every file of the answer keys, by name, with documents in `fmt` (md, tex or pdf),
    and the files of the learning platforms in `lms` (see `tracer.lms`)."""
    spec = graph.spec
    source = "tex" if fmt == "pdf" else fmt  # a PDF is compiled from the LaTeX
    wanted = asked(graph)
    env = env or environment()
    files: dict[str, str | bytes] = {}
    listed: dict[str, dict[str, str]] = {}
    keys = []
    for variant in variants:
        named = listed[variant.file_id] = variant_files(variant, fmt)
        sheet = question_sheet(variant.trace, source, wanted, _who(variant))
        keys.append(document(variant.trace, source))
        files[named["question"]] = _compiled(render_question(sheet, source, env), fmt)
        files[named["key"]] = _compiled(render_document(keys[-1], source, env), fmt)
        files[named["spec"]] = variant_toml(spec, variant)
        files[named["answers"]] = blank_sheet(spec, variant, wanted)
    if booklet:
        escape = ESCAPES[source]
        labels = [escape(_who(v) or f"Variant {v.file_id}") for v in variants]
        files[f"booklet.{fmt}"] = _compiled(
            render_booklet(make_booklet(keys, labels), source, env), fmt)
    # The file name only: a path as typed (/home/ana/…) differs between machines and
    # would make the same keys differ.
    manifest = Manifest(spec.title, Path(spec.source).name, seed, fmt, tuple(variants), listed,
                        fingerprint(spec), tuple(EXPORTS[name] for name in lms))
    files.update(_exports(graph, variants, lms, manifest))
    files["manifest.json"] = manifest.json()
    files["manifest.csv"] = manifest.csv()
    return {name: stamped(name, text) for name, text in files.items()}  # tracer's mark


EXPORTS = {"moodle": "moodle.xml", "qti": "qti.zip", "qti-quizzes": "qti-quizzes.zip",
           "gift": "questions.gift.txt",
           "gradescope": "gradescope-autograder.zip"}  # platform -> its file


def _exports(graph: Graph, variants: Sequence[Variant], lms: Sequence[str],
             manifest: Manifest) -> dict[str, str | bytes]:
    """The question pool in each platform's format, and Gradescope's autograder."""
    pool = make_pool(graph, variants)
    writers: dict[str, Callable[[], str | bytes]] = {
        "moodle": lambda: moodle_xml(pool), "qti": lambda: qti_zip(pool),
        "qti-quizzes": lambda: qti_zip(pool, quiz_per_variant=True),
        "gift": lambda: gift_text(pool),
        "gradescope": lambda: autograder_zip(graph.spec, variants, manifest)}
    return {EXPORTS[name]: writers[name]() for name in lms}


def _who(variant: Variant) -> str:
    """The student as a sheet names them: `Ada Lovelace (s001)`; empty for a variant."""
    if variant.student is None:
        return ""
    return " ".join(part for part in (variant.student.name, f"({variant.student.id})") if part)


def _compiled(text: str, fmt: str) -> str | bytes:
    return compile_pdf(text) if fmt == "pdf" else text
