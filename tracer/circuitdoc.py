"""The view model of a circuit's worked example: what `circuit.*.j2` shows, formatted.

Pure functions from an evaluated circuit trace to frozen records of strings. Math is LaTeX
(the Markdown and LaTeX documents share it, and so can an HTML page); words are escaped for
the target format here. The story: the forward pass node by node (formula → numbers →
value); the backward pass from the output, gate by gate: each node's gradient as upstream ×
local with both numbers, where a value feeds several nodes the sum of its paths written
out, and the local derivative of each of its inputs with the rule of its gate in words; the
gradients of the values; the updates of the parameters.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import mathfmt, messages
from .circuit import gate_of, gradient_of, local_of
from .circuitspec import Circuit, Node
from .document import ESCAPES
from .evaluation import Trace
from .graph import Term
from .numbers import display, shown
from .quantities import RATE, Role
from .safeexpr import ALIASES
from .sheets import asked_rows
from .steps import Row

WIDE = 110  # characters of LaTeX source past which an equation is set on aligned lines

# The math of the gates' rules that holds braces (a message holds none: the catalogue's
# words are plain text, `$…$` without braces).
RULE_MATH = {"div": {"db": "$-a/b^{2}$"}, "pow": {"gate": "$x^{n}$", "local": "$n x^{n-1}$"},
             "tanh": {"local": r"$\tanh'(x) = 1 - \tanh^{2}(x)$"}}
GATES = ("add", "sub", "mul", "div", "pow", "neg", "sigma", "tanh", "exp", "log", "relu",
         "max", "min", "abs", "name", "number")


def words(text: str, escape: Callable[[str], str]) -> str:
    """Our own sentences with inline $math$: the text between the dollars escaped for the
    format, the math kept (no user text reaches this but names, which are identifiers)."""
    parts = text.split("$")
    return "$".join(part if i % 2 else escape(part) for i, part in enumerate(parts))


@dataclass(frozen=True)
class Line:
    """lhs = forms[0] = … = value: LaTeX math. `name` is the quantity's canonical name."""

    name: str
    lhs: str
    forms: tuple[str, ...]
    value: str

    @property
    def wide(self) -> bool:
        return len(self.forms) > 2 or len(self.lhs) + sum(map(len, self.forms)) > WIDE


@dataclass(frozen=True)
class Gradient:
    """The gradient of the output with respect to one value, with the words that say how
    its paths combine (escaped text with inline $math$)."""

    line: Line
    words: str


@dataclass(frozen=True)
class Gate:
    """One node of the backward pass: its gradient (None for the output, whose gradient is
    1), the rule of its gate, and the local derivative of each of its inputs."""

    name: str
    symbol: str  # LaTeX
    formula: str  # LaTeX of its expression as written
    rule: str  # escaped words
    gradient: Gradient | None
    locals: tuple[Line, ...]
    notes: tuple[str, ...]  # escaped: the choice at a kink or a tie


@dataclass(frozen=True)
class CircuitDocument:
    """Everything `circuit.*.j2` needs (see README, "Circuits")."""

    title: str
    description: str
    output: str  # LaTeX symbol of the output
    values: tuple[Row, ...]  # (symbol, value, "trained" or "")
    nodes: tuple[Row, ...]  # (symbol, formula as written)
    learning_rate: str  # formatted, or "" when nothing is trained
    forward: tuple[Line, ...]
    backward: tuple[Gate, ...]  # from the output back
    leaves: tuple[Gradient, ...]  # the gradient of each value, in spec order
    updates: tuple[Line, ...]
    summary: tuple[Row, ...]  # (symbol, value, ∂out/∂symbol) of every value and node
    figures: Mapping[str, str]  # "circuit": an SVG file name (Markdown) or TikZ (LaTeX)
    standalone: bool = True
    label: str = ""
    t: messages.Catalogue = field(default_factory=messages.catalogue)  # the words: doc.t("key")


