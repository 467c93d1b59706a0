"""Numeric evaluation of a symbolic trace.

All formulas of a trace are printed once into one generated Python function (straight-line
float code, one assignment per quantity, in trace order). A single trace and every training
step run that same function, so step 1 of training is bit-for-bit the step a document shows.
The generated source contains only our own identifiers (v0, v1, ...) and `math` calls; no
text from a spec reaches it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Container, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from . import names
from .acyclic import cycle_collection_paused
from .errors import NumericError
from .memo import per_trace
from .numbers import round_decimal
from .trace import SymbolicTrace, Term, given_values

Compiled = Callable[[Sequence[float]], tuple[float, ...]]


class _CodePrinter(PythonCodePrinter):  # type: ignore[misc]
    """sympy's Python printer, for expressions the fast path below does not know."""

    def __init__(self, variables: Mapping[sp.Symbol, str]) -> None:
        super().__init__({"fully_qualified_modules": True, "standard": "python3"})
        self._variables = variables

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return self._variables[expr]


_FUNCTIONS = {sp.exp: "math.exp", sp.log: "math.log", sp.tanh: "math.tanh"}
_RELATIONS = {sp.StrictGreaterThan: ">", sp.GreaterThan: ">=", sp.StrictLessThan: "<",
              sp.LessThan: "<="}


def _code(expr: sp.Expr, variables: Mapping[sp.Symbol, str], slow: _CodePrinter) -> str:
    """Python source for the node types traces are made of, one rule each, the most frequent
    first (a trace of 4,608 weights has 90,000 nodes); anything else goes through sympy's
    printer (20× slower: it sorts every sum)."""
    kind = type(expr)
    if kind is sp.Symbol:
        return variables[expr]
    if kind is sp.Mul:
        return _product_code(expr, variables, slow)
    if kind is sp.Add:
        return _sum_code(expr, variables, slow)
    if expr.is_Number:
        return repr(float(expr))
    if kind is sp.Piecewise:
        return _piecewise(expr, variables, slow)
    args = [_code(arg, variables, slow) for arg in expr.args]
    if kind is sp.Pow:
        return f"(1/{args[0]})" if expr.exp == -1 else f"({args[0]}**{args[1]})"
    if expr.func in _FUNCTIONS:
        return f"{_FUNCTIONS[expr.func]}({args[0]})"
    if kind is sp.Max:
        return "max(" + ", ".join(args) + ")"
    if kind in _RELATIONS:
        return f"({args[0]} {_RELATIONS[kind]} {args[1]})"
    return str(slow.doprint(expr))


def _sum_code(expr: sp.Add, variables: Mapping[sp.Symbol, str], slow: _CodePrinter) -> str:
    """a + b*c - d*e for a + (b*c) + (-1)*d*e: the same numbers (negation is exact, the
    brackets were redundant) in less code to compile."""
    first, *rest = expr.args
    parts = [_term_code(first, variables, slow)]
    for arg in rest:
        if type(arg) is sp.Mul and arg.args[0] is sp.S.NegativeOne and len(arg.args) > 1:
            parts += [" - ", _term_code(sp.Mul._from_args(arg.args[1:]), variables, slow)]
        else:
            parts += [" + ", _term_code(arg, variables, slow)]
    return "(" + "".join(parts) + ")"


def _term_code(expr: sp.Expr, variables: Mapping[sp.Symbol, str], slow: _CodePrinter) -> str:
    """A term of a sum: a product needs no brackets there."""
    if type(expr) is sp.Mul:
        return _product_code(expr, variables, slow, bracket=False)
    return _code(expr, variables, slow)


