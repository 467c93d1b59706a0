"""A spec as TOML text (the variant specs that `tracer keys` writes), read back by `tomllib`.

Only what a spec holds: strings, booleans, integers, finite floats, lists of them, tables of
numbers and arrays of tables. Strings are TOML basic strings: printable characters as they
are (UTF-8, emoji too), the rest as TOML escapes, so no text from a spec can break out of its
quotes. JSON's escapes would not do: they write a character beyond U+FFFF as two surrogate
escapes, which TOML rejects.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .escape import visible_text


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
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _key(key: str) -> str:
    return key if key.replace("_", "a").isalnum() and key.isascii() else _string(key)


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
            "\r": "\\r"}


def _string(text: str) -> str:
    """A TOML basic string; a character that does not show (control, format, bidi) is
    escaped, so the file reads as it parses."""
    return '"' + "".join(_char(ch) for ch in text) + '"'


def _char(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    if ch.isprintable():
        return ch
    code = ord(ch)
    if 0xD800 <= code <= 0xDFFF:  # not a Unicode scalar value: no TOML string holds one
        raise ValueError("TOML strings cannot hold a lone surrogate")
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


def to_toml(data: Mapping[str, Any], header: str = "") -> str:
    """Plain values first, then tables, then arrays of tables (TOML needs that order)."""
    # A TOML comment may not hold control characters; bidi ones would disguise the file.
    lines = [f"# {visible_text(line)}" for line in header.splitlines()]
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
