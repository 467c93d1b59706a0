"""The view model of a worked example: what the templates show, already formatted.

Pure functions from an evaluated trace to frozen records of strings. Math is LaTeX (shared
by the Markdown and LaTeX documents); free text is escaped for the target format here, so
templates never see raw user text. Nothing here knows about jinja2 or files.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp

from . import mathfmt, names
from .codegen import compile_steps
from .escape import latex_text, markdown_text
from .evaluation import Trace
from .focus import focus
from .functions import ACTIVATIONS, LOSSES, OUT, TARGET, instantiate
from .graph import Graph, Term
from .memo import per_trace
from .numbers import display, format_value, shown, shown_result_agrees
from .quantities import PARAMETER_ROLES, RATE, Role, Stage
from .training import TrainingRun

# A step whose one-line LaTeX source is longer than this is set on several aligned lines.
WIDE_STEP = 140


@dataclass(frozen=True)
class Step:
    """lhs = forms[0] = forms[1] = … = value. All strings are LaTeX math."""

    name: str
    lhs: str
    forms: tuple[str, ...]
    value: str
    note: str = ""  # escaped text: a documented choice behind the step

    @property
    def wide(self) -> bool:
        """Set on aligned lines: long, or more than formula → numbers → value."""
        length = sum(map(mathfmt.source_length, (self.lhs, *self.forms, self.value)))
        return len(self.forms) > 2 or length > WIDE_STEP


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


@dataclass(frozen=True)
class Run:
    number: int  # the update this derivation is (1 for a single worked step)
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]  # math cells are LaTeX, text cells escaped


@dataclass(frozen=True)
class Document:
    """Everything a template needs; documented for template authors in README."""

    title: str
    description: str
    settings: tuple[Row, ...]  # (label text, value text)
    loss_formula: str  # LaTeX: E_{total} = \sum_k ...
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

    @property
    def sections(self) -> tuple[Section, ...]:
        """The sections of the first derivation shown."""
        return self.runs[0].sections


def build_document(source: Trace | TrainingRun, fmt: str, every: int = 0,
                   figures: Mapping[str, str] | None = None,
                   focus_on: Sequence[str] = ()) -> Document:
    """The view model for `fmt` ("md" or "tex") of one step or of a training run.

    For a run, `every` sets the rows of the error table (default: about ten rows). With
    `focus_on` (parameters, neurons or layers) only their chain-rule paths are derived, and
    the values those use are listed instead of the initial values.
    """
    escape = ESCAPES[fmt]
    run = source if isinstance(source, TrainingRun) else TrainingRun.one_step(source)
    first, last = run.kept[min(run.kept)], run.last
    spec = first.symbolic.spec
    graph = first.symbolic
    focused = focus(graph, focus_on) if focus_on else None
    keep = focused.path if focused else None
    context = _Context(first, keep, fmt)
    final = _Context(last, fmt=fmt)
    shown = (lambda t: t.id in focused.used) if focused else (
        lambda t: t.stage == Stage.GIVEN)
    return Document(
        title=escape(spec.title),
        description=escape(spec.description),
        settings=_settings(first, escape),
        loss_formula=_loss_formula(spec.loss, spec.layers[-1].size),
        layers=_layers(first, escape),
        givens=tuple(Row((t.latex, context.format(run.initial.get(t.name, first.value(t)))))
                     for t in graph if shown(t)),
        runs=tuple(Run(number, _sections(_Context(trace, keep), escape, first_run=i == 0))
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
    )


def _error_rows(run: TrainingRun, context: _Context, every: int) -> tuple[Row, ...]:
    """E_total after 0, K, 2K, … updates and after the last."""
    step = every or max(1, run.iterations // 10)
    marks = sorted({*range(0, run.iterations + 1, step), run.iterations})
    return tuple(Row((str(k), context.format(run.errors[k]))) for k in marks)


ESCAPES: dict[str, Callable[[str], str]] = {"md": markdown_text, "tex": latex_text}


@dataclass(frozen=True)
class _StaticStep:
    """The parts of a step that depend only on the network's structure (built once)."""

    lhs: str
    forms: tuple[str, ...]  # chain rule, origin, formula: symbolic LaTeX
    simplified: str | None
    numbers: str  # the formula with numbered slots for the values (mathfmt.fill)
    # (a value's position, `numbers` without the term it makes 0, or None): -target·log(out)
    zeros: tuple[tuple[int, str | None], ...] = ()


@per_trace
def _static_step(graph: Graph, position: int) -> _StaticStep:
    """Symbolic LaTeX of one step, printed once per structure: documents of many variants
    only format numbers (sympy's printer costs ~0.25 ms an equation), and a focused document
    of a large network prints only the steps it shows."""
    term = graph.terms[position]
    assert term.formula is not None
    symbols = _symbols(graph)
    forms = []
    if term.chain:
        forms.append(r" \cdot ".join(graph.terms[i].latex for i in term.chain))
    if term.derivation is not None:
        wrt = symbols[term.derivation.wrt]
        of = _derived_from(graph, term.derivation.of, term.derivation.wrt)
        forms.append(rf"\frac{{\partial}}{{\partial {wrt}}}\left({of}\right)")
    forms.append(mathfmt.latex(term.formula, symbols))
    simplified = None if term.simplified is None else mathfmt.latex(term.simplified, symbols)
    return _StaticStep(term.latex, tuple(forms), simplified,
                       mathfmt.slotted_latex(term.formula, graph.ids),
                       tuple((graph.ids[s.name], None if rest is None else
                              mathfmt.slotted_latex(rest, graph.ids))
                             for s, rest in mathfmt.zero_terms(term.formula)))


