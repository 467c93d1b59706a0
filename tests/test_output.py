"""output/ holds the showcase documents; this fails when they are stale.

Regenerate with `tracer showcase` (writes output/).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tracer.showcase import showcase_documents

OUTPUT = Path(__file__).parent.parent / "output"


@pytest.mark.parametrize("name", sorted(showcase_documents()))
def test_showcase_is_current(name: str) -> None:
    path = OUTPUT / name
    assert path.exists(), f"output/{name} is missing: run `tracer showcase`"
    assert path.read_text(encoding="utf-8") == showcase_documents()[name], (
        f"output/{name} is stale: run `tracer showcase`")


def test_showcase_has_the_seed_documents() -> None:
    assert {"seed.md", "seed.tex", "seed-sequential.md"} <= set(showcase_documents())
