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

import sympy as sp

from . import names
from .functions import (
    ACTIVATIONS,
    LOSSES,
    NET,
    OUT,
    TARGET,
    activation_derivative,
    instantiate,
    loss_derivative,
)
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


@dataclass(frozen=True, eq=False)
class SymbolicTrace:
    """The recorded step for one network structure; hashed by identity (compiled code is cached)."""

    spec: Spec
    terms: tuple[Term, ...]
    _index: dict[str, int] = field(repr=False)

    def __getitem__(self, name: str) -> Term:
        return self.terms[self._index[name]]

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __iter__(self) -> Iterator[Term]:
        return iter(self.terms)

    def position(self, name: str) -> int:
        return self._index[name]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(term.name for term in self.terms)

    def dependencies(self, name: str) -> tuple[str, ...]:
        """Names the formula of `name` uses, in trace order."""
        formula = self[name].formula
        if formula is None:
            return ()
        found = [self._index[str(s)] for s in formula.free_symbols if str(s) in self._index]
        return tuple(self.terms[i].name for i in sorted(found))


def given_values(spec: Spec) -> dict[str, float]:
    """The spec's numbers under their canonical names, in trace order."""
    values: dict[str, float] = dict(spec.inputs)
    number = 0
    for index, layer in enumerate(spec.layers, start=1):
        for row in layer.weights:
            for value in row:
                number += 1
                values[names.weight(number)] = value
        if isinstance(layer.bias, tuple):
            pairs = zip(layer.neurons, layer.bias, strict=True)
            values.update({names.neuron_bias(n): b for n, b in pairs})
        else:
            values[names.shared_bias(index)] = layer.bias
    values.update({names.target(n): v for n, v in spec.targets})
    values[names.LEARNING_RATE] = spec.learning_rate
    return values


def build_trace(spec: Spec) -> SymbolicTrace:
    """Record the forward pass, the error, the backward pass, the updates and the error after."""
    recorder = _Recorder(spec)
    recorder.givens()
    recorder.forward({}, "")
    recorder.errors("")
    recorder.backward()
    recorder.after()
    terms = tuple(recorder.terms)
    return SymbolicTrace(spec, terms, {term.name: i for i, term in enumerate(terms)})


def _product(*factors: sp.Expr) -> sp.Expr:
    return sp.Mul(*factors, evaluate=False)


def _sum(*terms: sp.Expr) -> sp.Expr:
    return terms[0] if len(terms) == 1 else sp.Add(*terms, evaluate=False)


