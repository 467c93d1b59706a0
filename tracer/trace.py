"""Symbolic trace recording: every quantity of one training step as a frozen record.

The trace is built once per network structure. Each record holds its defining formula as a
sympy expression over other records' symbols; local derivatives keep the expression they were
differentiated from, so documents and tests can show and check where each one comes from.
Numbers are attached later by `evaluate`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

import sympy as sp

from . import names
from .acyclic import cycle_collection_paused
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
    simplified_delta,
    simplified_normalized_delta,
)
from .names import given_keys, given_values
from .spec import LayerSpec, Spec


class Kind(StrEnum):
    INPUT = "input"
    WEIGHT = "weight"
    BIAS = "bias"
    TARGET = "target"
    RATE = "learning_rate"
    NET = "net"
    OUT = "out"
    ERROR = "error"
    LOCAL = "local_derivative"  # ∂E/∂out, ∂out/∂net, ∂net/∂w, ∂net/∂out: from sympy.diff
    DELTA = "delta"
    PATH = "path"  # one output's share of a hidden neuron's ∂E_total/∂out
    GRADIENT = "gradient"
    UPDATE = "update"


class Stage(StrEnum):
    GIVEN = "given"
    FORWARD = "forward"
    ERROR = "error"
    BACKWARD = "backward"
    AFTER = "after"


@dataclass(frozen=True)
class Derivation:
    """A local derivative's origin: d(of)/d(wrt), taken with sympy.diff."""

    of: sp.Expr
    wrt: sp.Symbol


@dataclass(frozen=True)
class Term:
    """One quantity of the trace. `formula` is None for given values."""

    name: str
    symbol: sp.Symbol
    latex: str
    kind: Kind
    stage: Stage
    layer: int  # 1-based network layer the quantity belongs to; 0 for none
    neuron: str = ""
    formula: sp.Expr | None = None
    chain: tuple[str, ...] = ()  # full chain-rule product this term stands for, if longer
    derivation: Derivation | None = None
    example: int = 0  # 1-based training example with several examples; 0 otherwise
    simplified: sp.Expr | None = None  # a shorter equal form, shown by documents
    note: str = ""  # a documented choice or assumption behind the formula
    numeric: sp.Expr | None = None  # an equal form that is stable in floats; evaluation only

    @property
    def evaluated(self) -> sp.Expr | None:
        """The expression the numbers are computed from."""
        return self.numeric if self.numeric is not None else self.formula


@dataclass(frozen=True, eq=False)
class SymbolicTrace:
    """The recorded step for one network structure; hashed by identity (compiled code is cached)."""

    spec: Spec
    terms: tuple[Term, ...]
    _index: dict[str, int] = field(repr=False)
    # A variant (misconceptions) shares the dependencies of the terms it keeps from its base.
    _base: SymbolicTrace | None = field(default=None, repr=False)
    _uses: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)  # a cache

    def __getitem__(self, name: str) -> Term:
        return self.terms[self._index[name]]

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __iter__(self) -> Iterator[Term]:
        return iter(self.terms)

    def position(self, name: str) -> int:
        return self._index[name]

    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(term.name for term in self.terms)

    def dependencies(self, name: str) -> tuple[str, ...]:
        """Names the formula of `name` uses, in trace order (found once per term)."""
        uses = self._uses.get(name)
        if uses is None:
            uses = self._uses[name] = self._find_dependencies(name)
        return uses

    def _find_dependencies(self, name: str) -> tuple[str, ...]:
        position = self._index[name]
        if self._base is not None and self._base.terms[position] is self.terms[position]:
            return self._base.dependencies(name)
        formula = self.terms[position].formula
        if formula is None:
            return ()
        # .name, not str(): str() runs sympy's printer, a third of a checker's time once.
        found = [self._index[s.name] for s in formula.free_symbols if s.name in self._index]
        return tuple(self.terms[i].name for i in sorted(found))


