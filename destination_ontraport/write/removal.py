"""Taking contacts away safely: CDC deletes, `soft_delete` streams and full-refresh leftovers.

Ontraport deletes every contact when a bulk delete names no ids, and a source that fails half way
looks, to a naive full refresh, like a source whose contacts all left. So removal is explicit ids
only (in the query string, as Ontraport's SDK sends DELETE parameters), in bulk, after the contacts
were found, under a per-sync guard, and (for full-refresh leftovers) only after every overwrite
stream ended complete. One tripwire more: the first delete of each object type in a sync is
bracketed by two counts of that type's records, and if more disappeared than were named, no further
removal is sent. Per type: contacts and other objects are deleted through different routes
(`/Contacts`, `/objects?objectID=`), so a delete of one type that went right proves nothing for
another.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator, Sequence
from typing import Literal

from destination_ontraport.model.automations import ListKind, ListRef
from destination_ontraport.model.objects import ObjectType
from destination_ontraport.model.problems import ConfigProblem
from destination_ontraport.model.system_fields import TAG_FIELD
from destination_ontraport.ontraport.client import RecordApi, pages
from destination_ontraport.ontraport.errors import RemovalTripwireError
from destination_ontraport.write.known_records import row_tag_ids

logger = logging.getLogger("airbyte")

REMOVAL_CHUNK = 200
RemovalAction = Literal["delete", "remove_tags"]


class RemovalGuard:
    """Caps how many records one sync may remove; refuses *before* a removal that would pass it."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def reserve(self, count: int, what: str) -> None:
        if self.used + count > self.limit:
            raise ConfigProblem(
                f"This sync would remove {self.used + count} records ({what}), more than max_removals "
                f"({self.limit}); nothing more was removed. If this many removals are expected, raise "
                "max_removals; otherwise check that the source sent all its records."
            )
        self.used += count


