"""A spec as TOML text (the variant specs that `tracer keys` writes), read back by `tomllib`.

Only what a spec holds: strings, booleans, integers, finite floats, lists of them, tables of
numbers and arrays of tables. Strings are written as TOML basic strings with JSON's escapes,
which TOML shares, so no text from a spec can break out of its quotes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any


def _value(value: Any) -> str:
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is int:
        return str(value)
    if type(value) is float:
        if not math.isfinite(value):
            raise ValueError("TOML specs hold finite numbers only")
        return repr(value)
    if type(value) is str:
        return json.dumps(value, ensure_ascii=True)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _key(key: str) -> str:
    return key if key.replace("_", "a").isalnum() and key.isascii() else json.dumps(key)


def to_toml(data: Mapping[str, Any], header: str = "") -> str:
    """Plain values first, then tables, then arrays of tables (TOML needs that order)."""
    lines = [f"# {line}" for line in header.splitlines()]
    plain = {k: v for k, v in data.items() if not _is_table(v) and not _is_table_array(v)}
    lines += [f"{_key(k)} = {_value(v)}" for k, v in plain.items()]
    for key, value in data.items():
        if _is_table(value):
            lines += ["", f"[{_key(key)}]"]
            lines += [f"{_key(k)} = {_value(v)}" for k, v in value.items()]
    for key, value in data.items():
        if _is_table_array(value):
            for entry in value:
                lines += ["", f"[[{_key(key)}]]"]
                lines += [f"{_key(k)} = {_value(v)}" for k, v in entry.items()]
    return "\n".join(lines) + "\n"


def _is_table(value: Any) -> bool:
    return isinstance(value, Mapping)


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)
