"""A circuit's part of a spec (`kind = "graph"`): its named values and its nodes.

    kind = "graph"
    learning_rate = 0.1            # optional, with parameters
    parameters = ["w", "b"]        # optional: which values are trained
    [values]                       # the leaves, in order
    x = -2
    [nodes]                        # each an expression over names above it; the last is
    q = "x + y"                    # the output

Every expression is read by the safe reader (`safeexpr`: an AST whitelist, never
evaluated as Python) with the names defined above it; every problem is reported at its key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import names
from .randomize import Fail
from .safeexpr import Formula, FormulaError, parse_formula

MAX_VALUES = 100
MAX_NODES = 200
MAX_EXPRESSION = 300  # characters of one node's expression
IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
CIRCUIT_KEYS = ("title", "description", "kind", "learning_rate", "parameters", "values",
                "nodes", "digits", "carry", "ask", "randomize", "grading")

Number = Callable[[Any, str], float]


@dataclass(frozen=True)
class Node:
    """One node: its name, its expression as written, and the expression as read (its
    `names` are the earlier names it uses, in the order they first appear)."""

    name: str
    text: str
    formula: Formula


@dataclass(frozen=True)
class Circuit:
    values: tuple[tuple[str, float], ...]  # the leaves, in order
    nodes: tuple[Node, ...]  # in order; the last is the output
    parameters: tuple[str, ...] = ()  # trained leaves, in the order of `values`

    @property
    def output(self) -> str:
        return self.nodes[-1].name

    @property
    def names(self) -> tuple[str, ...]:
        return (*(name for name, _ in self.values), *(node.name for node in self.nodes))


def read_circuit(data: Mapping[str, Any], fail: Fail, number: Number) -> Circuit:
    """The circuit of a `kind = "graph"` spec; `fail(key, message)` reports a problem."""
    values = _values(data, fail, number)
    nodes = _nodes(data, [name for name, _ in values], fail)
    parameters = _parameters(data, [name for name, _ in values], fail)
    if parameters and "learning_rate" not in data:
        fail("learning_rate", "is missing (parameters are updated with it)")
    if "learning_rate" in data and not parameters:
        fail("learning_rate", "updates nothing: list the trained values in parameters")
    return Circuit(values, nodes, parameters)


def _values(data: Mapping[str, Any], fail: Fail, number: Number
            ) -> tuple[tuple[str, float], ...]:
    table = data.get("values")
    if not isinstance(table, dict) or not table:
        fail("values", "must be a non-empty table of name = number (the circuit's inputs)")
    if len(table) > MAX_VALUES:
        fail("values", f"has {len(table)} entries, more than {MAX_VALUES}")
    read = []
    for name, value in table.items():
        _check_name(name, f"values.{name}", fail)
        read.append((name, number(value, f"values.{name}")))
    return tuple(read)


def _check_name(name: str, key: str, fail: Fail) -> None:
    if not IDENTIFIER.fullmatch(name):
        fail(key, "names must be letters, digits or _, starting with a letter, at most 32 "
                  "characters")
    clash = names.circuit_reserved(name)
    if clash:
        fail(key, f"{name!r} {clash}")


def _nodes(data: Mapping[str, Any], leaves: list[str], fail: Fail) -> tuple[Node, ...]:
    table = data.get("nodes")
    if not isinstance(table, dict) or not table:
        fail("nodes", 'must be a non-empty table of name = "expression"; the last is the output')
    if len(table) > MAX_NODES:
        fail("nodes", f"has {len(table)} entries, more than {MAX_NODES}")
    every = list(table)
    defined = list(leaves)
    nodes = []
    for name, text in table.items():
        key = f"nodes.{name}"
        _check_name(name, key, fail)
        if name in leaves:  # TOML itself refuses a key twice in one table
            fail(key, f"{name} is defined twice (in values and in nodes)")
        if type(text) is not str:
            fail(key, f'must be an expression in quotes, e.g. {name} = "x + y"')
        if len(text) > MAX_EXPRESSION:
            fail(key, f"the expression is longer than {MAX_EXPRESSION} characters")
        nodes.append(Node(name, text, _expression(text, name, defined, every, key, fail)))
        defined.append(name)
    return tuple(nodes)


def _expression(text: str, name: str, defined: list[str], every: list[str], key: str,
                fail: Fail) -> Formula:
    """The node's expression read with the names above it; a later name (or its own) is a
    forward reference, which could make a cycle."""
    try:
        return parse_formula(text, names.NameMatcher({n: n for n in defined}))
    except FormulaError as error:
        later = [n for n in every[every.index(name):] if re.search(
            rf"(?<![A-Za-z0-9_]){re.escape(n)}(?![A-Za-z0-9_])", text)]
        if later:
            what = "itself (a cycle)" if later[0] == name else (
                f"{later[0]}, which is defined after it (a forward reference: nodes may use "
                "only the names above them)")
            fail(key, f"uses {what}")
        fail(key, f"cannot read {text[:60]!r}: {error}")


def _parameters(data: Mapping[str, Any], leaves: list[str], fail: Fail) -> tuple[str, ...]:
    value = data.get("parameters", [])
    if not isinstance(value, list) or not all(type(v) is str for v in value):
        fail("parameters", "must be a list of names of values")
    for index, name in enumerate(value, start=1):
        if name not in leaves:
            fail(f"parameters[{index}]", f"{name[:32]!r} is not one of the values "
                 f"({', '.join(leaves)}): only values are trained")
    if len(set(value)) != len(value):
        fail("parameters", "names a value twice")
    return tuple(name for name in leaves if name in value)
