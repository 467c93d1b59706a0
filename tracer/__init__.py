"""tracer: step-by-step backpropagation derivations with every intermediate number shown.

    >>> import tracer
    >>> trace = tracer.trace(tracer.example_spec("seed"))
    >>> round(trace["dE_total/dw5"], 9)
    0.082167041
"""

from __future__ import annotations

from .errors import NumericError, SpecError, TracerError
from .evaluation import Quantity, Trace, evaluate
from .examples import EXAMPLES, example_spec, example_text
from .graph import Graph, Term
from .network import build_trace
from .quantities import Ref, Role, Stage
from .renderer import render  # also registers how notebooks show a trace
from .spec import LayerSpec, Spec, load_spec, parse_spec, spec_from_dict, spec_to_dict
from .training import TrainingRun, train


def trace(spec: Spec) -> Trace:
    """Build the graph of `spec` and evaluate it."""
    return evaluate(build_trace(spec))


__all__ = [
    "EXAMPLES", "Graph", "LayerSpec", "NumericError", "Quantity", "Ref", "Role", "Spec",
    "SpecError", "Stage", "Term", "Trace", "TracerError", "TrainingRun", "build_trace",
    "evaluate", "example_spec", "example_text", "load_spec", "parse_spec", "render",
    "spec_from_dict", "spec_to_dict", "trace", "train",
]
