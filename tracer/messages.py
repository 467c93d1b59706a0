"""The words tracer writes, one catalogue per language: `catalogues/<lang>.toml` in the
package (English `en`, Chinese `zh`; another language is another file).

A catalogue is a TOML file of tables of strings: `[question] network = "The network"` is
the message `question.network`. A message may hold placeholders, `{name}` only (no
attribute, index, conversion or format spec: a translator's typo must not reach into the
values), filled by the caller with text already escaped for its format. Templates get a
`Catalogue` in their view model (`t`) and call it, `{{ t("question.network") }}`; Python
code calls it too, `t("check.given")`. The `[language]` table describes the language:
`name`, and `cjk` ("yes" where its prose needs CJK line breaking in TeX).

Messages are plain text without markup and without TeX's special characters (tests check):
the templates put them in Markdown or LaTeX as they are.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .errors import TracerError

DEFAULT = "en"
FOLDER = Path(__file__).parent / "catalogues"
MAX_CATALOGUE_BYTES = 200_000


def languages() -> tuple[str, ...]:
    """The languages with a catalogue, sorted."""
    return tuple(sorted(path.stem for path in FOLDER.glob("*.toml")))


def placeholders(text: str) -> frozenset[str]:
    """The `{name}` placeholders of a message; ValueError for any other kind of field."""
    found = set()
    for _, name, spec, conversion in string.Formatter().parse(text):
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"placeholder {{{name}}} must be a plain {{name}}")
        found.add(name)
    return frozenset(found)


@dataclass(frozen=True)
class Catalogue:
    """One language's messages by key; called with a key (and the placeholders' values) it
    gives the text."""

    lang: str
    entries: Mapping[str, str] = field(hash=False)  # hashed by its language

    def __call__(self, key: str, /, **values: object) -> str:
        try:
            text = self.entries[key]
        except KeyError:  # a bug: tests/test_messages.py checks every key used
            raise KeyError(f"no message {key!r} in the {self.lang} catalogue") from None
        return text.format_map(values) if values or "{" in text else text

    def has(self, key: str) -> bool:
        return key in self.entries

    @property
    def name(self) -> str:
        """The language's own name (English, 中文)."""
        return self.entries["language.name"]

    @property
    def cjk(self) -> bool:
        """Whether prose in this language needs CJK line breaking (TeX)."""
        return self.entries.get("language.cjk") == "yes"

    def join(self, items: list[str]) -> str:
        """Items of a list in this language's way (`a, b` or `a，b`)."""
        return self.entries["language.comma"].join(items)


def catalogue(lang: str = DEFAULT, key: str = "lang") -> Catalogue:
    """The catalogue of `lang`; a TracerError naming the languages there are otherwise (at
    `key`, the option or spec key that chose it)."""
    if lang not in languages():
        raise TracerError(f"unknown language {lang[:20]!r} (one of: {', '.join(languages())})",
                          key=key)
    return _load(lang)


@cache  # a catalogue file does not change while tracer runs
def _load(lang: str) -> Catalogue:
    path = FOLDER / f"{lang}.toml"
    raw = path.read_bytes()
    if len(raw) > MAX_CATALOGUE_BYTES:
        raise TracerError("is too large for a message catalogue", source=str(path))
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TracerError(f"invalid catalogue: {exc}", source=str(path)) from None
    entries: dict[str, str] = {}
    _flatten(data, "", entries, str(path))
    return Catalogue(lang, entries)


def _flatten(table: Mapping[str, object], prefix: str, into: dict[str, str],
             source: str) -> None:
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            _flatten(value, f"{path}.", into, source)
        elif isinstance(value, str):
            try:
                placeholders(value)
            except ValueError as exc:
                raise TracerError(str(exc), source=source, key=path) from None
            into[path] = value
        else:
            raise TracerError("a message must be a string", source=source, key=path)


