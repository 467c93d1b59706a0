"""Repeated training steps with the trace's generated function (no sympy in the loop)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from . import names
from .errors import NumericError
from .evaluate import (
    Trace,
    compile_loop,
    evaluate,
    given_names,
    given_vector,
    initial_error,
)
from .trace import Kind, SymbolicTrace


@dataclass(frozen=True)
class TrainingRun:
    """E_total before each update and after the last, plus the final step's full trace."""

    errors: tuple[float, ...]  # errors[k] = E_total after k updates
    last: Trace  # the trace of the last update (its *_after values are the final network)

    @property
    def iterations(self) -> int:
        return len(self.errors) - 1


def _feedback(symbolic: SymbolicTrace) -> tuple[tuple[str, str], ...]:
    """(parameter, its updated name) for every parameter the step updates."""
    return tuple(
        (term.name, names.updated(term.name))
        for term in symbolic
        if term.kind in (Kind.WEIGHT, Kind.BIAS) and names.updated(term.name) in symbolic
    )


def train(symbolic: SymbolicTrace, iterations: int,
          values: Mapping[str, float] | None = None) -> TrainingRun:
    """Apply `iterations` updates, each one exactly the step the document derives.

    Updates 1..N-1 run in one generated loop of the trace's own statements; the last update
    is evaluated in full, so its trace can be shown.
    """
    if iterations < 1:
        raise ValueError("iterations must be at least 1")
    first = evaluate(symbolic, values)  # checks the first step and names any bad quantity
    errors: list[float] = []
    vector = given_vector(symbolic, values)
    try:
        vector = list(compile_loop(symbolic, _feedback(symbolic))(vector, iterations - 1,
                                                                  errors.append))
    except (OverflowError, ZeroDivisionError, ValueError) as exc:
        raise NumericError(f"update {len(errors) + 1} failed ({exc})") from None
    last = evaluate(symbolic, dict(zip(given_names(symbolic), vector, strict=True)))
    after = last[names.after(names.TOTAL_ERROR)]
    if names.TOTAL_ERROR in symbolic:  # the loop recorded the error before each update
        errors += [last[names.TOTAL_ERROR], after]
    else:  # it recorded the error after each update
        errors = [initial_error(first), *errors, after]
    return TrainingRun(tuple(errors), last)
