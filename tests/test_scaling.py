"""Work grows linearly with the number of weights: counted, not timed (no wall clock in tests;
benchmarks/scale.py times it)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sympy.printing.latex import LatexPrinter

import tracer

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
from train import wide_spec


def _printed_nodes(n: int, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    """(weights, formula nodes sympy's LaTeX printer visits) for the document of [n, n, n]."""
    calls = [0]
    original = LatexPrinter._print

    def counting(self: LatexPrinter, expr: object, **kwargs: object) -> str:
        calls[0] += 1
        return str(original(self, expr, **kwargs))

    spec = wide_spec([n, n, n])
    trace = tracer.trace(spec)
    with monkeypatch.context() as patch:
        patch.setattr(LatexPrinter, "_print", counting)
        tracer.render(trace, "md")
    weights = sum(layer.size * len(layer.weights[0]) for layer in spec.layers)
    return weights, calls[0]


def test_document_printing_grows_linearly(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each of a neuron's n weights shows d/dw of the same n-term net input: printed afresh
    # every time, the work grew as weights^1.5: 5.3 times the nodes here, now 3.5.
    small_weights, small = _printed_nodes(8, monkeypatch)
    large_weights, large = _printed_nodes(16, monkeypatch)
    assert large_weights == 4 * small_weights
    assert large / small < 4 * 1.1