class _Recorder:
    """Appends terms in backprop order. Private and short-lived: only `build_trace` uses it."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.terms: list[Term] = []
        self.by_name: dict[str, Term] = {}
        # Per layer: weight names by [neuron][input] and bias name by neuron.
        self.weights: list[list[list[str]]] = []
        self.biases: list[list[str]] = []
        self.nets: dict[str, sp.Expr] = {}  # neuron -> its net input formula
        self.updated: dict[str, str] = {}  # parameter -> its updated name, once recorded

    def add(self, name: str, latex: str, kind: Kind, stage: Stage, layer: int = 0,
            neuron: str = "", formula: sp.Expr | None = None, chain: tuple[str, ...] = (),
            derivation: Derivation | None = None) -> sp.Symbol:
        term = Term(name, sp.Symbol(name), latex, kind, stage, layer, neuron, formula, chain,
                    derivation)
        self.by_name[name] = term
        self.terms.append(term)
        return term.symbol

    def sym(self, name: str) -> sp.Symbol:
        return self.by_name[name].symbol

    def latex(self, name: str) -> str:
        return self.by_name[name].latex

    def partial(self, numerator: str, denominator: str) -> tuple[str, str]:
        """Name and LaTeX of ∂numerator/∂denominator."""
        return (names.derivative(numerator, denominator),
                names.derivative_latex(self.latex(numerator), self.latex(denominator)))

    def local(self, numerator: str, denominator: str, layer: int, neuron: str, of: sp.Expr,
              formula: sp.Expr) -> sp.Symbol:
        """A local derivative: `formula` as usually written; d(of)/d(denominator) its origin."""
        name, latex = self.partial(numerator, denominator)
        return self.add(name, latex, Kind.LOCAL, Stage.BACKWARD, layer, neuron, formula,
                        derivation=Derivation(of, self.sym(denominator)))

    # -- given values -------------------------------------------------------------------
    def givens(self) -> None:
        for name, _ in self.spec.inputs:
            self.add(name, names.identifier_latex(name), Kind.INPUT, Stage.GIVEN)
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
        for neuron, _ in self.spec.targets:
            self.add(names.target(neuron), names.neuron_latex("target", neuron), Kind.TARGET,
                     Stage.GIVEN, len(self.spec.layers), neuron)
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

    # -- forward pass and error ---------------------------------------------------------
    def layer_inputs(self, index: int, suffix: str) -> list[str]:
        """Names feeding layer `index` (1-based): the inputs, or the previous layer's outputs."""
        if index == 1:
            return [name for name, _ in self.spec.inputs]
        return [names.out(n) + suffix for n in self.spec.layers[index - 2].neurons]

    def net_formula(self, index: int, j: int, params: dict[str, str], suffix: str) -> sp.Expr:
        """Σ w·x + b for neuron j of layer `index`, with parameters renamed by `params`."""
        inputs = self.layer_inputs(index, suffix)
        products = [
            _product(self.sym(params.get(w, w)), self.sym(x))
            for w, x in zip(self.weights[index - 1][j], inputs, strict=True)
        ]
        bias = self.biases[index - 1][j]
        return _sum(*products, self.sym(params.get(bias, bias)))

    def forward(self, params: dict[str, str], suffix: str) -> None:
        """The forward pass; with updated `params` and the `_after` suffix, the pass after."""
        stage = Stage.AFTER if suffix else Stage.FORWARD
        for index, layer in enumerate(self.spec.layers, start=1):
            activation = ACTIVATIONS[layer.activation]
            for j, neuron in enumerate(layer.neurons):
                formula = self.net_formula(index, j, params, suffix)
                if not suffix:
                    self.nets[neuron] = formula
                net = self.add(names.net(neuron) + suffix,
                               _after_latex(names.neuron_latex("net", neuron), suffix),
                               Kind.NET, stage, index, neuron, formula)
                self.add(names.out(neuron) + suffix,
                         _after_latex(names.neuron_latex("out", neuron), suffix),
                         Kind.OUT, stage, index, neuron, instantiate(activation.expr, {NET: net}))

    def error_formula(self, neuron: str, suffix: str) -> sp.Expr:
        loss = LOSSES[self.spec.loss]
        term = instantiate(loss.term, {OUT: self.sym(names.out(neuron) + suffix),
                                       TARGET: self.sym(names.target(neuron))})
        return _product(sp.Rational(1, self.spec.layers[-1].size), term) if loss.mean else term

    def errors(self, suffix: str) -> None:
        stage = Stage.AFTER if suffix else Stage.ERROR
        layer = len(self.spec.layers)
        parts = [
            self.add(names.error(neuron) + suffix,
                     _after_latex(names.neuron_latex("E", neuron), suffix),
                     Kind.ERROR, stage, layer, neuron, self.error_formula(neuron, suffix))
            for neuron in self.spec.layers[-1].neurons
        ]
        self.add(names.TOTAL_ERROR + suffix, _after_latex("E_{total}", suffix), Kind.ERROR,
                 stage, layer, formula=_sum(*parts))

    def after(self) -> None:
        """The forward pass and the error again, with the updated parameters."""
        self.forward(self.updated, "_after")
        self.errors("_after")

    # -- backward pass ------------------------------------------------------------------
    def backward(self) -> None:
        count = len(self.spec.layers)
        self.output_deltas(count)
        self.parameters(count)
        for index in range(count - 1, 0, -1):
            self.hidden_deltas(index)
            self.parameters(index)

    def output_deltas(self, index: int) -> None:
        """∂E_total/∂out of each output neuron, from the loss, then its delta."""
        layer = self.spec.layers[index - 1]
        loss = LOSSES[self.spec.loss]
        total = _sum(*(self.error_formula(n, "") for n in layer.neurons))
        for neuron in layer.neurons:
            out = names.out(neuron)
            formula = instantiate(loss_derivative(loss), {OUT: self.sym(out),
                                                          TARGET: self.sym(names.target(neuron))})
            if loss.mean:
                formula = _product(sp.Rational(1, layer.size), formula)
            d_out = self.local(names.TOTAL_ERROR, out, index, neuron, total, formula)
            self.delta(index, neuron, d_out)

    def delta(self, index: int, neuron: str, d_out: sp.Symbol) -> None:
        """∂out/∂net from the activation, then δ = ∂E_total/∂out · ∂out/∂net."""
        activation = ACTIVATIONS[self.spec.layers[index - 1].activation]
        net, out = self.sym(names.net(neuron)), self.sym(names.out(neuron))
        d_act = self.local(names.out(neuron), names.net(neuron), index, neuron,
                           instantiate(activation.expr, {NET: net}),
                           instantiate(activation_derivative(activation), {OUT: out, NET: net}))
        self.add(names.delta(neuron), names.neuron_latex(r"\delta", neuron), Kind.DELTA,
                 Stage.BACKWARD, index, neuron, _product(d_out, d_act))

    def hidden_deltas(self, index: int) -> None:
        """∂E_total/∂out of each neuron sums the paths through every neuron of the next layer."""
        following = self.spec.layers[index].neurons
        for neuron in self.spec.layers[index - 1].neurons:
            paths = [self.path(index, neuron, k, successor)
                     for k, successor in enumerate(following)]
            name, latex = self.partial(names.TOTAL_ERROR, names.out(neuron))
            d_out = self.add(name, latex, Kind.GRADIENT, Stage.BACKWARD, index, neuron,
                             _sum(*paths))
            self.delta(index, neuron, d_out)

    def path(self, index: int, neuron: str, k: int, successor: str) -> sp.Expr:
        """δ_k · ∂net_k/∂out_j for one neuron k of the next layer.

        Sequential updates use the next layer's already-updated weight here. Into the output
        layer the share is recorded as ∂E_k/∂out_j, the post's per-output split of the sum.
        """
        j = self.spec.layers[index - 1].neurons.index(neuron)
        weight = self.weights[index][k][j]
        used = self.updated[weight] if self.spec.update_order == "sequential" else weight
        of = instantiate(self.nets[successor], {self.sym(weight): self.sym(used)})
        d_net = self.local(names.net(successor), names.out(neuron), index, neuron, of,
                           self.sym(used))
        share = _product(self.sym(names.delta(successor)), d_net)
        if index + 1 < len(self.spec.layers):
            return share
        name, latex = self.partial(names.error(successor), names.out(neuron))
        return self.add(name, latex, Kind.PATH, Stage.BACKWARD, index, neuron, share)

    def parameters(self, index: int) -> None:
        """∂net/∂p, ∂E_total/∂p and the update for every weight (and bias) into the layer."""
        layer = self.spec.layers[index - 1]
        for j, neuron in enumerate(layer.neurons):
            for weight in self.weights[index - 1][j]:
                self.gradient(index, [neuron], weight)
            if self.spec.update_biases and isinstance(layer.bias, tuple):
                self.gradient(index, [neuron], self.biases[index - 1][j])
        if self.spec.update_biases and not isinstance(layer.bias, tuple):
            self.gradient(index, list(layer.neurons), self.biases[index - 1][0])
        weights = [w for row in self.weights[index - 1] for w in row]
        biases = list(dict.fromkeys(self.biases[index - 1])) if self.spec.update_biases else []
        for name in weights + biases:
            self.update(index, name)

    def gradient(self, index: int, neurons: list[str], parameter: str) -> None:
        """∂E_total/∂p = Σ over the neurons p feeds of δ · ∂net/∂p (one neuron for a weight)."""
        shares = []
        for neuron in neurons:
            net = self.nets[neuron]
            d_net = self.local(names.net(neuron), parameter, index, neuron, net,
                               sp.diff(net, self.sym(parameter)))
            shares.append(_product(self.sym(names.delta(neuron)), d_net))
        single = len(neurons) == 1
        name, latex = self.partial(names.TOTAL_ERROR, parameter)
        self.add(name, latex, Kind.GRADIENT, Stage.BACKWARD, index,
                 neurons[0] if single else "", _sum(*shares),
                 chain=self.chain_to(neurons[0], parameter) if single else ())

    @staticmethod
    def chain_to(neuron: str, parameter: str) -> tuple[str, ...]:
        """∂E_total/∂out · ∂out/∂net · ∂net/∂p: the product δ · ∂net/∂p stands for."""
        out, net = names.out(neuron), names.net(neuron)
        return (names.derivative(names.TOTAL_ERROR, out), names.derivative(out, net),
                names.derivative(net, parameter))

    def update(self, index: int, parameter: str) -> None:
        """p⁺ = p − η · ∂E_total/∂p"""
        term = self.by_name[parameter]
        gradient = self.sym(names.derivative(names.TOTAL_ERROR, parameter))
        step = _product(-1, self.sym(names.LEARNING_RATE), gradient)
        self.updated[parameter] = names.updated(parameter)
        self.add(names.updated(parameter), names.plus_latex(term.latex), Kind.UPDATE,
                 Stage.BACKWARD, index, term.neuron,
                 sp.Add(self.sym(parameter), step, evaluate=False))


def _after_latex(latex: str, suffix: str) -> str:
    return names.plus_latex(latex) if suffix else latex
