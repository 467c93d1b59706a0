"""Building large acyclic structures with the cycle collector paused.

A trace of thousands of weights creates hundreds of thousands of sympy objects and strings,
none of them in a reference cycle. The cycle collector still walks them again and again as
they pile up: 0.05–0.18 s of the 0.6–0.9 s a 4,608-weight trace takes (benchmarks/README.md).
Reference counting frees them all the same; any cycle made meanwhile is collected later.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Pause the cycle collector, restoring its previous state (nesting is safe)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
