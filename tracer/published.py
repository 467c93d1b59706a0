"""Figures a published source prints for the same network: the spec's `[published]` table.

A worked example is often read beside the text it comes from, whose numbers may differ in the
last digits (another update order, values carried rounded). The document compares them where
they arise and says which setting reproduces them (`comparison`). Read here; compared above
the graph.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import NoReturn

Fail = Callable[[str, str], NoReturn]
Number = Callable[[object, str], float]

KEYS = ("source", "values", "training")
LANGUAGE = re.compile(r"^[a-z]{2,3}$")  # a `source` table's keys: languages
MAX_FIGURES = 100
MAX_UPDATES = 100_000  # 10,000 seed updates take ~25 ms; a comparison trains twice
MAX_SOURCE = 300


@dataclass(frozen=True)
class Figure:
    name: str  # a quantity of the trace
    value: float
    decimals: int  # as printed: the comparison is to this many decimals


@dataclass(frozen=True)
class Published:
    source: str  # who printed them, in words (escaped by the document)
    values: tuple[Figure, ...]  # after one worked step
    updates: int = 0  # the training figures are after this many updates
    training: tuple[Figure, ...] = ()
    translated: tuple[tuple[str, str], ...] = ()  # (language, words) beside `source`

    def source_in(self, lang: str) -> str:
        """Who printed the figures, in `lang` where the spec says it in that language."""
        return dict(self.translated).get(lang, self.source)

    def as_dict(self) -> dict[str, object]:
        source: object = {"en": self.source, **dict(self.translated)} if self.translated \
            else self.source
        data: dict[str, object] = {"source": source,
                                   "values": {f.name: f.value for f in self.values}}
        if self.updates:
            data["training"] = {"updates": self.updates,
                                **{f.name: f.value for f in self.training}}
        return data


def decimals(value: float) -> int:
    """The decimals a printed number shows (0.000035085 → 9)."""
    exponent = Decimal(repr(value)).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def parse_published(table: object, fail: Fail, number: Number) -> Published:
    """The `[published]` table; `fail` and `number` are the spec reader's."""
    if not isinstance(table, dict):
        fail("published", "must be a table (source, values, training)")
    for key in table:
        if key not in KEYS:
            fail(f"published.{key}", f"unknown key (one of: {', '.join(KEYS)})")
    source, translated = _source(table.get("source", ""), fail)
    values = _figures(table.get("values", {}), "published.values", fail, number)
    training = table.get("training", {})
    if not isinstance(training, dict):
        fail("published.training", "must be a table: updates = N and name = value")
    updates = training.get("updates", 0)
    if training and (type(updates) is not int or not 1 <= updates <= MAX_UPDATES):
        fail("published.training.updates", f"must be a whole number from 1 to {MAX_UPDATES}")
    rest = {k: v for k, v in training.items() if k != "updates"}
    figures = _figures(rest, "published.training", fail, number)
    if not values and not figures:
        fail("published", "gives no figures: add values or training")
    return Published(source, values, updates if figures else 0, figures, translated)


def _source(raw: object, fail: Fail) -> tuple[str, tuple[tuple[str, str], ...]]:
    """`source = "the post"`, or per language `source = { en = "the post", zh = "原文" }`
    (English, or else the first, where the document's language is not given)."""
    words = raw if isinstance(raw, dict) else {"en": raw}
    if not words or len(words) > 20:
        fail("published.source", "must say who printed the figures")
    for lang, text in words.items():
        if not LANGUAGE.match(lang):
            fail(f"published.source.{lang[:20]}", "must be a language code such as en or zh")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_SOURCE:
            fail("published.source" + (f".{lang}" if isinstance(raw, dict) else ""),
                 f"must say who printed the figures, in at most {MAX_SOURCE} characters")
    cleaned = {lang: str(text).strip() for lang, text in words.items()}
    default = cleaned.pop("en", None) or cleaned[next(iter(cleaned))]
    return default, tuple(sorted(cleaned.items()))


def _figures(table: object, key: str, fail: Fail, number: Number) -> tuple[Figure, ...]:
    if not isinstance(table, dict):
        fail(key, "must be a table of quantity name = printed value")
    if len(table) > MAX_FIGURES:
        fail(key, f"has {len(table)} figures (limit {MAX_FIGURES})")
    figures = []
    for name, raw in table.items():
        value = number(raw, f"{key}.{name}")
        figures.append(Figure(name, value, decimals(value)))
    return tuple(figures)