def build_circuit_document(trace: Trace, fmt: str, figures: Mapping[str, str] | None = None
                           ) -> CircuitDocument:
    """The view model of a circuit's worked example for `fmt` (md, tex or html)."""
    graph = trace.symbolic
    spec = graph.spec
    circuit = spec.circuit
    assert circuit is not None
    escape = ESCAPES[fmt]
    writer = _Writer(trace, circuit, fmt)
    t = writer.t
    rate = graph.find(RATE) if circuit.parameters else None
    return CircuitDocument(
        title=escape(spec.title), description=escape(spec.description),
        output=writer.symbol(circuit.output),
        values=tuple(Row((writer.symbol(name), writer.text(graph.position(name)),
                          escape(t("circuit.trained") if name in circuit.parameters else "")))
                     for name, _ in circuit.values),
        nodes=tuple(Row((writer.symbol(node.name), writer.expression(node)))
                    for node in circuit.nodes),
        learning_rate="" if rate is None else writer.text(rate.id),
        forward=tuple(writer.forward(node) for node in circuit.nodes),
        backward=tuple(writer.gate(node, escape) for node in reversed(circuit.nodes)),
        leaves=tuple(writer.gradient(name, escape) for name, _ in circuit.values),
        updates=tuple(writer.line(term) for term in graph.of_role(Role.UPDATE)),
        summary=tuple(Row((writer.symbol(name), writer.text(graph.position(name)),
                           "1" if name == circuit.output else
                           writer.text(gradient_of(graph, name).id)))
                      for name in circuit.names),
        figures=dict(figures or {}), t=t)


class _Writer:
    """Formats one trace's numbers once, and writes its lines."""

    def __init__(self, trace: Trace, circuit: Circuit, fmt: str = "md") -> None:
        self.trace, self.graph, self.circuit = trace, trace.symbolic, circuit
        self.digits, self.fmt = self.graph.spec.digits, fmt
        self.values = [shown(v, self.digits).latex for v in trace.values]
        self.symbols = {t.symbol: t.latex for t in self.graph}
        self.t = messages.catalogue(self.graph.spec.lang)

    def text(self, position: int) -> str:
        """A value for a table cell or sentence: a real minus sign, a power of ten."""
        return display(self.trace.values[position], self.digits, self.fmt)

    def symbol(self, name: str) -> str:
        return self.graph[name].latex

    def number(self, name: str) -> str:
        return self.values[self.graph.position(name)]

    def expression(self, node: Node, numbers: bool = False) -> str:
        """The node's expression as written, in LaTeX (with its inputs' numbers)."""
        if numbers:
            def show(name: str) -> str:
                return mathfmt.fill("\x000\x00", [self.number(name)])
        else:
            show = self.symbol
        return expression_latex(node.formula.tree, node.formula.names, show)

    def forward(self, node: Node) -> Line:
        forms = [self.expression(node), self.expression(node, numbers=True)]
        return self._line(self.graph[node.name], forms)

    def line(self, term: Term) -> Line:
        """formula → numbers → value of any computed term."""
        assert term.formula is not None
        return self._line(term, [mathfmt.latex(term.formula, self.symbols), self._numbers(term)])

    def _numbers(self, term: Term) -> str:
        assert term.formula is not None
        return mathfmt.fill(mathfmt.slotted_latex(term.formula, self.graph.ids), self.values)

    def _line(self, term: Term, forms: Sequence[str]) -> Line:
        value = self.values[term.id]
        bracketed = rf"\left({value}\right)"  # a lone number, as substituted
        kept = [form for i, form in enumerate(forms)
                if form not in forms[:i] and form not in (value, bracketed)]
        return Line(term.name, term.latex, tuple(kept), value)

    def local(self, node: Node, parent: str) -> Line:
        """∂node/∂parent: d/dparent of the expression as written → the derivative →
        numbers → value."""
        term = local_of(self.graph, node.name, parent)
        origin = (rf"\frac{{\partial}}{{\partial {self.symbol(parent)}}}"
                  rf"\left({self.expression(node)}\right)")
        assert term.formula is not None
        return self._line(term, [origin, mathfmt.latex(term.formula, self.symbols),
                                 self._numbers(term)])

    def gate(self, node: Node, escape: Callable[[str], str]) -> Gate:
        kind = gate_of(node).kind
        simple = all(isinstance(arg, (ast.Name, ast.Constant))
                     for arg in _operands(node.formula.tree))
        rule = words(self.t(f"circuit.rule_{kind}", **RULE_MATH.get(kind, {})) if simple
                     else self.t("circuit.compound"), escape)
        parents = list(dict.fromkeys(node.formula.names))
        locals_ = tuple(self.local(node, parent) for parent in parents)
        # a simple gate's rule says what it does at a tie or a kink; else its terms' notes
        notes = () if simple else tuple(dict.fromkeys(
            escape(note) for p in parents if (note := local_of(self.graph, node.name, p).note)))
        gradient = None if node.name == self.circuit.output else self.gradient(node.name, escape)
        return Gate(node.name, self.symbol(node.name), self.expression(node), rule, gradient,
                    locals_, notes)

    def gradient(self, name: str, escape: Callable[[str], str]) -> Gradient:
        """∂out/∂name as upstream × local, summed over the nodes `name` feeds."""
        term = gradient_of(self.graph, name)
        consumers = [n.name for n in self.circuit.nodes if name in n.formula.names]
        out = self.symbol(self.circuit.output)
        t, me = self.t, f"${self.symbol(name)}$"
        if term.role == Role.LOCAL:  # feeds the output only: upstream ∂out/∂out = 1
            text = t("circuit.feeds_output", me=me, out=f"${out}$")
            upstream = rf"\frac{{\partial {out}}}{{\partial {out}}} \cdot {term.latex}"
            return Gradient(self._line(term, [upstream, rf"1 \cdot {self.values[term.id]}"]),
                            words(text, escape))
        if len(consumers) == 1:
            text = t("circuit.feeds_one", me=me, node=f"${self.symbol(consumers[0])}$")
        else:
            listed = t.join([f"${self.symbol(c)}$" for c in consumers])
            text = t("circuit.feeds_many", me=me, n=len(consumers), listed=listed)
            if self.circuit.output in consumers:
                text += t("language.space") + t("circuit.straight_in")
        return Gradient(self.line(term), words(text, escape))


