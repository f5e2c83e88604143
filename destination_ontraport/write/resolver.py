"""Records by key -> their Ontraport ids: the lookup stage that linked records and purchases share.

`KeyResolver` answers "which record of this object holds this value of this key" for many values at
once: the values not already known go out in bulk lookups (`<key> IN [...]`, 49 a request, cut as
`client.lookup_chunks` cuts them so that a request line stays under 6,000 bytes, paged where
Ontraport holds duplicates), each answer row re-checked against the values asked (a server that
ignored the condition cannot make a wrong match), and the ids found are remembered for the rest of
the sync (a bounded cache), so each distinct value costs one share of one lookup per sync. Values
compare as the writer compares keys (`key_normaliser`: an email ignoring case; other text exactly
where the account's comparison is not known, else as the account compares): an exact match first,
else the only record equal ignoring case.

Several records with one value: a key Ontraport keeps unique (a contact's email) names the oldest,
as saveorupdate merges into the oldest; any other key (a company's name) names none, and the caller
says so (`Resolved.refused`).

`create` makes the records a caller wants and the lookup did not find, repeat-safely: contacts by
email through saveorupdate (which merges), anything else with a plain create that, when its answer
is lost, is looked up again before it is sent a second time. Requests go several at a time.

`Resolvers` holds one resolver per object and key for a whole sync: every writer that links to
contacts by email shares one cache.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from destination_ontraport.model.coercion import record_id
from destination_ontraport.model.mapping import FieldInfo, key_normaliser
from destination_ontraport.model.objects import ObjectType
from destination_ontraport.model.text import excerpt
from destination_ontraport.ontraport.client import RecordApi, pages
from destination_ontraport.ontraport.errors import (
    AmbiguousWriteError,
    NotFoundError,
    RequestRejectedError,
    TransientError,
    UnexpectedAnswerError,
)
from destination_ontraport.write.parallel import Workers

logger = logging.getLogger("airbyte")

CACHE_SIZE = 100_000
"""Ids remembered per object and key: bounded, so memory stays flat over any number of records."""
CREATE_ATTEMPTS = 4
MAX_IDS_NAMED = 5


class BoundedCache:
    """Least-recently-used map of text to text, at most `capacity` entries; thread-safe (creates and
    purchases run several at a time, and each remembers what it made)."""

    def __init__(self, capacity: int = CACHE_SIZE) -> None:
        self._capacity = capacity
        self._items: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: str, value: str) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._items

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


@dataclass
class Resolved:
    """Per value asked (normalised as the resolver compares), the id of the record it names, or why it
    names none of several (`refused`); a value in neither names no record."""

    ids: dict[str, str] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)


@dataclass
class Created:
    """Per value the caller asked to create: the new (or merged-into) record's id, or the reason
    Ontraport refused it."""

    ids: dict[str, str] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)
    made: int = 0  # records that did not exist before (a merge finds one that did)


class KeyResolver:
    """`obj`'s records by `key`, for one sync. `oldest_of_several`: whether several records holding
    one value name the oldest of them (a key Ontraport keeps unique) or none (see module docstring)."""

    def __init__(
        self,
        client: RecordApi,
        obj: ObjectType,
        key: FieldInfo,
        workers: Workers,
        *,
        oldest_of_several: bool,
        ignores_case: bool | None = None,
    ) -> None:
        self._client = client
        self.obj = obj
        self.key = key
        self._workers = workers
        self._oldest = oldest_of_several
        self.normalise = key_normaliser(key, ignores_case)
        self._case_variants = ignores_case is not True and key.type == "email"
        self._ids = BoundedCache()

    def cached(self, value: str) -> str | None:
        return self._ids.get(self.normalise(value))

    def remember(self, value: str, record: str) -> None:
        """A record this value names, learned elsewhere (created through another key)."""
        wanted = self.normalise(value)
        if wanted:
            self._ids.put(wanted, record)

    def resolve(self, values: Iterable[str]) -> Resolved:
        """The records these values name: the cache first, then bulk lookups for the rest."""
        result = Resolved()
        asking: dict[str, str] = {}  # normalised -> the value as given (the first)
        for value in values:
            wanted = self.normalise(value)
            if not wanted or wanted in result.ids or wanted in asking:
                continue
            known = self._ids.get(wanted)
            if known is not None:
                result.ids[wanted] = known
            else:
                asking[wanted] = value.strip()
        if asking:
            self._look_up(asking, result)
        return result

    def _look_up(self, asking: Mapping[str, str], result: Resolved, *, inline: bool = False) -> None:
        """`inline`: from a worker thread (a create that lost its answer): no request of its own is
        handed to the pool, which could be waiting on this very thread."""
        sent: dict[str, None] = {}
        for wanted, value in asking.items():
            sent[value] = None
            if self._case_variants:
                sent[wanted] = None  # the lower-cased form, when it differs
        list_fields = ["id", self.key.name]
        chunks = self._client.lookup_chunks(self.obj, self.key.name, list(sent), list_fields)
        if inline:
            found_rows = [self._find_all(chunk, list_fields) for chunk in chunks]
        else:
            found_rows = self._workers.map(lambda chunk: self._find_all(chunk, list_fields), chunks)
        by_value: dict[str, list[tuple[int, str]]] = {}
        for rows in found_rows:
            for row in rows:
                self._collect(row, by_value)
        folded: dict[str, list[str]] = {}
        for stored in by_value:
            folded.setdefault(stored.casefold(), []).append(stored)
        for wanted, value in asking.items():
            stored_as = wanted if wanted in by_value else _only(folded.get(wanted.casefold()))
            if stored_as is None:
                continue
            matches = sorted(set(by_value[stored_as]))
            if len(matches) == 1 or self._oldest:
                result.ids[wanted] = matches[0][1]
                self._ids.put(wanted, matches[0][1])
                if len(matches) > 1:
                    logger.warning(
                        f"Ontraport holds {len(matches)} {self.obj.name} records with {self.key.alias} "
                        f"{excerpt(value)!r} (ids {_ids(matches)}); linking to the oldest, {matches[0][1]}."
                    )
            else:
                result.refused[wanted] = (
                    f"{len(matches)} {self.obj.name} records have {self.key.alias} {excerpt(value)!r} (ids "
                    f"{_ids(matches)}), which Ontraport does not keep unique, so none is guessed: link by "
                    f"the {self.obj.name} id instead"
                )

    def _find_all(self, values: Sequence[str], list_fields: Sequence[str]) -> list[dict[str, Any]]:
        return list(
            pages(lambda start: self._client.find(self.obj, self.key.name, values, list_fields, start=start))
        )

    def _collect(self, row: Mapping[str, Any], by_value: dict[str, list[tuple[int, str]]]) -> None:
        raw, found = row.get(self.key.name), record_id(row.get("id"))
        if raw is None or found is None:
            return
        stored = self.normalise(raw if isinstance(raw, str) else str(raw))
        if stored:
            by_value.setdefault(stored, []).append((int(found), found))

    # --- creating the records not found -------------------------------------------------------
    def create(self, wanted: Mapping[str, Mapping[str, str]]) -> Created:
        """Creates one record per value (normalised) with the fields given for it, several requests
        at a time; a value found meanwhile (an earlier round created it) is not created again."""
        result = Created()
        todo = {value: fields for value, fields in wanted.items() if self._ids.get(value) is None}
        for value in wanted.keys() - todo.keys():
            result.ids[value] = self._ids.get(value) or ""
        outcomes = self._workers.map(lambda item: (item[0], self._create_one(item[0], item[1])), todo.items())
        for value, (new_id, made, refused) in outcomes:
            if refused is not None:
                result.refused[value] = refused
                continue
            result.ids[value] = new_id
            result.made += int(made)
            self._ids.put(value, new_id)
        self._settle_read_mode(result, todo)
        return result

    def _create_one(self, value: str, fields: Mapping[str, str]) -> tuple[str, bool, str | None]:
        """(id, whether it is new, None) or ("", False, the reason Ontraport refused it)."""
        try:
            if self.obj.merges_on(self.key):
                try:
                    new_id, made = self._client.save_or_update(self.obj, fields)
                except UnexpectedAnswerError:
                    found = self._find_one(value)
                    if found is None:
                        new_id, made = self._client.save_or_update(self.obj, fields)
                    else:
                        new_id, made = found, False
                return new_id, made, None
            return self._create_checked(value, fields), True, None
        except (RequestRejectedError, NotFoundError, UnexpectedAnswerError) as exc:
            return "", False, f"Ontraport refused the new {self.obj.name.lower()}: {exc}"

    def _create_checked(self, value: str, fields: Mapping[str, str]) -> str:
        """A plain create, never sent twice unseen: after a lost answer, a lookup says whether it took
        effect before it is sent again."""
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            try:
                return self._client.create(self.obj, fields)
            except AmbiguousWriteError:
                found = self._find_one(value)
                if found is not None:
                    logger.info(
                        f"Create of {self.obj.name} {excerpt(value)!r} had taken effect (id {found})."
                    )
                    return found
                if attempt < CREATE_ATTEMPTS:
                    logger.warning(
                        f"Create of {self.obj.name} {excerpt(value)!r} failed and did not take effect; "
                        f"trying again (attempt {attempt + 1} of {CREATE_ATTEMPTS})."
                    )
        raise TransientError(
            f"Could not create the {self.obj.name.lower()} {excerpt(value)!r} after {CREATE_ATTEMPTS} "
            "attempts; the sync stops and can be retried safely."
        )

    def _find_one(self, value: str) -> str | None:
        """Runs in a worker thread: the lookup is sent from it."""
        found = Resolved()
        self._look_up({self.normalise(value): value}, found, inline=True)
        return found.ids.get(self.normalise(value))

    def _settle_read_mode(self, created: Created, asked: Mapping[str, Mapping[str, str]]) -> None:
        """Whether lookups need `ids=0` is learned from an answer that must hold a record (as the
        object writer does after its first creates): one lookup of a record just created."""
        if self._client.condition_needs_ids_zero is not None:
            return
        value = next((asked[v].get(self.key.name) for v in created.ids if v in asked), None)
        if value:
            self._client.find(self.obj, self.key.name, [value], ["id"])


def _only(candidates: list[str] | None) -> str | None:
    return candidates[0] if candidates and len(candidates) == 1 else None


def _ids(matches: Sequence[tuple[int, str]]) -> str:
    shown = ", ".join(found for _, found in matches[:MAX_IDS_NAMED])
    return shown + (f" and {len(matches) - MAX_IDS_NAMED} more" if len(matches) > MAX_IDS_NAMED else "")


class Resolvers:
    """One resolver per object and key for a whole sync, and the threads their requests use."""

    def __init__(
        self,
        client: RecordApi,
        ignores_case: bool | None,
        progress: Callable[[], None] = lambda: None,
    ) -> None:
        self._client = client
        self._ignores_case = ignores_case
        self._workers = Workers(client.max_in_flight, progress)
        self._by_key: dict[tuple[int, str], KeyResolver] = {}

    def of(self, obj: ObjectType, key: FieldInfo, *, oldest_of_several: bool) -> KeyResolver:
        slot = (obj.id, key.name)
        if slot not in self._by_key:
            self._by_key[slot] = KeyResolver(
                self._client,
                obj,
                key,
                self._workers,
                oldest_of_several=oldest_of_several,
                ignores_case=self._ignores_case,
            )
        return self._by_key[slot]

    @property
    def workers(self) -> Workers:
        return self._workers

    def close(self) -> None:
        self._workers.close()


__all__ = ["BoundedCache", "Created", "KeyResolver", "Resolved", "Resolvers"]
