"""tracer: step-by-step backpropagation derivations with every intermediate number shown.

    >>> import tracer
    >>> trace = tracer.trace(tracer.example_spec("seed"))
    >>> round(trace["dE_total/dw5"], 9)
    0.082167041
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import NumericError, SpecError, TracerError
from .evaluation import Quantity, Trace, evaluate, register_display
from .examples import EXAMPLES, example_spec, example_text
from .graph import Graph, Term
from .network import build_trace
from .quantities import Ref, Role, Stage
from .spec import LayerSpec, Spec, load_spec, parse_spec, spec_from_dict, spec_to_dict
from .training import TrainingRun, train

if TYPE_CHECKING:
    from .renderer import render


def trace(spec: Spec) -> Trace:
    """Build the graph of `spec` and evaluate it."""
    return evaluate(build_trace(spec))


# The renderer (and jinja2 with it) is loaded when a document is first asked for: commands
# that write none, and programs that only compute, do without it.
def __getattr__(name: str) -> object:
    if name == "render":
        from .renderer import render

        return render
    raise AttributeError(f"module 'tracer' has no attribute {name!r}")


def _markdown(trace: Trace) -> str:
    from .renderer import render

    return render(trace, "md")


def _latex(trace: Trace) -> str:
    from .renderer import notebook_latex

    return notebook_latex(trace)


register_display("markdown", _markdown)  # notebooks show a trace as its worked example
register_display("latex", _latex)


__all__ = [
    "EXAMPLES", "Graph", "LayerSpec", "NumericError", "Quantity", "Ref", "Role", "Spec",
    "SpecError", "Stage", "Term", "Trace", "TracerError", "TrainingRun", "build_trace",
    "evaluate", "example_spec", "example_text", "load_spec", "parse_spec", "render",
    "spec_from_dict", "spec_to_dict", "trace", "train",
]
