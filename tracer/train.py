"""Repeated training steps with the trace's generated code (no sympy in the loop).

Updates run in one generated loop of the trace's own statements; the updates a document
shows are evaluated in full by the same statements, so they are bit-for-bit the numbers of
the loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

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

Progress = Callable[[int, int], None]  # (updates done, updates in all)
CHUNK = 2000  # updates between progress reports


@dataclass(frozen=True)
class TrainingRun:
    """E_total after each number of updates, and the full traces of chosen updates."""

    errors: tuple[float, ...]  # errors[k] = E_total after k updates (errors[0]: before)
    last: Trace  # the trace of the last update (its *_after values are the final network)
    kept: Mapping[int, Trace] = field(default_factory=dict)  # update number -> its trace
    initial: Mapping[str, float] = field(default_factory=dict)  # given values before update 1

    @property
    def iterations(self) -> int:
        return len(self.errors) - 1

    @classmethod
    def one_step(cls, trace: Trace) -> TrainingRun:
        """A single evaluated step seen as a run of one update."""
        initial = {name: trace[name] for name in given_names(trace.symbolic)}
        errors = (initial_error(trace), trace[names.after(names.TOTAL_ERROR)])
        return cls(errors, trace, {1: trace}, initial)


def _feedback(symbolic: SymbolicTrace) -> tuple[tuple[str, str], ...]:
    """(parameter, its updated name) for every parameter the step updates."""
    return tuple(
        (term.name, names.updated(term.name))
        for term in symbolic
        if term.kind in (Kind.WEIGHT, Kind.BIAS) and names.updated(term.name) in symbolic
    )


def train(symbolic: SymbolicTrace, iterations: int, values: Mapping[str, float] | None = None,
          keep: Iterable[int] = (), progress: Progress | None = None) -> TrainingRun:
    """Apply `iterations` updates; keep the full trace of the updates numbered in `keep`."""
    marks = sorted({*keep, iterations})
    if iterations < 1 or marks[0] < 1 or marks[-1] > iterations:
        raise ValueError("updates are numbered from 1 to the number of iterations")
    feedback = _feedback(symbolic)
    loop = compile_loop(symbolic, feedback)
    before_each = names.TOTAL_ERROR in symbolic  # else the loop records the error after each
    vector = given_vector(symbolic, values)
    initial = dict(zip(given_names(symbolic), vector, strict=True))
    errors: list[float] = []
    if not before_each:  # the error before the first update comes first
        errors.append(initial_error(evaluate(symbolic, values)))
    kept: dict[int, Trace] = {}
    done = 0
    for mark in marks:
        while done < mark - 1:  # the updates in between, in the generated loop
            count = min(CHUNK, mark - 1 - done)
            try:
                vector = list(loop(vector, count, errors.append))
            except (OverflowError, ZeroDivisionError, ValueError) as exc:
                raise NumericError(f"update {len(errors) + 1} failed ({exc})",
                                   source=symbolic.spec.source) from None
            done += count
            if progress:
                progress(done, iterations)
        step = evaluate(symbolic, dict(zip(given_names(symbolic), vector, strict=True)))
        errors.append(step[names.TOTAL_ERROR if before_each else names.after(names.TOTAL_ERROR)])
        kept[mark] = step
        vector = [step[following] for following in _next_values(symbolic, feedback)]
        done = mark
    if before_each:
        errors.append(kept[iterations][names.after(names.TOTAL_ERROR)])
    if progress:
        progress(iterations, iterations)
    return TrainingRun(tuple(errors), kept[iterations], kept, initial)


def _next_values(symbolic: SymbolicTrace, feedback: tuple[tuple[str, str], ...]) -> list[str]:
    """For every given value, the name of its value for the next update."""
    updated = dict(feedback)
    return [updated.get(name, name) for name in given_names(symbolic)]
