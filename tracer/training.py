"""Repeated training steps with the trace's generated code (no sympy in the loop).

Updates run in one generated loop of the trace's own statements; the updates a document
shows are evaluated in full by the same statements, so they are bit-for-bit the numbers of
the loop.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .codegen import compile_loop
from .errors import NumericError
from .evaluation import Trace, evaluate, evaluate_vector, given_vector, initial_error
from .graph import Graph
from .quantities import TOTAL_ERROR, Ref, Role

Progress = Callable[[int, int], None]  # (updates done, updates in all)
CHUNK = 2000  # updates between progress reports
# Each update's error is kept (8 bytes each, 80 MB at the limit); at about a microsecond an
# update for the smallest networks, the limit is minutes of work, not hours.
MAX_ITERATIONS = 10_000_000


@dataclass(frozen=True)
class TrainingRun:
    """E_total after each number of updates, and the full traces of chosen updates."""

    errors: Sequence[float]  # errors[k] = E_total after k updates (errors[0]: before)
    last: Trace  # the trace of the last update (its *_after values are the final network)
    kept: Mapping[int, Trace] = field(default_factory=dict)  # update number -> its trace
    initial: Mapping[str, float] = field(default_factory=dict)  # given values before update 1

    @property
    def iterations(self) -> int:
        return len(self.errors) - 1

    @classmethod
    def one_step(cls, trace: Trace) -> TrainingRun:
        """A single evaluated step seen as a run of one update."""
        graph = trace.symbolic
        initial = {term.name: trace.value(term) for term in graph.givens}
        errors = (initial_error(trace), trace.value(graph.only(_ERROR_AFTER)))
        return cls(errors, trace, {1: trace}, initial)


_ERROR_AFTER = Ref(Role.ERROR, after=True)


def feedback(graph: Graph) -> tuple[tuple[int, int], ...]:
    """(parameter, its final update) positions for every parameter the step updates."""
    return tuple((parameter.id, update.id) for parameter, update in graph.updates)


def train(symbolic: Graph, iterations: int, values: Mapping[str, float] | None = None,
          keep: Iterable[int] = (), progress: Progress | None = None) -> TrainingRun:
    """Apply `iterations` updates; keep the full trace of the updates numbered in `keep`."""
    marks = sorted({*keep, iterations})
    if iterations < 1 or marks[0] < 1 or marks[-1] > iterations:
        raise ValueError("updates are numbered from 1 to the number of iterations")
    if iterations > MAX_ITERATIONS:
        raise NumericError(f"{iterations:,} updates: the limit is {MAX_ITERATIONS:,}",
                           key="--iterations")
    pairs = feedback(symbolic)
    total = symbolic.find(TOTAL_ERROR)  # online mode has none: record the error after
    recorded = total if total is not None else symbolic.only(_ERROR_AFTER)
    loop = compile_loop(symbolic, pairs, recorded.id)
    vector = given_vector(symbolic, values)
    initial = {term.name: vector[term.id] for term in symbolic.givens}
    errors = array("d")  # a float list would take 4 times the memory
    if total is None:  # the error before the first update comes first
        errors.append(initial_error(evaluate(symbolic, values)))
    kept: dict[int, Trace] = {}
    done = 0
    for mark in marks:
        while done < mark - 1:  # the updates in between, in the generated loop
            count = min(CHUNK, mark - 1 - done)
            try:
                vector = list(loop(vector, count, errors.append))
            except (OverflowError, ZeroDivisionError, ValueError) as exc:
                raise NumericError(f"update {len(errors) + 1} cannot be computed ({exc}): "
                                   "is the learning rate too large?",
                                   source=symbolic.spec.source) from None
            done += count
            if progress:
                progress(done, iterations)
        step = evaluate_vector(symbolic, vector)
        errors.append(step.value(recorded))
        kept[mark] = step
        vector = _next_values(step, pairs)
        done = mark
    if total is not None:
        errors.append(kept[iterations].value(symbolic.only(_ERROR_AFTER)))
    if progress:
        progress(iterations, iterations)
    return TrainingRun(errors, kept[iterations], kept, initial)


def _next_values(step: Trace, pairs: tuple[tuple[int, int], ...]) -> list[float]:
    """The given values of the next update: each parameter's update, the rest unchanged."""
    following = dict(pairs)
    return [step.values[following.get(term.id, term.id)] for term in step.symbolic.givens]
