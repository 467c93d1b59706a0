"""Rendering through jinja2: the only module that imports it.

Each template gets one typed view model: `worked.*.j2` a `Document` (`doc`), `question.*.j2`
the fields of a `QuestionSheet`, `check.md.j2` those of a `FeedbackSheet`, `booklet.*.j2` a
`Booklet` (`booklet`, with its cover as `doc` and its messages as `t`). Template search path
(as in mkdocs): a user folder first, then the built-in templates, which stay reachable
under the `builtin/` prefix so an override can `{% extends %}` them. Notebooks show a
trace through this module too.

The environment user templates run in is `sandbox`'s.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import jinja2.compiler
import jinja2.exceptions
import jinja2.nodes
import jinja2.runtime
import jinja2.sandbox
import jinja2.utils

from . import circuitfigure, diagram, sandbox
from .circuitdoc import (
    CircuitQuestion,
    build_circuit_document,
    circuit_json,
    circuit_question,
    is_circuit,
)
from .document import Document, build_document, derivation_steps, json_document
from .errors import OutputError, TracerError
from .evaluation import Trace
from .files import write_files
from .focus import parameters_for
from .formats import DOCUMENT_FORMATS
from .quantities import Weight
from .sheets import Booklet, FeedbackSheet, QuestionSheet
from .training import TrainingRun

if TYPE_CHECKING:  # web pages load their modules (MathML) only when one is made
    from .webpage import Page

Environment = jinja2.Environment  # for callers that pass one along without importing jinja2
FORMATS = DOCUMENT_FORMATS
TEMPLATE_NAMES = {"md": "worked.md.j2", "tex": "worked.tex.j2", "html": "worked.html.j2"}
VIEW_FORMATS = ("md", "tex", "html")  # the formats of the templates: JSON and PDF are not

def builtin_templates() -> Path:
    """The packaged templates (wheel), or the repository's `templates/` (source checkout)."""
    packaged = Path(__file__).parent / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).parent.parent / "templates"


def environment(user_dirs: Sequence[Path] = (), budget: sandbox.TemplateBudget | None = None
                ) -> jinja2.Environment:
    """One jinja2 environment: strict about undefined names, no HTML autoescape (the view
    model is escaped for its format already). A user's folder comes first in the search path;
    the built-ins stay reachable as `builtin/<name>` so an override can extend them. User
    templates run sandboxed and on `budget` (the default one if None): they cannot reach
    Python internals through the context, nor run or grow without end."""
    for folder in user_dirs:
        if not folder.is_dir():
            raise TracerError("is not a folder of templates", source=str(folder),
                              key="--templates")
    builtin = jinja2.FileSystemLoader(str(builtin_templates()))
    loader = jinja2.ChoiceLoader([*(sandbox.FolderLoader(folder) for folder in user_dirs),
                                  builtin, jinja2.PrefixLoader({"builtin": builtin})])
    options: dict[str, Any] = {
        "loader": loader, "undefined": jinja2.StrictUndefined, "autoescape": False,
        "keep_trailing_newline": True, "trim_blocks": True, "lstrip_blocks": True}
    if not user_dirs:
        return jinja2.Environment(**options)
    return sandbox.GuardedEnvironment(budget or sandbox.TemplateBudget(), **options)


def _template_render(env: jinja2.Environment | None, name: str, **context: object) -> str:
    """Render one template; a broken or missing template is one line naming file and line.
    With a user's templates every error is (a built-in template's runtime error is a bug)."""
    env = env or environment()
    try:
        template = env.get_template(name)
        if isinstance(env, sandbox.GuardedEnvironment):
            return sandbox.guarded_render(env, template, context)
        return template.render(**context)
    except TracerError:
        raise
    except jinja2.TemplateSyntaxError as exc:
        where = f"{exc.filename or exc.name or name}:{exc.lineno}"
        raise TracerError(f"template error: {exc.message}", source=where) from None
    except (Exception, sandbox.OverBudget) as exc:
        if not isinstance(env, sandbox.GuardedEnvironment) and not isinstance(
                exc, jinja2.TemplateError):
            raise
        raise TracerError(sandbox.error_text(exc),
                          source=sandbox.error_place(exc) or name) from None


