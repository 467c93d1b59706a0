"""Generated Python for a graph: every function that computes a trace's numbers.

A graph's formulas are printed once into straight-line float code, one statement per term
(`v<id> = …`), in trace order. Every generated function (the whole trace, the training loop,
the replay that names a failing quantity, and the checker's carried and partial
recomputations) is written by one `Emitter`, so they load, round and store values the same
way. The source holds only our own identifiers (v0, v1, …) and `math` calls; no text from a
spec reaches it.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from .acyclic import cycle_collection_paused
from .graph import Graph
from .memo import per_trace
from .numbers import round_decimal

Ids = Mapping[str, str]  # symbol name -> the code that reads its value: v12, or v[12]


class _CodePrinter(PythonCodePrinter):  # type: ignore[misc]
    """sympy's Python printer, for expressions the fast path below does not know."""

    def __init__(self, ids: Ids) -> None:
        super().__init__({"fully_qualified_modules": True, "standard": "python3"})
        self._ids = ids

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return self._ids[expr.name]


_FUNCTIONS = {sp.exp: "math.exp", sp.log: "math.log", sp.tanh: "math.tanh"}
_RELATIONS = {sp.StrictGreaterThan: ">", sp.GreaterThan: ">=", sp.StrictLessThan: "<",
              sp.LessThan: "<="}


def _code(expr: sp.Expr, ids: Ids, slow: _CodePrinter) -> str:
    """Python source for the node types traces are made of, one rule each, the most frequent
    first (a trace of 4,608 weights has 90,000 nodes); anything else goes through sympy's
    printer (20× slower: it sorts every sum)."""
    kind = type(expr)
    if kind is sp.Symbol:
        return ids[expr.name]
    if kind is sp.Mul:
        return _product_code(expr, ids, slow)
    if kind is sp.Add:
        return _sum_code(expr, ids, slow)
    if expr.is_Number:
        return repr(float(expr))
    if kind is sp.Piecewise:
        return _piecewise(expr, ids, slow)
    args = [_code(arg, ids, slow) for arg in expr.args]
    if kind is sp.Pow:
        return f"(1/{args[0]})" if expr.exp == -1 else f"({args[0]}**{args[1]})"
    if expr.func in _FUNCTIONS:
        return f"{_FUNCTIONS[expr.func]}({args[0]})"
    if kind is sp.Max:
        return "max(" + ", ".join(args) + ")"
    if kind in _RELATIONS:
        return f"({args[0]} {_RELATIONS[kind]} {args[1]})"
    return str(slow.doprint(expr))


# Python compiles `a + b + …` as a nested tree: past about 3,000 terms, compile() runs out of
# recursion. A longer sum is a flat tuple folded left to right: the same additions in the
# same order (never `sum`, which compensates rounding from Python 3.12 on).
_FLAT_SUM = 100


def _add_all(terms: tuple[float, ...]) -> float:
    return functools.reduce(operator.add, terms)


def _sum_code(expr: sp.Add, ids: Ids, slow: _CodePrinter) -> str:
    """a + b*c - d*e for a + (b*c) + (-1)*d*e: the same numbers (negation is exact, the
    brackets were redundant) in less code to compile."""
    if len(expr.args) > _FLAT_SUM:
        return "_add_all((" + ", ".join(_term_code(arg, ids, slow) for arg in expr.args) + "))"
    first, *rest = expr.args
    parts = [_term_code(first, ids, slow)]
    for arg in rest:
        if type(arg) is sp.Mul and arg.args[0] is sp.S.NegativeOne and len(arg.args) > 1:
            parts += [" - ", _term_code(sp.Mul._from_args(arg.args[1:]), ids, slow)]
        else:
            parts += [" + ", _term_code(arg, ids, slow)]
    return "(" + "".join(parts) + ")"


def _term_code(expr: sp.Expr, ids: Ids, slow: _CodePrinter) -> str:
    """A term of a sum: a product needs no brackets there."""
    if type(expr) is sp.Mul:
        return _product_code(expr, ids, slow, bracket=False)
    return _code(expr, ids, slow)


def _product_code(expr: sp.Mul, ids: Ids, slow: _CodePrinter, bracket: bool = True) -> str:
    """a*b/(c*d) rather than a*b*(1/c)*(1/d): one rounding less."""
    top, bottom = [], []
    for factor in expr.args:
        if type(factor) is sp.Pow and factor.exp == -1:
            bottom.append(_code(factor.base, ids, slow))
        else:
            top.append(_code(factor, ids, slow))
    text = "*".join(top) or "1.0"
    text = f"{text}/({'*'.join(bottom)})" if bottom else text
    return f"({text})" if bracket else text


