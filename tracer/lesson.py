"""One weight's story: the chain rule for a followed parameter, told the way the post tells it.

A story is the backward steps on the way from E_total to one parameter's gradient and update,
in the order a learner meets them, each tagged with what it is (`Beat.kind`) so a template
can ask it as a question in words before computing it. Steps an earlier story or section
already showed are recalled by value rather than derived again. Pure functions of a trace.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from .errors import TracerError
from .functions import ACTIVATIONS
from .graph import Graph, Term
from .quantities import PARAMETER_ROLES, Role, Stage
from .steps import Context, Row, Step

DERIVATIVE_OF = r"\frac{\partial}{\partial"  # how a derivation form starts (steps.static_step)


@dataclass(frozen=True)
class Beat:
    """One step of a story. `kind` says what the step is, for the words around it:
    error-out (∂E/∂out), out-net (∂out/∂net), net-param (∂net/∂w), net-out (∂net_k/∂out_h),
    path (one output's share), sum (∂E/∂out_h over its paths), product (the chain's factors'
    numbers multiplied on one line), node-delta, gradient, update."""

    kind: str
    step: Step
    of: str  # LaTeX of what is differentiated (or updated)
    wrt: str  # LaTeX of the variable; "" for an update
    first: bool  # the first beat of its kind in the document: the words are said here
    activation: str = ""  # out-net: the activation's name, for its derivative's identity


@dataclass(frozen=True)
class Story:
    name: str  # the parameter followed
    symbol: str  # its LaTeX
    neuron: str  # LaTeX of the neuron it feeds
    hidden: bool  # its neuron feeds other neurons: its error arrives by several paths
    big_picture: str  # LaTeX: ∂E/∂w = ∂E/∂out · ∂out/∂net · ∂net/∂w
    recalled: tuple[Row, ...]  # (symbol, value) shown earlier and used here
    beats: tuple[Beat, ...]


def default_follow(graph: Graph) -> tuple[str, ...]:
    """The first weight into the output layer and the first into the first layer."""
    weights = [t for t in graph.givens if t.role == Role.WEIGHT]
    last = len(graph.spec.layers)
    chosen = [next(t.name for t in weights if t.layer == layer) for layer in (last, 1)
              if any(t.layer == layer for t in weights)]
    return tuple(dict.fromkeys(chosen))


def followed(graph: Graph, wanted: Sequence[str]) -> tuple[Term, ...]:
    """The parameters named, checked: each must be a weight or bias the step updates."""
    parameters = {p.name: p for p, u in graph.updates if u.stage != Stage.AFTER}
    for name in wanted:
        if name in graph and graph[name].role == Role.BIAS and name not in parameters:
            raise TracerError(f"{name!r} is not updated (update_biases = false): follow a "
                              "parameter that is", key="--follow")
        if name not in parameters:
            close = difflib.get_close_matches(name, list(parameters), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise TracerError(f"{name!r} is not a weight or bias of the network{hint}",
                              key="--follow")
    return tuple(sorted((parameters[n] for n in dict.fromkeys(wanted)),
                        key=lambda t: (-t.layer, t.id)))


def story(context: Context, parameter: Term, shown: set[int], said: set[str],
          escape: Callable[[str], str]) -> Story:
    """The story of `parameter`; adds the steps it shows to `shown` and the kinds of beat it
    explains to `said`."""
    graph = context.trace.symbolic
    gradient = _gradient(graph, parameter)
    update = next(u for p, u in graph.updates if p.id == parameter.id and u.stage != Stage.AFTER)
    wanted = graph.ancestors({gradient.id, update.id}) | {gradient.id, update.id}
    terms = [graph.terms[i] for i in sorted(wanted)
             if graph.terms[i].stage == Stage.BACKWARD and i not in shown]
    used = {p for t in terms for p in t.parents}
    recalled = tuple(Row((graph.terms[i].latex, context.number(i))) for i in sorted(used)
                     if i in shown and graph.terms[i].stage == Stage.BACKWARD)
    own: list[Term] = []
    if gradient.chain:  # the post's order: the three factors, their product, then δ
        own = [t for t in terms if t.role == Role.DELTA and t.neuron == parameter.neuron]
        terms = [t for t in terms if t not in own]
        at = terms.index(gradient) if gradient in terms else len(terms)
        terms[at:at] = own
    beats: list[Beat] = []
    for term in terms:
        kind = beat_kind(graph, term)
        if term is gradient and gradient.chain:
            beats.insert(len(beats) - len(own), _told_once(
                Beat("product", _product(context, term), "", "", True), said))
        beats.append(_told_once(_beat(context, term, kind, True, escape), said))
        shown.add(term.id)
    hidden = parameter.layer < len(graph.spec.layers)
    chain = " \\cdot ".join(graph.terms[i].latex for i in gradient.chain)
    return Story(parameter.name, parameter.latex, _neuron_latex(graph, parameter), hidden,
                 f"{gradient.latex} = {chain}" if chain else "", recalled, tuple(beats))


def _told_once(beat: Beat, said: set[str]) -> Beat:
    """The words for a kind of beat are said at its first appearance in the document."""
    first = beat.kind not in said
    said.add(beat.kind)
    return beat if first else replace(beat, first=False)


def _gradient(graph: Graph, parameter: Term) -> Term:
    return next(t for t in graph if t.role == Role.GRADIENT and t.wrt == parameter.id
                and t.stage == Stage.BACKWARD)


def _neuron_latex(graph: Graph, parameter: Term) -> str:
    net = next((t for t in graph if t.role == Role.NET and parameter.neuron is not None
                and t.neuron == parameter.neuron), None)
    return "" if net is None else net.latex


def beat_kind(graph: Graph, term: Term) -> str:
    """What a backward step is, from its role and the roles of what it is of and wrt."""
    of = None if term.of is None else graph.terms[term.of]
    wrt = None if term.wrt is None else graph.terms[term.wrt]
    if term.role == Role.LOCAL and of is not None and wrt is not None:
        if of.role == Role.ERROR:
            return "error-out"
        if of.role == Role.OUT:
            return "out-net"
        return "net-param" if wrt.role in PARAMETER_ROLES else "net-out"
    simple = {Role.PATH: "path", Role.DELTA: "node-delta", Role.UPDATE: "update"}
    if term.role in simple:
        return simple[term.role]
    return "gradient" if wrt is not None and wrt.role in PARAMETER_ROLES else "sum"


def _beat(context: Context, term: Term, kind: str, first: bool,
          escape: Callable[[str], str]) -> Beat:
    graph = context.trace.symbolic
    step = context.step(term, escape)
    of = "" if term.of is None else graph.terms[term.of].latex
    wrt = "" if term.wrt is None else graph.terms[term.wrt].latex
    activation = ""
    if kind == "out-net" and term.neuron is not None:
        activation = graph.spec.layers[term.layer - 1].activation
    if kind == "error-out":
        step = _with_power_rule(graph, term, step)
    return Beat(kind, step, of, wrt, first, activation)


def _product(context: Context, term: Term) -> Step:
    """∂E/∂w = a × b × c = value: the factors' own numbers multiplied."""
    graph = context.trace.symbolic
    numbers = [_bracketed(context.number(i), first=k == 0) for k, i in enumerate(term.chain)]
    symbols = " \\cdot ".join(graph.terms[i].latex for i in term.chain)
    return Step(term.name, term.latex, (symbols, " \\times ".join(numbers)),
                context.number(term.id))


