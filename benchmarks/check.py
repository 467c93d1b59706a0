"""Grading throughput: 300 answer sheets of the seed exercise against one trace built once.

Prints the time per sheet and its ratio to one cold `tracer render` (a new process: imports,
trace, document) measured in the same run. Then grading on a wide [48, 48, 48] network (4,608
weights; about a hundred misconception variants, each as large as the trace), against building
its trace. Usage: python benchmarks/check.py [--sheets N] [--wide N] [--wide-sheets N]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time

from train import wide_spec

import tracer
from tracer.check import Checker
from tracer.numbers import format_value

ASKED = ["net_h1", "out_h1", "net_o1", "out_o1", "out_o2", "E_total", "dE_total/dout_o1",
         "dout_o1/dnet_o1", "delta_o1", "dE_total/dw5", "w5_new", "dE_total/dout_h1",
         "delta_h1", "dE_total/dw1", "w1_new", "E_total_after"]


def sheets(count: int) -> list[str]:
    """Sheets with a random slip or two, a formula line and a substitution line each."""
    trace = tracer.trace(tracer.example_spec())
    rng = random.Random(7)
    out = []
    for _ in range(count):
        lines = []
        for name in ASKED:
            value = trace[name] * (rng.choice([1, 1, 1, 1, -1, 2, 0.5]))
            lines.append(f"{name} = {format_value(value, 9)}")
        lines.append("dE_total/dw6 = delta_o1*out_h2")
        lines.append("net_o2 = 0.5*0.593269992 + 0.55*0.596884378 + 0.6")
        out.append("\n".join(lines) + "\n")
    return out


def cold_render() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tracer", "render", "-o", "-"], check=True,
                   capture_output=True)
    return time.perf_counter() - start


def wide_sheets(trace: tracer.Trace, count: int) -> list[str]:
    """Sheets for a wide network: a few quantities of each layer, some with a slip."""
    rng = random.Random(11)
    hidden, output = "w1", f"w{len(trace.symbolic.spec.inputs) ** 2 + 1}"  # [n, n, n]
    asked = ["E_total", "dE_total/dout_o1", "delta_o1", f"dE_total/d{output}",
             f"{output}_new", "dE_total/dout_h1", "delta_h1", f"dE_total/d{hidden}",
             f"{hidden}_new", "E_total_after"]
    return ["".join(f"{name} = {format_value(trace[name] * rng.choice([1, 1, -1, 2]), 9)}\n"
                    for name in asked) for _ in range(count)]


def wide(n: int, count: int) -> None:
    """Grading on an [n, n, n] network, against building and evaluating its trace."""
    spec = wide_spec([n, n, n])
    start = time.perf_counter()
    trace = tracer.trace(spec)
    built = time.perf_counter() - start
    texts = wide_sheets(trace, count)
    checker = Checker(trace)
    start = time.perf_counter()
    checker.mark(texts[0])
    first = time.perf_counter() - start
    start = time.perf_counter()
    for text in texts[1:]:
        checker.mark(text)
    rest = (time.perf_counter() - start) / max(1, count - 1)
    print(f"\n[{n}, {n}, {n}] network, {count} sheets with slips, misconceptions searched")
    print(f"trace built and evaluated: {built * 1e3:8.1f} ms")
    print(f"first sheet              : {first * 1e3:8.1f} ms  ({first / built:.1f}x the trace)")
    print(f"each further sheet       : {rest * 1e3:8.1f} ms  ({rest / built:.2f}x the trace)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sheets", type=int, default=300)
    parser.add_argument("--wide", type=int, default=48, help="also grade on [N, N, N]; 0: no")
    parser.add_argument("--wide-sheets", type=int, default=10)
    args = parser.parse_args()
    texts = sheets(args.sheets)
    cold = min(cold_render() for _ in range(3))
    start = time.perf_counter()
    checker = Checker(tracer.trace(tracer.example_spec()))
    reports = [checker.mark(text) for text in texts]
    total = time.perf_counter() - start
    per_sheet = total / len(texts)
    print(f"sheets: {len(texts)} ({sum(len(r.results) for r in reports)} lines)")
    print(f"cold tracer render       : {cold * 1e3:8.1f} ms")
    print(f"all sheets (trace once)  : {total * 1e3:8.1f} ms")
    print(f"per sheet                : {per_sheet * 1e3:8.2f} ms")
    print(f"ratio sheet / cold render: {per_sheet / cold:8.4f}")
    if args.wide:
        wide(args.wide, args.wide_sheets)


if __name__ == "__main__":
    main()
