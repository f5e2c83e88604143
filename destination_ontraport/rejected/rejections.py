"""Every rejected record of a sync has one owner, wherever it was refused (the input parser, the
mapper, a writer, Ontraport itself): this one.

`reject` is the only way in. It counts the record (in all and per stream, for the rejection threshold
of each kind of stream), logs it by reason (the first few of each reason in full, see
`rejection_groups.py`), writes it to the local rejected-records file, hands it to the ledger (which
STATE counts it, see `ledger.py`) and, as a row, to the bucket (`bucket.py`), and remembers which
Ontraport record it names, so that removals of full-refresh leftovers spare that record (or stop,
when it names none). The message loop asks it whether a STATE may go out (`unstored`, `store`) and
how many rejections each STATE counts (`count_for`).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from destination_ontraport.protocol.messages import RecordItem, StateItem
from destination_ontraport.rejected.bucket import RejectedObjects
from destination_ontraport.rejected.ledger import RejectLedger
from destination_ontraport.rejected.rejection_groups import FULL_LINES_PER_REASON, RejectionGroups
from destination_ontraport.rejected.rows import RejectedRow

logger = logging.getLogger("airbyte")

LISTED_REJECTIONS = 20
LISTED_UNKEYED = 3  # per stream: input lines of rejected records that name no record, for a message

NamedRecord = tuple[int, str, str]
"""(object type id, key field name, comparable value): the Ontraport record a rejected record names."""


@dataclass(frozen=True)
class Rejection:
    position: int
    stream: str | None
    key: str | None
    reason: str

    def line(self) -> str:
        where = f"stream {self.stream!r}" if self.stream else "no stream"
        key = f", key {self.key!r}" if self.key else ""
        return f"line {self.position} ({where}{key}): {self.reason}"


class Rejections:
    """The rejected records of one sync. `path`: the local rejected-records file (JSON Lines), if
    the config names one; `bucket`: the rejected-records bucket, if one is configured."""

    def __init__(self, path: str | None = None, bucket: RejectedObjects | None = None) -> None:
        self.path = path
        self.count = 0
        self.listed: list[Rejection] = []  # the first LISTED_REJECTIONS, for the summary
        self.reasons = RejectionGroups()
        self.by_stream: dict[str | None, int] = {}
        self.spared: set[NamedRecord] = set()
        """The records rejected records name: removals of leftovers spare them (they are still in the
        source, only this version of them was refused)."""
        self.unkeyed: dict[str | None, list[int]] = {}
        """Per stream, the first input lines of rejected records that name no record (no usable key)."""
        self._ledger = RejectLedger()
        self._bucket = bucket
        self._file: IO[str] | None = None

    def reject(
        self,
        position: int,
        stream: str | None,
        key: str | None,
        reason: str,
        record: Any = None,
        *,
        names: NamedRecord | None = None,
    ) -> RejectedRow:
        """`names`: the Ontraport record the rejected record names, when known. Returns the row the
        bucket stores (its stream and namespace resolved), for the sync log."""
        rejection = Rejection(position, stream, key, reason)
        self.count += 1
        if names is not None:
            self.spared.add(names)
        else:
            lines = self.unkeyed.setdefault(stream, [])
            if len(lines) < LISTED_UNKEYED:
                lines.append(position)
        if len(self.listed) < LISTED_REJECTIONS:
            self.listed.append(rejection)
        group = self.reasons.add(reason, rejection.line())
        if group.count < FULL_LINES_PER_REASON:
            logger.warning(f"Rejected record at {rejection.line()}")
        elif group.count == FULL_LINES_PER_REASON:
            logger.warning(
                f"Rejected record at {rejection.line()}. Further records rejected for this reason are "
                "counted, not logged one by one (the summary gives their number)."
            )
        self.by_stream[stream] = self.by_stream.get(stream, 0) + 1
        row = self._ledger.rejected(position, stream, key, reason, record)
        if self._bucket is not None:
            self._bucket.add(row)
        if self.path:
            self._local_file().write(
                json.dumps({**asdict(rejection), "record": record}, default=str, ensure_ascii=False) + "\n"
            )
        return row

    # --- records that may still be refused, and the STATEs that count them ---------------------
    def track(self, item: RecordItem) -> None:
        """A record was read: until it is written, superseded or rejected it may still be refused."""
        self._ledger.track(item)

    def forget(self, position: int) -> None:
        """A later record with the same primary key replaced this one: it can no longer be refused."""
        self._ledger.forget(position)

    def settled(self, keep: Iterable[int] = ()) -> None:
        """Every writer flushed: every record read so far is written or rejected, except those at the
        input positions `keep` (an order whose last line is yet to come), which may still be refused."""
        self._ledger.settled(keep)

    def state_arrived(self, item: StateItem) -> None:
        self._ledger.state_arrived(item)

    def count_for(self, item: StateItem) -> int:
        """At release, in arrival order: the rejected records this STATE covers."""
        return self._ledger.count_for(item)

    @property
    def unstored(self) -> int:
        """Rejections not yet in the bucket: a STATE that covers them waits."""
        return self._bucket.buffered if self._bucket is not None else 0

    def store(self) -> None:
        """Before a STATE goes out: every rejection it acknowledges is on disk and in the bucket.
        Raises when the bucket fails (after its retries): the held STATEs then stay unreleased."""
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
        if self._bucket is not None:
            self._bucket.store()

    def close(self) -> None:
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
        if self._bucket is not None:
            self._bucket.close()

    def _local_file(self) -> IO[str]:
        if self._file is None:
            path = Path(self.path or "")
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("a", encoding="utf-8")
        return self._file


__all__ = ["LISTED_REJECTIONS", "NamedRecord", "Rejection", "Rejections"]
