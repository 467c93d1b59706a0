"""Untrusted arithmetic (students' answers): parsed with `ast` and a whitelist, never evaluated.

The text's notation is spelled in ASCII (`notation.normalize`: η, σ, −, ·, ½, x², braces) and
anything else non-ASCII refused; the text is size-limited, canonical quantity names are
swapped for placeholders (they contain `/` and `@`), `^` becomes `**` (Python would read
`x^2+1` as a XOR), and on the tokens:

- `e^x` (or `e**x`) is `exp(x)`, its exponent being what Python's `**` takes: an atom (a
  number, a name, a call or a bracket) with its signs and any powers of it, so
  `e^-x*y` is exp(-x)*y, `e^-x^2` is exp(-(x^2)) and `e^(-x*y)` is exp(-x*y). A bare `e`
  is Euler's number. Both only where `e` is not a quantity name of the trace (names were
  swapped out first).
- a product is implicit between a name, a number or `)` and a `(` after it, and between
  `)` and a name or number after it: `out_o1(1 - out_o1)`, `2(x)`, `(a)(b)`, `(a)2`.
  A function's name before `(` is a call: `sigma(x)`; a name of the trace is a product.

The tree is then walked with a whitelist: numbers, names from the trace, + - * / **, unary
minus, and calls of exp, log, tanh, sigma/sigmoid, relu, abs with one argument and of max
and min with two or more. Exponents must be small
literal numbers. The checked tree is then evaluated with floats (guarded).

Limits, so one formula costs little whatever its text: `MAX_LENGTH` characters, `MAX_NODES`
syntax nodes (operators, numbers and names each count), `MAX_DEPTH` nested parentheses and
exponents of at most `MAX_EXPONENT`. A value must be a finite real number at every step:
an overflow, a division by zero, the log of a negative number or a negative number to a
fractional power (`(0-8)^0.5`, which Python would make complex) is a FormulaError.
"""

from __future__ import annotations

import ast
import functools
import keyword
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from . import messages, notation

MAX_LENGTH = 1000  # characters in one formula
MAX_NODES = 400
MAX_DEPTH = 40
MAX_EXPONENT = 16.0
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?")

FUNCTIONS: dict[str, Callable[[float], float]] = {
    "exp": math.exp,
    "log": math.log,
    "tanh": math.tanh,
    "sigma": lambda x: 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x)),
    "relu": lambda x: x if x > 0 else 0.0,
    "abs": abs,
}
# Functions of two arguments or more (a circuit's max and min gates).
VARIADIC: dict[str, Callable[[float, float], float]] = {"max": max, "min": min}
MAX_ARGUMENTS = 16
ALIASES = {"sigmoid": "sigma", "ln": "log"}
CALLABLE = "exp, log, tanh, sigma, relu, abs, max and min"


class FormulaError(ValueError):
    """The text is not an acceptable formula; the message says why, in a few words: the
    catalogue's message `key` (see `messages`) with its `values`, in English as `str()`."""

    def __init__(self, key: str, /, **values: object) -> None:
        self.key = key
        self.values = {name: str(value) for name, value in values.items()}
        super().__init__(messages.catalogue()(key, **self.values))

    def said(self, t: messages.Catalogue) -> str:
        """The reason in `t`'s language."""
        return t(self.key, **self.values)


@dataclass(frozen=True)
class Formula:
    """A checked formula: its tree (over placeholder names) and the quantity names it uses."""

    text: str
    tree: ast.expr
    names: tuple[str, ...]  # placeholder index -> canonical name

    def evaluate(self, values: Mapping[str, float]) -> float:
        """The value with floats; FormulaError when it is not a finite number."""
        try:
            result = _evaluate(self.tree, self.names, values)
        except (OverflowError, ZeroDivisionError, ValueError) as exc:
            raise FormulaError("formula.not_computable", why=exc) from None
        return result


def parse_number(text: str) -> float | None:
    """A plain decimal number (strict ASCII, finite), or None."""
    text = text.strip()
    if not NUMBER.fullmatch(text):
        return None
    value = float(text)
    mantissa = re.split("[eE]", text)[0]
    if not math.isfinite(value) or (value == 0 and re.search(r"[1-9]", mantissa)):
        return None  # 1e-400 would silently be 0
    return value


class Names(Protocol):
    """Finds quantity names in formula text (`names.NameMatcher`)."""

    def substitute(self, text: str) -> tuple[str, tuple[str, ...]]:
        """The text with each name replaced by a placeholder `_q<i>`, and the names."""