def _piecewise(expr: sp.Piecewise, ids: Ids, slow: _CodePrinter) -> str:
    code = "None"
    for value, condition in reversed(expr.args):
        branch = _code(value, ids, slow)
        code = branch if condition == sp.true else (
            f"({branch} if {_code(condition, ids, slow)} else {code})")
    return code


@per_trace
def _variables(graph: Graph, indexed: bool) -> dict[str, str]:
    """The code that reads each term's value: the local `v12`, or the list item `v[12]`."""
    return {name: f"v[{i}]" if indexed else f"v{i}" for name, i in graph.ids.items()}


class Emitter:
    """Writes the statements of functions generated for one graph. Term i is the variable
    `v<i>` (or, `indexed`, the item `v[i]` of a list of values); with `carry = "rounded"`
    every stored value, the given ones too, is rounded to the digits shown (what a student
    copies and carries by hand)."""

    def __init__(self, graph: Graph, indexed: bool = False) -> None:
        self.graph = graph
        self.rounded = graph.spec.carry == "rounded"
        self._ids = _variables(graph, indexed)
        self._printer = _CodePrinter(self._ids)

    @staticmethod
    def var(position: int) -> str:
        return f"v{position}"

    def value(self, position: int, formula: sp.Expr | None = None) -> str:
        """The expression computing term `position` (by its own formula, or by `formula`)
        from its parents' variables."""
        expr = self.graph.terms[position].evaluated if formula is None else formula
        assert expr is not None, "given values are loaded, not computed"
        code = _code(expr, self._ids, self._printer)
        return f"_round({code})" if self.rounded else code

    def store(self, position: int) -> str:
        return f"{self.var(position)} = {self.value(position)}"

    def unpack(self, source: str) -> str:
        """Unpack the given values (trace order) from the sequence `source`."""
        names = [self.var(term.id) for term in self.graph.givens]
        if names != [self.var(i) for i in range(len(names))]:
            raise AssertionError("given values must come first in a trace")
        return f"{', '.join(names)}, = {source}"

    def load_givens(self, source: str) -> list[str]:
        """Unpack the given values, rounded as the spec carries them."""
        return [self.unpack(source), *self.round_givens()]

    def round_givens(self) -> list[str]:
        if not self.rounded:
            return []
        return [f"{self.var(t.id)} = _round({self.var(t.id)})" for t in self.graph.givens]

    def computed(self, within: Iterable[int] | None = None) -> list[int]:
        """Positions of computed terms (of those `within`), in trace order."""
        chosen = range(len(self.graph.terms)) if within is None else sorted(within)
        return [i for i in chosen if self.graph.terms[i].formula is not None]

    def define(self, name: str, parameters: str, body: Sequence[str]) -> Any:
        """The function `name(parameters)` with `body`, compiled."""
        lines = [f"def {name}({parameters}):", *(f"    {line}" for line in body)]
        return self.run(lines)[name]

    def run(self, lines: Sequence[str]) -> dict[str, Any]:
        """The names our generated module `lines` defines (see the module docstring)."""
        namespace: dict[str, Any] = {"math": math, "_finite": math.isfinite, "_add_all": _add_all,
                                     "_round": _rounder(self.graph.spec.digits)}
        exec(compile("\n".join(lines), "<tracer-generated>", "exec"), namespace)
        return namespace


def _rounder(digits: int) -> Callable[[float], float]:
    """carry = "rounded": every value as shown, half away from zero, is what later steps use."""

    def round_shown(value: float) -> float:
        if not math.isfinite(value):
            return value  # reported by name afterwards
        return float(round_decimal(value, digits))

    return round_shown


def _returning(positions: Iterable[int]) -> str:
    return f"return ({', '.join(Emitter.var(i) for i in positions)},)"


Compiled = Callable[[Sequence[float]], tuple[float, ...]]


@per_trace
@cycle_collection_paused()
def compile_trace(graph: Graph) -> Compiled:
    """One generated function: given values in, every value of the trace out."""
    emit = Emitter(graph)
    body = [*emit.load_givens("_given"), *map(emit.store, emit.computed()),
            _returning(range(len(graph.terms)))]
    function: Compiled = emit.define("_trace", "_given", body)
    return function


Loop = Callable[[Sequence[float], int, Callable[[float], None]], tuple[float, ...]]


