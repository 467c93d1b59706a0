"""Answer-key throughput: 300 variants of the homework exercise (Markdown), written to disk.

The trace and the formula LaTeX are built once; each variant only evaluates and formats its
numbers. Prints the time per variant and its ratio to one cold `tracer render` of the same
spec (a new process) measured in the same run. Target: a ratio of at most 0.1, and 300
variants in under 5 s. Usage: python benchmarks/keys.py [--variants N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tracer
from tracer.files import write_files
from tracer.handouts import key_files
from tracer.keys import make_variants

EXERCISE = Path(__file__).parent.parent / "examples" / "homework.toml"


def cold_render() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tracer", "render", str(EXERCISE), "-o", "-"],
                   check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--variants", type=int, default=300)
    parser.add_argument("--cold", type=int, default=3, help="cold renders, best taken")
    args = parser.parse_args()
    cold = min(cold_render() for _ in range(args.cold))
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        symbolic = tracer.build_trace(tracer.load_spec(EXERCISE))
        entries = [(f"v{k:03d}", None) for k in range(1, args.variants + 1)]
        variants = make_variants(symbolic, 7, entries)
        files = key_files(symbolic, variants, 7, "md", booklet=True)
        write_files(Path(folder), files)
        total = time.perf_counter() - start
    per_variant = total / args.variants
    print(f"variants: {args.variants} ({len(files)} files, with the booklet)")
    print(f"cold tracer render         : {cold * 1e3:8.1f} ms")
    print(f"all variants (trace once)  : {total * 1e3:8.1f} ms")
    print(f"per variant                : {per_variant * 1e3:8.2f} ms")
    print(f"ratio variant / cold render: {per_variant / cold:8.4f}  (target <= 0.1)")


if __name__ == "__main__":
    main()