def _operands(tree: ast.expr, chained: type | None = None) -> list[ast.expr]:
    """The inputs of the gate at the top of `tree`; a chain of one associative operator
    (a + b + c, a·b·c) is one gate."""
    if chained is not None:  # inside a chain: its own operator continues it
        if isinstance(tree, ast.BinOp) and isinstance(tree.op, chained):
            return [*_operands(tree.left, chained), *_operands(tree.right, chained)]
        return [tree]
    if isinstance(tree, ast.BinOp):
        if isinstance(tree.op, (ast.Add, ast.Mult)):
            return _operands(tree, type(tree.op))
        return [tree.left, tree.right]
    if isinstance(tree, ast.UnaryOp):
        return [tree.operand]
    if isinstance(tree, ast.Call):
        return list(tree.args)
    return []


# -- expressions as written, in LaTeX ---------------------------------------------------------

_FUNCTION_LATEX = {"exp": r"\exp", "log": r"\log", "tanh": r"\tanh", "sigma": r"\sigma",
                   "relu": r"\operatorname{relu}", "max": r"\max", "min": r"\min"}
_PRECEDENCE = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 2, ast.Pow: 4}


def expression_latex(tree: ast.expr, placeholders: Sequence[str],
                     show: Callable[[str], str]) -> str:
    """A checked expression tree (`safeexpr`) in LaTeX as written: `show` gives each name's
    LaTeX (its symbol, or its number). Brackets only where the order needs them."""
    return _latex(tree, placeholders, show)[0]


