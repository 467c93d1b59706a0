"""The showcase documents kept in `output/`: one list, one function to regenerate them."""

from __future__ import annotations

from pathlib import Path

from .evaluate import evaluate
from .examples import example_spec
from .render import render, write_files
from .trace import build_trace

# (example, format): each becomes output/<example>.<format>
SHOWCASE = (
    ("seed", "md"), ("seed", "tex"), ("seed", "json"), ("seed-sequential", "md"),
    ("softmax", "md"), ("softmax", "tex"),
)


def showcase_documents() -> dict[str, str]:
    """File name -> text of every showcase document, rendered fresh."""
    documents = {}
    for example, fmt in SHOWCASE:
        trace = evaluate(build_trace(example_spec(example)))
        documents[f"{example}.{fmt}"] = render(trace, fmt)
    return documents


def write_showcase(folder: Path) -> list[Path]:
    """Regenerate the showcase into `folder` (created if missing); returns the files written."""
    return write_files(folder, showcase_documents())
