"""Smoke test: every benchmark runs on a tiny size (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).parent.parent / "benchmarks"


def test_every_benchmark_runs_on_a_tiny_size() -> None:
    done = subprocess.run([sys.executable, str(BENCHMARKS / "run_all.py"), "--quick"],
                          capture_output=True, text=True, check=True, timeout=600)
    for script in ("startup.py", "scale.py", "formats.py", "train.py", "keys.py", "check.py"):
        assert f"== {script}" in done.stdout
    assert "ratio" in done.stdout and "log-log slope" in done.stdout
