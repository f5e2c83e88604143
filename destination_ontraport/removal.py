"""Taking contacts away safely: CDC deletes, `soft_delete` streams and full-refresh leftovers.

Ontraport deletes every contact when a bulk delete names no ids, and a source that fails half way
looks, to a naive full refresh, like a source whose contacts all left. So removal is explicit ids
only (in the query string, as Ontraport's SDK sends DELETE parameters), in bulk, after the contacts
were found, under a per-sync guard, and (for full-refresh leftovers) only after every overwrite
stream ended complete. One tripwire more: the first delete of a sync is bracketed by two counts of
the account's contacts, and if more disappeared than were named, no further removal is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator, Sequence
from typing import Literal

from destination_ontraport.client import OntraportClient, OntraportError
from destination_ontraport.errors import ConfigProblem
from destination_ontraport.known_contacts import row_tag_ids

logger = logging.getLogger("airbyte")

REMOVAL_CHUNK = 200
PAGE_SIZE = 50
RemovalAction = Literal["delete", "remove_tags"]


class RemovalTripwireError(OntraportError):
    """Ontraport removed more contacts than a delete named: every further removal is refused."""


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


class Remover:
    """Every removal of one sync goes through here: guard, explicit ids in chunks, tripwire."""

    def __init__(
        self, client: OntraportClient, guard: RemovalGuard, tag_ids: Sequence[str], *, dry_run: bool = False
    ) -> None:
        self._client = client
        self._guard = guard
        self._tag_ids = list(tag_ids)
        self._dry_run = dry_run  # a dry run counts against the guard and sends nothing
        self._deletes_checked = False
        self._tripped: str | None = None

    def remove(self, contact_ids: Sequence[str], action: RemovalAction, what: str) -> None:
        """Reserve under the guard (refusing before anything is sent), then bulk calls with explicit
        ids only (the client refuses anything else before sending)."""
        self._guard.reserve(len(contact_ids), what)
        if self._dry_run:
            return
        for start in range(0, len(contact_ids), REMOVAL_CHUNK):
            chunk = contact_ids[start : start + REMOVAL_CHUNK]
            if self._tripped:
                raise RemovalTripwireError(self._tripped)
            if action == "remove_tags":
                self._client.remove_tags(chunk, self._tag_ids)
            elif self._deletes_checked:
                self._client.delete_contacts(chunk)
            else:
                self._first_delete(chunk)

    def _first_delete(self, chunk: Sequence[str]) -> None:
        """Counts before and after (two cheap reads, once a sync): a server that ignored the ids
        would have deleted far more than the chunk, and this sync must not send another removal."""
        before = self._client.get_contact_count()
        self._client.delete_contacts(chunk)
        after = self._client.get_contact_count()
        self._deletes_checked = True
        gone = before - after
        if gone > len(chunk):
            self._tripped = (
                f"Stopped every removal of this sync: Ontraport's contact count fell by {gone} (from "
                f"{before} to {after}) when this sync asked it to delete {len(chunk)} contacts by id. "
                "Ontraport may have deleted contacts it was not asked to (or another integration deleted "
                "contacts at the same moment). No further delete or untag request was sent. Check the "
                "account's recently deleted contacts before running this sync again."
            )
            logger.error(self._tripped)
            raise RemovalTripwireError(self._tripped, method="DELETE", path="/Contacts")
        logger.info(f"Delete check: {gone} contacts gone after deleting {len(chunk)} by id, as asked.")


def tagged_contacts_missing_from(
    client: OntraportClient, tag_ids: Sequence[str], seen_ids: Collection[str]
) -> list[str]:
    """Contacts that carry every configured tag but were not touched by this sync, oldest first.

    Membership comes from `contact_cat` when Ontraport's tag listing carries it; when it does not
    (no source says it does), from paging the listing of every configured tag and intersecting.
    """
    first: list[str] = []
    complete: set[str] = set()
    tags_unknown = False
    wanted = frozenset(tag_ids)
    for row in _members(client, tag_ids[0]):
        contact_id = str(row.get("id", ""))
        if not contact_id:
            continue
        first.append(contact_id)
        tags = row_tag_ids(row)
        if tags is None:
            tags_unknown = True
        elif wanted <= tags:
            complete.add(contact_id)
    if tags_unknown:
        complete = set(first)
        for tag_id in tag_ids[1:]:
            complete &= {str(row.get("id", "")) for row in _members(client, tag_id)}
    return [contact_id for contact_id in first if contact_id in complete and contact_id not in seen_ids]


def _members(client: OntraportClient, tag_id: str) -> Iterator[dict[str, object]]:
    """Every contact listed under one tag, page by page."""
    start = 0
    while True:
        page = client.contacts_with_tag(tag_id, ["id", "contact_cat"], start)
        yield from page
        if len(page) < PAGE_SIZE:
            return
        start += len(page)
