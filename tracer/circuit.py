"""The graph of a circuit (`kind = "graph"`): named values, nodes of expressions over them.

The second builder of the typed graph (`network.py` is the first). Recorded in the order a
learner works it: the given values (and η), the forward pass node by node, then the
backward pass from the output: each node's gradient (the sum over the nodes it feeds of
upstream × local), then the local derivative of each of its edges; the leaves' gradients
last, then the updates of the parameters.

Names (see `names`): x, q, f for values; dq/dx for the local derivative of the edge from x
into q; df/dx for the gradient of the output f. Where a value feeds only the output, its
gradient is the output's local derivative (one term, df/dx); where it feeds the output and
other nodes, the output's own edge is df/dx_direct and df/dx sums every path.

Gates, and their derivatives at a kink (documented on the term, and in the README):
`max(a, b)` passes the gradient to the first argument at a tie (a ≥ b), `min` likewise;
`relu(x)` and `abs(x)` have derivative 0 at x = 0 (as PyTorch and TensorFlow take them).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import sympy as sp

from . import names
from .acyclic import cycle_collection_paused
from .circuitspec import Circuit, Node
from .errors import SpecError
from .functions import ACTIVATIONS, NET, instantiate
from .graph import Derivation, Graph, Term, parents_of
from .quantities import RATE, Ref, Role, Stage, Value, derivative
from .safeexpr import ALIASES
from .spec import Spec

MAX_NOTE = "At a tie the first argument takes the whole gradient (the gate routes it to one input)."
KINK_NOTE = "At 0 the derivative is taken as 0, as PyTorch and TensorFlow do."
# A gate whose local derivative reads best in its own output y: σ' = y(1 − y), tanh' = 1 − y²,
# exp' = y. Each is checked against sympy.diff in tests/test_circuit.py.
_Y = sp.Symbol("y")
OWN_OUTPUT_GATES = ("sigma", "tanh", "exp")


@cache
def own_output(gate: str) -> sp.Expr:
    """The local derivative of gate `gate` written in its output y (built when first used:
    evaluating sympy sums at import loads modules no command needs)."""
    return {"sigma": _Y * (1 - _Y), "tanh": 1 - _Y**2, "exp": _Y}[gate]


@dataclass(frozen=True)
class Gate:
    """What a node's expression is at its top: a function call of one name (`sigma`), or an
    operator (`+`, `*`, ...), for the words a document says about its local derivative."""

    kind: str  # "add", "sub", "mul", "div", "pow", "neg", a function's name, "name", "number"


def gate_of(node: Node) -> Gate:
    """The gate at the top of a node's expression."""
    tree = node.formula.tree
    if isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name):
        return Gate(ALIASES.get(tree.func.id, tree.func.id))
    if isinstance(tree, ast.BinOp):
        return Gate({ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div",
                     ast.Pow: "pow"}[type(tree.op)])
    if isinstance(tree, ast.UnaryOp):
        return Gate("neg" if isinstance(tree.op, ast.USub) else "name")
    return Gate("name" if isinstance(tree, ast.Name) else "number")


def gradient_of(graph: Graph, name: str) -> Term:
    """The term holding ∂out/∂<name>: a gradient, or the output's local derivative where
    <name> feeds the output only."""
    circuit = graph.spec.circuit
    assert circuit is not None
    output, wrt = graph.position(circuit.output), graph.position(name)
    for term in graph.terms[wrt:]:
        if term.of == output and term.wrt == wrt and term.ref.unit is None and term.role in (
                Role.GRADIENT, Role.LOCAL):
            return term
    raise KeyError(name)


def local_of(graph: Graph, node: str, parent: str) -> Term:
    """The local derivative ∂<node>/∂<parent> of one edge."""
    of, wrt = graph[node].id, graph[parent].id
    for term in graph.of_role(Role.LOCAL):
        if term.of == of and term.wrt == wrt:
            return term
    raise KeyError((node, parent))


@cycle_collection_paused()
def build_circuit(spec: Spec) -> Graph:
    """Record the forward pass, the backward pass from the output and the updates."""
    circuit = spec.circuit
    if circuit is None:
        raise ValueError("not a circuit spec")
    recorder = _Recorder(spec, circuit)
    recorder.forward()
    recorder.backward()
    recorder.updates()
    return Graph.of(spec, recorder.terms, (value for _, value in spec.givens))