def parse_formula(text: str, matcher: Names) -> Formula:
    """Check `text`, as the student wrote it, and return its Formula; FormulaError says what
    is not acceptable."""
    if len(text) > MAX_LENGTH:
        raise FormulaError("formula.too_long", limit=MAX_LENGTH)
    plain = notation.normalize(text)
    if not plain.isascii():
        raise FormulaError("formula.non_ascii", char=notation.foreign(plain))
    if _nesting(plain) > MAX_DEPTH:
        raise FormulaError("formula.too_deep", limit=MAX_DEPTH)
    replaced, names = matcher.substitute(plain)
    replaced = replaced.replace("^", "**")
    if re.search(r"\d_|\b0[xXoObB]|\d[jJ]\b", replaced):
        raise FormulaError("formula.plain_decimals")
    try:
        tree = ast.parse(_implicit(replaced).strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise FormulaError("formula.syntax") from None
    _check(tree, len(names))
    return Formula(text, tree, names)


# -- tokens: e^x and implicit products -------------------------------------------------------
# A token is (the space before it, its text). Rewriting tokens and joining them back keeps
# the text as written except where a rewrite is made, so the parser's verdict on the rest
# (and its messages) stays as it was.

Token = tuple[str, str]
_TOKEN = re.compile(r"(\s*)((?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[A-Za-z_]\w*|\*\*|\S)")
_NUMBER_START = re.compile(r"\.?\d")
_E = "e"
# Where a rewrite might be due (an e; a ( after a number, a name or a bracket; a name or a
# number after a bracket): more than the tokens need, never less. Most formulas have none,
# and tokenizing them tripled the time a sheet took to read.
_MAYBE = re.compile(r"(?<![A-Za-z_])e(?![A-Za-z0-9_])|[\d.)]\s*\(|\)\s*[\w.]")


def _implicit(text: str) -> str:
    """`text` (ASCII, names swapped for placeholders) with e^x as exp(x), a bare e as
    exp(1) and implicit products written out."""
    if not _MAYBE.search(text):
        return text
    tokens = [(m.group(1), m.group(2)) for m in _TOKEN.finditer(text)]
    return "".join(space + token for space, token in _products(_exponentials(tokens)))


def _exponentials(tokens: Sequence[Token]) -> list[Token]:
    """`e ** <exponent>` as `exp(<exponent>)`, a bare `e` as `exp(1)`."""
    done: list[Token] = []
    at = 0
    while at < len(tokens):
        space, token = tokens[at]
        if token != _E:
            done.append(tokens[at])
            at += 1
            continue
        if at + 1 < len(tokens) and tokens[at + 1][1] == "**":
            end = _exponent_end(tokens, at + 2)
            if end == at + 2:  # no exponent: left for the parser to refuse
                done += tokens[at:end]
                at = end
                continue
            inner = _exponentials(tokens[at + 2:end])
            at = end
        else:
            inner, at = [("", "1")], at + 1
        done += [(space, "exp"), ("", "("), *inner, ("", ")")]
    return done


def _exponent_end(tokens: Sequence[Token], start: int) -> int:
    """Where the exponent that starts at `start` ends, as Python's `**` would take it:
    signs, an atom, and any `**` powers of that; `start` when there is none."""
    at = start
    while True:
        while at < len(tokens) and tokens[at][1] in ("+", "-"):
            at += 1
        after = _atom_end(tokens, at)
        if after == at:
            return start
        at = after
        if at == len(tokens) or tokens[at][1] != "**":
            return at
        at += 1


def _atom_end(tokens: Sequence[Token], at: int) -> int:
    """Where the atom at `at` ends (a bracket, a call, a name or a number); `at` if none."""
    token = tokens[at][1] if at < len(tokens) else ""
    if token == "(":
        return _bracket_end(tokens, at)
    if _is_function(token) and at + 1 < len(tokens) and tokens[at + 1][1] == "(":
        return max(_bracket_end(tokens, at + 1), at + 1)
    return at + 1 if token and (_is_name(token) or _is_number(token)) else at


def _bracket_end(tokens: Sequence[Token], at: int) -> int:
    """Just after the `)` that closes the `(` at `at`; `at` if none does."""
    depth = 0
    for index in range(at, len(tokens)):
        depth += (tokens[index][1] == "(") - (tokens[index][1] == ")")
        if depth == 0:
            return index + 1
    return at


def _products(tokens: Sequence[Token]) -> list[Token]:
    """The tokens with `*` between each two that are an implicit product."""
    done: list[Token] = []
    for space, token in tokens:
        if done and _juxtaposed(done[-1][1], token):
            done.append((" ", "*"))
        done.append((space, token))
    return done


def _juxtaposed(before: str, after: str) -> bool:
    if after == "(":  # a function's name before it makes a call
        return before == ")" or bool(re.fullmatch(r"_q\d+", before)) or _is_number(before)
    return before == ")" and (_is_name(after) or _is_number(after))


def _is_name(token: str) -> bool:
    return (token[0].isalpha() or token[0] == "_") and not keyword.iskeyword(token)


def _is_number(token: str) -> bool:
    return bool(_NUMBER_START.match(token))


def _is_function(token: str) -> bool:
    return _known(token)


def _known(name: str) -> bool:
    """A function formulas may call."""
    name = ALIASES.get(name, name)
    return name in FUNCTIONS or name in VARIADIC


def _nesting(text: str) -> int:
    depth = deepest = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        deepest = max(deepest, depth)
    return deepest


_BINARY = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
_UNARY = (ast.USub, ast.UAdd)


def _check(tree: ast.expr, name_count: int) -> None:
    """Raise FormulaError unless every node is whitelisted and the tree is small."""
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise FormulaError("formula.too_many_parts", limit=MAX_NODES)
    callees = {id(node.func) for node in nodes if isinstance(node, ast.Call)}
    for node in nodes:
        if id(node) in callees:
            continue  # a function's name: checked with its call
        if isinstance(node, ast.BinOp):
            if not isinstance(node.op, _BINARY):
                raise FormulaError("formula.operator", operator=type(node.op).__name__)
            if isinstance(node.op, ast.Pow):
                _check_exponent(node.right)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, _UNARY):
                raise FormulaError("formula.operator", operator=type(node.op).__name__)
        elif isinstance(node, ast.Constant):
            _check_constant(node.value)
        elif isinstance(node, ast.Name):
            _check_name(node.id, name_count)
        elif isinstance(node, ast.Call):
            _check_call(node)
        elif not isinstance(node, (ast.operator, ast.unaryop, ast.expr_context)):
            raise FormulaError("formula.construct", construct=type(node).__name__)


