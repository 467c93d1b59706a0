"""Rendered documents against files in tests/golden/. Rewrite them with --update-golden."""

from __future__ import annotations

from pathlib import Path

import pytest

import tracer
from tracer.spec import Spec

GOLDEN = Path(__file__).parent / "golden"
DATA = Path(__file__).parent / "data"

CASES = [
    ("seed", "md"), ("seed", "tex"), ("seed", "json"), ("seed-sequential", "md"),
    ("deep", "md"), ("deep", "tex"), ("deep", "json"),
    ("rich", "md"), ("rich", "tex"), ("batch", "md"), ("online", "md"), ("leaky", "md"),
    ("leaky", "tex"),
]


def spec_for(name: str) -> Spec:
    if name in tracer.EXAMPLES:
        return tracer.example_spec(name)
    return tracer.load_spec(DATA / f"{name}.toml")


@pytest.mark.parametrize(("name", "fmt"), CASES, ids=[f"{n}.{f}" for n, f in CASES])
def test_golden(name: str, fmt: str, update_golden: bool) -> None:
    text = tracer.render(tracer.trace(spec_for(name)), fmt)
    path = GOLDEN / f"{name}.{fmt}"
    if update_golden:
        path.write_text(text, encoding="utf-8")
        pytest.skip(f"rewrote {path.name}")
    assert path.exists(), f"missing {path}; run pytest --update-golden"
    assert text == path.read_text(encoding="utf-8"), (
        f"{path.name} differs from the rendering; review, then run pytest --update-golden")


def test_training_document(update_golden: bool) -> None:
    run = tracer.train(tracer.build_trace(spec_for("seed")), 100, keep=[1, 2])
    text = tracer.render(run, "md", every=25)
    path = GOLDEN / "seed-train.md"
    if update_golden:
        path.write_text(text, encoding="utf-8")
        pytest.skip(f"rewrote {path.name}")
    assert text == path.read_text(encoding="utf-8")


def test_rendering_is_deterministic() -> None:
    spec = spec_for("deep")
    for fmt in ("md", "tex", "json"):
        assert tracer.render(tracer.trace(spec), fmt) == tracer.render(tracer.trace(spec), fmt)