class Remover:
    """Every removal of one sync goes through here: guard, explicit ids in chunks, tripwire.
    `sends` is False in a dry run: removals still count against the guard, and nothing is sent.
    `remove_tags` takes off what this connection puts on every contact: the config's tags and, for
    contacts, its campaigns and sequences (`lists`)."""

    def __init__(
        self,
        client: RecordApi,
        guard: RemovalGuard,
        tag_ids: Sequence[str],
        *,
        sends: bool = True,
        lists: Collection[ListRef] = (),
    ) -> None:
        self._client = client
        self._guard = guard
        self.tag_ids = list(tag_ids)  # what `remove_tags` takes off: the config's tags
        self.lists = frozenset(lists)  # ... and the config's campaigns and sequences
        self.sends = sends
        self.planned_requests = 0  # a dry run: the requests these removals would have sent
        self._checked_types: set[int] = set()  # object types whose first delete was bracketed
        self._tripped: str | None = None

    def remove(self, obj: ObjectType, ids: Sequence[str], action: RemovalAction, what: str) -> None:
        """Reserve under the guard (refusing before anything is sent), then bulk calls with explicit
        ids only (the client refuses anything else before sending)."""
        self._guard.reserve(len(ids), what)
        if not self.sends:
            self.planned_requests += self._requests_for(obj, len(ids), action)
            return
        for start in range(0, len(ids), REMOVAL_CHUNK):
            chunk = ids[start : start + REMOVAL_CHUNK]
            if self._tripped:
                raise RemovalTripwireError(self._tripped)
            if action == "remove_tags":
                self._client.remove_tags(obj, chunk, self.tag_ids)
                self._unsubscribe(obj, chunk)
            elif obj.id in self._checked_types:
                self._client.delete(obj, chunk)
            else:
                self._first_delete(obj, chunk)

    def unsubscriptions(self, obj: ObjectType, removed: int) -> int:
        """The subscriptions `remove_tags` takes away from `removed` records (one per contact and
        list: the count a summary reports)."""
        return removed * len(self.lists) if obj.is_contact else 0

    def _unsubscribe(self, obj: ObjectType, chunk: Sequence[str]) -> None:
        """DELETE /objects/subscribe per kind, for the chunk being untagged: taking a contact off a
        list it is not on changes nothing, so no read is spent on who is on what."""
        if not obj.is_contact:
            return
        for kind in ListKind:
            ids = sorted(list_id for ref_kind, list_id in self.lists if ref_kind is kind)
            if ids:
                self._client.unsubscribe(kind, ids, chunk)

    def _requests_for(self, obj: ObjectType, count: int, action: RemovalAction) -> int:
        """What `remove` sends for `count` ids: a call per chunk, and the two counts around the first
        delete of an object type (the tripwire)."""
        calls = -(-count // REMOVAL_CHUNK)
        if action == "delete" and calls and obj.id not in self._checked_types:
            self._checked_types.add(obj.id)
            calls += 2
        return calls

    def tagged_records_missing_from(
        self, obj: ObjectType, seen_ids: Collection[str], list_fields: Sequence[str] = ()
    ) -> list[dict[str, object]]:
        """The records that carry every tag this remover takes off but were not in this sync (see the
        function of that name)."""
        return tagged_records_missing_from(self._client, obj, self.tag_ids, seen_ids, list_fields)

    def _first_delete(self, obj: ObjectType, chunk: Sequence[str]) -> None:
        """Counts before and after (two cheap reads, once per object type and sync): a server that
        ignored the ids would have deleted far more than the chunk, and this sync must not send
        another removal."""
        before = self._client.count(obj)
        self._client.delete(obj, chunk)
        after = self._client.count(obj)
        self._checked_types.add(obj.id)
        gone = before - after
        if gone > len(chunk):
            self._tripped = (
                f"Stopped every removal of this sync: Ontraport's {obj.name} count fell by {gone} (from "
                f"{before} to {after}) when this sync asked it to delete {len(chunk)} by id. Ontraport may "
                "have deleted records it was not asked to (or another integration deleted some at the same "
                "moment). No further delete or untag request was sent. Check the account's recently deleted "
                f"{obj.name} records before running this sync again."
            )
            logger.error(self._tripped)
            raise RemovalTripwireError(self._tripped, method="DELETE", path=obj.collection_path)
        logger.info(
            f"Delete check: {gone} {obj.name} records gone after deleting {len(chunk)} by id, as asked."
        )


def tagged_records_missing_from(
    client: RecordApi,
    obj: ObjectType,
    tag_ids: Sequence[str],
    seen_ids: Collection[str],
    list_fields: Sequence[str] = (),
) -> list[dict[str, object]]:
    """Records that carry every configured tag but were not touched by this sync, oldest first: their
    rows (`id` and `list_fields`, as the tag listing gives them, which costs no request more).

    Membership comes from `contact_cat` when Ontraport's tag listing carries it; when it does not
    (no source says it does), from paging the listing of every configured tag and intersecting.
    """
    first: list[dict[str, object]] = []
    complete: set[str] = set()
    tags_unknown = False
    wanted = frozenset(tag_ids)
    for row in _members(client, obj, tag_ids[0], list_fields):
        contact_id = str(row.get("id", ""))
        if not contact_id:
            continue
        first.append({**row, "id": contact_id})
        tags = row_tag_ids(row)
        if tags is None:
            tags_unknown = True
        elif wanted <= tags:
            complete.add(contact_id)
    if tags_unknown:
        complete = {str(row["id"]) for row in first}
        for tag_id in tag_ids[1:]:
            complete &= {str(row.get("id", "")) for row in _members(client, obj, tag_id)}
    return [row for row in first if row["id"] in complete and row["id"] not in seen_ids]


def _members(
    client: RecordApi, obj: ObjectType, tag_id: str, list_fields: Sequence[str] = ()
) -> Iterator[dict[str, object]]:
    """Every record listed under one tag, page by page."""
    fields = list(dict.fromkeys(["id", TAG_FIELD, *list_fields]))
    return pages(lambda start: client.records_with_tag(obj, tag_id, fields, start))
