"""Trace scaling: building and evaluating the full trace of [n, n, n] and [n, n, n, n] sigmoid
networks, against the naive baseline (sympy.diff of the fully composed loss for every weight)
measured in the same run at the smallest size. Prints times, the log-log slope and peak memory;
then the same for rendering the full Markdown document of [n, n, n].

Usage: python benchmarks/scale.py [--sizes 8,16,32,48] [--repeat 3] [--no-baseline]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
import tracemalloc

import sympy as sp
from train import wide_spec

import tracer
from tracer.spec import Spec


def weights_of(spec: Spec) -> int:
    return sum(layer.size * len(layer.weights[0]) for layer in spec.layers)


def trace_time(spec: Spec, repeat: int) -> tuple[float, float, float]:
    """Seconds to build and evaluate the full trace (best and median of `repeat` runs: the
    best is the least disturbed by other work on a noisy machine), and the peak memory in MB
    (measured in one more run: tracemalloc slows Python down several times)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        tracer.evaluate(tracer.build_trace(spec))
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    tracer.evaluate(tracer.build_trace(spec))
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return min(times), statistics.median(times), peak


def render_time(spec: Spec, repeat: int) -> tuple[float, float, int]:
    """Seconds to render the full Markdown document of a freshly evaluated trace (best and
    median; a new trace each time, as its printed LaTeX is cached), and its number of lines."""
    times, text = [], ""
    for _ in range(repeat):
        trace = tracer.trace(spec)
        start = time.perf_counter()
        text = tracer.render(trace, "md")
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), len(text.splitlines())


def naive_time(spec: Spec) -> float:
    """sympy.diff of the fully composed loss with respect to every weight, evaluated."""
    start = time.perf_counter()
    values = {}
    xs: list[sp.Expr] = [sp.Float(v) for _, v in spec.inputs]
    number = 0
    for layer in spec.layers:
        outs = []
        for row in layer.weights:
            net = sp.Float(float(layer.bias))  # type: ignore[arg-type]
            for value, x in zip(row, xs, strict=True):
                number += 1
                symbol = sp.Symbol(f"w{number}")
                values[symbol] = value
                net += symbol * x
            outs.append(1 / (1 + sp.exp(-net)))
        xs = outs
    loss = sum((t - o) ** 2 / 2 for (_, t), o in zip(spec.targets, xs, strict=True))
    for symbol in values:
        sp.diff(loss, symbol).xreplace(values).evalf()
    return time.perf_counter() - start


def slope(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of log(time) against log(weights)."""
    xs = [math.log(w) for w, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="8,16,32,48")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (default 3)")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    tracer.evaluate(tracer.build_trace(wide_spec([2, 2, 2])))  # per-kind derivatives, once
    print(f"{'network':>16} {'weights':>8} {'best s':>8} {'median s':>9} {'peak MB':>8}")
    for depth in (3, 4):
        points = []
        for n in sizes:
            spec = wide_spec([n] * depth)
            best, median, peak = trace_time(spec, args.repeat)
            points.append((weights_of(spec), best))
            print(f"{[n] * depth!s:>16} {weights_of(spec):>8} {best:8.3f} {median:9.3f} "
                  f"{peak:8.1f}")
        if len(points) > 1:
            print(f"{'':>16} log-log slope {slope(points):.2f} (of the best times)")
    print(f"{'document (md)':>16} {'weights':>8} {'best s':>8} {'median s':>9} {'lines':>8}")
    points = []
    for n in sizes:
        spec = wide_spec([n] * 3)
        best, median, lines = render_time(spec, args.repeat)
        points.append((weights_of(spec), best))
        print(f"{[n] * 3!s:>16} {points[-1][0]:>8} {best:8.3f} {median:9.3f} {lines:>8}")
    if len(points) > 1:
        print(f"{'':>16} log-log slope {slope(points):.2f} (of the best times)")
    if not args.no_baseline:
        spec = wide_spec([sizes[0]] * 3)
        ours, _, _ = trace_time(spec, args.repeat)
        naive = naive_time(spec)
        print(f"naive composed-loss diff at {weights_of(spec)} weights: {naive:.2f} s, "
              f"ratio naive / tracer {naive / ours:.0f}x")


if __name__ == "__main__":
    main()
