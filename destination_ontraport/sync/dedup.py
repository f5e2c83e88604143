"""`append_dedup`: keep only the latest record per primary key (by cursor, ties by arrival order).

A batch holds the winners so far; once a batch has been written, the winning cursor of each key is
remembered (bounded) so that an older version arriving in a later batch does not overwrite a newer one.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def cursor_order(value: Any) -> tuple[int, Any]:
    """A total order over JSON cursor values: null first, then numbers, then strings, then the rest."""
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | float):
        return (1, value)
    if isinstance(value, str):
        return (2, value)
    return (3, json.dumps(value, sort_keys=True, default=str))


@dataclass
class _Entry(Generic[T]):
    cursor: tuple[int, Any]
    arrival: int
    item: T


class LatestByCursor(Generic[T]):
    def __init__(self, memory: int = 200_000) -> None:
        self._batch: dict[Hashable, _Entry[T]] = {}
        self._applied: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()
        self._memory = memory
        self._arrivals = 0

    def offer(self, key: Hashable, cursor: Any, item: T) -> T | None:
        """Add a record; returns the record it displaced or that lost against it (to count), if any."""
        self._arrivals += 1
        order = cursor_order(cursor)
        applied = self._applied.get(key)
        if applied is not None and order < applied:
            return item
        current = self._batch.get(key)
        if current is not None and order < current.cursor:
            return item
        self._batch[key] = _Entry(order, self._arrivals, item)
        return current.item if current is not None else None

    def drain(self, *, by_cursor: bool = False) -> list[T]:
        """The winners in arrival order of the winning records (`by_cursor`: oldest cursor first,
        then by arrival); remembers their cursors."""
        if by_cursor:
            winners = sorted(self._batch.items(), key=lambda kv: (kv[1].cursor, kv[1].arrival))
        else:
            winners = sorted(self._batch.items(), key=lambda kv: kv[1].arrival)
        for key, entry in winners:
            self._applied[key] = entry.cursor
            self._applied.move_to_end(key)
        while len(self._applied) > self._memory:
            self._applied.popitem(last=False)
        self._batch = {}
        return [entry.item for _, entry in winners]

    def __len__(self) -> int:
        return len(self._batch)