MAX_SUM_SHOWN = 8  # terms of a sum restated in full in a derivation; longer ones abbreviated


def _derived_from(graph: Graph, expr: sp.Expr, wrt: sp.Symbol) -> str:
    """The expression a local derivative is taken of. Each of a neuron's n weights restates
    its n-term net input: past MAX_SUM_SHOWN terms only the first two, the one with `wrt`
    and the last are shown (3,000 inputs made a 230 MB document of these sums)."""
    if type(expr) is not sp.Add or len(expr.args) <= MAX_SUM_SHOWN:
        return _latex(graph, expr)
    args = expr.args
    kept = sorted({0, 1, len(args) - 1} | {i for i, a in enumerate(args) if wrt in a.free_symbols})
    parts, last = [], -1
    for i in kept:
        if i > last + 1:
            parts.append(r"\cdots")
        parts.append(_latex(graph, args[i]))  # each printed once, for all n weights
        last = i
    return " + ".join(parts)


@per_trace
def _latex(graph: Graph, expr: sp.Expr) -> str:
    """A formula printed once per trace: each of a neuron's n weights shows ∂/∂w of the same
    n-term net input, which printed afresh made documents grow as weights^1.5."""
    return mathfmt.latex(expr, _symbols(graph))


@per_trace
def _symbols(graph: Graph) -> dict[sp.Symbol, str]:
    return {t.symbol: t.latex for t in graph}


class _Context:
    """Formatted numbers of one trace, computed once, and its structure's static steps."""

    def __init__(self, trace: Trace, keep: frozenset[int] | None = None,
                 fmt: str = "md") -> None:
        self.trace = trace
        self.keep = keep  # with a focus, the steps that are shown
        self.digits = trace.symbolic.spec.digits
        self.fmt = fmt  # of text cells; math is LaTeX in both formats
        self.values = [shown(v, self.digits).latex for v in trace.values]

    def format(self, value: float) -> str:
        """A value for a text cell or sentence: a real minus sign, a power of ten."""
        return display(value, self.digits, self.fmt)

    def text(self, position: int) -> str:
        return self.format(self.trace.values[position])

    def number(self, position: int) -> str:
        return self.values[position]

    def step(self, term: Term, escape: Callable[[str], str]) -> Step:
        """formula → numbers substituted → value, with the chain rule and origin where known."""
        static = _static_step(self.trace.symbolic, term.id)
        value = self.number(term.id)
        forms = list(static.forms)
        note = term.note
        if term.simplified is not None and self.holds(term.simplified, term):
            forms.append(static.simplified or "")
        elif term.simplified is not None:
            note = ""  # the simplification's assumption fails for these numbers
        zero = next((z for z in static.zeros if self.trace.values[z[0]] == 0), None)
        if zero is None:
            forms.append(mathfmt.fill(static.numbers, self.values))
        else:  # not "- 0 · log(0.28)": what is left, and why
            if zero[1] is not None:
                forms.append(mathfmt.fill(zero[1], self.values))
            name = self.trace.symbolic.terms[zero[0]].name
            note = f"{name} is 0, so the term it multiplies is 0."
        unique = tuple(mathfmt.broken_sum(f) for i, f in enumerate(forms)
                       if f not in forms[:i] and f != value)
        return Step(term.name, static.lhs, unique, value, escape(note))

    def holds(self, expr: sp.Expr, term: Term) -> bool:
        """Whether `expr` evaluates to the term's value here (a guard for simplified forms)."""
        ids = self.trace.symbolic.ids
        values = {s: sp.Float(repr(self.trace.values[ids[s.name]]), 20)
                  for s in expr.free_symbols if s.name in ids}
        number = complex(expr.xreplace(values).evalf(20))
        expected = self.trace.value(term)
        return abs(number - expected) <= 1e-9 * max(1.0, abs(expected))


def _settings(trace: Trace, escape: Callable[[str], str]) -> tuple[Row, ...]:
    spec = trace.symbolic.spec
    rows = [
        ("Loss", spec.loss),
        ("Learning rate", format_value(trace.value(trace.symbolic.only(RATE)), spec.digits)),
        ("Update order", spec.update_order),
        ("Biases updated", "yes" if spec.update_biases else "no"),
        ("Decimals shown", str(spec.digits)),
        ("Values carried", "exact (rounded only when shown)" if spec.carry == "exact"
         else f"rounded to {spec.digits} decimals at every step, as by hand"),
    ]
    if spec.several:
        how = (f"{spec.batch_reduction} of the examples' gradients, one update"
               if spec.mode == "batch" else "one update per example, in order")
        rows.append(("Training examples", f"{len(spec.examples)}, {spec.mode} ({how})"))
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
    for layer in trace.symbolic.spec.layers:
        bias = "one per neuron" if isinstance(layer.bias, tuple) else "shared by the layer"
        rows.append(Row((escape(layer.name), escape(", ".join(layer.neurons)),
                         escape(layer.activation), escape(bias))))
    return tuple(rows)


