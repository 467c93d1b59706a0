"""Traces are freed when dropped: nothing cached for a trace keeps it alive; and building one
leaves the cycle collector as it found it."""

from __future__ import annotations

import gc
import weakref

import tracer
from tracer.check import Checker


def _use_everything(symbolic: tracer.Graph) -> None:
    """Fill every per-trace cache: the compiled step, loop and carry, and the printed LaTeX."""
    trace = tracer.evaluate(symbolic)
    tracer.train(symbolic, 3)
    tracer.render(trace, "md")
    tracer.render(trace, "tex")
    Checker(trace).mark("E_total = 0.298371109\nw5+ = 0.3589")


def test_a_dropped_trace_is_freed_with_its_caches() -> None:
    symbolic = tracer.build_trace(tracer.example_spec())
    _use_everything(symbolic)
    _use_everything(symbolic)  # served from the caches the second time
    alive = weakref.ref(symbolic)
    del symbolic
    gc.collect()
    assert alive() is None


def test_building_restores_the_cycle_collector() -> None:
    assert gc.isenabled()
    tracer.evaluate(tracer.build_trace(tracer.example_spec()))
    assert gc.isenabled()
    gc.disable()
    try:
        tracer.evaluate(tracer.build_trace(tracer.example_spec()))
        assert not gc.isenabled()
    finally:
        gc.enable()
