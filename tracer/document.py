"""The view model of a worked example: what the templates show, already formatted.

Pure functions from an evaluated trace to frozen records of strings. Math is LaTeX (shared
by the Markdown and LaTeX documents); free text is escaped for the target format here, so
templates never see raw user text. Nothing here knows about jinja2 or files.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import sympy as sp

from . import comparison, lesson, mathfmt, messages, names, palette
from .codegen import compile_steps
from .escape import html_text, latex_text, markdown_text
from .evaluation import Trace
from .focus import focus, parameters_for
from .functions import ACTIVATIONS, LOSSES, OUT, TARGET, instantiate
from .graph import Graph, Term
from .lesson import Story
from .numbers import display, format_value, shown, shown_result_agrees
from .quantities import PARAMETER_ROLES, RATE, Role, Stage
from .steps import Context, Row, Step, symbols
from .training import TrainingRun


@dataclass(frozen=True)
class Group:
    title: str  # escaped text; may be empty
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Section:
    key: str  # forward, error, backward-output, backward-hidden, final, after
    title: str  # escaped text
    layer: str  # escaped layer name, or ""
    groups: tuple[Group, ...]
    intro: bool = True  # the first section of its kind: templates explain it here
    stories: tuple[Story, ...] = ()  # followed parameters of this layer, told first
    compact: bool = False  # `groups` are the layer's other steps, without derivations


@dataclass(frozen=True)
class Run:
    number: int  # the update this derivation is (1 for a single worked step)
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class Remark:
    """A published figure beside ours, for the words around it (numbers formatted)."""

    symbol: str  # LaTeX
    printed: str
    ours: str
    agrees: bool
    setting: str  # see comparison.Comparison.setting
    reproduced: str  # our value under that setting, "" if none
    other_order: str  # training figures: the value in the other update order


@dataclass(frozen=True)
class Published:
    source: str  # escaped words: who printed the figures
    other_order: str  # the update order this document does not use
    steps: Mapping[str, Remark]  # by quantity name, said after the step that computes it
    updates: int  # the training figures are after this many updates
    training: tuple[Remark, ...]


@dataclass(frozen=True)
class Document:
    """Everything a template needs; documented for template authors in README."""

    title: str
    description: str
    settings: tuple[Row, ...]  # (label text, value text)
    loss_formula: str  # LaTeX: E_{total} = \sum_k ...
    loss: str  # the loss function's name (half_squared_error, cross_entropy, …)
    layers: tuple[Row, ...]  # (name, neurons, activation, bias text)
    givens: tuple[Row, ...]  # (symbol LaTeX, value)
    runs: tuple[Run, ...]  # the derivations shown: one step, or chosen training updates
    updates: tuple[Row, ...]  # (symbol LaTeX, value before, value after the last update)
    error_before: str
    error_after: str
    update_order: str
    update_biases: bool
    iterations: int  # updates applied; 0 for a single worked step
    errors: tuple[Row, ...]  # (update number, E_total after it) for training runs
    focused: bool  # only chosen chain-rule paths; `givens` lists the values they use
    figures: Mapping[str, str]  # network, output_path, hidden_path, errors: a file name
    #                              (Markdown, beside the document) or TikZ code (LaTeX)
    standalone: bool = True  # a document of its own, or one part of a booklet
    label: str = ""  # escaped: which variant and student a booklet part is for
    followed: tuple[str, ...] = ()  # LaTeX of the parameters whose story is told
    focus: tuple[str, ...] = ()  # LaTeX of the parameters a focused document derives
    deltas: tuple[Row, ...] = ()  # (δ symbol, value) of every neuron
    summary: tuple[Row, ...] = ()  # (parameter, gradient symbol, gradient, before, after)
    published: Published | None = None  # a source's figures, where the spec gives them
    colours: str = ""  # LaTeX: \definecolor lines for the factors' colours (tracer.palette)
    t: messages.Catalogue = field(default_factory=messages.catalogue)  # the words: doc.t("key")

    @property
    def sections(self) -> tuple[Section, ...]:
        """The sections of the first derivation shown."""
        return self.runs[0].sections


def build_document(source: Trace | TrainingRun, fmt: str, every: int = 0,
                   figures: Mapping[str, str] | None = None,
                   focus_on: Sequence[str] = (), follow: Sequence[str] | None = None
                   ) -> Document:
    """The view model for `fmt` ("md" or "tex") of one step or of a training run.

    For a run, `every` sets the rows of the error table (default: about ten rows). With
    `focus_on` (parameters, neurons or layers) only their chain-rule paths are derived, and
    the values those use are listed instead of the initial values. `follow` names the
    parameters whose story a single step tells first (None: the first weight of the output
    layer and of the first layer; empty: every step in computation order).
    """
    escape = ESCAPES[fmt]
    run = source if isinstance(source, TrainingRun) else TrainingRun.one_step(source)
    first, last = run.kept[min(run.kept)], run.last
    spec = first.symbolic.spec
    graph = first.symbolic
    focused = focus(graph, focus_on) if focus_on else None
    keep = focused.path if focused else None
    context = Context(first, keep, fmt)
    final = Context(last, fmt=fmt)
    shown = (lambda t: t.id in focused.used) if focused else (
        lambda t: t.stage == Stage.GIVEN)
    told = _told(run, focused is not None, follow)
    deltas, summary = lesson.summary(context) if keep is None else ((), ())
    return Document(
        title=escape(spec.title),
        description=escape(spec.description),
        settings=_settings(first, escape),
        loss_formula=_loss_formula(spec.loss, spec.layers[-1].size),
        loss=spec.loss,
        layers=_layers(first, escape),
        givens=tuple(Row((t.latex, context.format(run.initial.get(t.name, first.value(t)))))
                     for t in graph if shown(t)),
        runs=(Run(1, _lesson_sections(context, escape, told)),) if told else tuple(
            Run(number, _sections(Context(trace, keep), escape, first_run=i == 0))
            for i, (number, trace) in enumerate(sorted(run.kept.items()))),
        updates=tuple(
            Row((t.latex, context.format(run.initial[t.name]), final.text(update.id)))
            for t, update in graph.updates if keep is None or update.id in keep
        ),
        error_before=context.format(run.errors[0]),
        error_after=context.format(run.errors[-1]),
        update_order=spec.update_order,
        update_biases=spec.update_biases,
        iterations=run.iterations if isinstance(source, TrainingRun) else 0,
        errors=_error_rows(run, context, every) if isinstance(source, TrainingRun) else (),
        figures=dict(figures or {}),
        focused=focused is not None,
        followed=tuple(t.latex for t in told),
        focus=tuple(dict.fromkeys(t.latex for name in focus_on
                                  for t in parameters_for(graph, name))),
        deltas=deltas,
        summary=summary,
        published=_published(graph, escape, fmt) if told else None,
        colours=palette.xcolor_definitions() if fmt == "tex" else "",
        t=messages.catalogue(spec.lang),
    )


def _published(graph: Graph, escape: Callable[[str], str], fmt: str) -> Published | None:
    """The spec's published figures beside ours (only where the document is a lesson of
    the spec's own values: a focus or a training run shows other numbers)."""
    spec = graph.spec
    if spec.published is None:
        return None
    digits = spec.digits

    def remark(c: comparison.Comparison) -> Remark:
        values = [display(v, digits, fmt) if v is not None else ""
                  for v in (c.ours, c.reproduced, c.other_order)]
        return Remark(graph[c.name].latex, display(c.printed, c.decimals, fmt), values[0],
                      c.agrees, c.setting, values[1], values[2])

    return Published(escape(spec.published.source_in(spec.lang)), comparison.other_order(spec),
                     {c.name: remark(c) for c in comparison.compare(spec)},
                     spec.published.updates,
                     tuple(remark(c) for c in comparison.compare_training(spec)))


