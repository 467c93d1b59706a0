"""Randomized exercises: the `[randomize]` table of a spec and the drawing of variants.

    [randomize]
    weights = { low = 0.05, high = 0.95, decimals = 2 }
    inputs  = { low = 0.0, high = 1.0, decimals = 2 }
    "targets.o1" = { choices = [0.01, 0.05, 0.1] }
    learning_rate = { choices = [0.1, 0.25, 0.5] }

A key names a group (`weights`, `biases`, `inputs`, `targets`, `learning_rate`) or one value
(`weights.w5`, `biases.b_h1`, `inputs.i1`, `targets.o1`); a key for one value overrides its
group. Each variant draws from its own generator, seeded from the exercise seed and the
variant's id, so adding or removing a student changes nobody else's numbers.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from typing import NoReturn

Fail = Callable[[str, str], NoReturn]  # (key path, message): reports a problem in the spec
Number = Callable[[object, str], float]  # (raw value, key path): a checked number

GROUPS = ("weights", "biases", "inputs", "targets", "learning_rate", "values")  # values: a circuit
MAX_DECIMALS = 9
MAX_REDRAWS = 1000  # draws of one value that rounds to 0, before giving up


@dataclass(frozen=True)
class Rule:
    """Draw uniformly from [low, high] rounded to `decimals`, or one of `choices`."""

    key: str
    low: float = 0.0
    high: float = 0.0
    decimals: int = 2
    choices: tuple[float, ...] = ()
    allow_zero: bool = False  # a drawn 0 is redrawn unless allowed (a listed choice is)

    def draw(self, rng: random.Random) -> float:
        """A value; never −0.0, and 0 only from a choice or where allowed (a given value of
        0 makes a term of the derivation vanish: w·0, and a gradient of 0)."""
        if self.choices:
            return self.choices[rng.randrange(len(self.choices))] + 0.0
        for _ in range(MAX_REDRAWS):
            value = round(rng.uniform(self.low, self.high), self.decimals) + 0.0
            if value != 0 or self.allow_zero:
                return value
        raise ValueError(f"randomize.{self.key}: no value other than 0 in {MAX_REDRAWS} "
                         "draws (widen the range, or allow_zero = true)")

    @property
    def bounds(self) -> tuple[float, float]:
        return (min(self.choices), max(self.choices)) if self.choices else (self.low, self.high)


def parse_rules(table: object, fail: Fail, number: Number) -> tuple[Rule, ...]:
    """Rules from the raw `[randomize]` table; `fail(key, message)` reports a problem and
    `number(value, key)` checks one number (both from the spec reader)."""
    if not isinstance(table, dict):
        fail("randomize", "must be a table of key = { low, high, decimals } or { choices }")
    rules = []
    for key, raw in table.items():
        path = f"randomize.{key}"
        group = key.split(".", 1)[0]
        if group not in GROUPS or (group == "learning_rate" and key != group):
            close = get_close_matches(key, GROUPS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            fail(path, f"unknown key{hint}; use one of {', '.join(GROUPS)} or e.g. weights.w5")
        rules.append(_rule(key, raw, path, fail, number))
    return tuple(rules)


def _rule(key: str, raw: object, path: str, fail: Fail, number: Number) -> Rule:
    if not isinstance(raw, dict):
        fail(path, "must be a table: { low = …, high = …, decimals = … } or { choices = […] }")
    unknown = [k for k in raw if k not in ("low", "high", "decimals", "choices", "allow_zero")]
    if unknown:
        fail(f"{path}.{unknown[0]}", "unknown key (one of: low, high, decimals, choices, "
                                     "allow_zero)")
    allow_zero = raw.get("allow_zero", False)
    if type(allow_zero) is not bool:
        fail(f"{path}.allow_zero", "must be true or false")
    if "choices" in raw:
        if set(raw) - {"allow_zero"} != {"choices"}:
            fail(path, "give either choices or low/high, not both")
        if not isinstance(raw["choices"], list) or not raw["choices"]:
            fail(f"{path}.choices", "must be a non-empty list of numbers")
        return Rule(key, choices=tuple(number(v, f"{path}.choices[{i}]")
                                       for i, v in enumerate(raw["choices"], start=1)))
    for bound in ("low", "high"):
        if bound not in raw:
            fail(f"{path}.{bound}", "is missing")
    low, high = number(raw["low"], f"{path}.low"), number(raw["high"], f"{path}.high")
    if low > high:
        fail(path, f"low ({low:g}) is greater than high ({high:g})")
    decimals = raw.get("decimals", 2)
    if type(decimals) is not int or not 0 <= decimals <= MAX_DECIMALS:
        fail(f"{path}.decimals", f"must be an integer from 0 to {MAX_DECIMALS}")
    if key == "learning_rate" and low > 0 and round(low, decimals) <= 0:
        # Rounding never goes below round(low): if that is 0, some variant would get
        # a learning rate of 0, which no spec accepts.
        fail(path, f"draws round to 0 at {decimals} decimals; the learning rate must be "
                   "greater than 0 (raise low or decimals)")
    if not allow_zero and round(low, decimals) == 0 and round(high, decimals) == 0:
        fail(path, f"draws only 0 at {decimals} decimals (widen the range, raise decimals, "
                   "or allow_zero = true)")
    return Rule(key, low, high, decimals, allow_zero=allow_zero)


def targets_of(rule: Rule, givens: Mapping[str, str]) -> list[str]:
    """The given values (canonical names) a rule draws; `givens` maps name -> its group key
    (e.g. w5 -> weights.w5, i1@2 -> inputs.i1, target_o1 -> targets.o1)."""
    return [name for name, key in givens.items()
            if rule.key == key or rule.key == key.split(".", 1)[0]]


def variant_seed(seed: int, variant: str) -> int:
    """A generator seed from the exercise seed and the variant's id, stable across runs."""
    digest = hashlib.sha256(f"tracer:{seed}:{variant}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def chosen_rules(rules: tuple[Rule, ...], givens: Mapping[str, str]) -> dict[str, Rule]:
    """The rule that draws each randomized value (canonical name -> rule): a key for one
    value overrides its group."""
    chosen: dict[str, Rule] = {}
    for rule in sorted(rules, key=lambda r: "." in r.key):  # groups first, then one-value keys
        for name in targets_of(rule, givens):
            chosen[name] = rule
    return chosen


def draw(rules: tuple[Rule, ...], givens: Mapping[str, str], rng: random.Random
         ) -> dict[str, float]:
    """One draw of every randomized value: specific keys override their group; a value shared
    by several examples (inputs.i1) is drawn once per example."""
    chosen = chosen_rules(rules, givens)
    return {name: chosen[name].draw(rng) for name in givens if name in chosen}
