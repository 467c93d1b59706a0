"""Every generated function loads, rounds and stores values the same way (one emitter)."""

from __future__ import annotations

import dataclasses
import functools
import math
from pathlib import Path

import pytest

import tracer
from tracer import codegen
from tracer.check import Checker
from tracer.cli import main
from tracer.codegen import compile_checked, compile_trace
from tracer.evaluation import Trace, evaluate
from tracer.network import build_trace
from tracer.spec import parse_spec

DATA = Path(__file__).parent / "data"


@functools.cache
def traces() -> list[Trace]:
    """Examples and test networks, exact and carried rounded to 3 decimals (rounding every
    value, the given ones too, is where generated functions used to differ)."""
    specs = [tracer.example_spec(name) for name in tracer.EXAMPLES]
    specs += [tracer.load_spec(path) for path in sorted(DATA.glob("*.toml"))]
    specs += [dataclasses.replace(spec, carry="rounded", digits=3) for spec in list(specs)]
    return [tracer.trace(spec) for spec in specs]


@pytest.fixture(scope="module", params=range(
    2 * (len(tracer.EXAMPLES) + len(list(DATA.glob("*.toml"))))), ids=lambda k: f"spec{k}")
def trace(request: pytest.FixtureRequest) -> Trace:
    position: int = request.param
    return traces()[position]


def test_every_generated_function_gives_the_trace_values(trace: Trace) -> None:
    graph = trace.symbolic
    givens = list(graph.values)
    assert compile_trace(graph)(givens) == trace.values
    assert compile_checked(graph)(givens)[0] == -1
    assert Checker(trace).carried({}) == list(trace.values)  # term by term: compile_steps


def test_the_training_loop_is_the_trace_repeated(trace: Trace) -> None:
    """Updates 1-4 run in the generated loop in one run and through the whole trace in the
    other: the same numbers, bit for bit."""
    if trace.symbolic.spec.circuit is not None:
        pytest.skip("a circuit is worked one step: it is not trained")
    looped = tracer.train(trace.symbolic, 5)
    stepped = tracer.train(trace.symbolic, 5, keep=[1, 2, 3, 4])
    assert looped.errors == stepped.errors
    assert looped.last.values == stepped.last.values


def test_a_failure_caused_by_rounded_given_values_is_named(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]
                                                             ) -> None:
    """i1 = 0.05 is carried as 0.1 at one decimal: out_o1 = σ(4) shows as 1.0 and the log of
    1 − out_o1 fails. The replay that names the failure once read 0.05, found no failure,
    and stopped with a traceback."""
    spec = tmp_path / "rounded.toml"
    spec.write_text('loss = "binary_cross_entropy"\nlearning_rate = 0.5\ndigits = 1\n'
                    'carry = "rounded"\n[inputs]\ni1 = 0.05\n[targets]\no1 = 0.5\n'
                    '[[layers]]\nname = "o"\nactivation = "sigmoid"\nweights = [[40.0]]\n'
                    'bias = 0.0\n', encoding="utf-8")
    assert main(["render", str(spec), "-o", "-"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"tracer: error: {spec}: E_o1: cannot be computed: outside the function's domain "
        "(math domain error)")



def _wide(width: int) -> str:
    return ('loss = "half_squared_error"\nlearning_rate = 0.5\n[inputs]\n'
            + "".join(f"i{k} = {0.001 * (k % 7) - 0.0023}\n" for k in range(1, width + 1))
            + '[targets]\no1 = 0.5\n[[layers]]\nname = "o"\nactivation = "linear"\n'
            + "weights = [[" + ", ".join(f"{0.01 * (k % 5) + 0.1}" for k in range(width))
            + "]]\nbias = 0.25\n")


def test_a_sum_of_thousands_of_terms_compiles() -> None:
    """Python's compiler recursed past its limit on `a + b + …` of about 3,000 terms."""
    trace = evaluate(build_trace(parse_spec(_wide(3000), "wide.toml")))
    assert math.isfinite(trace.value(trace.symbolic["E_total"]))


def test_a_long_sum_folded_from_a_tuple_gives_the_same_floats(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The flat form adds in the same order as `a + b + …`: bit-for-bit the same trace."""
    spec = parse_spec(_wide(500), "wide.toml")
    flat = evaluate(build_trace(spec)).values
    monkeypatch.setattr(codegen, "_FLAT_SUM", 10**6)
    nested = evaluate(build_trace(spec)).values
    assert flat == nested
