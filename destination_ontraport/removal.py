"""Taking contacts away safely: CDC deletes, `soft_delete` streams and full-refresh leftovers.

Ontraport deletes every contact when a bulk delete names no ids, and a source that fails half way
looks, to a naive full refresh, like a source whose contacts all left. So removal is explicit ids
only, in bulk, after the contacts were found, under a per-sync guard, and (for full-refresh
leftovers) only after every overwrite stream ended complete.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from typing import Literal

from destination_ontraport.client import OntraportClient
from destination_ontraport.errors import ConfigProblem
from destination_ontraport.known_contacts import parse_tag_ids

logger = logging.getLogger("airbyte")

REMOVAL_CHUNK = 200
PAGE_SIZE = 50
RemovalAction = Literal["delete", "remove_tags"]


class RemovalGuard:
    """Caps how many contacts one sync may remove; refuses *before* a removal that would pass it."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def reserve(self, count: int, what: str) -> None:
        if self.used + count > self.limit:
            raise ConfigProblem(
                f"This sync would remove {self.used + count} contacts ({what}), more than max_removals "
                f"({self.limit}); nothing more was removed. If this many removals are expected, raise "
                "max_removals; otherwise check that the source sent all its records."
            )
        self.used += count


def remove_contacts(
    client: OntraportClient, contact_ids: Sequence[str], action: RemovalAction, tag_ids: Sequence[str]
) -> None:
    """Bulk calls with explicit ids only (the client refuses anything else before sending)."""
    for start in range(0, len(contact_ids), REMOVAL_CHUNK):
        chunk = contact_ids[start : start + REMOVAL_CHUNK]
        if action == "delete":
            client.delete_contacts(chunk)
        else:
            client.remove_tags(chunk, tag_ids)


def tagged_contacts_missing_from(
    client: OntraportClient, tag_ids: Sequence[str], seen_ids: Collection[str]
) -> list[str]:
    """Contacts that carry every configured tag but were not touched by this sync, oldest first."""
    wanted = set(tag_ids)
    missing: list[str] = []
    start = 0
    while True:
        page = client.contacts_with_tag(tag_ids[0], ["id", "contact_cat"], start)
        for row in page:
            contact_id = str(row.get("id", ""))
            if contact_id and contact_id not in seen_ids and wanted <= parse_tag_ids(row.get("contact_cat")):
                missing.append(contact_id)
        if len(page) < PAGE_SIZE:
            return missing
        start += len(page)
