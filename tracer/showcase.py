"""The showcase documents kept in `output/`: one list, one function to regenerate them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from .evaluation import evaluate
from .examples import example_spec
from .files import Guard, stamped, write_files
from .network import build_trace
from .renderer import render_files
from .training import train

# (example, format): each becomes output/<example>.<format>
SHOWCASE = (
    ("seed", "md"), ("seed", "tex"), ("seed", "json"), ("seed-sequential", "md"),
    ("softmax", "md"), ("softmax", "tex"), ("seed", "html"), ("softmax", "html"),
    ("circuit", "md"), ("sigmoid-neuron", "md"), ("reuse", "md"),
    ("circuit", "html"), ("sigmoid-neuron", "html"), ("reuse", "html"),
)
PDFS = ("seed", "circuit", "sigmoid-neuron", "reuse")  # each becomes output/<example>.pdf
# The seed in Chinese (output/seed-zh.md, .html, .pdf): its words from the zh catalogue, its title
# (the spec's own text) given here.
CHINESE_TITLE = "反向传播算例：一步一步手算"


def showcase_documents(pdf: bool = False) -> dict[str, str | bytes]:
    """File name -> content of every showcase document (Markdown with its SVG figures),
    rendered fresh; with `pdf`, the seed's PDF handout (English and Chinese) and the training
    run's too."""
    documents: dict[str, str | bytes] = {}
    for example, fmt in SHOWCASE:
        trace = evaluate(build_trace(example_spec(example)))
        documents.update(render_files(trace, fmt, example))
    chinese = evaluate(build_trace(dataclasses.replace(
        example_spec("seed"), lang="zh", title=CHINESE_TITLE)))
    documents.update(render_files(chinese, "md", "seed-zh"))
    documents.update(render_files(chinese, "html", "seed-zh"))
    run = train(build_trace(example_spec("softmax")), 200, keep=[1, 200])
    documents.update(render_files(run, "md", "softmax-training", every=20))
    if pdf:
        for example in PDFS:
            documents.update(render_files(evaluate(build_trace(example_spec(example))), "pdf",
                                          example))
        documents.update(render_files(run, "pdf", "softmax-training", every=20))
        documents.update(render_files(chinese, "pdf", "seed-zh"))
    return {name: stamped(name, text) for name, text in documents.items()}  # as written


def write_showcase(folder: Path, guard: Guard | None = None) -> list[Path]:
    """Regenerate the showcase into `folder` (created if missing); returns the files written.
    A file of the same name that tracer did not write is kept unless the guard forces."""
    return write_files(folder, showcase_documents(pdf=True), guard or Guard())
