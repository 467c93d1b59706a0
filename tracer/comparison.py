"""Our numbers beside a published source's (`[published]`), and which setting explains each
difference: the update order, values carried rounded, or both. Found by recomputing, never
assumed.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterator
from dataclasses import dataclass, replace

from .errors import TracerError
from .evaluation import evaluate
from .network import build_trace
from .published import Figure
from .spec import Spec
from .training import train


@dataclass(frozen=True)
class Comparison:
    name: str
    printed: float
    decimals: int
    ours: float
    agrees: bool  # ours, rounded as printed, is the printed figure
    # What reproduces the printed figure: "update_order" (the other order), "carry" (values
    # carried rounded), "update_order+carry", or "" if none does (or ours agrees).
    setting: str
    reproduced: float | None  # the value under that setting
    other_order: float | None = None  # training figures: the other update order's value


def _settings(spec: Spec) -> Iterator[tuple[str, Spec]]:
    yield "update_order", replace(spec, update_order=other_order(spec))
    if spec.carry == "exact":
        yield "carry", replace(spec, carry="rounded")
        yield "update_order+carry", replace(spec, update_order=other_order(spec), carry="rounded")


def other_order(spec: Spec) -> str:
    return "sequential" if spec.update_order == "simultaneous" else "simultaneous"


def _agrees(value: float, figure: Figure) -> bool:
    return abs(value - figure.value) <= 0.5 * 10.0 ** -figure.decimals * (1 + 1e-9)


def _value(values: dict[str, float], figure: Figure, key: str) -> float:
    if figure.name not in values:
        close = difflib.get_close_matches(figure.name, list(values), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise TracerError(f"no quantity {figure.name!r} in this network{hint}",
                          key=f"{key}.{figure.name}")
    return values[figure.name]


@functools.lru_cache(maxsize=8)  # one spec's lesson is rendered in md, tex, html, pdf
def compare(spec: Spec) -> tuple[Comparison, ...]:
    """Each printed figure of one worked step beside ours; for one that differs, the first
    other setting that reproduces it."""
    published = spec.published
    if published is None or not published.values:
        return ()
    ours = evaluate(build_trace(spec)).as_dict()
    others = [(label, evaluate(build_trace(other)).as_dict())
              for label, other in _settings(spec)]
    found = []
    for figure in published.values:
        value = _value(ours, figure, "published.values")
        agrees = _agrees(value, figure)
        setting, reproduced = "", None
        for label, values in [] if agrees else others:
            if _agrees(values[figure.name], figure):
                setting, reproduced = label, values[figure.name]
                break
        found.append(Comparison(figure.name, figure.value, figure.decimals, value, agrees,
                                setting, reproduced))
    return tuple(found)


@functools.lru_cache(maxsize=8)  # one spec's lesson is rendered in md, tex, html, pdf
def compare_training(spec: Spec) -> tuple[Comparison, ...]:
    """The printed figures after many updates beside ours, in both update orders."""
    published = spec.published
    if published is None or not published.training:
        return ()
    label, other = next(_settings(spec))
    ours, theirs = (train(build_trace(s), published.updates).last.as_dict()
                    for s in (spec, other))
    found = []
    for figure in published.training:
        value = _value(ours, figure, "published.training")
        agrees = _agrees(value, figure)
        reproduced = not agrees and _agrees(theirs[figure.name], figure)
        found.append(Comparison(figure.name, figure.value, figure.decimals, value, agrees,
                                label if reproduced else "",
                                theirs[figure.name] if reproduced else None,
                                other_order=theirs[figure.name]))
    return tuple(found)