def _told(run: TrainingRun, focused: bool, follow: Sequence[str] | None) -> tuple[Term, ...]:
    """The parameters whose story is told: only for one worked step of one example (a
    training run or a focus keeps the computation order)."""
    graph = run.last.symbolic
    chosen = lesson.followed(graph, lesson.default_follow(graph) if follow is None else follow)
    if run.iterations > 1 or focused or graph.spec.several:
        return ()
    return chosen


def _lesson_sections(context: Context, escape: Callable[[str], str],
                     told: Sequence[Term]) -> tuple[Section, ...]:
    """Forward pass and error, then per layer from the output: the stories of its followed
    parameters, then its other steps in short; then the error after the update."""
    symbolic = context.trace.symbolic
    layers = symbolic.spec.layers
    t = messages.catalogue(symbolic.spec.lang)
    shown: set[int] = set()
    said: set[str] = set()
    sections = _run_sections(context, escape, 0, intro=True)[:2]
    for index in range(len(layers), 0, -1):
        stories = tuple(lesson.story(context, p, shown, said, escape, COLOURS[context.fmt])
                        for p in told if p.layer == index)
        rest = [t for t in _select(symbolic, Stage.BACKWARD, index, 0) if t.id not in shown]
        shown.update(t.id for t in rest)
        output = index == len(layers)
        title = t("document.backward_output" if output else "document.backward_hidden",
                  layer=layers[index - 1].name)
        section = _section(context, "backward-output" if output else "backward-hidden", title,
                           layers[index - 1].name, rest, escape, compact=True)
        sections.append(replace(section, stories=stories))
    sections.append(_section(context, "after", t("document.after"), "",
                             _select(symbolic, Stage.AFTER, None, 0), escape))
    return tuple(s for s in sections if s.groups or s.stories)


