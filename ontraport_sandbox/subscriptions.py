"""Contacts on campaigns and sequences: who is on what, the queue of changes not yet processed, and
the subscriber counts campaigns and sequences report.

A contact's membership is its `updateCampaign` / `updateSequence` field (`*/*3*/*5*/*`, notes 13
A1, A2), kept by the contact store like `contact_cat`; this module decides what a subscribe or
unsubscribe does to it. Ontraport answers "The subscription is now being processed." and does the
work later (A3), so under the `subscription_processing` switch's `queued` value a change waits
until `POST /__sandbox/process`; whether subscribing a contact already on the list restarts it is
unsettled (A5), so the `resubscribe` switch decides, and restarts are counted.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass

from .builtin_objects import CAMPAIGN_OBJECT_ID, SEQUENCE_OBJECT_ID
from .meta import CAMPAIGN_LIST_FIELD, SEQUENCE_LIST_FIELD
from .stats import Stats
from .store import Store

CAMPAIGN = "campaign"
SEQUENCE = "sequence"
LIST_FIELD = {CAMPAIGN: CAMPAIGN_LIST_FIELD, SEQUENCE: SEQUENCE_LIST_FIELD}
LIST_OBJECT = {CAMPAIGN: CAMPAIGN_OBJECT_ID, SEQUENCE: SEQUENCE_OBJECT_ID}
COUNT_FIELD = {CAMPAIGN: "subs", SEQUENCE: "subscriber_count"}
PROCESSING = "The subscription is now being processed."


@dataclass(frozen=True)
class Change:
    """One subscribe or unsubscribe request, as accepted."""

    list_type: str  # CAMPAIGN | SEQUENCE
    list_ids: tuple[int, ...]
    contact_ids: tuple[int, ...]
    adding: bool


class SubscriptionBook:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._queue: list[Change] = []
            self._ever: Counter[tuple[str, int]] = Counter()  # a campaign's `subs_ever`

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def enqueue(self, change: Change) -> None:
        with self._lock:
            self._queue.append(change)

    def process(self, store: Store, resubscribe: str, stats: Stats) -> int:
        """Applies every queued change in order; returns how many there were."""
        with self._lock:
            queued, self._queue = self._queue, []
        for change in queued:
            self.apply(store, change, resubscribe, stats)
        return len(queued)

    def apply(self, store: Store, change: Change, resubscribe: str, stats: Stats | None) -> None:
        """List ids that are not campaigns (sequences) of the account, or a deleted campaign, are
        ignored like unknown tag ids; so are contact ids that do not exist. Without `stats` (an
        admin seed) nothing is counted."""
        with store.lock:
            lists = store.records(LIST_OBJECT[change.list_type])
            if lists is None:
                return
            known = [
                list_id
                for list_id in change.list_ids
                if (row := lists.get(list_id)) is not None and row.get("deleted", "0") != "1"
            ]
            field = LIST_FIELD[change.list_type]
            add = known if change.adding else []
            remove = [] if change.adding else known
            for contact_id in change.contact_ids:
                added, removed, already = store.contacts.change_list(field, contact_id, add, remove)
                with self._lock:
                    for list_id in added:
                        self._ever[(change.list_type, list_id)] += 1
                if stats is None:
                    continue
                for list_id in added:
                    stats.subscribed(change.list_type, list_id)
                for list_id in removed:
                    stats.unsubscribed(change.list_type, list_id)
                if resubscribe == "restart":
                    for list_id in already:
                        stats.restarted(change.list_type, list_id)

    def refresh_counts(self, store: Store) -> None:
        """Writes the current subscriber counts into the campaign and sequence records (read-only
        fields the account keeps itself), so that every read shows them as of now."""
        with store.lock:
            for list_type, object_id in LIST_OBJECT.items():
                lists = store.records(object_id)
                if lists is None:
                    continue
                field = LIST_FIELD[list_type]
                for list_id in lists.all_ids():
                    values = {COUNT_FIELD[list_type]: str(store.contacts.list_member_count(field, list_id))}
                    if list_type == CAMPAIGN:
                        with self._lock:
                            values["subs_ever"] = str(self._ever[(list_type, list_id)])
                    lists.set_system_values(list_id, values)