def _check_constant(value: object) -> None:
    if type(value) not in (int, float):
        shown = value if isinstance(value, str) else repr(value)  # as written: no escapes
        raise FormulaError("formula.constant", constant=shown)
    try:
        finite = math.isfinite(float(value))  # type: ignore[arg-type]  # int or float
    except OverflowError:  # an integer beyond float range
        finite = False
    if not finite:
        raise FormulaError("formula.too_large")


def _check_name(name: str, count: int) -> None:
    if re.fullmatch(r"_q\d+", name) and int(name[2:]) < count:
        return
    if _known(name):
        raise FormulaError("formula.must_call", function=name)
    raise FormulaError("formula.unknown_name", name=name)


def _check_call(node: ast.Call) -> None:
    if not isinstance(node.func, ast.Name) or not _known(node.func.id):
        raise FormulaError("formula.callable")
    if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
        raise FormulaError("formula.plain_arguments", function=node.func.id)
    if node.func.id in VARIADIC:
        if not 2 <= len(node.args) <= MAX_ARGUMENTS:
            raise FormulaError("formula.arguments", function=node.func.id, most=MAX_ARGUMENTS)
    elif len(node.args) != 1:
        raise FormulaError("formula.one_argument", function=node.func.id)


def _check_exponent(node: ast.expr) -> None:
    value = node.operand if isinstance(node, ast.UnaryOp) else node
    if not isinstance(value, ast.Constant) or type(value.value) not in (int, float):
        raise FormulaError("formula.exponent_number")
    if abs(value.value) > MAX_EXPONENT:  # type: ignore[arg-type]  # int or float, checked above
        raise FormulaError("formula.exponent_large", limit=f"{MAX_EXPONENT:g}")


def _function(node: ast.Call) -> str:
    assert isinstance(node.func, ast.Name)  # see _check_call
    return ALIASES.get(node.func.id, node.func.id)


def _evaluate(node: ast.expr, names: Sequence[str], values: Mapping[str, float]) -> float:
    """The value of a checked tree; every intermediate value finite and real, or an
    ArithmeticError or ValueError (an overflow to infinity could come back finite: 1/inf)."""
    if isinstance(node, ast.Constant):
        return float(node.value)  # type: ignore[arg-type]  # numbers only, see _check
    if isinstance(node, ast.Name):
        return _finite(float(values[names[int(node.id[2:])]]))
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, names, values)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Call):
        arguments = [_evaluate(arg, names, values) for arg in node.args]
        name = _function(node)
        if name in VARIADIC:
            return functools.reduce(VARIADIC[name], arguments)
        return _finite(FUNCTIONS[name](arguments[0]))
    assert isinstance(node, ast.BinOp)
    left, right = _evaluate(node.left, names, values), _evaluate(node.right, names, values)
    return _finite(_OPERATIONS[type(node.op)](left, right))


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise OverflowError("a value too large for a float")
    return value


def _power(base: float, exponent: float) -> float:
    """`base ** exponent` as a real number: Python's `**` makes (-8) ** (1/3) complex."""
    if base < 0 and not exponent.is_integer():
        raise ValueError("a negative number to a fractional power is not real")
    if base == 0 and exponent < 0:
        raise ZeroDivisionError("0 to a negative power")
    return math.pow(base, exponent)  # OverflowError rather than inf


_OPERATIONS: dict[type, Callable[[float, float], float]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: _power,
}
