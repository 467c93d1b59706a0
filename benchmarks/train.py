"""10,000 training updates of the seed network: tracer's generated step against a hand loop.

Prints times and the ratio measured in the same run (the machines are noisy: compare ratios,
not seconds). Usage: python benchmarks/train.py [--iterations N] [--repeat R]
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable

import tracer


def hand_loop(iterations: int) -> float:
    """The seed network written out by hand in plain floats, simultaneous updates."""
    i1, i2, t1, t2, eta, b1, b2 = 0.05, 0.10, 0.01, 0.99, 0.5, 0.35, 0.60
    w1, w2, w3, w4, w5, w6, w7, w8 = 0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55
    error = 0.0
    for _ in range(iterations):
        h1 = 1 / (1 + math.exp(-(w1 * i1 + w2 * i2 + b1)))
        h2 = 1 / (1 + math.exp(-(w3 * i1 + w4 * i2 + b1)))
        o1 = 1 / (1 + math.exp(-(w5 * h1 + w6 * h2 + b2)))
        o2 = 1 / (1 + math.exp(-(w7 * h1 + w8 * h2 + b2)))
        d1 = (o1 - t1) * o1 * (1 - o1)
        d2 = (o2 - t2) * o2 * (1 - o2)
        dh1 = (d1 * w5 + d2 * w7) * h1 * (1 - h1)
        dh2 = (d1 * w6 + d2 * w8) * h2 * (1 - h2)
        w5, w6 = w5 - eta * d1 * h1, w6 - eta * d1 * h2
        w7, w8 = w7 - eta * d2 * h1, w8 - eta * d2 * h2
        w1, w2 = w1 - eta * dh1 * i1, w2 - eta * dh1 * i2
        w3, w4 = w3 - eta * dh2 * i1, w4 - eta * dh2 * i2
        error = (t1 - o1) ** 2 / 2 + (t2 - o2) ** 2 / 2
    return error


def best_of(repeat: int, job: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        job()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    symbolic = tracer.build_trace(tracer.example_spec("seed"))
    tracer.train(symbolic, 1)  # generate the step function once, outside the timing
    hand = best_of(args.repeat, lambda: hand_loop(args.iterations))
    ours = best_of(args.repeat, lambda: tracer.train(symbolic, args.iterations))
    print(f"updates: {args.iterations}, best of {args.repeat}")
    print(f"hand-written float loop : {hand * 1e3:8.1f} ms")
    print(f"tracer generated step   : {ours * 1e3:8.1f} ms")
    print(f"ratio tracer / hand     : {ours / hand:8.2f}x")


if __name__ == "__main__":
    main()
