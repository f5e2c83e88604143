"""A bounded memory of the records this sync has already looked up or written, per object.

Within one sync the same record often comes back (CDC updates, the same person in two streams, a
record repeated across batches). Remembering its id, the values we know it holds and its tags lets
a later batch skip the lookup and, when nothing changed, the write too. Bounded so that memory
stays flat however many records a sync carries.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from destination_ontraport.model.automations import ListKind, list_ids
from destination_ontraport.model.system_fields import TAG_FIELD


@dataclass(slots=True)
class KnownRecord:
    """`tag_ids` is None when Ontraport's answer did not say (collection reads may leave out
    `contact_cat`): then the record is tagged and untagged as if it lacked or held every tag.
    `lists`: the contact's campaign and sequence ids, per kind the read returned; a kind missing is
    not known (never read as "on none": see write/subscription_plan.py)."""

    id: str
    values: dict[str, Any] = field(default_factory=dict)
    tag_ids: frozenset[str] | None = frozenset()
    lists: dict[ListKind, frozenset[str]] = field(default_factory=dict)


class KnownRecords:
    """Least-recently-used map from match key to what we know of that record."""

    def __init__(self, capacity: int = 50_000) -> None:
        self._capacity = capacity
        self._items: OrderedDict[str, KnownRecord] = OrderedDict()

    def get(self, key: str) -> KnownRecord | None:
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, key: str, record: KnownRecord) -> None:
        self._items[key] = record
        self._items.move_to_end(key)
        while len(self._items) > self._capacity:
            self._items.popitem(last=False)

    def forget(self, key: str) -> None:
        self._items.pop(key, None)

    def __len__(self) -> int:
        return len(self._items)


def row_tag_ids(row: dict[str, Any]) -> frozenset[str] | None:
    """A read row's tag ids, or None when the row does not carry `contact_cat` at all: no source
    shows collection reads returning it, so its absence must never read as "no tags"."""
    return parse_tag_ids(row[TAG_FIELD]) if TAG_FIELD in row else None


def row_lists(row: dict[str, Any]) -> dict[ListKind, frozenset[str]]:
    """A read row's campaigns and sequences, for each kind whose field the row carries: no source
    shows collection reads returning them (§13 A1, A2), so a missing field is "not known"."""
    return {kind: list_ids(row[kind.field]) for kind in ListKind if kind.field in row}


def parse_tag_ids(contact_cat: Any) -> frozenset[str]:
    """Ontraport lists a record's tag ids as `*/*1*/*2*/*`."""
    if not isinstance(contact_cat, str) or not contact_cat:
        return frozenset()
    return _tag_ids(contact_cat)


@lru_cache(maxsize=4096)  # most records of a sync carry one of a few tag combinations
def _tag_ids(contact_cat: str) -> frozenset[str]:
    return frozenset(filter(None, contact_cat.split("*/*")))
