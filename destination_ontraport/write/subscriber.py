"""Carrying a subscription plan out: the subscribe and unsubscribe calls (or, in a dry run, their count).

One call per set of campaigns (or sequences) per 500 contacts, as tags go (`executor.apply_tags`),
several in flight. A subscribe is never sent twice: it is not repeat-safe (§13 A5: a second one may
restart the campaign), so when Ontraport's answer never came the call is not re-sent; its contacts
are noted as subscribed (so this sync does not try again either), counted as unconfirmed and named
in a warning: the next sync reads whether it took effect. "Never twice" wins over "always subscribed".
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from destination_ontraport.model.automations import ListKind, ListRef, list_ids
from destination_ontraport.ontraport.client import RecordApi
from destination_ontraport.ontraport.errors import AmbiguousWriteError
from destination_ontraport.write.parallel import Workers
from destination_ontraport.write.subscription_ledger import SubscriptionLedger
from destination_ontraport.write.subscription_plan import SubscriptionPlan

logger = logging.getLogger("airbyte")

SUBSCRIBE_CHUNK = 500


@dataclass(frozen=True)
class SubscriptionCounts:
    """Subscriptions made (one per contact and list), removed, contacts left off (membership not
    readable; each counted once a sync), and subscriptions sent without an answer (not re-sent)."""

    subscribed: int = 0
    unsubscribed: int = 0
    left_off: int = 0
    unconfirmed: int = 0


class Subscriber(Protocol):
    def apply(self, plan: SubscriptionPlan) -> SubscriptionCounts:
        """The plan's calls; what they did (in a dry run: would do)."""


@dataclass(frozen=True)
class _Call:
    adding: bool
    kind: ListKind
    lists: frozenset[str]
    contact_ids: Sequence[str]

    @property
    def refs(self) -> frozenset[ListRef]:
        return frozenset((self.kind, list_id) for list_id in self.lists)


class ApiSubscriber:
    def __init__(self, client: RecordApi, workers: Workers, ledger: SubscriptionLedger) -> None:
        self._client = client
        self._workers = workers
        self._ledger = ledger

    def apply(self, plan: SubscriptionPlan) -> SubscriptionCounts:
        calls = [
            _Call(adding, kind, lists, ids[i : i + SUBSCRIBE_CHUNK])
            for adding, groups in ((True, plan.add), (False, plan.remove))
            for (kind, lists), ids in groups.items()
            for i in range(0, len(ids), SUBSCRIBE_CHUNK)
        ]
        unconfirmed = sum(self._workers.map(self._send, calls))
        left_off = self._ledger.leave_off(plan.left_off)
        return SubscriptionCounts(plan.subscriptions, plan.unsubscriptions, left_off, unconfirmed)

    def _send(self, call: _Call) -> int:
        """Runs in a worker; returns the subscriptions whose answer never came."""
        lists = sorted(call.lists, key=_id_order)
        if not call.adding:
            self._client.unsubscribe(call.kind, lists, call.contact_ids)
            self._ledger.note(call.refs, call.contact_ids, added=False)
            return 0
        try:
            self._client.subscribe(call.kind, lists, call.contact_ids)
        except AmbiguousWriteError as exc:
            self._ledger.note(call.refs, call.contact_ids, added=True)
            logger.warning(
                f"Subscribing {len(call.contact_ids)} contact(s) to {call.kind.value}(s) {', '.join(lists)} "
                f"got no answer ({exc}); it may or may not have taken effect. Not sent again: a second "
                f"subscribe could restart the {call.kind.value} for contacts already on it. The next sync "
                "reads which contacts are on it and subscribes only those that are not."
            )
            return len(lists) * len(call.contact_ids)
        self._ledger.note(call.refs, call.contact_ids, added=True)
        return 0


class DryRunSubscriber:
    """Sends nothing; notes what it would send, so that a contact counted once is not counted again."""

    def __init__(self, ledger: SubscriptionLedger) -> None:
        self._ledger = ledger

    def apply(self, plan: SubscriptionPlan) -> SubscriptionCounts:
        for adding, groups in ((True, plan.add), (False, plan.remove)):
            for (kind, lists), ids in groups.items():
                self._ledger.note({(kind, list_id) for list_id in lists}, ids, added=adding)
        subscribed = plan.subscriptions + plan.subscribed_once_created
        return SubscriptionCounts(subscribed, plan.unsubscriptions, self._ledger.leave_off(plan.left_off))


def processed(client: RecordApi, ledger: SubscriptionLedger) -> bool | None:
    """Whether Ontraport shows this sync's subscriptions yet: the last contact subscribed, read once
    (one request a sync). None when this sync subscribed nobody. Ontraport processes subscriptions
    after answering (§13 A3): a sync that starts before it has would read those contacts as not on
    the campaign (see docs, "Campaigns and sequences")."""
    last = ledger.last_subscribed
    if last is None:
        return None
    contact_id, refs = last
    still = [ref for ref in refs if ledger.done(ref, contact_id) is True]
    if not still:
        return None
    row = client.read_contact(contact_id)
    return all(list_id in list_ids(row.get(kind.field)) for kind, list_id in still)


def _id_order(list_id: str) -> tuple[int, str]:
    return (int(list_id), "") if list_id.isdigit() else (1 << 62, list_id)


__all__ = [
    "SUBSCRIBE_CHUNK",
    "ApiSubscriber",
    "DryRunSubscriber",
    "Subscriber",
    "SubscriptionCounts",
    "processed",
]
