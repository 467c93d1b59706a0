"""The graph of one training step of a fully connected network, recorded term by term.

The trace is built once per network structure, in backprop order: the given values, the
forward pass and the error of every example, each layer's deltas, gradients and updates from
the output down, and the forward pass again with the new parameters. Each term holds its
formula over earlier terms' symbols; local derivatives keep the expression they were
differentiated from (`Derivation`), so documents and tests can show and check where each one
comes from. Numbers are attached later by `evaluation`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from . import names
from .acyclic import cycle_collection_paused
from .circuit import build_circuit
from .functions import (
    ACTIVATIONS,
    INPUT,
    LOSSES,
    NET,
    OUT,
    OUT_K,
    SLOPE,
    TARGET,
    WEIGHT,
    activation_derivative,
    instantiate,
    jacobian,
    loss_derivative,
    net_derivatives,
    normalized_delta,
    simplified_delta,
)
from .graph import Derivation, Graph, Term, parents_of
from .quantities import RATE, Bias, Neuron, Ref, Role, Stage, Weight, derivative
from .spec import Spec


@cycle_collection_paused()
def build_trace(spec: Spec) -> Graph:
    """Record the forward pass, the error, the backward pass, the updates and the error after
    (a circuit's spec: its own builder's graph)."""
    if spec.circuit is not None:
        return build_circuit(spec)
    recorder = _Recorder(spec)
    if spec.online:
        recorder.online()
    else:
        recorder.batch()
    recorder.after()
    return Graph.of(spec, recorder.terms, (value for _, value in spec.givens))


# Unevaluated products and sums, in the order written. Built from their arguments directly:
# sp.Mul(*args, evaluate=False) also sympifies, checks and caches every argument, which was
# a third of the build time of a trace with thousands of weights. Every argument here is
# already a commutative sympy expression.
def _product(*factors: sp.Expr) -> sp.Expr:
    return sp.Mul._from_args(factors, True)


def _sum(*terms: sp.Expr) -> sp.Expr:
    return sp.Add._from_args(terms, True)


Current = dict[int, Term]  # parameter id -> the term holding its current value


@dataclass
class _Pass:
    """The terms of one forward pass of one example: per layer, per neuron."""

    nets: list[list[Term]] = field(default_factory=list)
    outs: list[list[Term]] = field(default_factory=list)
    errors: list[Term] = field(default_factory=list)
    total: Term | None = None

    @property
    def error(self) -> Term:
        assert self.total is not None
        return self.total


class _Recorder:
    """Appends terms in backprop order. Private and short-lived: only `build_trace` uses it.

    `k` arguments are example numbers (0 for a single example); `current` maps each
    parameter to the term that holds its current value (online mode and the pass after the
    update read updated weights through it).
    """

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.terms: list[Term] = []
        self.ids: dict[str, int] = {}  # term name -> position
        self.loss = LOSSES[spec.loss]
        self.examples = list(range(1, len(spec.examples) + 1)) if spec.several else [0]
        self.passes: dict[tuple[bool, int], _Pass] = {}  # (after, example) -> its pass
        self.totals: dict[bool, Term] = {}  # after -> E_total over every example
        self.net_inputs: dict[int, dict[sp.Symbol, sp.Symbol]] = {}  # net -> weight: input
        self.deltas: dict[tuple[int, int, int], Term] = {}  # (layer, example, neuron)
        self.factors: dict[int, tuple[int, int]] = {}  # δ -> (∂E_total/∂out, ∂out/∂net)
        self.gradients: dict[tuple[int, int], Term] = {}  # (parameter, example) -> ∂E/∂p
        self.updated: dict[int, Term] = {}  # parameter -> its latest update
        self.givens()

    def add(self, ref: Ref, stage: Stage, layer: int = 0, neuron: Neuron | None = None,
            formula: sp.Expr | None = None, uses: list[Term] | None = None,
            **details: object) -> Term:
        """Record a term; `uses`, the terms its formula is made of, where the caller has them
        at hand (else they are read from the formula: a test checks that both agree)."""
        name = names.name(ref)
        parents = parents_of(formula, self.ids) if uses is None else tuple(
            sorted({term.id for term in uses}))
        numeric = details.get("numeric")
        if isinstance(numeric, sp.Expr):  # the same symbols, as a rule; found all the same
            parents = tuple(sorted({*parents, *parents_of(numeric, self.ids)}))
        term = Term(len(self.terms), ref, name, sp.Symbol(name), stage,
                    layer, neuron, formula, parents, **details)  # type: ignore[arg-type]
        self.ids[name] = term.id
        self.terms.append(term)
        return term

    def local(self, of: Term, wrt: Term, k: int, layer: int, neuron: Neuron, origin: sp.Expr,
              variable: sp.Symbol, formula: sp.Expr, note: str = "") -> Term:
        """∂of/∂wrt: `formula` as usually written; d(origin)/d(variable) its origin."""
        return self.add(derivative(Role.LOCAL, of.ref, wrt.ref, k), Stage.BACKWARD, layer,
                        neuron, formula, of=of.id, wrt=wrt.id,
                        derivation=Derivation(origin, variable), note=note)

    # -- given values -------------------------------------------------------------------
    def givens(self) -> None:
        spec = self.spec
        given = {ref: self.add(ref, Stage.GIVEN, *_place(spec, ref)) for ref, _ in spec.givens}
        self.inputs = {k: [given[Ref(Role.INPUT, unit, example=k)] for unit in spec.input_units]
                       for k in self.examples}
        self.weights = [[[given[Ref(Role.WEIGHT, w)] for w in row] for row in layer]
                        for layer in spec.weight_units]
        self.biases = [[given[Ref(Role.BIAS, b)] for b in layer] for layer in spec.bias_units]
        self.targets = {k: [given[Ref(Role.TARGET, n, example=k)] for n in spec.neuron_units[-1]]
                        for k in self.examples}
        self.rate = given[RATE]

    # -- the order of a step ------------------------------------------------------------
    def batch(self) -> None:
        """All examples forward, then each layer backward over all examples, then updates."""
        for k in self.examples:
            self.forward({}, False, k)
        for k in self.examples:
            self.errors(False, k)
        self.reduce_errors(False)
        self.backward(self.examples, {}, 0)

    def online(self) -> None:
        """One full step per example, in order, each starting from the previous one's weights."""
        current: Current = {}
        for k in self.examples:
            self.forward(current, False, k)
            self.errors(False, k)
            self.backward([k], current, k)
            current = dict(self.updated)
        for parameter, latest in current.items():  # the final values, without an example
            term = self.terms[parameter]
            self.updated[parameter] = self.add(
                Ref(Role.UPDATE, term.ref.unit), Stage.BACKWARD, term.layer, term.neuron,
                latest.symbol, of=parameter)

    def after(self) -> None:
        """The forward pass and the error again, for every example, with the new parameters."""
        current = dict(self.updated)
        for k in self.examples:
            self.forward(current, True, k)
        for k in self.examples:
            self.errors(True, k)
        self.reduce_errors(True)

    # -- forward pass and error ---------------------------------------------------------
    def net(self, index: int, j: int, current: Current, inputs: list[Term], ref: Ref,
            stage: Stage) -> Term:
        """net = Σ w·x + b of neuron j of layer `index`, with the current parameters."""
        weights = [current.get(w.id, w) for w in self.weights[index - 1][j]]
        bias = self.biases[index - 1][j]
        bias = current.get(bias.id, bias)
        symbols = [w.symbol for w in weights]
        xs = [x.symbol for x in inputs]
        formula = _sum(*(_product(w, x) for w, x in zip(symbols, xs, strict=True)), bias.symbol)
        term = self.add(ref, stage, index, self.spec.neuron_units[index - 1][j], formula,
                        uses=[*weights, *inputs, bias])
        self.net_inputs[term.id] = dict(zip(symbols, xs, strict=True))  # for ∂net/∂w
        return term

    def output_formula(self, index: int, j: int, nets: list[Term], stable: bool = False
                       ) -> sp.Expr:
        """out = f(net), or for a normalized layer g(net_j) / Σ_k g(net_k).

        With `stable`, the form numbers are computed from: the activation's overflow-free
        form, and for a normalized layer every net shifted by the layer's largest.
        """
        layer = self.spec.layers[index - 1]
        activation = ACTIVATIONS[layer.activation]
        mapping: dict[sp.Symbol, sp.Expr] = {SLOPE: sp.Float(layer.slope)}
        if not activation.normalized:
            expr = activation.stable if stable and activation.stable is not None else (
                activation.expr)
            return instantiate(expr, {**mapping, NET: nets[j].symbol})
        symbols: list[sp.Expr] = [net.symbol for net in nets]
        if stable:
            # Distinct symbols: nothing to simplify, and sympy's evaluation compares every
            # pair (60 softmax outputs took minutes).
            largest = sp.Max(*symbols, evaluate=False)
            symbols = [_sum(net, -largest) for net in symbols]
        terms = [instantiate(activation.expr, {**mapping, NET: net}) for net in symbols]
        return _product(terms[j], sp.Pow(_sum(*terms), -1, evaluate=False))

    def forward(self, current: Current, after: bool, k: int) -> None:
        """The forward pass of one example; `after` the update, with the new parameters."""
        stage, run = (Stage.AFTER if after else Stage.FORWARD), _Pass()
        inputs = self.inputs[k]
        for index, layer in enumerate(self.spec.layers, start=1):
            neurons = self.spec.neuron_units[index - 1]
            # Neuron by neuron, as by hand; a coupled layer needs all its nets first.
            coupled = ACTIVATIONS[layer.activation].normalized
            parts = (Role.NET, Role.OUT)
            order = [(part, j) for part in parts for j in range(layer.size)]
            if not coupled:
                order = [(part, j) for j in range(layer.size) for part in parts]
            nets: list[Term] = []
            outs: list[Term] = []
            for part, j in order:
                if part == Role.NET:
                    ref = Ref(Role.NET, neurons[j], example=k, after=after)
                    nets.append(self.net(index, j, current, inputs, ref, stage))
                    continue
                formula = self.output_formula(index, j, nets)
                stable = self.output_formula(index, j, nets, stable=True)
                outs.append(self.add(Ref(Role.OUT, neurons[j], example=k, after=after), stage,
                                     index, neurons[j], formula,
                                     numeric=None if stable == formula else stable))
            run.nets.append(nets)
            run.outs.append(outs)
            inputs = outs
        self.passes[after, k] = run

    def error_formula(self, j: int, run: _Pass, k: int) -> sp.Expr:
        term = instantiate(self.loss.term, {OUT: run.outs[-1][j].symbol,
                                            TARGET: self.targets[k][j].symbol})
        if self.loss.mean:
            return _product(sp.Rational(1, self.spec.layers[-1].size), term)
        return term

    def errors(self, after: bool, k: int) -> None:
        stage, run = (Stage.AFTER if after else Stage.ERROR), self.passes[after, k]
        layer = len(self.spec.layers)
        for j, neuron in enumerate(self.spec.neuron_units[-1]):
            run.errors.append(self.add(Ref(Role.ERROR, neuron, example=k, after=after), stage,
                                       layer, neuron, self.error_formula(j, run, k)))
        run.total = self.add(Ref(Role.ERROR, example=k, after=after), stage, layer,
                             formula=_sum(*(e.symbol for e in run.errors)))
        self.totals[after] = run.total

    def reduce(self, parts: list[sp.Symbol]) -> sp.Expr:
        """Σ over the examples, or their mean (batch_reduction)."""
        if self.spec.batch_reduction == "sum":
            return _sum(*parts)
        return _product(sp.Rational(1, len(parts)), _sum(*parts))

    def reduce_errors(self, after: bool) -> None:
        """E_total over every example, where there are several."""
        if self.spec.several:
            parts = [self.passes[after, k].error.symbol for k in self.examples]
            self.totals[after] = self.add(Ref(Role.ERROR, after=after),
                                          Stage.AFTER if after else Stage.ERROR,
                                          len(self.spec.layers), formula=self.reduce(parts))

    # -- backward pass ------------------------------------------------------------------
    def backward(self, examples: list[int], current: Current, update: int) -> None:
        """Layer by layer from the output: deltas and gradients per example, then updates
        (from the gradient of example `update`, or of the batch with 0)."""
        count = len(self.spec.layers)
        for index in range(count, 0, -1):
            for k in examples:
                if index == count:
                    self.output_deltas(index, k)
                else:
                    self.hidden_deltas(index, k, current)
                self.parameters(index, k, current)
            if self.spec.several and not self.spec.online:
                self.batch_gradients(index)
            for parameter in self.parameter_terms(index):
                self.update(parameter, current, update)

    def output_deltas(self, index: int, k: int) -> None:
        """∂E_total/∂out of each output neuron, from the loss; then the deltas."""
        layer, run = self.spec.layers[index - 1], self.passes[False, k]
        total = _sum(*(self.error_formula(j, run, k) for j in range(layer.size)))
        coupled = ACTIVATIONS[layer.activation].normalized
        d_outs = []
        for j, neuron in enumerate(self.spec.neuron_units[index - 1]):
            out = run.outs[-1][j]
            formula = instantiate(loss_derivative(self.loss),
                                  {OUT: out.symbol, TARGET: self.targets[k][j].symbol})
            if self.loss.mean:
                formula = _product(sp.Rational(1, layer.size), formula)
            d_outs.append(self.local(run.error, out, k, index, neuron, total, out.symbol,
                                     formula))
            if not coupled:  # neuron by neuron, as by hand
                self.delta(index, j, k, d_outs[-1])
        if coupled:
            self.normalized_deltas(index, k, d_outs)

    def delta(self, index: int, j: int, k: int, d_out: Term) -> None:
        """∂out/∂net from the activation, then δ = ∂E_total/∂out · ∂out/∂net."""
        layer, run = self.spec.layers[index - 1], self.passes[False, k]
        activation = ACTIVATIONS[layer.activation]
        neuron = self.spec.neuron_units[index - 1][j]
        net, out = run.nets[index - 1][j], run.outs[index - 1][j]
        mapping = {OUT: out.symbol, NET: net.symbol, SLOPE: sp.Float(layer.slope)}
        d_act = self.local(out, net, k, index, neuron,
                           self.output_formula(index, j, run.nets[index - 1]), net.symbol,
                           instantiate(activation_derivative(activation), mapping),
                           note=activation.note)
        simplified = None
        short = simplified_delta(activation, self.loss) if index == len(self.spec.layers) else (
            None)
        if short is not None:
            simplified = instantiate(short, {OUT: out.symbol, TARGET: self.targets[k][j].symbol})
        delta = self.add(Ref(Role.DELTA, neuron, example=k), Stage.BACKWARD, index, neuron,
                         _product(d_out.symbol, d_act.symbol), [d_out, d_act],
                         of=run.error.id, wrt=net.id, simplified=simplified)
        self.deltas[index, k, j] = delta
        self.factors[delta.id] = (d_out.id, d_act.id)

    def normalized_deltas(self, index: int, k: int, d_outs: list[Term]) -> None:
        """δ_k = Σ_j ∂E_total/∂out_j · ∂out_j/∂net_k over the Jacobian of a coupled layer."""
        layer, run = self.spec.layers[index - 1], self.passes[False, k]
        activation = ACTIVATIONS[layer.activation]
        diagonal, off = jacobian(activation)
        nets, outs = run.nets[index - 1], run.outs[index - 1]
        for m, neuron in enumerate(self.spec.neuron_units[index - 1]):
            shares = []
            for j in range(layer.size):
                formula = (instantiate(diagonal, {OUT: outs[m].symbol}) if j == m
                           else instantiate(off, {OUT: outs[j].symbol, OUT_K: outs[m].symbol}))
                d_act = self.local(outs[j], nets[m], k, index, neuron,
                                   self.output_formula(index, j, nets), nets[m].symbol, formula)
                shares.append(_product(d_outs[j].symbol, d_act.symbol))
            short = normalized_delta(activation, self.loss)
            simplified = None if short is None else instantiate(
                short, {OUT: outs[m].symbol, TARGET: self.targets[k][m].symbol})
            self.deltas[index, k, m] = self.add(
                Ref(Role.DELTA, neuron, example=k), Stage.BACKWARD, index, neuron,
                _sum(*shares), of=run.error.id, wrt=nets[m].id, simplified=simplified,
                note="" if simplified is None else _SUMS_TO_ONE)

    def hidden_deltas(self, index: int, k: int, current: Current) -> None:
        """∂E_total/∂out of each neuron sums the paths through every neuron of the next layer."""
        run = self.passes[False, k]
        following = len(self.spec.neuron_units[index])
        for j, neuron in enumerate(self.spec.neuron_units[index - 1]):
            paths = [self.path(index, j, m, k, current) for m in range(following)]
            out = run.outs[index - 1][j]
            d_out = self.add(derivative(Role.GRADIENT, run.error.ref, out.ref, k),
                             Stage.BACKWARD, index, neuron, _sum(*paths), of=run.error.id,
                             wrt=out.id)
            self.delta(index, j, k, d_out)

    def path(self, index: int, j: int, m: int, k: int, current: Current) -> sp.Expr:
        """δ_m · ∂net_m/∂out_j for neuron m of the next layer.

        Sequential updates use the next layer's already-updated weight here. Into an output
        layer whose error is a sum over outputs, the share is recorded as ∂E_m/∂out_j, the
        post's per-output split of the sum.
        """
        run = self.passes[False, k]
        neuron = self.spec.neuron_units[index - 1][j]
        weight = self.weights[index][m][j]
        now = current.get(weight.id, weight)
        used = self.updated[weight.id] if self.spec.update_order == "sequential" else now
        net, out = run.nets[index][m], run.outs[index - 1][j]
        assert net.formula is not None
        origin = net.formula
        if used is not now:  # sequential: the origin reads the updated weight
            origin = instantiate(origin, {now.symbol: used.symbol})
        d_net = self.local(net, out, k, index, neuron, origin, out.symbol, used.symbol)
        delta = self.deltas[index + 1, k, m]
        share = _product(delta.symbol, d_net.symbol)
        output = self.spec.layers[-1]
        if index + 1 < len(self.spec.layers) or ACTIVATIONS[output.activation].normalized:
            return share
        error = run.errors[m]
        return self.add(derivative(Role.PATH, error.ref, out.ref, k), Stage.BACKWARD, index,
                        neuron, share, [delta, d_net], of=error.id, wrt=out.id).symbol

    def parameters(self, index: int, k: int, current: Current) -> None:
        """∂net/∂p and ∂E_total/∂p of one example for every weight (and bias) into the layer."""
        layer = self.spec.layers[index - 1]
        shared = not isinstance(layer.bias, tuple)
        for j in range(layer.size):
            for weight in self.weights[index - 1][j]:
                self.gradient(index, [j], weight, k, current)
            if self.spec.update_biases and not shared:
                self.gradient(index, [j], self.biases[index - 1][j], k, current)
        if self.spec.update_biases and shared:
            self.gradient(index, list(range(layer.size)), self.biases[index - 1][0], k,
                          current)

    def parameter_terms(self, index: int) -> list[Term]:
        weights = [w for row in self.weights[index - 1] for w in row]
        if not self.spec.update_biases:
            return weights
        return weights + list(dict.fromkeys(self.biases[index - 1]))

    def gradient(self, index: int, neurons: list[int], parameter: Term, k: int,
                 current: Current) -> None:
        """∂E_total/∂p = Σ over the neurons p feeds of δ · ∂net/∂p (one neuron for a weight)."""
        now, run = current.get(parameter.id, parameter), self.passes[False, k]
        units = self.spec.neuron_units[index - 1]
        shares, uses, d_net = [], [], None
        for j in neurons:
            net = run.nets[index - 1][j]
            assert net.formula is not None
            d_net = self.local(net, parameter, k, index, units[j], net.formula, now.symbol,
                               _net_derivative(self.net_inputs[net.id], now.symbol))
            shares.append(_product(self.deltas[index, k, j].symbol, d_net.symbol))
            uses += [self.deltas[index, k, j], d_net]
        chain: tuple[int, ...] = ()
        delta = self.deltas[index, k, neurons[0]]
        if len(neurons) == 1 and delta.id in self.factors and d_net is not None:
            chain = (*self.factors[delta.id], d_net.id)  # δ's factors, then ∂net/∂p
        self.gradients[parameter.id, k] = self.add(
            derivative(Role.GRADIENT, run.error.ref, parameter.ref, k), Stage.BACKWARD, index,
            units[neurons[0]] if len(neurons) == 1 else None, _sum(*shares), uses,
            of=run.error.id, wrt=parameter.id, chain=chain)

    def batch_gradients(self, index: int) -> None:
        """∂E_total/∂p over the batch: the mean (or sum) of the examples' gradients."""
        total = self.totals[False]
        for parameter in self.parameter_terms(index):
            parts = [self.gradients[parameter.id, k].symbol for k in self.examples]
            self.gradients[parameter.id, 0] = self.add(
                derivative(Role.GRADIENT, total.ref, parameter.ref), Stage.BACKWARD, index,
                parameter.neuron, self.reduce(parts), of=total.id, wrt=parameter.id)

    def update(self, parameter: Term, current: Current, k: int) -> None:
        """p⁺ = p − η · ∂E_total/∂p"""
        now = current.get(parameter.id, parameter)
        gradient = self.gradients[parameter.id, k]
        step = _product(sp.S.NegativeOne, self.rate.symbol, gradient.symbol)
        self.updated[parameter.id] = self.add(
            Ref(Role.UPDATE, parameter.ref.unit, example=k), Stage.BACKWARD, parameter.layer,
            parameter.neuron, _sum(now.symbol, step), [now, self.rate, gradient],
            of=parameter.id)


def _place(spec: Spec, ref: Ref) -> tuple[int, Neuron | None]:
    """The layer and neuron a given value belongs to."""
    unit = ref.unit
    if isinstance(unit, Weight):
        return unit.layer, unit.target
    if isinstance(unit, Bias):
        return unit.layer, unit.neuron
    if ref.role == Role.TARGET and isinstance(unit, Neuron):
        return len(spec.layers), unit
    return 0, None


def _net_derivative(inputs: dict[sp.Symbol, sp.Symbol], parameter: sp.Symbol) -> sp.Expr:
    """∂net/∂p from the generic derivatives: the input a weight multiplies, or 1 for a bias."""
    d_weight, d_bias, _ = net_derivatives()
    if parameter in inputs:
        return instantiate(d_weight, {INPUT: inputs[parameter], WEIGHT: parameter})
    return d_bias


_SUMS_TO_ONE = "sums_to_one"  # step.sums_to_one in the catalogues
