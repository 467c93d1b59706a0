"""Memoization per trace structure that does not keep the structure alive.

Compiled code and printed LaTeX are worth keeping for as long as their `SymbolicTrace` lives
(answer keys evaluate one structure hundreds of times). `functools.cache` would keep every
trace it ever saw, and its compiled code, for the life of the process: a notebook re-running
a cell grew by ~10 MB a [32, 32, 32] trace. Here the entries go with their trace. Cached
values must not refer back to the trace, or it is never freed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from typing import Concatenate, ParamSpec, TypeVar
from weakref import WeakKeyDictionary

Key = TypeVar("Key")
Result = TypeVar("Result")
Params = ParamSpec("Params")


def per_trace(function: Callable[Concatenate[Key, Params], Result]
              ) -> Callable[Concatenate[Key, Params], Result]:
    """Cache `function(key, *args)` weakly by `key` and then by the (hashable) arguments."""
    memo: WeakKeyDictionary[Key, dict[Hashable, Result]] = WeakKeyDictionary()

    @functools.wraps(function)
    def cached(key: Key, /, *args: Params.args, **kwargs: Params.kwargs) -> Result:
        table = memo.setdefault(key, {})
        arguments = (args, tuple(sorted(kwargs.items())))
        if arguments not in table:
            table[arguments] = function(key, *args, **kwargs)
        return table[arguments]

    return cached
