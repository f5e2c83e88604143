"""Collapse: all records of one batch that name the same record become one pending write.

Records for the same key are merged in arrival order, later fields winning, exactly as if they had
been written one after another; a deletion replaces whatever came before it in the batch, and a
write after a deletion keeps the record with the later fields.

Where the account's comparison of text is not known, two keys that differ only in case (`ABC-1`,
`abc-1`) may be one record or two. The batch then holds the later one (and everything after it with
that key, ignoring case) for a later round of the same flush: it is looked up after the earlier one
was written, so the account decides, exactly as it does when the two come in separate batches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from destination_ontraport.model.automations import ListRef


@dataclass(slots=True)  # not frozen: a frozen __init__ costs a setattr call per field, per record
class MappedRecord:
    """One input record as a writer takes it: its match key (as the writer compares keys), its
    mapped fields (the writer takes the dict over and may change it: pass one of your own), the input
    line and stream it came from, whether it may create a record (False from an `update` stream), and
    the tags it asks for (True: add, False: remove), and the campaigns and sequences it asks to be
    put on or taken off (True: subscribe, False: unsubscribe). A removal's fields hold only what finds
    the record (its match value). `links`: the records it links to by key (link field name -> the
    linked record's key value), resolved to ids into `fields` before the writer plans
    (write/linking.py)."""

    key: str
    fields: dict[str, str]
    position: int
    stream: str
    may_create: bool = True
    tags: Mapping[str, bool] | None = None
    lists: Mapping[ListRef, bool] | None = None
    links: Mapping[str, str] | None = None


@dataclass(slots=True)
class PendingRecord:
    """What one batch asks of one record.

    `tags`: tag names the records asked for (True: add, False: remove), the later record winning per
    tag; the writer's own tags (the config's) come on top. `lists`: campaigns and sequences, the same
    way. `may_create` is False when every record came from an `update` stream; `remove` when the last
    record said the record is gone (CDC delete, `soft_delete`).
    """

    key: str
    fields: dict[str, str]
    sources: list[tuple[int, str]]  # (input line, stream)
    may_create: bool
    remove: bool = False
    tags: dict[str, bool] = field(default_factory=dict)
    lists: dict[ListRef, bool] = field(default_factory=dict)


class Batch:
    """Pending records by key, in first-arrival order; `take()` hands out one round and keeps the
    rest. `fold` (None: keys are compared only as they are) names keys that may be one record."""

    def __init__(self, fold: Callable[[str], str] | None = None) -> None:
        self._fold = fold
        self._pending: dict[str, PendingRecord] = {}
        self._first_of: dict[str, str] = {}  # folded key -> the key pending in this round
        self._held: set[str] = set()  # folded keys whose later records wait for the next round
        self._next: Batch | None = None
        self.records = 0  # input records collapsed into the pending ones, later rounds included

    def __len__(self) -> int:
        return len(self._pending)

    def _later(self, key: str) -> Batch | None:
        """The next round, when this key differs only in case from one pending in this round."""
        if self._fold is None:
            return None
        folded = self._fold(key)
        if folded not in self._held and self._first_of.setdefault(folded, key) == key:
            return None
        self._held.add(folded)
        if self._next is None:
            self._next = Batch(self._fold)
        return self._next

    def add(self, record: MappedRecord) -> None:
        """The batch takes `record.fields` over (and may change it)."""
        self.records += 1
        key = record.key
        later = self._later(key)
        if later is not None:
            later.add(record)
            return
        pending = self._pending.get(key)
        source = (record.position, record.stream)
        if pending is None or pending.remove:
            sources = [*pending.sources, source] if pending else [source]
            self._pending[key] = PendingRecord(
                key,
                record.fields,
                sources,
                record.may_create,
                tags=dict(record.tags or {}),
                lists=dict(record.lists or {}),
            )
            return
        pending.fields.update(record.fields)
        pending.sources.append(source)
        pending.may_create = pending.may_create or record.may_create
        if record.tags:
            pending.tags.update(record.tags)
        if record.lists:
            pending.lists.update(record.lists)

    def add_removal(self, record: MappedRecord) -> None:
        """The record is gone from the source: whatever earlier records of this batch said is moot.
        Its fields hold what finds the record (its match value), nothing to write."""
        self.records += 1
        key = record.key
        later = self._later(key)
        if later is not None:
            later.add_removal(record)
            return
        pending = self._pending.get(key)
        source = (record.position, record.stream)
        sources = [*pending.sources, source] if pending else [source]
        self._pending[key] = PendingRecord(key, record.fields, sources, False, remove=True)

    def take(self) -> list[PendingRecord]:
        """This round's records; the next round (if any) becomes the batch."""
        batch = list(self._pending.values())
        later = self._next if self._next is not None else Batch(self._fold)
        self._pending, self._first_of, self._held = later._pending, later._first_of, later._held
        self._next, self.records = later._next, later.records
        return batch
