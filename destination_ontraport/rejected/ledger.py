"""Which record a rejection belongs to, and which STATE message counts it.

A record can be refused at once (stream not in the catalog, a value that cannot be mapped) or only
when its batch is written (Ontraport refuses the contact), after later STATE messages have arrived.
The ledger (held by `Rejections`) keeps every record that may still be refused (bounded by the batch:
`settled()` comes after each flush) so that a late rejection still finds the original record and its
stream, and attributes each rejection to the first STATE after it that covers its stream, by the
rule the platform counts records by (`StatsTracker.kt`: a STATE closes the count of each stream it
answers for): a per-stream STATE covers its stream (namespace and name exactly as the record has
them), a GLOBAL one the streams its `stream_states` list, a LEGACY one every stream. So the records a
STATE's `rejectedRecordCount` counts are always among those its interval holds.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any

from destination_ontraport.protocol.messages import RecordItem, StateItem, StreamKey
from destination_ontraport.rejected.rows import INVALID_LINES_STREAM, RejectedRow


class RejectLedger:
    def __init__(self) -> None:
        self._in_flight: dict[int, RecordItem] = {}
        self._open: list[tuple[int, str | None, str]] = []  # (position, namespace, name), not yet counted
        self._states: deque[StateItem] = deque()

    # --- records -----------------------------------------------------------------------------
    def track(self, item: RecordItem) -> None:
        """A record was read; until it is written, superseded or rejected it may still be refused."""
        self._in_flight[item.position] = item

    def forget(self, position: int) -> None:
        """A later record with the same primary key replaced this one: it can no longer be refused."""
        self._in_flight.pop(position, None)

    def settled(self, keep: Iterable[int] = ()) -> None:
        """The writer flushed: every record read so far is written or rejected, but those at the
        positions `keep`, which a stream still holds (the lines of an order not yet complete)."""
        kept = {position: self._in_flight[position] for position in keep if position in self._in_flight}
        self._in_flight.clear()
        self._in_flight.update(kept)

    def rejected(
        self, position: int, stream: str | None, key: str | None, reason: str, record: Any
    ) -> RejectedRow:
        """Every rejection, wherever it was decided: counted for the next STATE that covers its stream,
        and returned as the row the bucket stores (the original record, when it was one)."""
        item = self._in_flight.pop(position, None)
        if item is not None:
            self._open.append((position, item.namespace, item.stream))
            return RejectedRow(reason, item.stream, item.namespace, position, key, item.data)
        # An input line that was no usable record: STATE's recordCount does not count it either.
        return RejectedRow(reason, stream or INVALID_LINES_STREAM, None, position, key, record)

    # --- states ------------------------------------------------------------------------------
    def state_arrived(self, item: StateItem) -> None:
        self._states.append(item)

    def count_for(self, item: StateItem) -> int:
        """At release, in arrival order: the rejected records this STATE covers. Every record before it
        is settled by then (a STATE is released only after its records are flushed)."""
        while self._states:
            if self._states.popleft() is item:
                break
        else:
            return 0
        counted = 0
        still_open = []
        for entry in self._open:
            if entry[0] < item.position and _covers(item.streams, (entry[1], entry[2])):
                counted += 1
            else:
                still_open.append(entry)
        self._open = still_open
        return counted


def _covers(streams: frozenset[StreamKey] | None, stream: StreamKey) -> bool:
    return streams is None or stream in streams
