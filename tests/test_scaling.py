"""Work grows linearly with the number of weights: counted, not timed (no wall clock in tests;
benchmarks/scale.py times it). The count is of lines executed in tracer's code and in sympy's
printers, which is the same on every run and every machine."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

import tracer

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
from train import wide_spec

COUNTED = ("/tracer/", "/sympy/printing/")


def lines_executed(run: Callable[[], object]) -> int:
    """Lines executed (loop iterations included) in the code under COUNTED while `run` runs."""
    count = 0

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        count += event == "line"
        return local

    def calls(frame: FrameType, event: str, arg: Any) -> Any:
        return local if any(part in frame.f_code.co_filename for part in COUNTED) else None

    previous = sys.gettrace()
    sys.settrace(calls)
    try:
        run()
    finally:
        sys.settrace(previous)
    return count


def growth(fmt: str) -> float:
    """How much more work the document of [12, 12, 12] is than that of [6, 6, 6]: four
    times the weights, so about 4 when linear."""
    small, large = (tracer.trace(wide_spec([n, n, n])) for n in (6, 12))
    return lines_executed(lambda: tracer.render(large, fmt)) / lines_executed(
        lambda: tracer.render(small, fmt))


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_documents_grow_linearly(fmt: str) -> None:
    # Markdown: each of a neuron's n weights shows d/dw of the same n-term net input; printed
    # afresh every time, the work grew as weights^1.5. JSON built a map of the whole trace for
    # each formula: 8.5 times the work for 4 times the weights (from [8, 8, 8] to [16, 16, 16]).
    assert growth(fmt) < 4 * 1.1


def test_softmax_builds_without_comparing_every_pair_of_outputs(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """sympy's Max(net_o1, …, net_oN) compared every pair of arguments for each output:
    60 softmax outputs took minutes to build. The nets are distinct symbols, so nothing
    is to be simplified."""
    import sympy

    def compared(*args: object, **kwargs: object) -> None:
        raise AssertionError("Max compared its arguments")

    monkeypatch.setattr(sympy.Max, "_find_localzeros", compared)
    width = 12
    text = ('loss = "cross_entropy"\nlearning_rate = 0.5\n[inputs]\ni1 = 0.1\ni2 = 0.2\n'
            "[targets]\n" + "".join(f"o{k} = {1.0 if k == 1 else 0.0}\n"
                                    for k in range(1, width + 1))
            + '[[layers]]\nname = "o"\nactivation = "softmax"\nweights = ['
            + ", ".join("[0.1, 0.2]" for _ in range(width)) + "]\nbias = 0.1\n")
    trace = tracer.trace(tracer.parse_spec(text))
    assert sum(trace[f"out_o{k}"] for k in range(1, width + 1)) == pytest.approx(1.0)


def test_a_wide_neuron_s_document_grows_linearly_in_its_inputs() -> None:
    """Each of a neuron's n weights restated the n-term net input it is derived from:
    3,000 inputs made a 230 MB document. Long sums are abbreviated there."""
    def size(width: int) -> int:
        text = ('loss = "half_squared_error"\nlearning_rate = 0.5\n[inputs]\n'
                + "".join(f"i{k} = 0.1\n" for k in range(1, width + 1))
                + '[targets]\no1 = 0.5\n[[layers]]\nname = "o"\nactivation = "sigmoid"\n'
                + "weights = [[" + ", ".join(["0.01"] * width) + "]]\nbias = 0.1\n")
        return len(tracer.render(tracer.trace(tracer.parse_spec(text)), "md"))

    assert size(200) / size(100) < 2 * 1.1