@cycle_collection_paused()
def build_trace(spec: Spec) -> SymbolicTrace:
    """Record the forward pass, the error, the backward pass, the updates and the error after."""
    recorder = _Recorder(spec)
    recorder.givens()
    if spec.mode == "online" and len(spec.examples) > 1:
        recorder.online()
    else:
        recorder.batch()
    recorder.after()
    terms = tuple(recorder.terms)
    return SymbolicTrace(spec, terms, {term.name: i for i, term in enumerate(terms)})


__all__ = ["Kind", "Stage", "SymbolicTrace", "Term", "build_trace", "given_keys", "given_values"]


# Unevaluated products and sums, in the order written. Built from their arguments directly:
# sp.Mul(*args, evaluate=False) also sympifies, checks and caches every argument, which was
# a third of the build time of a trace with thousands of weights. Every argument here is
# already a commutative sympy expression.
def _product(*factors: sp.Expr) -> sp.Expr:
    return sp.Mul._from_args(factors, True)


def _sum(*terms: sp.Expr) -> sp.Expr:
    return sp.Add._from_args(terms, True)


Params = dict[str, str]  # parameter name -> name of the term holding its current value


class _Recorder:
    """Appends terms in backprop order. Private and short-lived: only `build_trace` uses it.

    `ex` arguments are example suffixes ("" for a single example, "@2" for the second);
    `params` map each parameter to the term that holds its current value (online mode and the
    pass after the update read updated weights through it).
    """

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.terms: list[Term] = []
        self.by_name: dict[str, Term] = {}
        # Per layer: weight names by [neuron][input] and bias name by neuron.
        self.weights: list[list[list[str]]] = []
        self.biases: list[list[str]] = []
        self.nets: dict[str, sp.Expr] = {}  # net term name -> its formula
        self.updated: dict[str, str] = {}  # parameter -> its latest updated name
        self.net_inputs: dict[sp.Expr, dict[sp.Symbol, sp.Symbol]] = {}  # weight -> its input
        self.several = len(spec.examples) > 1
        self.loss = LOSSES[spec.loss]

    @property
    def suffixes(self) -> list[tuple[int, str]]:
        """(example number, name suffix) of every example; (0, "") for a single example."""
        if not self.several:
            return [(0, "")]
        return [(k, names.example_suffix(k)) for k in range(1, len(self.spec.examples) + 1)]

    def add(self, name: str, latex: str, kind: Kind, stage: Stage, layer: int = 0,
            neuron: str = "", formula: sp.Expr | None = None, **details: object) -> sp.Symbol:
        term = Term(name, sp.Symbol(name), latex, kind, stage, layer, neuron, formula,
                    **details)  # type: ignore[arg-type]
        self.by_name[name] = term
        self.terms.append(term)
        return term.symbol

    def sym(self, name: str) -> sp.Symbol:
        return self.by_name[name].symbol

    def latex(self, name: str) -> str:
        return self.by_name[name].latex

    def partial(self, numerator: str, denominator: str, ex: str) -> tuple[str, str]:
        """Name and LaTeX of ∂numerator/∂denominator for one example.

        Either side may be per example (out_o1@2) or not (w5); the name carries the suffix once,
        at the end: dE_total/dw5@2.
        """
        top = self.latex(numerator + ex if numerator + ex in self.by_name else numerator)
        bottom = self.latex(denominator + ex if denominator + ex in self.by_name else denominator)
        return names.derivative(numerator, denominator) + ex, names.derivative_latex(top, bottom)

    def local(self, numerator: str, denominator: str, ex: str, layer: int, neuron: str,
              of: sp.Expr, wrt: sp.Symbol, formula: sp.Expr, note: str = "") -> sp.Symbol:
        """A local derivative: `formula` as usually written; d(of)/d(wrt) its origin."""
        name, latex = self.partial(numerator, denominator, ex)
        return self.add(name, latex, Kind.LOCAL, Stage.BACKWARD, layer, neuron, formula,
                        derivation=Derivation(of, wrt), example=_number(ex), note=note)

    # -- given values -------------------------------------------------------------------
    def givens(self) -> None:
        for k, ex in self.suffixes:
            for name, _ in self.spec.inputs:
                self.add(name + ex, names.example_latex(names.identifier_latex(name), k),
                         Kind.INPUT, Stage.GIVEN, example=k)
        number = 0
        for index, layer in enumerate(self.spec.layers, start=1):
            rows = []
            for neuron, weights in zip(layer.neurons, layer.weights, strict=True):
                rows.append([names.weight(number + i) for i in range(1, len(weights) + 1)])
                for i in range(1, len(weights) + 1):
                    self.add(names.weight(number + i), names.weight_latex(number + i),
                             Kind.WEIGHT, Stage.GIVEN, index, neuron)
                number += len(weights)
            self.weights.append(rows)
            self.biases.append(self.layer_biases(index, layer))
        for k, ex in self.suffixes:
            for neuron in self.spec.layers[-1].neurons:
                latex = names.example_latex(names.neuron_latex("target", neuron), k)
                self.add(names.target(neuron) + ex, latex, Kind.TARGET, Stage.GIVEN,
                         len(self.spec.layers), neuron, example=k)
        self.add(names.LEARNING_RATE, r"\eta", Kind.RATE, Stage.GIVEN)

    def layer_biases(self, index: int, layer: LayerSpec) -> list[str]:
        """Record the layer's bias(es); returns the bias name of each neuron."""
        if isinstance(layer.bias, tuple):
            biases = [names.neuron_bias(n) for n in layer.neurons]
            for name, neuron in zip(biases, layer.neurons, strict=True):
                self.add(name, names.bias_latex(name), Kind.BIAS, Stage.GIVEN, index, neuron)
            return biases
        name = names.shared_bias(index)
        self.add(name, names.bias_latex(name), Kind.BIAS, Stage.GIVEN, index)
        return [name] * layer.size

    # -- the order of a step ------------------------------------------------------------
    def batch(self) -> None:
        """All examples forward, then each layer backward over all examples, then updates."""
        for _, ex in self.suffixes:
            self.forward({}, "", ex)
        for _, ex in self.suffixes:
            self.errors("", ex)
        if self.several:
            self.reduce_errors("")
        self.backward([ex for _, ex in self.suffixes], {}, "")

    def online(self) -> None:
        """One full step per example, in order, each starting from the previous one's weights."""
        params: Params = {}
        for _, ex in self.suffixes:
            self.forward(params, "", ex)
            self.errors("", ex)
            self.backward([ex], params, ex)
            params = dict(self.updated)
        for parameter, latest in params.items():  # the final weights under their plain names
            term = self.by_name[parameter]
            self.add(names.updated(parameter), names.plus_latex(term.latex), Kind.UPDATE,
                     Stage.BACKWARD, term.layer, term.neuron, self.sym(latest))
            self.updated[parameter] = names.updated(parameter)

    def after(self) -> None:
        """The forward pass and the error again, for every example, with the new parameters."""
        params = dict(self.updated)
        for _, ex in self.suffixes:
            self.forward(params, "_after", ex)
        for _, ex in self.suffixes:
            self.errors("_after", ex)
        if self.several:
            self.reduce_errors("_after")

    # -- forward pass and error ---------------------------------------------------------
    def net_formula(self, index: int, j: int, params: Params, tag: str, ex: str) -> sp.Expr:
        """Σ w·x + b for neuron j of layer `index`, with current parameters from `params`."""
        if index == 1:
            inputs = [name + ex for name, _ in self.spec.inputs]
        else:
            inputs = [names.out(n) + tag + ex for n in self.spec.layers[index - 2].neurons]
        weights = [self.sym(params.get(w, w)) for w in self.weights[index - 1][j]]
        xs = [self.sym(x) for x in inputs]
        bias = self.sym(params.get(self.biases[index - 1][j], self.biases[index - 1][j]))
        net = _sum(*(_product(w, x) for w, x in zip(weights, xs, strict=True)), bias)
        self.net_inputs[net] = dict(zip(weights, xs, strict=True))  # for ∂net/∂w
        return net

    def output_formula(self, index: int, j: int, tag: str, ex: str,
                       stable: bool = False) -> sp.Expr:
        """out = f(net), or for a normalized layer g(net_j) / Σ_k g(net_k).

        With `stable`, the form numbers are computed from: the activation's overflow-free
        form, and for a normalized layer every net shifted by the layer's largest.
        """
        layer = self.spec.layers[index - 1]
        activation = ACTIVATIONS[layer.activation]
        mapping: dict[sp.Symbol, sp.Expr] = {SLOPE: sp.Float(layer.slope)}
        if not activation.normalized:
            net = self.sym(names.net(layer.neurons[j]) + tag + ex)
            expr = activation.stable if stable and activation.stable is not None else (
                activation.expr)
            return instantiate(expr, {**mapping, NET: net})
        nets: list[sp.Expr] = [self.sym(names.net(n) + tag + ex) for n in layer.neurons]
        if stable:
            largest = sp.Max(*nets)
            nets = [_sum(net, -largest) for net in nets]
        terms = [instantiate(activation.expr, {**mapping, NET: net}) for net in nets]
        return _product(terms[j], sp.Pow(_sum(*terms), -1, evaluate=False))

    def forward(self, params: Params, tag: str, ex: str) -> None:
        """The forward pass of one example; tag "_after" for the pass after the update."""
        stage, k = (Stage.AFTER if tag else Stage.FORWARD), _number(ex)
        for index, layer in enumerate(self.spec.layers, start=1):
            # Neuron by neuron, as by hand; a coupled layer needs all its nets first.
            coupled = ACTIVATIONS[layer.activation].normalized
            order = [(part, j) for part in ("net", "out") for j in range(layer.size)]
            if not coupled:
                order = [(part, j) for j in range(layer.size) for part in ("net", "out")]
            for part, j in order:
                neuron = layer.neurons[j]
                name = (names.net if part == "net" else names.out)(neuron) + tag + ex
                if part == "net":
                    formula = self.nets[name] = self.net_formula(index, j, params, tag, ex)
                    self.add(name, _latex(names.neuron_latex(part, neuron), tag, k), Kind.NET,
                             stage, index, neuron, formula, example=k)
                    continue
                formula = self.output_formula(index, j, tag, ex)
                stable = self.output_formula(index, j, tag, ex, stable=True)
                self.add(name, _latex(names.neuron_latex(part, neuron), tag, k), Kind.OUT,
                         stage, index, neuron, formula, example=k,
                         numeric=None if stable == formula else stable)

    def error_formula(self, neuron: str, tag: str, ex: str) -> sp.Expr:
        term = instantiate(self.loss.term, {OUT: self.sym(names.out(neuron) + tag + ex),
                                            TARGET: self.sym(names.target(neuron) + ex)})
        if self.loss.mean:
            return _product(sp.Rational(1, self.spec.layers[-1].size), term)
        return term

    def errors(self, tag: str, ex: str) -> None:
        stage, k = (Stage.AFTER if tag else Stage.ERROR), _number(ex)
        layer = len(self.spec.layers)
        parts = [
            self.add(names.error(neuron) + tag + ex,
                     _latex(names.neuron_latex("E", neuron), tag, k), Kind.ERROR, stage,
                     layer, neuron, self.error_formula(neuron, tag, ex), example=k)
            for neuron in self.spec.layers[-1].neurons
        ]
        self.add(names.TOTAL_ERROR + tag + ex, _latex("E_{total}", tag, k), Kind.ERROR,
                 stage, layer, formula=_sum(*parts), example=k)

    def reduce(self, parts: list[sp.Symbol]) -> sp.Expr:
        """Σ over the examples, or their mean (batch_reduction)."""
        if self.spec.batch_reduction == "sum":
            return _sum(*parts)
        return _product(sp.Rational(1, len(parts)), _sum(*parts))

    def reduce_errors(self, tag: str) -> None:
        name = names.TOTAL_ERROR + tag
        parts = [self.sym(name + ex) for _, ex in self.suffixes]
        self.add(name, _latex("E_{total}", tag, 0), Kind.ERROR,
                 Stage.AFTER if tag else Stage.ERROR, len(self.spec.layers),
                 formula=self.reduce(parts))

    # -- backward pass ------------------------------------------------------------------
    def backward(self, suffixes: list[str], params: Params, update_ex: str) -> None:
        """Layer by layer from the output: deltas and gradients per example, then updates."""
        count = len(self.spec.layers)
        for index in range(count, 0, -1):
            for ex in suffixes:
                if index == count:
                    self.output_deltas(index, ex)
                else:
                    self.hidden_deltas(index, ex, params)
                self.parameters(index, ex, params)
            if self.several and self.spec.mode == "batch":
                self.batch_gradients(index)
            for name in self.parameter_names(index):
                self.update(index, name, params, update_ex)

    def output_deltas(self, index: int, ex: str) -> None:
        """∂E_total/∂out of each output neuron, from the loss; then the deltas."""
        layer = self.spec.layers[index - 1]
        total = _sum(*(self.error_formula(n, "", ex) for n in layer.neurons))
        coupled = ACTIVATIONS[layer.activation].normalized
        d_outs = {}
        for neuron in layer.neurons:
            out, target = self.sym(names.out(neuron) + ex), self.sym(names.target(neuron) + ex)
            formula = instantiate(loss_derivative(self.loss), {OUT: out, TARGET: target})
            if self.loss.mean:
                formula = _product(sp.Rational(1, layer.size), formula)
            d_outs[neuron] = self.local(names.TOTAL_ERROR, names.out(neuron), ex, index, neuron,
                                        total, out, formula)
            if not coupled:  # neuron by neuron, as by hand
                self.delta(index, neuron, ex, d_outs[neuron])
        if coupled:
            self.normalized_deltas(index, ex, d_outs)

    def delta(self, index: int, neuron: str, ex: str, d_out: sp.Symbol) -> None:
        """∂out/∂net from the activation, then δ = ∂E_total/∂out · ∂out/∂net."""
        layer = self.spec.layers[index - 1]
        activation = ACTIVATIONS[layer.activation]
        net, out = self.sym(names.net(neuron) + ex), self.sym(names.out(neuron) + ex)
        mapping = {OUT: out, NET: net, SLOPE: sp.Float(layer.slope)}
        d_act = self.local(names.out(neuron), names.net(neuron), ex, index, neuron,
                           self.output_formula(index, layer.neurons.index(neuron), "", ex), net,
                           instantiate(activation_derivative(activation), mapping),
                           note=activation.note)
        simplified = None
        if index == len(self.spec.layers):
            short = simplified_delta(activation, self.loss)
            if short is not None:
                target = self.sym(names.target(neuron) + ex)
                simplified = instantiate(short, {OUT: out, TARGET: target})
        self.add(names.delta(neuron) + ex,
                 names.example_latex(names.neuron_latex(r"\delta", neuron), _number(ex)),
                 Kind.DELTA, Stage.BACKWARD, index, neuron, _product(d_out, d_act),
                 example=_number(ex), simplified=simplified)

    def normalized_deltas(self, index: int, ex: str, d_outs: dict[str, sp.Symbol]) -> None:
        """δ_k = Σ_j ∂E_total/∂out_j · ∂out_j/∂net_k over the Jacobian of a coupled layer."""
        layer = self.spec.layers[index - 1]
        activation = ACTIVATIONS[layer.activation]
        diagonal, off = jacobian(activation)
        outs = [self.sym(names.out(n) + ex) for n in layer.neurons]
        targets = [self.sym(names.target(n) + ex) for n in layer.neurons]
        for k, neuron in enumerate(layer.neurons):
            shares = []
            for j, other in enumerate(layer.neurons):
                formula = (instantiate(diagonal, {OUT: outs[k]}) if j == k
                           else instantiate(off, {OUT: outs[j], OUT_K: outs[k]}))
                d_act = self.local(names.out(other), names.net(neuron), ex, index, neuron,
                                   self.output_formula(index, j, "", ex),
                                   self.sym(names.net(neuron) + ex), formula)
                shares.append(_product(d_outs[other], d_act))
            short = simplified_normalized_delta(activation, self.loss, layer.size, k)
            simplified = None
            if short is not None:
                generic = sp.symbols(f"y1:{layer.size + 1}", positive=True) + sp.symbols(
                    f"t1:{layer.size + 1}", real=True)
                simplified = instantiate(short, dict(zip(generic, outs + targets, strict=True)))
            self.add(names.delta(neuron) + ex,
                     names.example_latex(names.neuron_latex(r"\delta", neuron), _number(ex)),
                     Kind.DELTA, Stage.BACKWARD, index, neuron, _sum(*shares),
                     example=_number(ex), simplified=simplified,
                     note="" if simplified is None else _SUMS_TO_ONE)

    def hidden_deltas(self, index: int, ex: str, params: Params) -> None:
        """∂E_total/∂out of each neuron sums the paths through every neuron of the next layer."""
        following = self.spec.layers[index].neurons
        for neuron in self.spec.layers[index - 1].neurons:
            paths = [self.path(index, neuron, k, successor, ex, params)
                     for k, successor in enumerate(following)]
            name, latex = self.partial(names.TOTAL_ERROR, names.out(neuron), ex)
            d_out = self.add(name, latex, Kind.GRADIENT, Stage.BACKWARD, index, neuron,
                             _sum(*paths), example=_number(ex))
            self.delta(index, neuron, ex, d_out)

    def path(self, index: int, neuron: str, k: int, successor: str, ex: str,
             params: Params) -> sp.Expr:
        """δ_k · ∂net_k/∂out_j for one neuron k of the next layer.

        Sequential updates use the next layer's already-updated weight here. Into an output
        layer whose error is a sum over outputs, the share is recorded as ∂E_k/∂out_j, the
        post's per-output split of the sum.
        """
        j = self.spec.layers[index - 1].neurons.index(neuron)
        weight = self.weights[index][k][j]
        current = params.get(weight, weight)
        used = self.updated[weight] if self.spec.update_order == "sequential" else current
        net = names.net(successor)
        of = self.nets[net + ex]
        if used != current:  # sequential: the origin reads the updated weight
            of = instantiate(of, {self.sym(current): self.sym(used)})
        d_net = self.local(net, names.out(neuron), ex, index, neuron, of,
                           self.sym(names.out(neuron) + ex), self.sym(used))
        share = _product(self.sym(names.delta(successor) + ex), d_net)
        output = self.spec.layers[-1]
        if index + 1 < len(self.spec.layers) or ACTIVATIONS[output.activation].normalized:
            return share
        name, latex = self.partial(names.error(successor), names.out(neuron), ex)
        return self.add(name, latex, Kind.PATH, Stage.BACKWARD, index, neuron, share,
                        example=_number(ex))

    def parameters(self, index: int, ex: str, params: Params) -> None:
        """∂net/∂p and ∂E_total/∂p of one example for every weight (and bias) into the layer."""
        layer = self.spec.layers[index - 1]
        for j, neuron in enumerate(layer.neurons):
            for weight in self.weights[index - 1][j]:
                self.gradient(index, [neuron], weight, ex, params)
            if self.spec.update_biases and isinstance(layer.bias, tuple):
                self.gradient(index, [neuron], self.biases[index - 1][j], ex, params)
        if self.spec.update_biases and not isinstance(layer.bias, tuple):
            self.gradient(index, list(layer.neurons), self.biases[index - 1][0], ex, params)

    def parameter_names(self, index: int) -> list[str]:
        weights = [w for row in self.weights[index - 1] for w in row]
        if not self.spec.update_biases:
            return weights
        return weights + list(dict.fromkeys(self.biases[index - 1]))

    def gradient(self, index: int, neurons: list[str], parameter: str, ex: str,
                 params: Params) -> None:
        """∂E_total/∂p = Σ over the neurons p feeds of δ · ∂net/∂p (one neuron for a weight)."""
        current = self.sym(params.get(parameter, parameter))
        shares = []
        for neuron in neurons:
            net = self.nets[names.net(neuron) + ex]
            d_net = self.local(names.net(neuron), parameter, ex, index, neuron, net, current,
                               _net_derivative(self.net_inputs[net], current))
            shares.append(_product(self.sym(names.delta(neuron) + ex), d_net))
        name, latex = self.partial(names.TOTAL_ERROR, parameter, ex)
        single = len(neurons) == 1
        self.add(name, latex, Kind.GRADIENT, Stage.BACKWARD, index,
                 neurons[0] if single else "", _sum(*shares),
                 chain=self.chain_to(index, neurons[0], parameter, ex) if single else (),
                 example=_number(ex))

    def chain_to(self, index: int, neuron: str, parameter: str, ex: str) -> tuple[str, ...]:
        """∂E_total/∂out · ∂out/∂net · ∂net/∂p: the product δ · ∂net/∂p stands for."""
        if ACTIVATIONS[self.spec.layers[index - 1].activation].normalized:
            return ()  # δ sums over the layer's Jacobian: no single chain
        out, net = names.out(neuron), names.net(neuron)
        return (names.derivative(names.TOTAL_ERROR, out) + ex,
                names.derivative(out, net) + ex, names.derivative(net, parameter) + ex)

    def batch_gradients(self, index: int) -> None:
        """∂E_total/∂p over the batch: the mean (or sum) of the examples' gradients."""
        for parameter in self.parameter_names(index):
            name, latex = self.partial(names.TOTAL_ERROR, parameter, "")
            parts = [self.sym(name + ex) for _, ex in self.suffixes]
            self.add(name, latex, Kind.GRADIENT, Stage.BACKWARD, index,
                     self.by_name[parameter].neuron, self.reduce(parts))

    def update(self, index: int, parameter: str, params: Params, update_ex: str) -> None:
        """p⁺ = p − η · ∂E_total/∂p"""
        term = self.by_name[parameter]
        current = self.sym(params.get(parameter, parameter))
        gradient = self.sym(names.derivative(names.TOTAL_ERROR, parameter) + update_ex)
        step = _product(sp.S.NegativeOne, self.sym(names.LEARNING_RATE), gradient)
        new = names.updated(parameter) + update_ex
        self.updated[parameter] = new
        self.add(new, names.plus_latex(term.latex, _number(update_ex)), Kind.UPDATE,
                 Stage.BACKWARD, index, term.neuron, _sum(current, step),
                 example=_number(update_ex))


def _net_derivative(inputs: dict[sp.Symbol, sp.Symbol], parameter: sp.Symbol) -> sp.Expr:
    """∂net/∂p from the generic derivatives: the input a weight multiplies, or 1 for a bias."""
    d_weight, d_bias, _ = net_derivatives()
    if parameter in inputs:
        return instantiate(d_weight, {INPUT: inputs[parameter], WEIGHT: parameter})
    return d_bias


_SUMS_TO_ONE = "Simplified using that the targets sum to 1."


def _number(ex: str) -> int:
    """The example number of a suffix: "@2" -> 2, "" -> 0."""
    return int(ex[1:]) if ex else 0


def _latex(latex: str, tag: str, example: int) -> str:
    """A forward quantity's LaTeX for one example, marked + after the update."""
    latex = names.example_latex(latex, example)
    return names.plus_latex(latex) if tag else latex
