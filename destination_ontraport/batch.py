"""Collapse: all records of one batch that name the same record become one pending write.

Records for the same key are merged in arrival order, later fields winning, exactly as if they had
been written one after another; a deletion replaces whatever came before it in the batch, and a
write after a deletion keeps the record with the later fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(slots=True)
class PendingRecord:
    """What one batch asks of one record.

    `tags`: tag names the records asked for (True: add, False: remove), the later record winning per
    tag; the writer's own tags (the config's) come on top. `may_create` is False when every record came
    from an `update` stream; `remove` when the last record said the record is gone (CDC delete,
    `soft_delete`).
    """

    key: str
    fields: dict[str, str]
    sources: list[tuple[int, str]]  # (input line, stream)
    may_create: bool
    remove: bool = False
    tags: dict[str, bool] = field(default_factory=dict)


class Batch:
    """Pending records by key, in first-arrival order; `take()` empties it."""

    def __init__(self) -> None:
        self._pending: dict[str, PendingRecord] = {}
        self.records = 0  # input records collapsed into the pending ones

    def __len__(self) -> int:
        return len(self._pending)

    def add(
        self,
        key: str,
        fields: dict[str, str],
        position: int,
        stream: str,
        *,
        may_create: bool = True,
        tags: Mapping[str, bool] | None = None,
    ) -> None:
        """The batch takes `fields` over (and may change it): the caller passes a dict of its own."""
        self.records += 1
        pending = self._pending.get(key)
        if pending is None or pending.remove:
            sources = [*pending.sources, (position, stream)] if pending else [(position, stream)]
            self._pending[key] = PendingRecord(key, fields, sources, may_create, tags=dict(tags or {}))
            return
        pending.fields.update(fields)
        pending.sources.append((position, stream))
        pending.may_create = pending.may_create or may_create
        if tags:
            pending.tags.update(tags)

    def add_removal(self, key: str, fields: dict[str, str], position: int, stream: str) -> None:
        """The record is gone from the source: whatever earlier records of this batch said is moot.
        `fields` holds what finds the record (its match value), nothing to write."""
        self.records += 1
        pending = self._pending.get(key)
        sources = [*pending.sources, (position, stream)] if pending else [(position, stream)]
        self._pending[key] = PendingRecord(key, fields, sources, False, remove=True)

    def take(self) -> list[PendingRecord]:
        batch = list(self._pending.values())
        self._pending = {}
        self.records = 0
        return batch
