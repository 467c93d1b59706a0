"""The catalogue of misconceptions: each re-derives the step under a changed rule.

A misconception gives, for a graph, variants of it: the terms whose formula a wrong rule
changes, and their changed formulas (made only when a diagnosis needs them; a rule makes
one to three variants whatever the layers' width, and some one more for each layer they
reach when they reach several: 17 for one hidden layer, 26 for two). Everything
downstream is recomputed from them, so a diagnosis works for any network, not by matching
the seed's numbers. The terms a rule changes are found by their roles and references.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

import sympy as sp

from . import messages
from .functions import instantiate
from .graph import Graph, Term
from .quantities import RATE, Role

Formulas = Mapping[int, sp.Expr]  # position -> its formula under the wrong rule


@dataclass(frozen=True)
class Shortcut:
    """The same rule as the trace's own formulas with some given values changed: `values`
    gives them from the values of a trace (or of a sheet). Nothing to compile."""

    givens: frozenset[int]
    values: Callable[[Sequence[float]], Mapping[int, float]] = field(repr=False)


@dataclass(frozen=True, eq=False)  # two variants may change the same terms differently
class Variant:
    """The graph under one wrong rule: the terms it changes, and their formulas."""

    misconception: str
    positions: frozenset[int]
    formulas: Callable[[], Formulas] = field(repr=False)
    shortcut: Shortcut | None = None


Change = tuple[frozenset[int], Callable[[], Formulas], Shortcut | None]
Rule = Iterator[Change]


@dataclass(frozen=True)
class Misconception:
    id: str
    rule: Callable[[Graph], Rule]
    circuits: bool = False  # re-derived for circuits too (the others are about networks)

    @property
    def description(self) -> str:
        """What the student did, in English (the catalogues' `misconception.<id>`)."""
        return messages.catalogue()(f"misconception.{self.id}")

    def variants(self, graph: Graph) -> list[Variant]:
        if graph.spec.circuit is not None and not self.circuits:
            return []
        return [Variant(self.id, positions, cache(formulas), shortcut)
                for positions, formulas, shortcut in self.rule(graph) if positions]


def _changes(terms: list[Term], change: Callable[[Term], sp.Expr],
             shortcut: Shortcut | None = None) -> Rule:
    """One variant: `change` applied to each of `terms`."""
    yield frozenset(t.id for t in terms), lambda: {t.id: change(t) for t in terms}, shortcut


def _role_of(graph: Graph, position: int | None) -> Role | None:
    return None if position is None else graph.terms[position].role


def _of_total_error(graph: Graph, term: Term) -> bool:
    """A derivative of E_total (of one example, or of the batch)."""
    of = None if term.of is None else graph.terms[term.of]
    return of is not None and of.role == Role.ERROR and of.ref.unit is None


def _error_derivatives(graph: Graph) -> list[Term]:
    """∂E_total/∂out of the output neurons (the loss's own derivative); of a circuit, the
    output's local derivatives (the first step back, where a loss's sign is taken)."""
    circuit = graph.spec.circuit
    if circuit is not None:
        output = graph.position(circuit.output)
        return [t for t in graph.of_role(Role.LOCAL) if t.of == output]
    return [t for t in graph.of_role(Role.LOCAL) if _of_total_error(graph, t)
            and _role_of(graph, t.wrt) == Role.OUT]


def _scaled(factor: sp.Expr) -> Callable[[Graph], Rule]:
    def rule(graph: Graph) -> Rule:
        return _changes(_error_derivatives(graph),
                        lambda t: sp.Mul._from_args((factor, t.formula)))
    return rule


def _dropped_half(graph: Graph) -> Rule:
    """Each output's squared error without its ½: E_o = (target − out)², so E_total doubles
    (before the update and after it). Only the half squared error has a ½ to drop."""
    if graph.spec.loss != "half_squared_error":
        return
    errors = [t for t in graph.of_role(Role.ERROR) if t.ref.unit is not None]
    yield from _changes(errors, lambda t: sp.Mul._from_args((sp.Integer(2), t.formula)))


def _net_for_out(graph: Graph) -> Rule:
    """σ'(net) written as net(1 − net): the activation derivative read at net instead of out."""
    diagonal = []
    for term in graph.of_role(Role.LOCAL):
        if term.of is None or term.wrt is None:
            continue
        out, net = graph.terms[term.of], graph.terms[term.wrt]
        # ∂out/∂net of one neuron; not an off-diagonal Jacobian term
        if out.role == Role.OUT and net.role == Role.NET and out.neuron == net.neuron:
            diagonal.append(term)

    def at_net(term: Term) -> sp.Expr:
        assert term.formula is not None and term.of is not None and term.wrt is not None
        return instantiate(term.formula, {graph.terms[term.of].symbol:
                                          graph.terms[term.wrt].symbol})

    return _changes(diagonal, at_net)


def _single_path(graph: Graph) -> Rule:
    """A hidden neuron's ∂E_total/∂out taken through one next neuron only: the first, or
    the last. (Not every one of a wide layer's: no student keeps the 23rd path alone, and
    every unlikely rule tried is one more chance to explain a slip by accident.)"""
    sums = _hidden_sums(graph)
    yield from _changes(sums, lambda t: sp.Add.make_args(t.formula)[0])
    yield from _changes(sums, lambda t: sp.Add.make_args(t.formula)[-1])


def _other_order(graph: Graph) -> Rule:
    """Hidden deltas from the other update order: each ∂net/∂out factor on a hidden path is
    the next layer's weight as it was before this step's update (simultaneous) or after it
    (sequential); the rule swaps the two. Those factors are the only formulas the order
    changes (a test builds the other order's trace and compares)."""
    factors = [t for t in graph.of_role(Role.LOCAL) if _role_of(graph, t.of) == Role.NET
               and _role_of(graph, t.wrt) == Role.OUT]
    updates = {(t.ref.unit, t.example): t for t in graph.of_role(Role.UPDATE)}
    online = graph.spec.online
    weights: dict[int, dict[sp.Expr, sp.Expr]] = {}  # net -> input -> the weight on it

    def swapped(term: Term) -> sp.Expr:
        assert term.of is not None and term.wrt is not None
        if term.of not in weights:
            weights[term.of] = _weights(graph.terms[term.of])
        # the weight (or its last update) the forward pass used, and this step's update
        before = weights[term.of][graph.terms[term.wrt].symbol]
        unit = graph.terms[graph.ids[before.name]].ref.unit
        after = updates[unit, term.example if online else 0].symbol
        return after if term.formula == before else before

    return _changes(factors, swapped)


def _weights(net: Term) -> dict[sp.Expr, sp.Expr]:
    """Each input of a net input Σ w·x + b, and the weight on it."""
    assert net.formula is not None
    return {product.args[1]: product.args[0] for product in sp.Add.make_args(net.formula)
            if isinstance(product, sp.Mul) and len(product.args) == 2}


def _wrong_input(graph: Graph) -> Rule:
    """∂net/∂w read as the next input of the same neuron, or the one before (the only other
    of two). Not every other input of a wide layer: see `_single_path`."""
    reads: list[tuple[Term, list[sp.Expr], int]] = []  # term, inputs of its net, its own
    nets: dict[int, tuple[list[sp.Expr], dict[sp.Expr, int]]] = {}  # a neuron's weights share
    for term in graph.of_role(Role.LOCAL):
        if term.derivation is None or term.formula is None or (
                _role_of(graph, term.wrt) != Role.WEIGHT):
            continue
        origin = term.derivation.of
        if id(origin) not in nets:
            products = [a for a in sp.Add.make_args(origin) if isinstance(a, sp.Mul)]
            inputs = [a.args[1] for a in products if len(a.args) == 2]
            nets[id(origin)] = inputs, {x: i for i, x in enumerate(inputs)}
        inputs, index = nets[id(origin)]
        if term.formula in index and len(inputs) >= 2:
            reads.append((term, inputs, index[term.formula]))
    positions = frozenset(t.id for t, _, _ in reads)
    for shift in (1, -1):  # the next input, the one before (the same one of two inputs)
        if shift == -1 and all(len(inputs) == 2 for _, inputs, _ in reads):
            break

        def formulas(shift: int = shift) -> Formulas:
            return {t.id: inputs[(i + shift) % len(inputs)] for t, inputs, i in reads}

        yield positions, formulas, None


def _update_rule(eta_value: Callable[[sp.Symbol], sp.Expr],
                 number: Callable[[float], float]) -> Callable[[Graph], Rule]:
    """Updates with η replaced by `eta_value` (η is in no other formula: a shortcut gives
    the updates that value, `number` of η, instead; a test checks both agree)."""
    def rule(graph: Graph) -> Rule:
        rate = graph.find(RATE)
        if rate is None:  # a circuit that trains nothing
            return
        updates = [t for t in graph.of_role(Role.UPDATE) if rate.id in t.parents]
        value = eta_value(rate.symbol)
        shortcut = Shortcut(frozenset({rate.id}),
                            lambda values: {rate.id: number(values[rate.id])})
        yield from _changes(updates, lambda t: instantiate(t.formula, {rate.symbol: value}),
                            shortcut)
    return rule


def _hidden_sums(graph: Graph) -> list[Term]:
    """A hidden neuron's ∂E_total/∂out where it sums two paths or more; of a circuit, the
    gradient of a value that feeds several nodes."""
    if graph.spec.circuit is not None:
        return [t for t in graph.of_role(Role.GRADIENT) if isinstance(t.formula, sp.Add)]
    return [t for t in graph.of_role(Role.GRADIENT) if _of_total_error(graph, t)
            and _role_of(graph, t.wrt) == Role.OUT and isinstance(t.formula, sp.Add)]


MAX_MULTIPLIED = 3  # paths: a product of more is about 0, and would "explain" a 0 written


def _multiplied_paths(graph: Graph) -> Rule:
    """A hidden neuron's ∂E_total/∂out as the product of its paths instead of their sum
    (of two or three paths: what a learner multiplies by hand)."""
    sums = [t for t in _hidden_sums(graph) if len(sp.Add.make_args(t.formula)) <= MAX_MULTIPLIED]
    return _changes(sums, lambda t: sp.Mul(*sp.Add.make_args(t.formula)))


def _gradient_for_delta(graph: Graph) -> Rule:
    """Each path δ·∂net/∂out of a hidden neuron's ∂E_total/∂out taken as the gradient of the
    weight on it, δ·out: ∂E_total/∂w passed back instead of δ·w. A path is a term of its own
    (into an output layer whose error is a sum over outputs) or a product in the neuron's
    sum; the weight is the one the next neuron's net input multiplies the output by, and
    its gradient the same example's."""
    factors = {t.id for t in graph.of_role(Role.LOCAL) if _role_of(graph, t.of) == Role.NET
               and _role_of(graph, t.wrt) == Role.OUT}
    paths = [t for t in graph.of_role(Role.PATH) if factors & set(t.parents)]
    sums = [t for t in graph.of_role(Role.GRADIENT) if _of_total_error(graph, t)
            and _role_of(graph, t.wrt) == Role.OUT and factors & set(t.parents)]

    def formulas() -> Formulas:
        passed = _passed_gradients(graph, factors)

        def changed(product: sp.Expr) -> sp.Expr:
            found = [passed[a.name] for a in product.args if a.is_Symbol and a.name in passed]
            return found[0] if found else product

        return {**{t.id: changed(t.formula) for t in paths},
                **{t.id: sp.Add(*map(changed, sp.Add.make_args(t.formula))) for t in sums}}

    yield frozenset(t.id for t in paths + sums), formulas, None


def _passed_gradients(graph: Graph, factors: set[int]) -> dict[str, sp.Expr]:
    """The symbol of each ∂net/∂out factor (by name) -> ∂E_total/∂w of the weight on it,
    of the factor's example (the weight as given: the net may read an earlier update)."""
    gradients = {(t.wrt, t.example): t.symbol for t in graph.of_role(Role.GRADIENT)
                 if _of_total_error(graph, t) and _role_of(graph, t.wrt) == Role.WEIGHT}
    weights: dict[int, dict[sp.Expr, sp.Expr]] = {}  # net -> input -> the weight on it
    passed: dict[str, sp.Expr] = {}
    for position in sorted(factors):
        factor = graph.terms[position]
        assert factor.of is not None and factor.wrt is not None
        if factor.of not in weights:
            weights[factor.of] = _weights(graph.terms[factor.of])
        used = graph.terms[graph.ids[weights[factor.of][graph.terms[factor.wrt].symbol].name]]
        given = used.of if used.role == Role.UPDATE else used.id
        passed[factor.symbol.name] = gradients[given, factor.example]
    return passed


def _bias_kept(graph: Graph) -> Rule:
    """b⁺ = b: each bias update that applies a gradient keeps the value it starts from (the
    bias, or in online mode its value after the example before)."""
    rate = graph.only(RATE)
    updates = [t for t in graph.of_role(Role.UPDATE) if rate.id in t.parents
               and _role_of(graph, t.of) == Role.BIAS]

    def kept(term: Term) -> sp.Expr:
        (start,) = [p for p in term.parents if graph.terms[p].role in (Role.BIAS, Role.UPDATE)]
        return graph.terms[start].symbol

    return _changes(updates, kept)


def _bias_updated(graph: Graph) -> Rule:
    """Biases updated although the spec keeps them: each net input that reads a bias after
    an update (the forward pass after it; in online mode, each later example's too) reads
    b − η·∂E_total/∂b instead. ∂E_total/∂b is the sum of the deltas of the neurons whose net
    reads the bias (a shared bias: the layer's) over the examples updated before (their
    mean in a batch that takes the mean)."""
    if graph.spec.update_biases:
        return
    feeds: dict[int, list[int]] = {}  # bias -> the deltas of the nets reading it, in order
    for delta in graph.of_role(Role.DELTA):
        assert delta.wrt is not None
        for bias in _biases(graph, graph.terms[delta.wrt]):
            feeds.setdefault(bias.id, []).append(delta.id)
    nets = [t for t in graph.of_role(Role.NET)
            if any(b.id in feeds and feeds[b.id][0] < t.id for b in _biases(graph, t))]
    spec = graph.spec
    mean = spec.several and not spec.online and spec.batch_reduction == "mean"
    scale = sp.Rational(1, len(spec.examples)) if mean else sp.Integer(1)
    rate = graph.only(RATE).symbol
    made: dict[tuple[int, int], sp.Expr] = {}  # (bias, deltas before) -> its updated value

    def value(bias: Term, before: int) -> sp.Expr:
        deltas = feeds[bias.id][:bisect.bisect(feeds[bias.id], before)]
        if (bias.id, len(deltas)) not in made:
            total = sp.Add(*(graph.terms[d].symbol for d in deltas))
            made[bias.id, len(deltas)] = sp.Add(bias.symbol, sp.Mul(-1, rate, scale, total))
        return made[bias.id, len(deltas)]

    def updated(net: Term) -> sp.Expr:
        return instantiate(net.formula, {b.symbol: value(b, net.id)
                                         for b in _biases(graph, net)})

    yield from _changes(nets, updated)


def _biases(graph: Graph, net: Term) -> list[Term]:
    """The given biases a net input reads (as given: not an earlier update of one)."""
    return [graph.terms[p] for p in net.parents if graph.terms[p].role == Role.BIAS]


def _both(*rules: Callable[[Graph], Rule]) -> Callable[[Graph], Rule]:
    def rule(graph: Graph) -> Rule:
        for each in rules:
            yield from each(graph)
    return rule


def _layer_by_layer(each: Callable[[Graph], Rule]) -> Callable[[Graph], Rule]:
    """A rule applied to every layer it reaches at once, then (where it reaches several)
    to each layer alone: a learner who gets the output layer right may slip on the hidden
    one, and the rule applied everywhere would change the values they got right."""
    def rule(graph: Graph) -> Rule:
        for positions, formulas, shortcut in each(graph):
            yield positions, formulas, shortcut
            layers = sorted({graph.terms[p].layer for p in positions})
            if len(layers) < 2 or shortcut is not None:
                continue
            for layer in layers:
                part = frozenset(p for p in positions if graph.terms[p].layer == layer)
                yield part, _restricted(formulas, part), None
    return rule


def _restricted(formulas: Callable[[], Formulas], part: frozenset[int]
                ) -> Callable[[], Formulas]:
    return lambda: {p: f for p, f in formulas().items() if p in part}


CATALOGUE: tuple[Misconception, ...] = (
    Misconception("sign-error", _scaled(sp.Integer(-1)), circuits=True),
    Misconception("factor-two", _both(_scaled(sp.Integer(2)), _scaled(sp.Rational(1, 2)),
                                      _dropped_half)),
    Misconception("net-for-out", _layer_by_layer(_net_for_out)),
    Misconception("single-path", _layer_by_layer(_single_path), circuits=True),
    Misconception("updated-weights", _other_order),
    Misconception("wrong-input", _wrong_input),
    Misconception("no-learning-rate",
                  _update_rule(lambda eta: sp.Integer(1), lambda eta: 1.0), circuits=True),
    Misconception("plus-sign", _update_rule(lambda eta: -eta, lambda eta: -eta),
                  circuits=True),
    # The bias rules before the path rules: in the pass after the update (where alone the
    # bias rules act) a path rule that leaves the hidden deltas tiny moves the hidden
    # parameters as little as a forgotten bias update does, and the forgotten update is the
    # likelier slip (a test shows the two agree on the seed's net_h1_after).
    Misconception("bias-not-updated", _bias_kept),
    Misconception("bias-updated", _bias_updated),
    Misconception("multiplied-paths", _layer_by_layer(_multiplied_paths), circuits=True),
    Misconception("gradient-for-delta", _layer_by_layer(_gradient_for_delta)),
)