class _Recorder:
    """Appends terms in order; private and short-lived, used by `build_circuit` only."""

    def __init__(self, spec: Spec, circuit: Circuit) -> None:
        self.spec, self.circuit = spec, circuit
        self.terms: list[Term] = []
        self.ids: dict[str, int] = {}
        self.units = {name: Value(index, name)
                      for index, name in enumerate(circuit.names, start=1)}
        self.values: dict[str, Term] = {}  # leaf or node name -> its value's term
        self.gradients: dict[str, Term] = {}  # name -> the term holding df/d<name>
        self.locals: dict[tuple[str, str], Term] = {}  # (node, parent) -> its local derivative
        self.consumers: dict[str, list[str]] = {name: [] for name in circuit.names}
        for node in circuit.nodes:
            for parent in dict.fromkeys(node.formula.names):
                self.consumers[parent].append(node.name)
        self._check_used()
        for ref, _ in spec.givens:
            term = self.add(ref, Stage.GIVEN)
            if ref.unit is not None:
                self.values[term.name] = term

    def _check_used(self) -> None:
        """Every value and node but the output feeds a later node: the output depends on it
        (a value it does not depend on has gradient 0, and is a slip in an exercise)."""
        for name, _ in self.circuit.values:
            if not self.consumers[name]:
                raise SpecError("is used by no node", source=self.spec.source,
                                key=f"values.{name}")
        for node in self.circuit.nodes[:-1]:
            if not self.consumers[node.name]:
                raise SpecError(f"is used by no later node: the output {self.circuit.output} "
                                "does not depend on it", source=self.spec.source,
                                key=f"nodes.{node.name}")

    def add(self, ref: Ref, stage: Stage, formula: sp.Expr | None = None,
            **details: object) -> Term:
        name = names.name(ref)
        parents = parents_of(formula, self.ids)
        numeric = details.get("numeric")
        if isinstance(numeric, sp.Expr):
            parents = tuple(sorted({*parents, *parents_of(numeric, self.ids)}))
        term = Term(len(self.terms), ref, name, sp.Symbol(name), stage, 0, None, formula,
                    parents, **details)  # type: ignore[arg-type]
        self.ids[name] = term.id
        self.terms.append(term)
        return term

    # -- forward ------------------------------------------------------------------------
    def forward(self) -> None:
        for node in self.circuit.nodes:
            symbols = {name: self.values[name].symbol for name in node.formula.names}
            formula = to_sympy(node.formula.tree, node.formula.names, symbols)
            numeric = to_sympy(node.formula.tree, node.formula.names, symbols, stable=True)
            self.values[node.name] = self.add(
                Ref(Role.NODE, self.units[node.name]), Stage.FORWARD, formula,
                numeric=None if numeric == formula else numeric)

    # -- backward -----------------------------------------------------------------------
    def backward(self) -> None:
        """From the output back: a node's gradient once every node it feeds is done (they
        all come after it), then its edges' local derivatives; the leaves' gradients last."""
        for node in reversed(self.circuit.nodes):
            if node.name != self.circuit.output:
                self.gradient(node.name)
            for parent in dict.fromkeys(node.formula.names):
                self.local(node, parent)
        for name, _ in self.circuit.values:
            self.gradient(name)

    def local(self, node: Node, parent: str) -> None:
        """∂node/∂parent from sympy.diff (in the node's own value for σ, tanh and exp)."""
        term, wrt = self.values[node.name], self.values[parent]
        assert term.formula is not None
        output = self.circuit.output
        ref = derivative(Role.LOCAL, term.ref, wrt.ref)
        if node.name == output and self.consumers[parent] != [output]:
            ref = names.direct(ref, self.units[output])
        gate = gate_of(node).kind
        tree = node.formula.tree
        if gate in OWN_OUTPUT_GATES and isinstance(tree, ast.Call) and isinstance(
                tree.args[0], ast.Name):
            formula = instantiate(own_output(gate), {_Y: term.symbol})
        else:
            formula = sp.diff(term.formula, wrt.symbol)
        note = MAX_NOTE if gate in ("max", "min") else KINK_NOTE if gate in (
            "relu", "abs") else ""
        self.locals[node.name, parent] = self.add(
            ref, Stage.BACKWARD, formula, of=term.id, wrt=wrt.id,
            derivation=Derivation(term.formula, wrt.symbol), note=note)

    def gradient(self, name: str) -> None:
        """df/d<name> = Σ over the nodes it feeds of df/d<node> · d<node>/d<name>."""
        output, consumers = self.circuit.output, self.consumers[name]
        if consumers == [output]:  # the output's local derivative is the gradient
            self.gradients[name] = self.locals[output, name]
            return
        shares: list[sp.Expr] = []
        chain: tuple[int, ...] = ()
        for consumer in consumers:
            local = self.locals[consumer, name]
            if consumer == output:
                shares.append(local.symbol)
            else:
                upstream = self.gradients[consumer]
                shares.append(sp.Mul._from_args((upstream.symbol, local.symbol), True))
                chain = (upstream.id, local.id)
        formula = shares[0] if len(shares) == 1 else sp.Add._from_args(shares, True)
        top = self.values[output]
        self.gradients[name] = self.add(
            derivative(Role.GRADIENT, top.ref, self.values[name].ref), Stage.BACKWARD,
            formula, of=top.id, wrt=self.values[name].id,
            chain=chain if len(shares) == 1 else ())

    # -- updates ------------------------------------------------------------------------
    def updates(self) -> None:
        """p⁺ = p − η · df/dp for each parameter."""
        if not self.circuit.parameters:
            return
        rate = self.terms[self.ids[names.name(RATE)]]
        for name in self.circuit.parameters:
            value, gradient = self.values[name], self.gradients[name]
            step = sp.Mul._from_args((sp.S.NegativeOne, rate.symbol, gradient.symbol), True)
            self.add(Ref(Role.UPDATE, value.ref.unit), Stage.BACKWARD,
                     sp.Add._from_args((value.symbol, step), True), of=value.id)