def export_templates(folder: Path) -> list[Path]:
    """Copy the built-in templates into `folder` for editing; never overwrite a file."""
    sources = sorted(builtin_templates().glob("*.j2"))
    clashes = [p.name for p in sources if (folder / p.name).exists()]
    if clashes:
        raise OutputError(f"{clashes[0]} exists already; not overwriting it",
                          source=str(folder))
    return write_files(folder, {p.name: p.read_text(encoding="utf-8") for p in sources})


def _format(fmt: str, allowed: Sequence[str], what: str) -> str:
    if fmt not in allowed:
        raise TracerError(f"unknown format {fmt!r} for {what} (one of: {', '.join(allowed)})")
    return fmt


def render(source: Trace | TrainingRun, fmt: str, env: jinja2.Environment | None = None,
           every: int = 0, figures: Mapping[str, str] | None = None,
           focus_on: Sequence[str] = (), follow: Sequence[str] | None = None) -> str:
    """The worked example (one step, or a training run) as text in `fmt` (md, tex, html
    or json).

    LaTeX always draws its figures (TikZ) and HTML has them inline (SVG); Markdown links the
    SVG files named in `figures` (see `render_files`, which writes them).
    """
    if isinstance(source, Trace) and is_circuit(source):
        return render_circuit(source, fmt, env, figures, focus_on)
    if fmt == "json":
        return json.dumps(json_document(source), indent=2, ensure_ascii=False) + "\n"
    web = None
    if fmt == "html":
        from .webpage import page

        web = page(first_trace(source))
    return render_document(document(source, fmt, every, figures, focus_on, follow), fmt,
                           env, web)


def first_trace(source: Trace | TrainingRun) -> Trace:
    """The trace of the first derivation a document of `source` shows."""
    return source.kept[min(source.kept)] if isinstance(source, TrainingRun) else source


def document(source: Trace | TrainingRun, fmt: str, every: int = 0,
             figures: Mapping[str, str] | None = None, focus_on: Sequence[str] = (),
             follow: Sequence[str] | None = None) -> Document:
    """The view model of a worked example in `fmt` (md, tex or html); LaTeX with its TikZ
    figures and HTML with its SVG ones inline unless `figures` says otherwise."""
    _format(fmt, VIEW_FORMATS, "a worked example")
    if fmt in ("tex", "html") and figures is None:
        figures = {key: pictures[fmt == "tex"]
                   for key, pictures in figures_of(source, focus_on, follow).items()}
    return build_document(source, fmt, every, figures, focus_on, follow)


def render_circuit(trace: Trace, fmt: str, env: jinja2.Environment | None = None,
                   figures: Mapping[str, str] | None = None, focus_on: Sequence[str] = (),
                   label: str = "") -> str:
    """A circuit's worked example (`circuit.*.j2`); LaTeX draws its figure (TikZ), HTML has
    it inline (SVG) and gets a `page` whose paths light each quantity's node and wires."""
    if focus_on:
        raise TracerError("a circuit's document shows every path: leave out --focus",
                          key="--focus")
    if fmt == "json":
        return json.dumps(circuit_json(trace), indent=2, ensure_ascii=False) + "\n"
    _format(fmt, VIEW_FORMATS, "a worked example")
    if fmt in ("tex", "html") and figures is None:  # TikZ, or SVG inline
        figures = {key: pictures[fmt == "tex"] for key, pictures in figures_of(trace).items()}
    doc = dataclasses.replace(build_circuit_document(trace, fmt, figures), label=label)
    web = None
    if fmt == "html":
        from .webpage import circuit_page

        web = circuit_page(trace)
    return _template_render(env, f"circuit.{fmt}.j2", doc=doc, **_web(fmt, web))


def circuit_question_figure(trace: Trace) -> tuple[str, str] | None:
    """A circuit's picture for its question sheet (SVG, TikZ): its given values only."""
    circuit = trace.symbolic.spec.circuit
    if circuit is None or not circuitfigure.drawable(circuit):
        return None
    shape = circuitfigure.layout(trace, circuit, answers=False)
    return circuitfigure.svg(shape), circuitfigure.tikz(shape)


