"""Values derived from one event (or message) object, computed once and kept while it lives.

Events and messages are frozen, so what is derived from them (the message an event becomes,
its size in characters, a call's normalised form) never changes. Caching by identity keeps
each step's work proportional to what is new instead of to the whole session; an entry goes
when its object is collected.
"""

import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class PerObject(Generic[K, V]):
    def __init__(self, compute: Callable[[K], V]) -> None:
        self._compute = compute
        self._values: dict[int, V] = {}

    def __call__(self, key: K) -> V:
        identity = id(key)
        try:
            return self._values[identity]
        except KeyError:
            pass
        value = self._compute(key)
        self._values[identity] = value
        # The entry leaves before the object's memory (and so its id) can be reused.
        weakref.finalize(key, self._values.pop, identity, None)
        return value

    def __len__(self) -> int:
        return len(self._values)
