"""Every benchmark in one run: start-up against `import sympy`, trace scaling (with the naive
baseline), each output format
against Markdown, training against
hand-written loops, answer keys and grading against a cold render. Each prints ratios
measured in the same run; see benchmarks/README.md.

Usage: python benchmarks/run_all.py [--quick]   (--quick: tiny sizes, a smoke run)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
FULL = {
    "startup.py": [],
    "scale.py": ["--sizes", "8,16,32,48"],
    "formats.py": [],
    "train.py": [],
    "keys.py": [],
    "check.py": [],
}
QUICK = {
    "startup.py": ["--repeat", "1", "--few"],
    "scale.py": ["--sizes", "2,3", "--repeat", "1", "--no-baseline"],
    "formats.py": ["--sizes", "2", "--repeat", "1"],
    "train.py": ["--iterations", "20", "--repeat", "1", "--wide", "2"],
    "keys.py": ["--variants", "3", "--cold", "1"],
    "check.py": ["--sheets", "3", "--wide", "3", "--wide-sheets", "2", "--cold", "1"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    for script, extra in (QUICK if args.quick else FULL).items():
        print(f"== {script} {' '.join(extra)}", flush=True)
        subprocess.run([sys.executable, str(HERE / script), *extra], check=True, cwd=HERE)
        print(flush=True)


if __name__ == "__main__":
    main()