def _sections(context: _Context, escape: Callable[[str], str],
              first_run: bool = True) -> tuple[Section, ...]:
    """Forward, error and backward sections: once, or per example in online mode.

    Only the first derivation of a document explains each kind of section.
    """
    symbolic = context.trace.symbolic
    spec = symbolic.spec
    online = spec.online
    sections = []
    for run in range(1, len(spec.examples) + 1) if online else [0]:
        sections += _run_sections(context, escape, run, intro=first_run and run <= 1)
    if online:
        final = [t for t in symbolic if t.role == Role.UPDATE and t.example == 0]
        sections.append(_section(context, "final", "Parameters after every example", "",
                                 final, escape))
    sections.append(_section(context, "after", "Error after the update", "",
                             _select(symbolic, Stage.AFTER, None, 0), escape))
    return tuple(section for section in sections if section.groups)  # a focus empties some


def _run_sections(context: _Context, escape: Callable[[str], str], run: int,
                  intro: bool) -> list[Section]:
    """The sections of one step: every example at once (run 0) or example `run` (online)."""
    symbolic = context.trace.symbolic
    layers = symbolic.spec.layers
    prefix = f"Example {run}: " if run else ""
    sections = [
        _section(context, "forward", f"{prefix}Forward pass", "",
                 _select(symbolic, Stage.FORWARD, None, run), escape, intro),
        _section(context, "error", f"{prefix}Error", "",
                 _select(symbolic, Stage.ERROR, None, run), escape, intro),
    ]
    for index in range(len(layers), 0, -1):
        output = index == len(layers)
        title = f"{prefix}Backward pass: {'output' if output else 'hidden'} layer "
        sections.append(_section(
            context, "backward-output" if output else "backward-hidden",
            title + layers[index - 1].name, layers[index - 1].name,
            _select(symbolic, Stage.BACKWARD, index, run), escape, intro))
    return sections


def _select(symbolic: Graph, stage: Stage, layer: int | None, run: int) -> list[Term]:
    """Terms of a stage (and layer); in online mode (run > 0) those of one example only."""
    return [t for t in symbolic if t.stage == stage and (layer is None or t.layer == layer)
            and (run == 0 or t.example == run)]


def _section(context: _Context, key: str, title: str, layer: str, terms: list[Term],
             escape: Callable[[str], str], intro: bool = True) -> Section:
    groups: dict[str, list[Step]] = {}
    for term in terms:
        if context.keep is not None and term.id not in context.keep:
            continue
        groups.setdefault(_group_title(context, term), []).append(context.step(term, escape))
    return Section(key, escape(title), escape(layer),
                   tuple(Group(escape(g), tuple(s)) for g, s in groups.items()), intro)


def _group_title(context: _Context, term: Term) -> str:
    """Forward and backward steps are grouped per neuron; parameters and updates by themselves.

    With several examples in batch mode, per-example groups say which example they are.
    """
    symbolic = context.trace.symbolic
    spec = symbolic.spec
    example = f"Example {term.example}: " if term.example and spec.mode == "batch" else ""
    wrt = None if term.wrt is None else symbolic.terms[term.wrt]
    if term.role == Role.UPDATE:
        return "New values"
    if term.role in (Role.LOCAL, Role.GRADIENT) and wrt and wrt.role in PARAMETER_ROLES:
        if spec.several and not term.example:
            return "Gradients over the batch"
        return f"{example}Gradients of the parameters"
    if term.role == Role.ERROR:
        return example.removesuffix(": ")
    layer = spec.layers[term.layer - 1] if term.layer else None
    of = None if term.of is None else symbolic.terms[term.of]
    error_derivative = (term.role == Role.LOCAL and of is not None and of.role == Role.ERROR
                        and wrt is not None and wrt.role == Role.OUT)
    if layer and ACTIVATIONS[layer.activation].normalized and error_derivative:
        return f"{example}Derivatives of the error"  # every delta of the layer uses them all
    if term.neuron is not None:
        return f"{example}Neuron {term.neuron.name}"
    return example.removesuffix(": ")


def json_document(source: Trace | TrainingRun) -> Mapping[str, Any]:
    """The trace as plain data: values as numbers, formulas as text over canonical names.

    For a training run, `quantities` is the first update shown and `training` holds the error
    after every number of updates and the values of every update shown.
    """
    run = source if isinstance(source, TrainingRun) else TrainingRun.one_step(source)
    trace = run.kept[min(run.kept)]
    graph = trace.symbolic
    spec = graph.spec
    symbols = _symbols(graph)  # one map for every formula: a map each made JSON quadratic
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
            "formula_latex": None if formula is None else mathfmt.latex(formula, symbols),
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
    context, escape = _Context(trace), ESCAPES[fmt]
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
