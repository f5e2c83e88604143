"""What a writer did: its flush returns this instead of changing the sync's report from inside.

The message loop hands each outcome to the report (the counts) and to the rejections' owner (the
records refused): so a writer knows nothing of either, and the counts a summary shows come from one
place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from destination_ontraport.rejected.rejections import NamedRecord
from destination_ontraport.synclog.rows import RecordResult
from destination_ontraport.write.estimate import RequestEstimate


@dataclass(frozen=True, slots=True)
class RefusedRecord:
    """One input record a writer could not write (Ontraport refused it, or an update or deletion
    found nothing to act on), with the reason. `key`: its match key; `names`: the Ontraport record
    it names (removals of leftovers spare it), None when it names none."""

    position: int
    stream: str
    key: str | None
    reason: str
    names: NamedRecord | None


@dataclass
class WriteOutcome:
    """Counts per action (records created, updated, ...; tagged and untagged count records, deleted
    the records removed; subscribed and unsubscribed count subscriptions, one per contact and campaign
    or sequence) and the records refused, in input order. `subscriptions_left_off`: existing contacts
    not subscribed because Ontraport's read did not say what they are on; `subscriptions_unconfirmed`:
    subscriptions sent without an answer (never sent twice). `results`: what happened to each
    record written, found or removed (one per input record; the refused ones are in `refused`), for
    the sync log; bounded by the round. `requests`: in a dry run, what the real sync would spend on
    this round (see estimate.py); zeros in a real sync."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    tagged: int = 0
    untagged: int = 0
    deleted: int = 0
    skipped: int = 0
    subscribed: int = 0
    unsubscribed: int = 0
    subscriptions_left_off: int = 0
    subscriptions_unconfirmed: int = 0
    refused: list[RefusedRecord] = field(default_factory=list)
    results: list[RecordResult] = field(default_factory=list)
    requests: RequestEstimate = field(default_factory=RequestEstimate)


__all__ = ["RefusedRecord", "WriteOutcome"]
