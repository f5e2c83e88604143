"""What this sync already did to campaign and sequence memberships: one memory, shared by every writer.

Ontraport answers a subscribe with "The subscription is now being processed." and carries it out
later (§13 A3), so a contact subscribed earlier in this sync may still read as "not on it" when it
comes again: in a later batch, from another stream, or through another writer of contacts (a
classic stream and a data-activation stream). Whether subscribing it again restarts the campaign is
not settled (§13 A5). So every change this sync sends (or in a dry run would send) is noted here and
wins over what a read says: a contact is never subscribed twice in one sync, whatever Ontraport's
processing. Keyed by integer ids (every id sent is a positive integer), so a large sync's memory
stays small: about 100 bytes per subscription made.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from destination_ontraport.model.automations import ListRef


class SubscriptionLedger:
    """Thread-safe. `last_subscribed`: the last contact a subscribe named, with the lists it was
    put on: the end of a sync reads it back to tell whether Ontraport processed the subscriptions."""

    def __init__(self) -> None:
        self._done: dict[ListRef, dict[int | str, bool]] = {}
        self._lock = threading.Lock()
        self.last_subscribed: tuple[str, frozenset[ListRef]] | None = None
        self._left_off: set[int | str] = set()

    def done(self, ref: ListRef, contact_id: str) -> bool | None:
        """True: this sync put the contact on the list; False: it took it off; None: untouched."""
        with self._lock:
            return self._done.get(ref, {}).get(_key(contact_id))

    def note(self, refs: Iterable[ListRef], contact_ids: Iterable[str], *, added: bool) -> None:
        ids = [_key(contact_id) for contact_id in contact_ids]
        chosen = frozenset(refs)
        with self._lock:
            for ref in chosen:
                entries = self._done.setdefault(ref, {})
                for contact_id in ids:
                    entries[contact_id] = added
            if added and ids:
                last, before = str(ids[-1]), self.last_subscribed
                same = before is not None and before[0] == last  # its campaigns, then its sequences
                self.last_subscribed = (last, chosen | before[1] if same and before else chosen)

    def leave_off(self, contact_ids: Iterable[str]) -> int:
        """Notes contacts left off (their membership was not readable); returns how many of them were
        not left off before in this sync, so that a contact that comes again is counted once."""
        keys = {_key(contact_id) for contact_id in contact_ids}
        with self._lock:
            new = keys - self._left_off
            self._left_off |= new
        return len(new)


def _key(contact_id: str) -> int | str:
    """Ontraport's ids are whole numbers: kept as ints (smaller); anything else as it is."""
    return int(contact_id) if contact_id.isdigit() else contact_id


__all__ = ["SubscriptionLedger"]
