"""Rendering through jinja2 and writing files: the only module that does either.

Template search path (as in mkdocs): a user folder first, then the built-in templates, which
stay reachable under the `builtin/` prefix so an override can `{% extends %}` them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import jinja2
import jinja2.sandbox

from . import diagram, names
from .check import Report
from .document import Row, build_document, json_document
from .errors import OutputError, TracerError
from .escape import latex_text, markdown_text
from .evaluate import Trace
from .misconceptions import CATALOGUE
from .report import feedback, report_json, report_text
from .train import TrainingRun

FORMATS = ("md", "tex", "json", "pdf")
TEMPLATE_NAMES = {"md": "worked.md.j2", "tex": "worked.tex.j2"}


def builtin_templates() -> Path:
    """The packaged templates (wheel), or the repository's `templates/` (source checkout)."""
    packaged = Path(__file__).parent / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).parent.parent / "templates"


def environment(user_dirs: Sequence[Path] = ()) -> jinja2.Environment:
    """One jinja2 environment: strict about undefined names, no HTML autoescape (the view
    model is escaped for its format already). A user's folder comes first in the search path;
    the built-ins stay reachable as `builtin/<name>` so an override can extend them. User
    templates run sandboxed: they cannot reach Python internals through the context."""
    builtin = str(builtin_templates())
    for folder in user_dirs:
        if not folder.is_dir():
            raise TracerError("is not a folder of templates", source=str(folder),
                              key="--templates")
    loader = jinja2.ChoiceLoader([
        jinja2.FileSystemLoader([str(d) for d in user_dirs] + [builtin]),
        jinja2.PrefixLoader({"builtin": jinja2.FileSystemLoader(builtin)}),
    ])
    kind = jinja2.sandbox.SandboxedEnvironment if user_dirs else jinja2.Environment
    return kind(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _template_render(env: jinja2.Environment, name: str, **context: object) -> str:
    """Render one template; a broken or missing template is one line naming file and line."""
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        where = f"{exc.filename or exc.name or name}:{exc.lineno}"
        raise TracerError(f"template error: {exc.message}", source=where) from None
    except jinja2.TemplateNotFound as exc:
        raise TracerError(f"template not found: {exc.message}", source=name) from None
    except jinja2.TemplateError as exc:
        raise TracerError(f"template error: {exc.message}", source=name) from None


def export_templates(folder: Path) -> list[Path]:
    """Copy the built-in templates into `folder` for editing; never overwrite a file."""
    sources = sorted(builtin_templates().glob("*.j2"))
    clashes = [p.name for p in sources if (folder / p.name).exists()]
    if clashes:
        raise OutputError(f"{clashes[0]} exists already; not overwriting it",
                          source=str(folder))
    return write_files(folder, {p.name: p.read_text(encoding="utf-8") for p in sources})


def render(source: Trace | TrainingRun, fmt: str, env: jinja2.Environment | None = None,
           every: int = 0, figures: Mapping[str, str] | None = None,
           focus_on: Sequence[str] = ()) -> str:
    """The worked example (one step, or a training run) as text in `fmt` (md, tex or json).

    LaTeX always draws its figures (TikZ); Markdown links the SVG files named in `figures`
    (see `render_files`, which writes them).
    """
    if fmt == "json":
        return json.dumps(json_document(source), indent=2, ensure_ascii=False) + "\n"
    if fmt not in TEMPLATE_NAMES:
        raise TracerError(f"unknown format {fmt!r} (one of: {', '.join(FORMATS)})")
    if fmt == "tex" and figures is None and not focus_on:
        figures = {key: code for key, (_, code) in _figures(source).items()}
    return _template_render(env or environment(), TEMPLATE_NAMES[fmt],
                            doc=build_document(source, fmt, every, figures, focus_on))


def _figures(source: Trace | TrainingRun) -> dict[str, tuple[str, str]]:
    """Each figure of a document as (SVG, TikZ): the network, the chain-rule paths of the
    first weight into the output layer and into the first hidden layer, the error curve."""
    run = source if isinstance(source, TrainingRun) else None
    trace = run.kept[min(run.kept)] if run else source
    assert isinstance(trace, Trace)
    spec = trace.symbolic.spec
    first_output_weight = names.weight(1 + sum(
        layer.size * len(layer.weights[0]) for layer in spec.layers[:-1]))
    layouts = {"network": diagram.layout(trace),
               "output_path": diagram.layout(trace, first_output_weight)}
    if len(spec.layers) > 1:
        layouts["hidden_path"] = diagram.layout(trace, names.weight(1))
    figures = {key: (diagram.svg(shape), diagram.tikz(shape)) for key, shape in layouts.items()}
    if run is not None and run.iterations > 1:
        figures["errors"] = (diagram.error_svg(run.errors), diagram.error_tikz(run.errors))
    return figures


def render_files(source: Trace | TrainingRun, fmt: str, stem: str,
                 env: jinja2.Environment | None = None, every: int = 0,
                 focus_on: Sequence[str] = ()) -> dict[str, str | bytes]:
    """The document and its companion files, by file name: Markdown comes with its SVG
    figures (`<stem>.network.svg`, …) beside it; LaTeX and PDF carry their figures inside.
    A focused document has no figures (it is for networks too large to draw)."""
    if fmt == "pdf":
        return {f"{stem}.pdf": render_pdf(source, env, every, focus_on)}
    if fmt != "md" or focus_on:
        return {f"{stem}.{fmt}": render(source, fmt, env, every, focus_on=focus_on)}
    figures = _figures(source)
    links = {key: f"{stem}.{key.replace('_', '-')}.svg" for key in figures}
    files: dict[str, str | bytes] = {f"{stem}.md": render(source, fmt, env, every, links)}
    files.update({links[key]: picture for key, (picture, _) in figures.items()})
    return files


def render_question(trace: Trace, fmt: str, asked: Sequence[str], student: str = "",
                    env: jinja2.Environment | None = None) -> str:
    """The question sheet of an exercise: the network, the given values, what to compute."""
    if fmt not in TEMPLATE_NAMES:
        raise TracerError(f"unknown format {fmt!r} for a question sheet (one of: md, tex)")
    escape = markdown_text if fmt == "md" else latex_text
    doc = build_document(trace, fmt)
    rows = [Row((trace.symbolic[name].latex, name if fmt == "md" else escape(name)))
            for name in asked]
    return _template_render(env or environment(), f"question.{fmt}.j2", doc=doc, asked=rows,
                            student=escape(student), digits=trace.symbolic.spec.digits)


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
    counts = {status: n for status, n in report.counts.items() if n}
    return _template_render(env or environment(), "check.md.j2",
                            title=markdown_text(trace.symbolic.spec.title),
                            score=f"{report.score:.0%}", counts=counts,
                            lines=feedback(report, trace, descriptions))


def write_files(folder: Path, documents: Mapping[str, str | bytes]) -> list[Path]:
    """Write each named document into `folder`, creating the folder if needed (each file is
    written atomically)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create folder ({exc.strerror})", source=str(folder)) from None
    paths = [folder / name for name in documents]
    for path, text in zip(paths, documents.values(), strict=True):
        write_atomic(path, text)
    return paths


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write via a temporary file in the same folder and a rename: never a half-written file."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError("folder does not exist", source=str(path))
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"cannot write ({exc.strerror})", source=str(path)) from None
    try:
        data = text.encode("utf-8") if isinstance(text, str) else text
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException as exc:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write ({exc.strerror})", source=str(path)) from None
        raise


TEX_PACKAGES = "texlive-latex-base texlive-latex-recommended"
PDFLATEX_TIMEOUT = 120  # seconds


def render_pdf(source: Trace | TrainingRun, env: jinja2.Environment | None = None,
               every: int = 0, focus_on: Sequence[str] = ()) -> bytes:
    """The LaTeX document compiled by pdflatex in a temporary folder: no shell escape, files
    read and written only there, a timeout, and fixed dates so the PDF is reproducible."""
    return compile_pdf(render(source, "tex", env, every, focus_on=focus_on))


def compile_pdf(tex: str) -> bytes:
    """A LaTeX document compiled as `render_pdf` describes."""
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        raise TracerError("pdflatex not found: install TeX Live (Debian: apt-get install "
                          f"{TEX_PACKAGES})", key="-f pdf")
    with tempfile.TemporaryDirectory(prefix="tracer-pdf-") as folder:
        (Path(folder) / "doc.tex").write_text(tex, encoding="utf-8")
        environ = {**os.environ, "openin_any": "p", "openout_any": "p",
                   "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1", "TEXMFOUTPUT": folder}
        for _ in range(2):  # twice: longtable widths settle on the second run
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
        return (Path(folder) / "doc.pdf").read_bytes()


def _tex_error(log: bytes) -> str:
    lines = log.decode("utf-8", "replace").splitlines()
    errors = [line for line in lines if line.startswith("!")]
    return errors[0][1:].strip() if errors else "see its log"