def _latex(node: ast.expr, names_: Sequence[str], show: Callable[[str], str]
           ) -> tuple[str, int]:
    """The LaTeX and its precedence (5 for an atom)."""
    if isinstance(node, ast.Constant):
        return repr(node.value), 5
    if isinstance(node, ast.Name):
        text = show(names_[int(node.id[2:])])
        # A negative number binds as a unary minus: 2 \cdot \left(-1\right), -2 + 6
        return text, 3 if text.startswith("-") else 5
    if isinstance(node, ast.UnaryOp):
        inner, rank = _latex(node.operand, names_, show)
        if isinstance(node.op, ast.UAdd):
            return inner, rank
        return "-" + (inner if rank >= 3 else rf"\left({inner}\right)"), 3
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        name = ALIASES.get(node.func.id, node.func.id)
        args = ", ".join(_latex(arg, names_, show)[0] for arg in node.args)
        tall = r"\frac" in args or "^" in args
        if name == "abs":
            return (rf"\left|{args}\right|" if tall else f"|{args}|"), 5
        return _FUNCTION_LATEX[name] + (rf"\left({args}\right)" if tall else f"({args})"), 5
    assert isinstance(node, ast.BinOp)
    return _binary_latex(node, names_, show)


def _binary_latex(node: ast.BinOp, names_: Sequence[str], show: Callable[[str], str]
                  ) -> tuple[str, int]:
    kind = type(node.op)
    rank = _PRECEDENCE[kind]
    left, left_rank = _latex(node.left, names_, show)
    right, right_rank = _latex(node.right, names_, show)
    if kind is ast.Div:
        return rf"\frac{{{left}}}{{{right}}}", 5
    if kind is ast.Pow:
        base = left if left_rank == 5 and not left.startswith(r"\left(") else (
            rf"\left({left}\right)")
        return f"{{{base}}}^{{{right}}}", 4
    if left_rank < rank:
        left = rf"\left({left}\right)"
    if right_rank < rank or (right_rank == rank and kind is ast.Sub) or right_rank == 3:
        right = rf"\left({right}\right)"
    operator = {ast.Add: " + ", ast.Sub: " - ", ast.Mult: r" \cdot "}[kind]
    return left + operator + right, rank


def circuit_json(trace: Trace) -> dict[str, Any]:
    """The circuit's trace as plain data: values as numbers, formulas over canonical names."""
    graph = trace.symbolic
    circuit = graph.spec.circuit
    assert circuit is not None
    symbols = {t.symbol: t.latex for t in graph}
    return {
        "generator": "tracer", "title": graph.spec.title, "kind": "graph",
        "output": circuit.output,
        "nodes": {node.name: node.text for node in circuit.nodes},
        "parameters": list(circuit.parameters),
        "quantities": [{
            "name": term.name, "kind": str(term.role), "value": value,
            "formula": None if term.formula is None else mathfmt.text(term.formula),
            "latex": term.latex,
            "formula_latex": None if term.formula is None else mathfmt.latex(term.formula,
                                                                              symbols),
            "depends_on": [graph.terms[p].name for p in term.parents],
        } for term, value in zip(graph.terms, trace.values, strict=True)],
    }


def is_circuit(trace: Trace) -> bool:
    return trace.symbolic.spec.circuit is not None


@dataclass(frozen=True)
class CircuitQuestion:
    """`circuit-question.<fmt>.j2`: a circuit's question sheet for one variant. `doc` holds
    the circuit, its given values and its learning rate (its derivation is not shown);
    `doc.figures` may hold `circuit`, drawn with the given values only."""

    doc: CircuitDocument
    student: str  # escaped; empty for an anonymous variant
    asked: tuple[Row, ...]  # (symbol LaTeX, the answer-sheet name as text)
    digits: int


def circuit_question(trace: Trace, fmt: str, asked: Sequence[str], student: str = "",
                     figures: Mapping[str, str] | None = None) -> CircuitQuestion:
    rows, digits = asked_rows(trace, fmt, asked)
    return CircuitQuestion(build_circuit_document(trace, fmt, figures),
                           ESCAPES[fmt](student), rows, digits)
