"""The files of `tracer keys`, put together in memory before anything is written: per
variant its question sheet, its key (the full derivation), its plain spec and a blank answer
sheet; then the booklet and the manifest. The manifest names the files as they are written
(PDFs for `-f pdf`), built from the same records, never patched as text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from . import messages
from .document import ESCAPES
from .errors import TracerError
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
from .pdf import compile_pdfs
from .qti import loose, qti_zip
from .renderer import (
    Environment,
    circuit_question_figure,
    document,
    environment,
    figure_file,
    figures_of,
    render_booklet,
    render_circuit,
    render_circuit_question,
    render_document,
    render_question,
)
from .sheets import booklet as make_booklet
from .sheets import question_sheet
from .webpage import page


def key_files(graph: Graph, variants: Sequence[Variant], seed: int, fmt: str,
              booklet: bool = False, env: Environment | None = None,
              lms: Sequence[str] = (), warn: Callable[[str], None] = lambda _: None,
              progress: Callable[[int, int], None] | None = None) -> dict[str, str | bytes]:
    """Every file of the answer keys, by name, with documents in `fmt` (md, tex, html or pdf),
    and the files of the learning platforms in `lms` (see `tracer.lms`)."""
    spec = graph.spec
    source = "tex" if fmt == "pdf" else fmt  # a PDF is compiled from the LaTeX
    wanted = asked(graph)
    env = env or environment()
    files: dict[str, str | bytes] = {}
    documents: dict[str, tuple[str, str]] = {}  # file -> (whose, its LaTeX or Markdown)
    listed: dict[str, dict[str, str]] = {}
    keys = []
    escape = ESCAPES[source]
    if spec.circuit is not None and booklet:
        raise TracerError("a circuit's keys come one a variant: leave out --booklet",
                          key="--booklet")
    for variant in variants:
        named = listed[variant.file_id] = variant_files(variant, fmt)
        shown = _figures(variant, source, named, files)
        if spec.circuit is not None:
            documents.update(_circuit_documents(variant, source, named, shown, files, wanted,
                                                env))
            files[named["spec"]] = variant_toml(spec, variant)
            files[named["answers"]] = blank_sheet(spec, variant, wanted)
            continue
        sheet = question_sheet(variant.trace, source, wanted, _who(variant), shown)
        keys.append(replace(document(variant.trace, source, figures=shown),
                            label=escape(_who(variant))))  # the key names its student
        whose = _who(variant) or f"variant {variant.file_id}"
        web = page(variant.trace) if fmt == "html" else None
        documents[named["question"]] = (f"{whose}'s question sheet",
                                         render_question(sheet, source, env, web))
        documents[named["key"]] = (f"{whose}'s key",
                                   render_document(keys[-1], source, env, web))
        files[named["spec"]] = variant_toml(spec, variant)
        files[named["answers"]] = blank_sheet(spec, variant, wanted)
    if booklet:
        t = messages.catalogue(spec.lang)
        labels = [escape(_who(v) or t("booklet.variant", id=v.file_id)) for v in variants]
        web = page(variants[0].trace) if fmt == "html" else None  # one structure for all
        documents[f"booklet.{fmt}"] = "the booklet", render_booklet(
            make_booklet(keys, labels, spec.lang), source, env, web)
    files.update(_compiled(documents, fmt, progress))
    # The file name only: a path as typed (/home/ana/…) differs between machines and
    # would make the same keys differ.
    manifest = Manifest(spec.title, Path(spec.source).name, seed, fmt, tuple(variants), listed,
                        fingerprint(spec), tuple(EXPORTS[name] for name in lms))
    files.update(_exports(graph, variants, lms, manifest, warn))
    files["manifest.json"] = manifest.json()
    files["manifest.csv"] = manifest.csv()
    return {name: stamped(name, text) for name, text in files.items()}  # tracer's mark


EXPORTS = {"moodle": "moodle.xml", "qti": "qti.zip", "qti-quizzes": "qti-quizzes.zip",
           "gift": "questions.gift.txt",
           "gradescope": "gradescope-autograder.zip"}  # platform -> its file


def _exports(graph: Graph, variants: Sequence[Variant], lms: Sequence[str],
             manifest: Manifest, warn: Callable[[str], None]) -> dict[str, str | bytes]:
    """The question pool in each platform's format, and Gradescope's autograder; `warn`
    says which answers a platform holds only loosely."""
    pool = make_pool(graph, variants)
    if {"qti", "qti-quizzes"} & set(lms):
        for line in loose(pool):
            warn(line)
    writers: dict[str, Callable[[], str | bytes]] = {
        "moodle": lambda: moodle_xml(pool), "qti": lambda: qti_zip(pool),
        "qti-quizzes": lambda: qti_zip(pool, quiz_per_variant=True),
        "gift": lambda: gift_text(pool),
        "gradescope": lambda: autograder_zip(graph.spec, variants, manifest)}
    return {EXPORTS[name]: writers[name]() for name in lms}


def _figures(variant: Variant, fmt: str, named: dict[str, str],
             files: dict[str, str | bytes]) -> dict[str, str]:
    """The variant's figures as its documents show them: TikZ in LaTeX; in Markdown the
    name of an SVG file, which goes into `files` and, as `<figure>_figure`, into the
    variant's files in the manifest (a rerun replaces only the files a manifest lists)."""
    pictures = figures_of(variant.trace)
    if fmt != "md":  # drawn inside: TikZ in LaTeX, SVG in HTML
        return {key: pair[fmt == "tex"] for key, pair in pictures.items()}
    shown = {}
    for key, (picture, _) in pictures.items():
        shown[key] = named[f"{key}_figure"] = figure_file(variant.file_id, key)
        files[shown[key]] = picture
    return shown


def _circuit_documents(variant: Variant, fmt: str, named: dict[str, str],
                       shown: Mapping[str, str], files: dict[str, str | bytes],
                       wanted: Sequence[str], env: Environment
                       ) -> dict[str, tuple[str, str]]:
    """A circuit variant's question sheet (its picture with the given values only) and its
    key (the whole derivation, naming its student)."""
    picture = circuit_question_figure(variant.trace)
    given: dict[str, str] = {}
    if picture is not None and fmt == "md":
        given["circuit"] = named["given_figure"] = figure_file(variant.file_id, "given")
        files[given["circuit"]] = picture[0]
    elif picture is not None:
        given["circuit"] = picture[1]
    whose = _who(variant) or f"variant {variant.file_id}"
    escape = ESCAPES[fmt]
    return {
        named["question"]: (f"{whose}'s question sheet", render_circuit_question(
            variant.trace, fmt, wanted, _who(variant), given, env)),
        named["key"]: (f"{whose}'s key", render_circuit(
            variant.trace, fmt, env, shown, label=escape(_who(variant)))),
    }


def _who(variant: Variant) -> str:
    """The student as a sheet names them: `Ada Lovelace (s001)`; empty for a variant."""
    if variant.student is None:
        return ""
    return " ".join(part for part in (variant.student.name, f"({variant.student.id})") if part)


def _compiled(documents: Mapping[str, tuple[str, str]], fmt: str,
              progress: Callable[[int, int], None] | None) -> dict[str, str | bytes]:
    """The documents as written, or as PDFs compiled side by side (an error names whose
    document failed; `progress` is told of each)."""
    if fmt != "pdf":
        return {name: text for name, (_, text) in documents.items()}
    # the booklet first: the longest run, beside the others rather than after them
    names = sorted(documents, key=lambda name: not name.startswith("booklet."))
    pdfs = compile_pdfs([documents[name] for name in names], progress)
    return dict(zip(names, pdfs, strict=True))