# -- expressions as sympy -------------------------------------------------------------------

def to_sympy(tree: ast.expr, placeholders: Sequence[str], symbols: Mapping[str, sp.Expr],
             stable: bool = False) -> sp.Expr:
    """A checked expression tree (`safeexpr`) as sympy, names read from `symbols`. Numbers
    are exact rationals (the decimal as written); with `stable`, σ is the form that cannot
    overflow and a fractional power is exp(p·log(x)) (a negative x is then a domain error
    named at its node, not a complex number)."""
    def walk(node: ast.expr) -> sp.Expr:
        if isinstance(node, ast.Constant):
            return _number(node.value)
        if isinstance(node, ast.Name):
            return symbols[placeholders[int(node.id[2:])]]
        if isinstance(node, ast.UnaryOp):
            operand = walk(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            name = ALIASES.get(node.func.id, node.func.id)
            return _CALLS[name](stable, [walk(arg) for arg in node.args])
        assert isinstance(node, ast.BinOp)
        left, right = walk(node.left), walk(node.right)
        return _binary(type(node.op), left, right, stable)
    return walk(tree)


def _number(value: object) -> sp.Expr:
    return sp.Integer(value) if type(value) is int else sp.Rational(repr(value))


def _binary(kind: type, left: sp.Expr, right: sp.Expr, stable: bool) -> sp.Expr:
    if kind is ast.Add:
        return left + right
    if kind is ast.Sub:
        return left - right
    if kind is ast.Mult:
        return left * right
    if kind is ast.Div:
        return left / right
    assert kind is ast.Pow
    if stable and not right.is_integer:
        return sp.exp(right * sp.log(left))
    return sp.Pow(left, right)


def _sigmoid(stable: bool, args: list[sp.Expr]) -> sp.Expr:
    activation = ACTIVATIONS["sigmoid"]
    form = activation.stable if stable and activation.stable is not None else activation.expr
    return instantiate(form, {NET: args[0]})


def _fold(relation: type, args: list[sp.Expr]) -> sp.Expr:
    """max (≥) or min (≤) of two arguments or more, left to right: at a tie the earlier
    argument is taken, and so takes the gradient."""
    result = args[0]
    for arg in args[1:]:
        result = sp.Piecewise((result, relation(result, arg)), (arg, True))
    return result


_CALLS: dict[str, Callable[[bool, list[sp.Expr]], sp.Expr]] = {
    "exp": lambda stable, a: sp.exp(a[0]),
    "log": lambda stable, a: sp.log(a[0]),
    "tanh": lambda stable, a: sp.tanh(a[0]),
    "sigma": _sigmoid,
    "relu": lambda stable, a: sp.Piecewise((a[0], a[0] > 0), (sp.Integer(0), True)),
    "abs": lambda stable, a: sp.Piecewise((a[0], a[0] > 0), (-a[0], a[0] < 0),
                                          (sp.Integer(0), True)),
    "max": lambda stable, a: _fold(sp.GreaterThan, a),
    "min": lambda stable, a: _fold(sp.LessThan, a),
}
