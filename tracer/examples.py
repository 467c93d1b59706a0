"""Built-in example specs shipped with the package."""

from __future__ import annotations

from importlib import resources

from .errors import TracerError
from .spec import Spec, parse_spec

EXAMPLES = ("seed", "seed-sequential", "softmax", "circuit", "sigmoid-neuron", "reuse")
DEFAULT = "seed"


def example_text(name: str) -> str:
    """The TOML source of a built-in example."""
    if name not in EXAMPLES:
        raise TracerError(f"unknown example {name!r} (one of: {', '.join(EXAMPLES)})")
    return (resources.files("tracer") / "examples" / f"{name}.toml").read_text(encoding="utf-8")


def example_spec(name: str = DEFAULT) -> Spec:
    return parse_spec(example_text(name), f"<example {name}>")
