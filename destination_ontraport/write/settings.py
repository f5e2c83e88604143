"""What one writer writes and how, fixed for a whole sync: one frozen value instead of a dozen
constructor arguments, read by the writer and its executor alike."""

from __future__ import annotations

from dataclasses import dataclass

from destination_ontraport.model.automations import ListRef
from destination_ontraport.model.mapping import FieldInfo
from destination_ontraport.model.objects import ObjectType
from destination_ontraport.write.removal import RemovalAction
from destination_ontraport.write.subscription_ledger import SubscriptionLedger


@dataclass(frozen=True)
class WriterSettings:
    """`key`: the field records are matched by (None: no key, every record is created;
    `RECORD_ID_FIELD`: Ontraport's own id). `tag_ids`: the config's tags, added to every record
    written. `removal`: what a record gone from the source becomes (None: left alone).
    `ignores_case`: whether the account compares text ignoring case (None: not known; the read-path
    probe says). `track_seen`: remember every record written or found (only a full refresh that
    removes leftovers needs it: memory). `reject_absent`: an update or a deletion whose key matches
    nothing is a rejected record, as Airbyte's data-activation destinations report it (a classic
    stream counts it as skipped). `lists`: the config's campaigns and sequences, which every record
    written is put on (classic contact streams). `subscriptions`: the sync's one memory of the
    subscriptions it sent, shared by every writer of contacts (None: a memory of the writer's own)."""

    obj: ObjectType
    key: FieldInfo | None
    tag_ids: frozenset[str] = frozenset()
    removal: RemovalAction | None = None
    ignores_case: bool | None = None
    track_seen: bool = False
    reject_absent: bool = False
    lists: frozenset[ListRef] = frozenset()
    subscriptions: SubscriptionLedger | None = None


__all__ = ["WriterSettings"]