def _error_rows(run: TrainingRun, context: Context, every: int) -> tuple[Row, ...]:
    """E_total after 0, K, 2K, … updates and after the last."""
    step = every or max(1, run.iterations // 10)
    marks = sorted({*range(0, run.iterations + 1, step), run.iterations})
    return tuple(Row((str(k), context.format(run.errors[k]))) for k in marks)


# Chain-rule factors in the colours of the path figures (tracer.palette): LaTeX by xcolor name
# (the document defines them), Markdown and HTML math by hex (KaTeX, MathML).
COLOURS: dict[str, lesson.Colourer] = {"md": palette.math_coloured, "html": palette.math_coloured,
                                       "tex": palette.latex_coloured}
ESCAPES: dict[str, Callable[[str], str]] = {"md": markdown_text, "tex": latex_text,
                                            "html": html_text}


def _settings(trace: Trace, escape: Callable[[str], str]) -> tuple[Row, ...]:
    spec = trace.symbolic.spec
    t = messages.catalogue(spec.lang)
    rows = [
        (t("document.loss"), spec.loss),
        (t("document.learning_rate"),
         format_value(trace.value(trace.symbolic.only(RATE)), spec.digits)),
        (t("document.update_order"), t(f"order.{spec.update_order}")),
        (t("document.biases_updated"), t("document.yes" if spec.update_biases else "document.no")),
        (t("document.decimals"), str(spec.digits)),
        (t("document.carried"), t("document.exact") if spec.carry == "exact"
         else t("document.rounded", digits=spec.digits)),
    ]
    if spec.several:
        how = (t("document.batch", reduction=spec.batch_reduction) if spec.mode == "batch"
               else t("document.online"))
        rows.append((t("document.examples"), t("document.examples_value", n=len(spec.examples),
                                               mode=spec.mode, how=how)))
    return tuple(Row((escape(label), escape(value))) for label, value in rows)


def _loss_formula(loss_name: str, outputs: int) -> str:
    """E_total written for a generic output neuron k."""
    loss = LOSSES[loss_name]
    out, target = sp.Dummy(), sp.Dummy()
    term = instantiate(loss.term, {OUT: out, TARGET: target})
    body = mathfmt.latex(term, {out: names.GENERIC_OUT, target: names.GENERIC_TARGET})
    scale = rf"\frac{{1}}{{{outputs}}} " if loss.mean else ""
    return rf"{names.TOTAL_ERROR_LATEX} = {scale}\sum_{{k}} {body}"


def _layers(trace: Trace, escape: Callable[[str], str]) -> tuple[Row, ...]:
    rows = []
    t = messages.catalogue(trace.symbolic.spec.lang)
    for layer in trace.symbolic.spec.layers:
        bias = t("document.one_per_neuron" if isinstance(layer.bias, tuple) else "document.shared")
        rows.append(Row((escape(layer.name), escape(t.join(list(layer.neurons))),
                         escape(layer.activation), escape(bias))))
    return tuple(rows)


def _sections(context: Context, escape: Callable[[str], str],
              first_run: bool = True) -> tuple[Section, ...]:
    """Forward, error and backward sections: once, or per example in online mode.

    Only the first derivation of a document explains each kind of section.
    """
    symbolic = context.trace.symbolic
    spec = symbolic.spec
    t = messages.catalogue(spec.lang)
    online = spec.online
    sections = []
    for run in range(1, len(spec.examples) + 1) if online else [0]:
        sections += _run_sections(context, escape, run, intro=first_run and run <= 1)
    if online:
        final = [term for term in symbolic if term.role == Role.UPDATE and term.example == 0]
        sections.append(_section(context, "final", t("document.final"), "", final, escape))
    sections.append(_section(context, "after", t("document.after"), "",
                             _select(symbolic, Stage.AFTER, None, 0), escape))
    return tuple(section for section in sections if section.groups)  # a focus empties some


def _run_sections(context: Context, escape: Callable[[str], str], run: int,
                  intro: bool) -> list[Section]:
    """The sections of one step: every example at once (run 0) or example `run` (online)."""
    symbolic = context.trace.symbolic
    layers = symbolic.spec.layers
    t = messages.catalogue(symbolic.spec.lang)

    def titled(title: str) -> str:
        return t("document.of_example", n=run, title=title) if run else title

    sections = [
        _section(context, "forward", titled(t("document.forward")), "",
                 _select(symbolic, Stage.FORWARD, None, run), escape, intro),
        _section(context, "error", titled(t("document.error")), "",
                 _select(symbolic, Stage.ERROR, None, run), escape, intro),
    ]
    for index in range(len(layers), 0, -1):
        output = index == len(layers)
        title = t("document.backward_output" if output else "document.backward_hidden",
                  layer=layers[index - 1].name)
        sections.append(_section(
            context, "backward-output" if output else "backward-hidden",
            titled(title), layers[index - 1].name,
            _select(symbolic, Stage.BACKWARD, index, run), escape, intro))
    return sections


def _select(symbolic: Graph, stage: Stage, layer: int | None, run: int) -> list[Term]:
    """Terms of a stage (and layer); in online mode (run > 0) those of one example only."""
    return [t for t in symbolic if t.stage == stage and (layer is None or t.layer == layer)
            and (run == 0 or t.example == run)]


def _section(context: Context, key: str, title: str, layer: str, terms: list[Term],
             escape: Callable[[str], str], intro: bool = True, compact: bool = False
             ) -> Section:
    groups: dict[str, list[Step]] = {}
    for term in terms:
        if context.keep is not None and term.id not in context.keep:
            continue
        step = context.step(term, escape)
        groups.setdefault(_group_title(context, term), []).append(
            lesson.compact(step) if compact else step)
    return Section(key, escape(title), escape(layer),
                   tuple(Group(escape(g), tuple(s)) for g, s in groups.items()), intro,
                   compact=compact)


def _group_title(context: Context, term: Term) -> str:
    """Forward and backward steps are grouped per neuron; parameters and updates by themselves.

    With several examples in batch mode, per-example groups say which example they are.
    """
    symbolic = context.trace.symbolic
    spec = symbolic.spec
    t = messages.catalogue(spec.lang)
    batch = bool(term.example) and spec.mode == "batch"

    def titled(key: str, **values: object) -> str:
        title = t(key, **values)
        return t("document.of_example", n=term.example, title=title) if batch else title

    example = t("document.example", n=term.example) if batch else ""
    wrt = None if term.wrt is None else symbolic.terms[term.wrt]
    if term.role == Role.UPDATE:
        return t("document.new_values")
    if term.role in (Role.LOCAL, Role.GRADIENT) and wrt and wrt.role in PARAMETER_ROLES:
        if spec.several and not term.example:
            return t("document.batch_gradients")
        return titled("document.gradients")
    if term.role == Role.ERROR:  # after the update, a heading of their own
        return t("document.error") if term.stage == Stage.AFTER else example
    layer = spec.layers[term.layer - 1] if term.layer else None
    of = None if term.of is None else symbolic.terms[term.of]
    error_derivative = (term.role == Role.LOCAL and of is not None and of.role == Role.ERROR
                        and wrt is not None and wrt.role == Role.OUT)
    if layer and ACTIVATIONS[layer.activation].normalized and error_derivative:
        return titled("document.error_derivatives")  # every delta of the layer uses them all
    if term.neuron is not None:
        return titled("document.neuron", neuron=term.neuron.name)
    return example


def json_document(source: Trace | TrainingRun) -> Mapping[str, Any]:
    """The trace as plain data: values as numbers, formulas as text over canonical names.

    For a training run, `quantities` is the first update shown and `training` holds the error
    after every number of updates and the values of every update shown.
    """
    run = source if isinstance(source, TrainingRun) else TrainingRun.one_step(source)
    trace = run.kept[min(run.kept)]
    graph = trace.symbolic
    spec = graph.spec
    latex_of = symbols(graph)  # one map for every formula: a map each made JSON quadratic
    quantities = []
    for quantity in trace:
        term = quantity.term
        formula = term.formula
        quantities.append({
            "name": term.name,
            "kind": str(term.role),
            "value": quantity.value,
            "formula": None if formula is None else mathfmt.text(formula),
            "latex": term.latex,
            "formula_latex": None if formula is None else mathfmt.latex(formula, latex_of),
            "depends_on": [graph.terms[p].name for p in term.parents],
        })
    document: dict[str, Any] = {
        "generator": "tracer",  # how tracer knows its own file again before replacing it
        "title": spec.title,
        "settings": {
            "loss": spec.loss,
            "learning_rate": trace.value(graph.only(RATE)),
            "update_order": spec.update_order,
            "update_biases": spec.update_biases,
            "digits": spec.digits,
            "carry": spec.carry,
            "examples": len(spec.examples),
            "mode": spec.mode,
            "batch_reduction": spec.batch_reduction,
            "layers": [
                {"name": layer.name, "neurons": list(layer.neurons), "activation": layer.activation}
                for layer in spec.layers
            ],
        },
        "quantities": quantities,
    }
    if isinstance(source, TrainingRun):
        document["training"] = {
            "iterations": run.iterations,
            "errors": list(run.errors),
            "updates": {str(k): step.as_dict() for k, step in sorted(run.kept.items())},
        }
    return document


def derivation_steps(trace: Trace, wanted: Sequence[str], fmt: str) -> dict[str, Step]:
    """The document's own step (formula → numbers → value) for each named quantity."""
    context, escape = Context(trace), ESCAPES[fmt]
    return {name: context.step(trace.symbolic[name], escape) for name in wanted
            if name in trace.symbolic and trace.symbolic[name].formula is not None}


def unrounded_results(trace: Trace) -> frozenset[int]:
    """The positions of the steps whose shown result is not what their shown numbers give
    (`numbers.shown_result_agrees`): with values carried unrounded, a digit not shown can
    change the last one shown (the post's -0.019049119 against -0.019049118 here). A
    document says so where it shows one; with carry = "rounded" there is none."""
    digits = trace.symbolic.spec.digits
    read = [float(shown(value, digits).plain) for value in trace.values]
    return frozenset(
        position for position, step in enumerate(compile_steps(trace.symbolic))
        if step is not None and not shown_result_agrees(
            shown(trace.values[position], digits).plain, step(read), digits))
