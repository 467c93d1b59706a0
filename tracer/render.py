"""Rendering through jinja2 and writing files: the only module that does either.

Template search path (as in mkdocs): a user folder first, then the built-in templates, which
stay reachable under the `builtin/` prefix so an override can `{% extends %}` them.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import jinja2

from .check import Report
from .document import Row, build_document, json_document
from .errors import OutputError, TracerError
from .escape import latex_text, markdown_text
from .evaluate import Trace
from .misconceptions import CATALOGUE
from .report import feedback, report_json, report_text
from .train import TrainingRun

FORMATS = ("md", "tex", "json")
TEMPLATE_NAMES = {"md": "worked.md.j2", "tex": "worked.tex.j2"}


def builtin_templates() -> Path:
    """The packaged templates (wheel), or the repository's `templates/` (source checkout)."""
    packaged = Path(__file__).parent / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).parent.parent / "templates"


def environment(user_dirs: Sequence[Path] = ()) -> jinja2.Environment:
    """One jinja2 environment: strict about undefined names, no HTML autoescape (see document)."""
    builtin = str(builtin_templates())
    loader = jinja2.ChoiceLoader([
        jinja2.FileSystemLoader([str(d) for d in user_dirs] + [builtin]),
        jinja2.PrefixLoader({"builtin": jinja2.FileSystemLoader(builtin)}),
    ])
    return jinja2.Environment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(source: Trace | TrainingRun, fmt: str, env: jinja2.Environment | None = None,
           every: int = 0) -> str:
    """The worked example (one step, or a training run) as text in `fmt` (md, tex or json)."""
    if fmt == "json":
        return json.dumps(json_document(source), indent=2, ensure_ascii=False) + "\n"
    if fmt not in TEMPLATE_NAMES:
        raise TracerError(f"unknown format {fmt!r} (one of: {', '.join(FORMATS)})")
    env = env or environment()
    template = env.get_template(TEMPLATE_NAMES[fmt])
    return template.render(doc=build_document(source, fmt, every))


def render_question(trace: Trace, fmt: str, asked: Sequence[str], student: str = "",
                    env: jinja2.Environment | None = None) -> str:
    """The question sheet of an exercise: the network, the given values, what to compute."""
    if fmt not in TEMPLATE_NAMES:
        raise TracerError(f"unknown format {fmt!r} for a question sheet (one of: md, tex)")
    escape = markdown_text if fmt == "md" else latex_text
    doc = build_document(trace, fmt)
    rows = [Row((trace.symbolic[name].latex, name if fmt == "md" else escape(name)))
            for name in asked]
    template = (env or environment()).get_template(f"question.{fmt}.j2")
    return template.render(doc=doc, asked=rows, student=escape(student),
                           digits=trace.symbolic.spec.digits)


def render_feedback(report: Report, trace: Trace, fmt: str,
                    env: jinja2.Environment | None = None) -> str:
    """A check report as `text` (a table for the grader), `md` (feedback) or `json`."""
    if fmt == "json":
        return json.dumps(report_json(report), indent=2) + "\n"
    if fmt == "text":
        return report_text(report, trace.symbolic.spec.digits)
    if fmt != "md":
        raise TracerError(f"unknown format {fmt!r} (one of: text, md, json)")
    descriptions = {m.id: m.description for m in CATALOGUE}
    template = (env or environment()).get_template("check.md.j2")
    counts = {status: n for status, n in report.counts.items() if n}
    return template.render(title=markdown_text(trace.symbolic.spec.title),
                           score=f"{report.score:.0%}", counts=counts,
                           lines=feedback(report, trace, descriptions))


def write_files(folder: Path, documents: Mapping[str, str]) -> list[Path]:
    """Write each named document into `folder`, creating the folder if needed."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create folder ({exc.strerror})", source=str(folder)) from None
    paths = [folder / name for name in documents]
    for path, text in zip(paths, documents.values(), strict=True):
        write_atomic(path, text)
    return paths


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder and a rename: never a half-written file."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError("folder does not exist", source=str(path))
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"cannot write ({exc.strerror})", source=str(path)) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException as exc:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write ({exc.strerror})", source=str(path)) from None
        raise
