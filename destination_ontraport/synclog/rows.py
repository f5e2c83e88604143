"""One row of the sync log: what a sync did with one record, as JSON Lines or CSV.

    {"position": 7, "stream": "people", "key": "ann@example.com", "action": "updated", "id": "42",
     "fields": ["First Name", "Plan"], "reason": null}

`fields` names the fields the write changed by their labels (what the user sees in Ontraport), never
their values; `key` is the record's match key as the connector compares it (an email trimmed and
lower-cased). The user owns the file and the bucket, and a key is what lets them find the record
(Census and Hightouch show keys in their sync logs too); the rejected-records rows already carry the
whole record. Pure: encoded without a bucket.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from destination_ontraport.protocol.messages import stream_label
from destination_ontraport.rejected.rows import RejectedRow, encode_table
from destination_ontraport.rejected.settings import CsvFormat, GzipCompression, JsonlFormat, NoCompression

Action = Literal[
    "created",  # a new record
    "updated",  # an existing record, changed (`fields` says which)
    "unchanged",  # an existing record that already held every value: no write
    "tagged",  # unchanged fields, but tags added or removed
    "subscribed",  # unchanged fields, but put on a campaign or sequence (issue 19's steps)
    "removed",  # deleted, or its configured tags taken off
    "skipped",  # nothing to do (an update-only record not in Ontraport, a removal of an absent record)
    "superseded",  # replaced by a later record with the same primary key before it was written
    "rejected",  # refused (`reason` says why; the rejected records hold the record itself)
]
ACTIONS: tuple[str, ...] = get_args(Action)
COLUMNS = ("position", "stream", "key", "action", "id", "fields", "reason")


@dataclass(frozen=True, slots=True)
class RecordResult:
    """`position`: the input line (1-based); None for a record no input line named (a contact a full
    refresh removed because it was missing). `stream`: its label (`crm.people`)."""

    position: int | None
    stream: str
    key: str | None
    action: Action
    record_id: str | None = None
    fields: tuple[str, ...] = ()
    reason: str | None = None

    @classmethod
    def rejected(cls, row: RejectedRow) -> RecordResult:
        """A rejected record, as the rejections' owner stored it (its stream and namespace resolved)."""
        return cls(
            row.position, stream_label(row.namespace, row.stream), row.key, "rejected", reason=row.error
        )

    def values(self) -> tuple[object, ...]:
        return (
            self.position,
            self.stream,
            self.key,
            self.action,
            self.record_id,
            list(self.fields),
            self.reason,
        )


def encode_results(
    rows: Iterable[RecordResult],
    output: CsvFormat | JsonlFormat,
    compression: NoCompression | GzipCompression,
    mask: Callable[[str], str] = lambda text: text,
) -> bytes:
    """The rows of one object or one append to the file: `fields` is one JSON cell in CSV. `mask`
    hides the connector's secrets (a reason quotes a short excerpt of a refused value)."""
    table = (row.values() for row in rows)
    return encode_table(COLUMNS, table, output, compression, nested=("fields",), mask=mask)


__all__ = ["ACTIONS", "COLUMNS", "Action", "RecordResult", "encode_results"]