def render_circuit_question(trace: Trace, fmt: str, asked: Sequence[str], student: str,
                            figures: Mapping[str, str], env: jinja2.Environment | None = None
                            ) -> str:
    """A circuit's question sheet (`circuit-question.<fmt>.j2`, the fields of a
    CircuitQuestion)."""
    sheet: CircuitQuestion = circuit_question(trace, _format(fmt, ("md", "tex"), "a question "
                                              "sheet"), asked, student, figures)
    return _template_render(env, f"circuit-question.{fmt}.j2", **_fields(sheet))


def render_document(doc: Document, fmt: str, env: jinja2.Environment | None = None,
                    web: Page | None = None) -> str:
    """The document through its template; an HTML template gets `page` too (`web`: the
    lookups of the document's trace, webpage.page; none: math without highlighting)."""
    return _template_render(env, TEMPLATE_NAMES[fmt], doc=doc, **_web(fmt, web))


def _web(fmt: str, web: Page | None) -> dict[str, Page]:
    if fmt != "html":
        return {}
    from .webpage import Page

    return {"page": web or Page()}


def render_question(sheet: QuestionSheet, fmt: str, env: jinja2.Environment | None = None,
                    web: Page | None = None) -> str:
    """The question sheet of an exercise: the network, the given values, what to compute.
    The template sees the sheet's fields (`doc`, `student`, `asked`, `digits`; and `page`
    in HTML)."""
    name = f"question.{_format(fmt, VIEW_FORMATS, 'a question sheet')}.j2"
    return _template_render(env, name, **_fields(sheet), **_web(fmt, web))


def render_feedback(sheet: FeedbackSheet, env: jinja2.Environment | None = None,
                    fmt: str = "md", web: Page | None = None) -> str:
    """The feedback on a checked answer sheet (Markdown or HTML). The template sees the
    sheet's fields (`title`, `score`, `counts`, `lines`, `student`; and `page` in HTML)."""
    name = f"check.{_format(fmt, ('md', 'html'), 'feedback')}.j2"
    return _template_render(env, name, **_fields(sheet), **_web(fmt, web))


def _fields(model: QuestionSheet | FeedbackSheet | CircuitQuestion) -> dict[str, object]:
    """A view model's fields as the template's names (the names templates have always had)."""
    return {field.name: getattr(model, field.name) for field in dataclasses.fields(model)}


def render_booklet(booklet: Booklet, fmt: str, env: jinja2.Environment | None = None,
                   web: Page | None = None) -> str:
    """Several answer keys in one document, each under its label. In HTML `web` is the
    lookups of one of them (the variants share their structure, so their symbols)."""
    name = f"booklet.{_format(fmt, VIEW_FORMATS, 'a booklet')}.j2"
    text = _template_render(env, name, booklet=booklet, doc=booklet.cover, t=booklet.t,
                            **_web(fmt, web))
    missing = [doc.label for doc in booklet.documents if doc.label not in text]
    if missing:  # an override of worked.tex.j2 made before booklets had parts
        raise TracerError(f"the booklet lacks {missing[0]!r}: the template cannot be part of "
                          "a booklet (it needs the `body` block and `doc.label` of "
                          "builtin/worked.tex.j2; extend that, or export the templates again)",
                          source=f"worked.{fmt}.j2")
    return text


