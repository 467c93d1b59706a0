"""The evaluated trace: a graph and one float per term, computed by its generated code.

Notebooks show a trace as its worked example. That display belongs to the rendering layer,
which registers it here (`register_display`); the model only offers the hook.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import NoReturn

from .codegen import compile_checked, compile_trace
from .errors import NumericError
from .graph import Graph, Term
from .quantities import RATE, TOTAL_ERROR, Ref, Role


@dataclass(frozen=True)
class Quantity:
    """A trace record with its number."""

    term: Term
    value: float

    @property
    def name(self) -> str:
        return self.term.name


Display = Callable[["Trace"], str]
_DISPLAYS: dict[str, Display] = {}


def register_display(kind: str, show: Display) -> None:
    """How notebooks show a trace as `kind` ("markdown" or "latex"); set by the renderer."""
    _DISPLAYS[kind] = show


@dataclass(frozen=True, eq=False)
class Trace:
    """An evaluated trace: the symbolic records and one value per record, in trace order."""

    symbolic: Graph
    values: tuple[float, ...]

    def __getitem__(self, name: str) -> float:
        return self.values[self.symbolic.position(name)]

    def value(self, term: Term) -> float:
        return self.values[term.id]

    def __iter__(self) -> Iterator[Quantity]:
        return (Quantity(t, v) for t, v in zip(self.symbolic.terms, self.values, strict=True))

    @property
    def names(self) -> tuple[str, ...]:
        return self.symbolic.names

    def as_dict(self) -> dict[str, float]:
        return dict(zip(self.symbolic.names, self.values, strict=True))

    def _repr_markdown_(self) -> str | None:
        show = _DISPLAYS.get("markdown")
        return show(self) if show else None

    def _repr_latex_(self) -> str | None:
        show = _DISPLAYS.get("latex")
        return show(self) if show else None


def given_vector(graph: Graph, values: Mapping[str, float] | None = None) -> list[float]:
    """The given values in trace order; `values` overrides the recorded numbers by name
    (names of computed quantities are ignored)."""
    vector = list(graph.values)
    for name, value in (values or {}).items():
        if name in graph and graph[name].given:
            vector[graph.position(name)] = value
    return vector


def evaluate(graph: Graph, values: Mapping[str, float] | None = None) -> Trace:
    """Every quantity of the trace as a float, computed once in backprop order."""
    return evaluate_vector(graph, given_vector(graph, values))


def evaluate_vector(graph: Graph, vector: Sequence[float]) -> Trace:
    """The trace for given values in trace order."""
    try:
        result = compile_trace(graph)(vector)
    except (OverflowError, ZeroDivisionError, ValueError):
        result = ()
    if len(result) != len(graph.terms) or not all(map(math.isfinite, result)):
        _raise_first_failure(graph, vector)
    return Trace(graph, result)


def _raise_first_failure(graph: Graph, vector: Sequence[float]) -> NoReturn:
    """Name the first quantity that is not a finite number, replaying the same statements."""
    position, error, value = compile_checked(graph)(vector)
    if position < 0:
        raise AssertionError("generated trace failed but no quantity did")
    where = {"source": graph.spec.source, "key": graph.terms[position].name}
    if error is not None:
        raise NumericError(f"cannot be computed: {_reason(error)}", **where)
    raise NumericError(f"is not a finite number ({value})", **where)


def _reason(error: BaseException) -> str:
    if isinstance(error, OverflowError):
        return "the value is beyond the range of floating point numbers (about 1.8e308)"
    if isinstance(error, ZeroDivisionError):
        return "division by zero"
    return f"outside the function's domain ({error})"


def initial_error(trace: Trace) -> float:
    """E_total of the network before the update, over every example.

    Online mode records no such quantity (each example meets other weights): there it is the
    error after an update with learning rate 0.
    """
    graph = trace.symbolic
    total = graph.find(TOTAL_ERROR)
    if total is not None:
        return trace.value(total)
    vector = [trace.value(term) for term in graph.givens]
    vector[graph.only(RATE).id] = 0.0
    frozen = evaluate_vector(graph, vector)
    return frozen.value(graph.only(Ref(Role.ERROR, after=True)))