def _bracketed(number: str, first: bool) -> str:
    """A factor in brackets where a reader needs them: a negative number after ×, and a
    power of ten (1.3 \times 10^{-6}) anywhere in a product."""
    needed = r"\times" in number or (number.startswith("-") and not first)
    return rf"\left({number}\right)" if needed else number


# The power rule written out for the losses whose derivative a learner takes by hand.
_POWER_RULE = {
    "half_squared_error": r"2 \cdot \frac{{1}}{{2}} \left({t} - {o}\right)^{{2 - 1}} \cdot (-1)",
    "squared_error": r"2 \left({t} - {o}\right)^{{2 - 1}} \cdot (-1)",
}


def _with_power_rule(graph: Graph, term: Term, step: Step) -> Step:
    """∂E_total/∂out_o: the power rule's step after the derivative of the sum (the other
    outputs' terms do not depend on out_o: their derivative is 0)."""
    spec = graph.spec
    rule = _POWER_RULE.get(spec.loss)
    layer = spec.layers[-1]
    out = None if term.wrt is None else graph.terms[term.wrt]
    if rule is None or ACTIVATIONS[layer.activation].normalized or out is None:
        return step
    target = next((t for t in graph.of_role(Role.TARGET)
                   if t.ref.unit == out.ref.unit and t.example == out.example), None)
    if target is None:
        return step
    form = rule.format(t=target.latex, o=out.latex) + (" + 0" if layer.size > 1 else "")
    at = next((i + 1 for i, f in enumerate(step.forms) if f.startswith(DERIVATIVE_OF)), 0)
    return replace(step, forms=(*step.forms[:at], form, *step.forms[at:]))


def compact(step: Step) -> Step:
    """A step without its derivation: the formula, its numbers and the value."""
    forms = tuple(f for f in step.forms if not f.startswith(DERIVATIVE_OF))
    return replace(step, forms=forms[-2:])


def summary(context: Context) -> tuple[tuple[Row, ...], tuple[Row, ...]]:
    """Every δ (symbol, value), and every parameter's (symbol, gradient symbol, gradient,
    before, after): the teacher's key and the learner's checklist."""
    graph = context.trace.symbolic
    deltas = tuple(Row((t.latex, context.text(t.id))) for t in graph
                   if t.role == Role.DELTA and t.stage == Stage.BACKWARD)
    rows = []
    for parameter, update in graph.updates:
        if update.stage == Stage.AFTER:
            continue
        gradient = next((graph.terms[i] for i in update.parents
                         if graph.terms[i].role == Role.GRADIENT), None)
        if gradient is None:  # online: the last example's update; each has its own gradient
            return deltas, ()
        rows.append(Row((parameter.latex, gradient.latex, context.text(gradient.id),
                         context.text(parameter.id), context.text(update.id))))
    return deltas, tuple(rows)