def figures_of(source: Trace | TrainingRun, focus_on: Sequence[str] = (),
               follow: Sequence[str] | None = None) -> dict[str, tuple[str, str]]:
    """Each figure of a document as (SVG, TikZ): the network, the chain-rule paths of the
    first weight into the output layer and into the first hidden layer, the error curve.
    A network too large to draw (diagram.drawable) has only its error curve."""
    run = source if isinstance(source, TrainingRun) else None
    trace = run.kept[min(run.kept)] if run else source
    assert isinstance(trace, Trace)
    circuit = trace.symbolic.spec.circuit
    if circuit is not None:  # its one picture, wires labelled with values and gradients
        if not circuitfigure.drawable(circuit):
            return {}
        shape = circuitfigure.layout(trace, circuit)
        return {"circuit": (circuitfigure.svg(shape), circuitfigure.tikz(shape))}
    drawn = diagram.drawable(trace.symbolic.spec)
    if focus_on:  # the path of the first weight followed, where the network can be drawn
        layouts = _path_layouts(trace, focus_on, network=False) if drawn else {}
    else:  # the weights a lesson follows (by default the first of the last and first layers)
        layouts = _path_layouts(trace, follow or (), network=True) if drawn else {}
    # Path figures' ids carry their key: a web page holds all three.
    figures = {key: (diagram.svg(shape, "" if key == "network" else f"{key}-"),
                     diagram.tikz(shape)) for key, shape in layouts.items()}
    if run is not None and run.iterations > 1:
        figures["errors"] = (diagram.error_svg(run.errors), diagram.error_tikz(run.errors))
    return figures


def _path_layouts(trace: Trace, chosen: Sequence[str], network: bool
                  ) -> dict[str, diagram.Layout]:
    """The network (with `network`), and the path figure of the first chosen weight into the
    output layer and of the first into a hidden layer; without a choice, of the first weight
    of the last and of the first layer."""
    graph = trace.symbolic
    units = graph.spec.weight_units
    weights = [p.ref.unit for name in chosen for p in parameters_for(graph, name)
               if isinstance(p.ref.unit, Weight)] or [units[-1][0][0], units[0][0][0]]
    last = len(graph.spec.layers)
    output = [w for w in weights if w.target.layer == last]
    hidden = [w for w in weights if w.target.layer < last]
    layouts = {"network": diagram.layout(trace)} if network else {}
    if output:
        layouts["output_path"] = diagram.layout(trace, output[0])
    if hidden:
        layouts["hidden_path"] = diagram.layout(trace, hidden[0])
    return layouts


def figure_file(stem: str, key: str) -> str:
    """The SVG file of figure `key` beside the Markdown document `stem`.md."""
    return f"{stem}.{key.replace('_', '-')}.svg"


def render_files(source: Trace | TrainingRun, fmt: str, stem: str,
                 env: jinja2.Environment | None = None, every: int = 0,
                 focus_on: Sequence[str] = (), follow: Sequence[str] | None = None
                 ) -> dict[str, str | bytes]:
    """The document and its companion files, by file name: Markdown comes with its SVG
    figures (`<stem>.network.svg`, …) beside it; LaTeX and PDF carry their figures inside.
    A focused document has the path figure of its first weight, where the network is small
    enough to draw."""
    if fmt == "pdf":
        return {f"{stem}.pdf": render_pdf(source, env, every, focus_on, follow)}
    if fmt != "md":
        return {f"{stem}.{fmt}": render(source, fmt, env, every, focus_on=focus_on,
                                        follow=follow)}
    figures = figures_of(source, focus_on, follow)
    links = {key: figure_file(stem, key) for key in figures}
    files: dict[str, str | bytes] = {
        f"{stem}.md": render(source, fmt, env, every, links, focus_on, follow)}
    files.update({links[key]: picture for key, (picture, _) in figures.items()})
    return files


def render_pdf(source: Trace | TrainingRun, env: jinja2.Environment | None = None,
               every: int = 0, focus_on: Sequence[str] = (),
               follow: Sequence[str] | None = None) -> bytes:
    """The LaTeX document compiled by pdflatex in a temporary folder: no shell escape, files
    read and written only there, a timeout, and fixed dates so the PDF is reproducible."""
    from .pdf import compile_pdf  # subprocess and signal: only for PDFs

    return compile_pdf(render(source, "tex", env, every, focus_on=focus_on, follow=follow))


def notebook_latex(trace: Trace) -> str:
    """Every step as display math (notebooks typeset math, not LaTeX text)."""
    steps = derivation_steps(trace, trace.names, "tex").values()
    rows = [" = ".join([step.lhs, *step.forms, step.value]) for step in steps]
    return "$$\\begin{aligned}" + " \\\\ ".join(f"&{row}" for row in rows) + (
        "\\end{aligned}$$")



# -- user templates: their folder, their errors, their budget ----------------------------------

