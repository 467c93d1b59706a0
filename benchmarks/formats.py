"""Each output format against Markdown, on the same [n, n, n] trace, in the same run: JSON
(which was quadratic: 4× Markdown at [24, 24, 24], 16× at [32, 32, 32]) and LaTeX. Each
render starts from a freshly evaluated trace (printed LaTeX is cached per trace).

Usage: python benchmarks/formats.py [--sizes 24,32] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

from train import wide_spec

import tracer


def render_time(spec: tracer.Spec, fmt: str, repeat: int) -> float:
    """Best seconds of `repeat` renders of a fresh trace."""
    times = []
    for _ in range(repeat):
        trace = tracer.trace(spec)
        start = time.perf_counter()
        tracer.render(trace, fmt)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="24,32")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tracer.render(tracer.trace(wide_spec([2, 2, 2])), "md")  # per-kind derivatives, once
    print(f"{'network':>14} {'md s':>7} {'json s':>7} {'tex s':>7} {'json/md ratio':>14} "
          f"{'tex/md ratio':>13}")
    for n in (int(size) for size in args.sizes.split(",")):
        spec = wide_spec([n, n, n])
        md, js, tex = (render_time(spec, fmt, args.repeat) for fmt in ("md", "json", "tex"))
        print(f"{[n, n, n]!s:>14} {md:7.3f} {js:7.3f} {tex:7.3f} {js / md:14.2f} "
              f"{tex / md:13.2f}")


if __name__ == "__main__":
    main()