def _product_code(expr: sp.Mul, variables: Mapping[sp.Symbol, str], slow: _CodePrinter,
                  bracket: bool = True) -> str:
    """a*b/(c*d) rather than a*b*(1/c)*(1/d): one rounding less."""
    top, bottom = [], []
    for factor in expr.args:
        if type(factor) is sp.Pow and factor.exp == -1:
            bottom.append(_code(factor.base, variables, slow))
        else:
            top.append(_code(factor, variables, slow))
    text = "*".join(top) or "1.0"
    text = f"{text}/({'*'.join(bottom)})" if bottom else text
    return f"({text})" if bracket else text


def _piecewise(expr: sp.Piecewise, variables: Mapping[sp.Symbol, str], slow: _CodePrinter
               ) -> str:
    code = "None"
    for value, condition in reversed(expr.args):
        branch = _code(value, variables, slow)
        code = branch if condition == sp.true else (
            f"({branch} if {_code(condition, variables, slow)} else {code})")
    return code


@dataclass(frozen=True)
class Quantity:
    """A trace record with its number."""

    term: Term
    value: float

    @property
    def name(self) -> str:
        return self.term.name


@dataclass(frozen=True, eq=False)
class Trace:
    """An evaluated trace: the symbolic records and one value per record, in trace order."""

    symbolic: SymbolicTrace
    values: tuple[float, ...]

    def __getitem__(self, name: str) -> float:
        return self.values[self.symbolic.position(name)]

    def __iter__(self) -> Iterator[Quantity]:
        return (Quantity(t, v) for t, v in zip(self.symbolic.terms, self.values, strict=True))

    @property
    def names(self) -> tuple[str, ...]:
        return self.symbolic.names

    def as_dict(self) -> dict[str, float]:
        return dict(zip(self.symbolic.names, self.values, strict=True))

    # Notebooks (Jupyter, VS Code) show a trace as its worked example. The renderer is
    # imported here, on demand, so the model does not depend on it.
    def _repr_markdown_(self) -> str:
        from .render import render

        return render(self, "md")

    def _repr_latex_(self) -> str:
        """Every step as display math (notebooks typeset math, not LaTeX text)."""
        from .document import derivation_steps

        steps = derivation_steps(self, self.names, "tex").values()
        rows = [" = ".join([step.lhs, *step.forms, step.value]) for step in steps]
        return "$$\\begin{aligned}" + " \\\\ ".join(f"&{row}" for row in rows) + (
            "\\end{aligned}$$")


def given_names(symbolic: SymbolicTrace) -> list[str]:
    return [term.name for term in symbolic if term.formula is None]


def _statements(symbolic: SymbolicTrace, needed: Container[int] | None = None
                ) -> list[tuple[str, str]]:
    """(variable, python expression) per computed quantity (of those `needed`), in trace
    order."""
    variables = {term.symbol: f"v{i}" for i, term in enumerate(symbolic.terms)}
    printer = _CodePrinter(variables)
    return [
        (variables[term.symbol], _code(term.evaluated, variables, printer))
        for i, term in enumerate(symbolic.terms)
        if term.formula is not None and (needed is None or i in needed)
    ]


def upstream(symbolic: SymbolicTrace, outputs: Sequence[str]) -> set[int]:
    """Positions of the outputs and of everything they depend on."""
    needed: set[int] = set()
    stack = [symbolic.position(name) for name in outputs]
    while stack:
        position = stack.pop()
        if position not in needed:
            needed.add(position)
            depends = symbolic.dependencies(symbolic.terms[position].name)
            stack += [symbolic.position(name) for name in depends]
    return needed