@per_trace
@cycle_collection_paused()
def compile_loop(graph: Graph, feedback: tuple[tuple[int, int], ...], recorded: int) -> Loop:
    """`count` training updates in one generated loop: the trace's statements, pruned to
    the term `recorded` (an error) and the updated parameters, each update fed back to its
    parameter (`feedback`: pairs of given and updated positions); appends the recorded
    value of each update to `record` and returns the final given values."""
    emit = Emitter(graph)
    needed = graph.ancestors([recorded, *(new for _, new in feedback)])
    olds = ", ".join(emit.var(old) for old, _ in feedback)
    news = ", ".join(emit.var(new) for _, new in feedback)
    step = [*emit.round_givens(), *map(emit.store, emit.computed(needed)),
            f"_record({emit.var(recorded)})", f"{olds}, = {news},"]
    body = [emit.unpack("_given"), "for _ in range(_count):",
            *(f"    {line}" for line in step), _returning(t.id for t in graph.givens)]
    function: Loop = emit.define("_loop", "_given, _count, _record", body)
    return function


Checked = Callable[[Sequence[float]], tuple[int, BaseException | None, float]]


@per_trace
@cycle_collection_paused()
def compile_checked(graph: Graph) -> Checked:
    """The trace's statements one by one, stopping at the first term that cannot be
    computed or is not finite: returns (its position, the exception or None, its value);
    position -1 when every term is finite. Used to name the quantity that failed."""
    emit = Emitter(graph)
    body = ["_at = -1", *emit.load_givens("_given")]
    for i in emit.computed():
        body += [f"_at = {i}", emit.store(i),
                 f"if not _finite({emit.var(i)}): return {i}, None, {emit.var(i)}"]
    body.append("return -1, None, 0.0")
    guarded = ["try:", *(f"    {line}" for line in body[1:]),
               "except (OverflowError, ZeroDivisionError, ValueError) as _error:",
               "    return _at, _error, math.nan"]
    function: Checked = emit.define("_checked", "_given", [body[0], *guarded])
    return function




Step = Callable[[list[float]], float]


class _Parameters(dict[str, str]):
    """Symbol names to code as they are met while printing one formula: the first becomes
    `v[a0]`, the next `v[a1]`, …; `positions` holds the term each parameter stands for."""

    def __init__(self, ids: Mapping[str, int]) -> None:
        super().__init__()
        self._ids = ids
        self.positions: list[int] = []

    def __missing__(self, name: str) -> str:
        self.positions.append(self._ids[name])
        code = self[name] = f"v[a{len(self.positions) - 1}]"
        return code


def _templated_steps(graph: Graph, formulas: Mapping[int, sp.Expr]) -> dict[int, Step]:
    """A function per formula, from one compiled template per shape: a [48, 48, 48] trace
    has 24,000 formulas but a few dozen shapes (every net input of a layer is one), so
    compiling is quick; each step is its template with the positions it reads."""
    rounded = graph.spec.carry == "rounded"
    templates: dict[str, int] = {}
    uses: dict[int, tuple[int, list[int]]] = {}
    printer = _CodePrinter({})
    for position, formula in formulas.items():
        parameters = printer._ids = _Parameters(graph.ids)
        code = _code(formula, parameters, printer)
        code = f"_round({code})" if rounded else code
        arguments = "".join(f"a{k}, " for k in range(len(parameters.positions)))
        uses[position] = (templates.setdefault(f"({arguments}v): return {code}",
                                               len(templates)), parameters.positions)
    emit = Emitter(graph)
    namespace = emit.run([f"def _t{k}{text}" for text, k in templates.items()])
    return {position: functools.partial(namespace[f"_t{k}"], *reads)
            for position, (k, reads) in uses.items()}


@per_trace
@cycle_collection_paused()
def compile_steps(graph: Graph) -> tuple[Step | None, ...]:
    """Per term, a function computing it from a list of every term's value (None for given
    values): what the checker runs term by term, over only the terms a sheet or a
    misconception's changed rule affects."""
    formulas = {t.id: t.evaluated for t in graph if t.evaluated is not None}
    built = _templated_steps(graph, formulas)
    return tuple(built.get(i) for i in range(len(graph.terms)))


@cycle_collection_paused()
def compile_formulas(graph: Graph, formulas: Mapping[int, sp.Expr]) -> dict[int, Step]:
    """Steps for terms of the graph computed by other formulas (a variant's changed rules);
    a formula that is one other term's value reads it, with nothing to compile."""
    copies = {} if graph.spec.carry == "rounded" else {
        i: operator.itemgetter(graph.ids[f.name]) for i, f in formulas.items() if f.is_Symbol}
    others = {i: f for i, f in formulas.items() if i not in copies}
    return {**copies, **_templated_steps(graph, others)}
