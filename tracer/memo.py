"""Memoization per trace structure that does not keep the structure alive.

Compiled code and printed LaTeX are worth keeping for as long as their `SymbolicTrace` lives
(answer keys evaluate one structure hundreds of times). `functools.cache` would keep every
trace it ever saw, and its compiled code, for the life of the process: a notebook re-running
a cell grew by ~10 MB a [32, 32, 32] trace. Here the entries go with their trace. Cached
values must not refer back to the trace, or it is never freed.

`Lru` is a dictionary of bounded size, for caches whose keys come from their input (the
checker's compiled variants): whatever is marked, it holds at most `size` entries.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Concatenate, Generic, ParamSpec, TypeVar
from weakref import WeakKeyDictionary

Key = TypeVar("Key")
Result = TypeVar("Result")
Hashed = TypeVar("Hashed", bound=Hashable)
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


class Lru(Generic[Hashed, Result]):
    """At most `size` results, the least recently used dropped first."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("an Lru holds at least one entry")
        self.size = size
        self._entries: OrderedDict[Hashed, Result] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashed, make: Callable[[], Result]) -> Result:
        """The result for `key`, made by `make()` when it is not held."""
        if key in self._entries:
            self._entries.move_to_end(key)
            return self._entries[key]
        result = self._entries[key] = make()
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return result
