"""Start-up: whole commands in new processes, against `import sympy` (the floor: every
command needs it) measured in the same run, alternating so that a busy machine slows all
alike. Prints the best of `--repeat` runs and the ratio to the floor.

Usage: python benchmarks/startup.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHEET = "net_h1 = 0.3775\nout_h1 = 0.593269992\ndelta_o1 = 0.1385\nw5_new = 0.35891648\n"


def commands(folder: Path) -> dict[str, list[str]]:
    python = [sys.executable]
    tracer = [*python, "-m", "tracer"]
    seed = folder / "seed.toml"
    seed.write_text(subprocess.run([*tracer, "example", "seed"], capture_output=True, text=True,
                                   check=True).stdout, encoding="utf-8")
    (folder / "sheet.txt").write_text(SHEET, encoding="utf-8")
    return {
        "python -c pass": [*python, "-c", "pass"],
        "import sympy (the floor)": [*python, "-c", "import sympy"],
        "import tracer": [*python, "-c", "import tracer"],
        "tracer names": [*tracer, "names"],
        "tracer render (seed, md)": [*tracer, "render", "-o", "-"],
        "tracer check (seed sheet)": [*tracer, "check", str(seed), str(folder / "sheet.txt")],
        "tracer train -n 1000": [*tracer, "train", "-n", "1000"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--few", action="store_true", help="the floor and render only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        runs = commands(Path(folder))
        if args.few:
            runs = {k: v for k, v in runs.items() if "sympy" in k or "render" in k}
        best = {label: float("inf") for label in runs}
        for _ in range(args.repeat):
            for label, command in runs.items():
                start = time.perf_counter()
                subprocess.run(command, capture_output=True, check=False)
                best[label] = min(best[label], time.perf_counter() - start)
    floor = best["import sympy (the floor)"]
    print(f"{'command':28s} {'best s':>7s} {'ratio to import sympy':>22s}")
    for label, seconds in best.items():
        print(f"{label:28s} {seconds:7.3f} {seconds / floor:22.2f}")


if __name__ == "__main__":
    main()
