"""Every math span of every rendered Markdown document typesets in KaTeX (GitHub, Jupyter and
VS Code render Markdown math with KaTeX or MathJax; KaTeX is the stricter of the two).

Needs node and the katex npm package (CI installs it into .ci/node). Skipped without them,
unless TRACER_REQUIRE_KATEX=1 (CI sets it), where their absence is a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import tracer
from tracer.check import Checker
from tracer.handouts import key_files
from tracer.keys import make_variants
from tracer.renderer import render_circuit_question, render_feedback, render_question
from tracer.report import feedback_sheet
from tracer.sheets import question_sheet

ROOT = Path(__file__).parent.parent
NODE_PATH = os.environ.get("NODE_PATH", str(ROOT / ".ci" / "node" / "node_modules"))
HAVE = shutil.which("node") is not None and (Path(NODE_PATH) / "katex").is_dir()
needs_katex = pytest.mark.skipif(
    not HAVE and os.environ.get("TRACER_REQUIRE_KATEX") != "1",
    reason="node and the katex npm package are not installed")


def math_spans(markdown: str) -> list[tuple[str, bool]]:
    """($$ display blocks $$, True) and ($inline$, False), outside code spans."""
    spans = [(m.group(1), True) for m in re.finditer(r"^\$\$\n(.*?)\n\$\$$", markdown,
                                                        re.S | re.M)]
    rest = re.sub(r"^\$\$\n.*?\n\$\$$", "", markdown, flags=re.S | re.M)
    rest = re.sub(r"`[^`]*`", "", rest)
    spans += [(m.group(1), False) for m in re.finditer(r"(?<![\\$])\$([^$\n]+?)(?<!\\)\$", rest)]
    return spans


def documents() -> dict[str, str]:
    """Markdown of every example, activation and loss, training runs, sheets and feedback."""
    docs = {}
    specs = {name: tracer.example_spec(name) for name in tracer.EXAMPLES}
    for path in sorted((ROOT / "tests" / "data").glob("*.toml")):
        specs[path.stem] = tracer.load_spec(path)
    for name, spec in specs.items():
        trace = tracer.trace(spec)
        docs[name] = tracer.render(trace, "md")
        if spec.circuit is not None:  # its own question sheet; not trained
            docs[f"{name} question"] = render_circuit_question(
                trace, "md", trace.names[-12:], "A. Student", {})
            continue
        docs[f"{name} question"] = render_question(
            question_sheet(trace, "md", trace.names[:12], "A. Student"), "md")
        docs[f"{name} train"] = tracer.render(
            tracer.train(trace.symbolic, 20, keep=[1, 20]), "md", every=5)
    seed = tracer.trace(specs["seed"])
    docs["feedback"] = render_feedback(feedback_sheet(
        Checker(seed).mark("delta_o1 = 2\ndout_h1/dnet_h1 = net_h1*(1-net_h1)\nfoo = 1\n"),
        seed))
    exercise = tracer.build_trace(tracer.load_spec(ROOT / "examples" / "homework.toml"))
    keys = key_files(exercise, make_variants(exercise, 1, [("v1", None)]), 1, "md")
    docs.update({name: text for name, text in keys.items() if isinstance(text, str)})
    return {name: text for name, text in docs.items() if isinstance(text, str)
            and not name.endswith((".toml", ".txt", ".json", ".csv"))}


def test_math_spans_are_found() -> None:
    spans = math_spans("a $x_1$ b `$not$` \\$5 and $y$\n\n$$\nz^2\n$$\n")
    assert spans == [("z^2", True), ("x_1", False), ("y", False)]


@needs_katex
def test_every_math_span_typesets_in_katex() -> None:
    spans = sorted({span for text in documents().values() for span in math_spans(text)})
    assert len(spans) > 500
    done = subprocess.run(["node", str(Path(__file__).parent / "katex_check.js")],
                          input=json.dumps(spans), capture_output=True, text=True, check=True,
                          env={**os.environ, "NODE_PATH": NODE_PATH}, timeout=300)
    errors = json.loads(done.stdout)
    assert errors == [], errors[:5]