@cycle_collection_paused()
def _generate(symbolic: SymbolicTrace, outputs: Sequence[str],
              loop: Sequence[tuple[str, str]] = ()) -> Callable[..., tuple[float, ...]]:
    """Straight-line code from the given values to `outputs`, skipping unneeded statements.

    With `loop` (pairs of given name, updated name), the statements run `_count` times,
    appending the first output to `_record` and feeding each updated value back.
    """
    givens = [f"v{i}" for i, term in enumerate(symbolic.terms) if term.formula is None]
    if givens != [f"v{i}" for i in range(len(givens))]:
        raise AssertionError("given values must come first in a trace")
    everything = len(outputs) == len(symbolic.terms)
    needed = None if everything else upstream(symbolic, outputs)
    rounded = symbolic.spec.carry == "rounded"
    body = [f"{var} = _round({code})" if rounded else f"{var} = {code}"
            for var, code in _statements(symbolic, needed)]
    if rounded:  # a student copies the given values as shown, too
        body = [f"{var} = _round({var})" for var in givens] + body
    if loop:
        olds = ", ".join(f"v{symbolic.position(old)}" for old, _ in loop)
        news = ", ".join(f"v{symbolic.position(new)}" for _, new in loop)
        first = f"v{symbolic.position(outputs[0])}"
        body = ["for _ in range(_count):"] + [f"    {line}" for line in body]
        body += [f"    _record({first})", f"    {olds}, = {news},"]
        outputs = [t.name for t in symbolic if t.formula is None]
    lines = ["def _generated(_given, _count=0, _record=None):",
             f"    {', '.join(givens)}, = _given", *(f"    {line}" for line in body)]
    lines.append(f"    return ({', '.join(f'v{symbolic.position(n)}' for n in outputs)},)")
    function: Callable[..., tuple[float, ...]] = _define(lines, symbolic.spec.digits)
    return function


def _define(lines: Sequence[str], digits: int) -> Any:
    """The one function defined by our generated source `lines` (see the module docstring)."""
    namespace: dict[str, object] = {"math": math, "_round": _rounder(digits)}
    exec(compile("\n".join(lines), "<tracer-generated>", "exec"), namespace)
    return namespace[lines[0].removeprefix("def ").split("(")[0]]


@per_trace
def compile_trace(symbolic: SymbolicTrace) -> Compiled:
    """One generated function: given values in, every value of the trace out."""
    return _generate(symbolic, symbolic.names)


@per_trace
def compile_loop(symbolic: SymbolicTrace, feedback: tuple[tuple[str, str], ...]
                 ) -> Callable[[Sequence[float], int, Callable[[float], None]], tuple[float, ...]]:
    """`count` training updates in one generated loop: the trace's own statements, pruned to
    the error and the updated parameters, each update fed back; returns the final given values.
    The error recorded is E_total before each update, or E_total_after where the trace has no
    E_total (online mode).
    """
    recorded = names.TOTAL_ERROR if names.TOTAL_ERROR in symbolic else names.after(
        names.TOTAL_ERROR)
    outputs = (recorded, *(new for _, new in feedback))
    return _generate(symbolic, outputs, feedback)


def given_vector(symbolic: SymbolicTrace, values: Mapping[str, float] | None = None) -> list[float]:
    """The given values in trace order; `values` overrides the spec's numbers by name."""
    merged = {**given_values(symbolic.spec), **(values or {})}
    return [merged[name] for name in given_names(symbolic)]


def evaluate(symbolic: SymbolicTrace, values: Mapping[str, float] | None = None) -> Trace:
    """Every quantity of the trace as a float, computed once in backprop order."""
    vector = given_vector(symbolic, values)
    try:
        result = compile_trace(symbolic)(vector)
    except (OverflowError, ZeroDivisionError, ValueError):
        result = ()
    if len(result) != len(symbolic.terms) or not all(map(math.isfinite, result)):
        _raise_first_failure(symbolic, vector)
    return Trace(symbolic, result)


def initial_error(trace: Trace) -> float:
    """E_total of the network before the update, over every example.

    Online mode records no such quantity (each example meets other weights): there it is the
    error after an update with learning rate 0.
    """
    if names.TOTAL_ERROR in trace.symbolic:
        return trace[names.TOTAL_ERROR]
    givens = {name: trace[name] for name in given_names(trace.symbolic)}
    frozen = evaluate(trace.symbolic, {**givens, names.LEARNING_RATE: 0.0})
    return frozen[names.after(names.TOTAL_ERROR)]


