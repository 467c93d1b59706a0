"""Training speed: tracer's generated loop against hand-written plain-Python loops.

1. 10,000 updates of the seed network against the network written out by hand in floats.
2. Updates of a [32, 32, 32, 2] sigmoid network against a plain list-based backprop loop.

Prints times and the ratios measured in the same run (the machines are noisy: compare ratios,
not seconds). Usage: python benchmarks/train.py [--iterations N] [--repeat R] [--wide N]
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections.abc import Callable
from typing import Any

import tracer
from tracer.spec import Spec


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


def wide_spec(sizes: list[int]) -> Spec:
    """A sigmoid network with layers `sizes` (inputs first) and fixed random weights."""
    rng = random.Random(1)
    layers: list[dict[str, Any]] = []
    width = sizes[0]
    for name, size in zip(("h", "g", "k", "o"), sizes[1:], strict=False):
        rows = [[round(rng.uniform(-0.5, 0.5), 3) for _ in range(width)] for _ in range(size)]
        layers.append({"name": name, "activation": "sigmoid", "weights": rows, "bias": 0.1})
        width = size
    layers[-1]["name"] = "o"
    return tracer.spec_from_dict({
        "loss": "half_squared_error", "learning_rate": 0.5, "update_biases": False,
        "inputs": {f"i{k}": round(rng.random(), 3) for k in range(1, sizes[0] + 1)},
        "targets": {f"o{k}": 0.5 for k in range(1, sizes[-1] + 1)},
        "layers": layers,
    })


def list_loop(spec: Spec, iterations: int) -> float:
    """Plain-Python backprop over lists: the usual hand-written loop for any layer sizes."""
    weights = [[list(row) for row in layer.weights] for layer in spec.layers]
    biases = [float(layer.bias) for layer in spec.layers]  # type: ignore[arg-type]
    x0 = [v for _, v in spec.inputs]
    targets = [v for _, v in spec.targets]
    eta = spec.learning_rate
    error = 0.0
    for _ in range(iterations):
        outs = [x0]
        for matrix, bias in zip(weights, biases, strict=True):
            xs = outs[-1]
            outs.append([1 / (1 + math.exp(-(sum(w * x for w, x in zip(row, xs, strict=True))
                                               + bias))) for row in matrix])
        error = sum((t - o) ** 2 / 2 for t, o in zip(targets, outs[-1], strict=True))
        deltas = [(o - t) * o * (1 - o) for o, t in zip(outs[-1], targets, strict=True)]
        for layer in range(len(weights) - 1, -1, -1):
            xs, matrix = outs[layer], weights[layer]
            below = [sum(deltas[k] * matrix[k][i] for k in range(len(deltas))) * x * (1 - x)
                     for i, x in enumerate(xs)] if layer else []
            for k, delta in enumerate(deltas):
                row = matrix[k]
                for i, x in enumerate(xs):
                    row[i] -= eta * delta * x
            deltas = below
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
    parser.add_argument("--wide", type=int, default=200, help="updates of the wide network")
    args = parser.parse_args()
    symbolic = tracer.build_trace(tracer.example_spec("seed"))
    tracer.train(symbolic, 1)  # generate the step function once, outside the timing
    hand = best_of(args.repeat, lambda: hand_loop(args.iterations))
    ours = best_of(args.repeat, lambda: tracer.train(symbolic, args.iterations))
    print(f"updates: {args.iterations}, best of {args.repeat}")
    print(f"hand-written float loop : {hand * 1e3:8.1f} ms")
    print(f"tracer generated step   : {ours * 1e3:8.1f} ms")
    print(f"ratio tracer / hand     : {ours / hand:8.2f}x")

    spec = wide_spec([32, 32, 32, 2])
    wide = tracer.build_trace(spec)
    start = time.perf_counter()
    tracer.train(wide, 1)
    build = time.perf_counter() - start
    repeat = max(1, args.repeat // 2)
    hand = best_of(repeat, lambda: list_loop(spec, args.wide))
    ours = best_of(repeat, lambda: tracer.train(wide, args.wide))
    print(f"\n[32, 32, 32, 2] network, {args.wide} updates, best of {repeat}")
    print(f"generating the code once: {build * 1e3:8.1f} ms")
    print(f"hand-written list loop  : {hand * 1e3:8.1f} ms")
    print(f"tracer generated loop   : {ours * 1e3:8.1f} ms")
    print(f"ratio tracer / hand     : {ours / hand:8.2f}x")


if __name__ == "__main__":
    main()
