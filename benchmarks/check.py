"""Grading throughput: 300 answer sheets of the seed exercise against one trace built once.

Prints the time per sheet and its ratio to one cold `tracer render` (a new process: imports,
trace, document) measured in the same run. Then grading on a wide [48, 48, 48] network (4,608
weights): a clean sheet, one with a slip in E_total_after (the worst case) and one with slips
everywhere, each on a new checker, against the clean one; and further sheets.
Usage: python benchmarks/check.py [--sheets N] [--wide N] [--wide-sheets N] [--cold N]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
import tracemalloc

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


def wide_asked(trace: tracer.Trace) -> list[str]:
    """A few quantities of each layer of an [n, n, n] network, the last one E_total_after."""
    output = f"w{len(trace.symbolic.spec.inputs) ** 2 + 1}"  # the first weight into o1
    return ["E_total", "dE_total/dout_o1", "delta_o1", f"dE_total/d{output}", f"{output}_new",
            "dE_total/dout_h1", "delta_h1", "dE_total/dw1", "w1_new", "E_total_after"]


def wide_sheet(trace: tracer.Trace, slips: dict[str, float]) -> str:
    """Every asked quantity right, except those in `slips` (multiplied by their factor)."""
    return "".join(f"{name} = {format_value(trace[name] * slips.get(name, 1.0), 9)}\n"
                   for name in wide_asked(trace))


def first_sheet(spec: tracer.Spec, text: str, repeat: int = 3) -> tuple[float, float]:
    """Seconds (best of `repeat`) and peak MB (tracemalloc, in a run of its own) to grade
    `text` as the first sheet of a new checker of a new trace (untimed): what a one-off
    `tracer check` pays after building the trace, its compiled steps included."""
    times = []
    for _ in range(repeat):
        trace = tracer.trace(spec)
        start = time.perf_counter()
        Checker(trace).mark(text)
        times.append(time.perf_counter() - start)
    trace = tracer.trace(spec)
    tracemalloc.start()
    Checker(trace).mark(text)
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return min(times), peak


def wide(n: int, count: int) -> None:
    """Grading on an [n, n, n] network: one sheet on a new checker (clean; one slip in the
    error after the update, the worst case: every misconception reaches it; slips
    everywhere), against the clean sheet; then further sheets on the same checker."""
    spec = wide_spec([n, n, n])
    start = time.perf_counter()
    trace = tracer.trace(spec)
    built = time.perf_counter() - start
    print(f"\n[{n}, {n}, {n}] network, misconceptions searched; one sheet on a new checker "
          "(best of 3)")
    print(f"trace built and evaluated    : {built * 1e3:8.1f} ms")
    sheets = {"clean sheet": {}, "slip in E_total_after": {"E_total_after": 2.0},
              "slips everywhere": {name: 2.0 for name in wide_asked(trace)}}
    clean = 0.0
    for label, slips in sheets.items():
        seconds, peak = first_sheet(spec, wide_sheet(trace, slips))
        clean = clean or seconds
        print(f"{label:29s}: {seconds * 1e3:8.1f} ms  {seconds / clean:5.1f}x the clean sheet"
              f"  peak {peak:6.1f} MB")
    rng = random.Random(11)
    texts = [wide_sheet(trace, {name: rng.choice([1, 1, -1, 2]) for name in wide_asked(trace)})
             for _ in range(count)]
    checker = Checker(trace)
    checker.mark(texts[0])
    start = time.perf_counter()
    for text in texts[1:]:
        checker.mark(text)
    rest = (time.perf_counter() - start) / max(1, count - 1)
    print(f"each further sheet           : {rest * 1e3:8.1f} ms  ({rest / built:.2f}x the trace)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sheets", type=int, default=300)
    parser.add_argument("--wide", type=int, default=48, help="also grade on [N, N, N]; 0: no")
    parser.add_argument("--wide-sheets", type=int, default=10)
    parser.add_argument("--cold", type=int, default=3, help="cold renders, best taken")
    args = parser.parse_args()
    texts = sheets(args.sheets)
    cold = min(cold_render() for _ in range(args.cold))
    start = time.perf_counter()
    checker = Checker(tracer.trace(tracer.example_spec()))
    reports = [checker.mark(text) for text in texts]
    total = time.perf_counter() - start
    per_sheet = total / len(texts)
    print(f"sheets: {len(texts)} ({sum(len(r.lines) for r in reports)} lines)")
    print(f"cold tracer render       : {cold * 1e3:8.1f} ms")
    print(f"all sheets (trace once)  : {total * 1e3:8.1f} ms")
    print(f"per sheet                : {per_sheet * 1e3:8.2f} ms")
    print(f"ratio sheet / cold render: {per_sheet / cold:8.4f}")
    if args.wide:
        wide(args.wide, args.wide_sheets)


if __name__ == "__main__":
    main()