def _rounder(digits: int) -> Callable[[float], float]:
    """carry = "rounded": every value as shown, half away from zero, is what later steps use."""

    def round_shown(value: float) -> float:
        if not math.isfinite(value):
            return value  # reported by name afterwards
        return float(round_decimal(value, digits))

    return round_shown


def _raise_first_failure(symbolic: SymbolicTrace, vector: Sequence[float]) -> None:
    """Re-run statement by statement to name the first quantity that is not a finite number."""
    scope: dict[str, object] = {"math": math, "_round": _rounder(symbolic.spec.digits)}
    rounded = symbolic.spec.carry == "rounded"
    scope.update({f"v{i}": value for i, value in enumerate(vector)})
    for var, code in _statements(symbolic):
        name = symbolic.terms[int(var[1:])].name
        try:
            code = f"_round({code})" if rounded else code
            value = eval(code, scope)  # our generated code only, see the module docstring
        except (OverflowError, ZeroDivisionError, ValueError) as exc:
            raise NumericError(f"cannot be computed ({exc})", source=symbolic.spec.source,
                               key=name) from None
        if not math.isfinite(value):
            raise NumericError(f"is not a finite number ({value})", source=symbolic.spec.source,
                               key=name)
        scope[var] = value
    raise AssertionError("generated trace failed but no quantity did")


Carry = Callable[[Sequence[float], Mapping[int, float]], list[float]]
Partial = Callable[[Sequence[float], Mapping[int, float]], float]


@per_trace
@cycle_collection_paused()
def compile_partial(symbolic: SymbolicTrace, position: int, computed: frozenset[int]) -> Partial:
    """The value at `position` recomputed from its formula through the `computed` positions
    only (`position` among them); every other value they use is read from `values`, or is the
    student's own where `student` (by position) has it, as in `compile_carry`.

    For a misconception's variant of a trace: only what its changed formulas affect is
    computed, the rest is the trace's own numbers.
    """
    order = sorted(computed)
    uses = {symbolic.position(d) for i in order
            for d in symbolic.dependencies(symbolic.terms[i].name)}
    variables = {symbolic.terms[i].symbol: f"v{i}" for i in sorted(uses | computed)}
    printer = _CodePrinter(variables)
    rounded = symbolic.spec.carry == "rounded"
    lines = ["def _partial(_values, _student):"]
    lines += [f"    v{i} = _student.get({i}, _values[{i}])" for i in sorted(uses - computed)]
    for i in order:
        code = _code(symbolic.terms[i].evaluated, variables, printer)
        lines.append(f"    v{i} = _round({code})" if rounded else f"    v{i} = {code}")
        if i != position:
            lines.append(f"    v{i} = _student.get({i}, v{i})")
    lines.append(f"    return v{position}")
    function: Partial = _define(lines, symbolic.spec.digits)
    return function


@per_trace
@cycle_collection_paused()
def compile_carry(symbolic: SymbolicTrace) -> Carry:
    """For checking: every quantity recomputed from its formula, where each value it depends
    on is the student's own (by position) when given and otherwise recomputed the same way.

    Returns, per position, the value the quantity's own formula gives (givens: as given).
    """
    givens = [f"v{i}" for i, term in enumerate(symbolic.terms) if term.formula is None]
    rounded = symbolic.spec.carry == "rounded"
    lines = ["def _carry(_given, _student):", f"    {', '.join(givens)}, = _given",
             f"    _r = [{', '.join(givens)}] + [0.0] * {len(symbolic.terms) - len(givens)}"]
    lines += [f"    {var} = _student.get({var[1:]}, {var})" for var in givens]
    for var, code in _statements(symbolic):
        code = f"_round({code})" if rounded else code
        lines += [f"    _r[{var[1:]}] = {var} = {code}",
                  f"    {var} = _student.get({var[1:]}, {var})"]
    lines.append("    return _r")
    function: Carry = _define(lines, symbolic.spec.digits)
    return function
