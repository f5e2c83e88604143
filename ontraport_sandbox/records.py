"""The records of one object type (contacts, Deals, a custom object...), with the value indexes
that keep look-ups fast.

Benchmarks hold up to 200,000 contacts and look 50 of them up per request by `email IN [...]`; a
scan per request would make the sandbox, not the connector, the bottleneck. So every field that
is ever queried with `=`/`IN` gets a value index (built on first use, then maintained on every
write), and `id` is the dict key. Indexes are keyed by the `text_case` collation and rebuilt when
it changes, so an index answers exactly what a scan would. Ids count per object type, as
Ontraport's do.

Records are stored sparse (blank fields absent) and rendered with every field on the way out,
which keeps 200,000 contacts within a few hundred MB. Every method takes the account's one
re-entrant lock, so a caller may hold it across several calls to make them one step.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .criteria import EQUALITY_OPS, Clause, Node, candidates, fold, matches
from .meta import ObjectType
from .params import as_list, as_str, intval

Record = dict[str, str]
Index = dict[str, set[int]]
SEED_CHUNK = 2000


def encode_tag_ids(tag_ids: Iterable[int]) -> str:
    """The tag-list format (`contact_cat`): `*/*1*/*2*/*`, empty string for no tags."""
    ordered = sorted(tag_ids)
    if not ordered:
        return ""
    return "*/*" + "*/*".join(str(tag_id) for tag_id in ordered) + "*/*"


def decode_tag_ids(value: str) -> list[int]:
    return [int(part) for part in value.split("*/*") if part.strip().isdigit()]


def sort_key(value: str, sensitive: bool = False) -> tuple[int, float, str]:
    """Numbers sort numerically and before text, text by the `text_case` collation, as MySQL
    would for the numeric and text columns respectively."""
    try:
        return (0, float(value), "")
    except ValueError:
        return (1, 0.0, fold(value, sensitive))


def record_getter(record: Record) -> Callable[[str], str]:
    def get(name: str) -> str:
        return record.get(name, "")

    return get


class RecordStore:
    def __init__(
        self,
        schema: ObjectType,
        lock: threading.RLock,
        now: Callable[[], str],
        token: Callable[[], str],
        sensitive: bool = False,
    ) -> None:
        self.schema = schema
        self.lock = lock
        self._now = now
        self._token = token  # a fresh random unique_id candidate
        self.sensitive = sensitive
        self.clear()

    # ------------------------------------------------------------------------------------------
    # lifecycle
    # ------------------------------------------------------------------------------------------
    def clear(self) -> None:
        with self.lock:
            self._records: dict[int, Record] = {}
            self._next_id = 1
            self._indexes: dict[str, Index] = {name: {} for name in self._maintained()}
            self._record_tags: dict[int, set[int]] = {}
            self._tag_members: dict[int, set[int]] = {}
            # list field (updateCampaign, updateSequence) -> list id -> member record ids
            self._lists: dict[str, dict[int, set[int]]] = {}

    def _maintained(self) -> tuple[str, ...]:
        """Indexes kept from the start: saveorupdate's match keys."""
        return ("unique_id", *self.schema.merge_fields)

    def set_schema(self, schema: ObjectType) -> None:
        """A changed schema (`POST /__sandbox/meta`); stored values of removed fields stay but are
        no longer rendered or queryable."""
        with self.lock:
            self.schema = schema
            for name in self._maintained():
                self._ensure_index(name)

    def set_text_case(self, sensitive: bool) -> None:
        """Switches the collation and rebuilds every value index under it."""
        with self.lock:
            if sensitive == self.sensitive:
                return
            self.sensitive = sensitive
            names = list(self._indexes)
            self._indexes = {}
            for name in names:
                self._ensure_index(name)

    @property
    def count(self) -> int:
        return len(self._records)

    # ------------------------------------------------------------------------------------------
    # indexes (callers hold the lock)
    # ------------------------------------------------------------------------------------------
    def _fold(self, value: str) -> str:
        return fold(value, self.sensitive)

    def _ensure_index(self, name: str) -> Index:
        index = self._indexes.get(name)
        if index is None:
            index = {}
            for record_id, record in self._records.items():
                value = record.get(name)
                if value:
                    index.setdefault(self._fold(value), set()).add(record_id)
            self._indexes[name] = index
        return index

    def _unindex(self, index: Index, value: str, record_id: int) -> None:
        key = self._fold(value)
        ids = index.get(key)
        if ids is not None:
            ids.discard(record_id)
            if not ids:
                del index[key]

    def _lookup(self, clause: Clause) -> set[int] | None:
        if clause.field == "id":
            return {int(value) for value in clause.values if value.isdigit()}
        if clause.field not in self.schema.fields or clause.sensitive != self.sensitive:
            return None  # a clause parsed under the other collation cannot use these indexes
        index = self._ensure_index(clause.field)
        found: set[int] = set()
        for key in clause.folded:
            hit = index.get(key)
            if hit:
                found |= hit
        return found

    def _index_is_exact(self, node: Node) -> bool:
        """A lone `=`/`IN` clause on an indexed text field matches exactly the index hits."""
        return (
            isinstance(node, Clause)
            and node.op in EQUALITY_OPS
            and node.field != "id"
            and node.field in self._indexes
            and node.sensitive == self.sensitive
            and all(node.values)
        )

    def ids_by_value(self, name: str, value: str) -> list[int]:
        """Every record whose `name` equals `value` (under `text_case`), oldest first."""
        with self.lock:
            return sorted(self._ensure_index(name).get(self._fold(value), ()))

    # ------------------------------------------------------------------------------------------
    # record plumbing (callers hold the lock)
    # ------------------------------------------------------------------------------------------
    def _set_field(self, record_id: int, record: Record, name: str, value: str) -> bool:
        old = record.get(name, "")
        if old == value:
            return False
        index = self._indexes.get(name)
        if index is not None:
            if old:
                self._unindex(index, old, record_id)
            if value:
                index.setdefault(self._fold(value), set()).add(record_id)
        if value:
            record[name] = value
        else:
            record.pop(name, None)
        return True

    def _new_unique_id(self) -> str:
        taken = self._indexes["unique_id"]
        while True:
            candidate = self._token()
            if self._fold(candidate) not in taken:
                return candidate

    def _insert(self, fields: Record, record_id: int | None = None) -> Record:
        if record_id is None:
            record_id = self._next_id
        self._next_id = max(self._next_id, record_id + 1)
        now = self._now()
        record: Record = {"id": str(record_id), "owner": "1"}
        for name, value in fields.items():
            if value != "":
                record[name] = value
        traits = self.schema.traits
        for name, value in traits.defaults.items():
            record.setdefault(name, value)
        if traits.id_field is not None:
            record[traits.id_field] = str(record_id)  # a sequence's drip_id is its id
        if not record.get("unique_id"):
            record["unique_id"] = self._new_unique_id()
        for name in ("date", "dla", "dlm"):
            record.setdefault(name, now)
        self._records[record_id] = record
        for name, index in self._indexes.items():
            indexed = record.get(name)
            if indexed:
                index.setdefault(self._fold(indexed), set()).add(record_id)
        return record

    def _remove(self, record_id: int) -> None:
        record = self._records.pop(record_id)
        for name, index in self._indexes.items():
            value = record.get(name)
            if value:
                self._unindex(index, value, record_id)
        for tag_id in self._record_tags.pop(record_id, set()):
            members = self._tag_members.get(tag_id)
            if members is not None:
                members.discard(record_id)
        for name, lists in self._lists.items():
            for list_id in decode_tag_ids(record.get(name, "")):
                lists.get(list_id, set()).discard(record_id)

    def _merge(self, record_id: int, record: Record, fields: Record, ignore_blanks: bool) -> Record:
        changed: Record = {}
        for name, value in fields.items():
            if ignore_blanks and value == "":
                continue
            if self._set_field(record_id, record, name, value):
                changed[name] = value
        if changed:
            now = self._now()
            self._set_field(record_id, record, "dlm", now)
            changed["dlm"] = now
        changed["id"] = str(record_id)
        return changed

    def render(self, record: Record, list_fields: list[str] | None = None) -> Record:
        """Every field, or only `list_fields` (already filtered to known names by the caller). A
        contact's campaign and sequence lists come along when they hold something, even where the
        meta does not list them (notes 13 A1: a single read returns them)."""
        if list_fields:
            return {name: record.get(name, "") for name in list_fields}
        out: Record = {"id": record["id"]}
        for name in self.schema.field_order:
            out[name] = record.get(name, "")
        for name in self.schema.unlisted_membership:
            value = record.get(name, "")
            if value:
                out[name] = value
        return out

    # ------------------------------------------------------------------------------------------
    # reads and writes
    # ------------------------------------------------------------------------------------------
    def create(self, fields: Record) -> Record:
        with self.lock:
            return dict(self._insert(fields))

    def get(self, record_id: int) -> Record | None:
        with self.lock:
            record = self._records.get(record_id)
            return None if record is None else self.render(record)

    def update(self, record_id: int, fields: Record, ignore_blanks: bool = False) -> Record | None:
        """Returns the `attrs` Ontraport answers with (changed fields, `dlm`, `id`), or None when
        the record does not exist."""
        with self.lock:
            record = self._records.get(record_id)
            if record is None:
                return None
            return self._merge(record_id, record, fields, ignore_blanks)

    def id_for_unique_id(self, unique_id: str) -> int | None:
        with self.lock:
            hit = self._indexes["unique_id"].get(self._fold(unique_id))
            return min(hit) if hit else None

    def find_for_merge(self, unique_id: str, fields: Record) -> int | None:
        """saveorupdate's match: `unique_id` first, then each merge field (contacts: email; other
        types: the fields their meta marks unique) the request gives a value for, in meta order.
        The oldest record wins when several match (Ontraport allows duplicates)."""
        with self.lock:
            if unique_id:
                hit = self._indexes["unique_id"].get(self._fold(unique_id))
                if hit:
                    return min(hit)
            for name in self.schema.merge_fields:
                value = fields.get(name, "")
                if value:
                    hit = self._ensure_index(name).get(self._fold(value))
                    if hit:
                        return min(hit)
            return None

    def save_or_update(self, fields: Record, unique_id: str, ignore_blanks: bool) -> tuple[bool, Record]:
        """(created, the new record) or (False, attrs): find and write are one step."""
        with self.lock:
            record_id = self.find_for_merge(unique_id, fields)
            if record_id is None:
                return True, dict(self._insert(fields))
            return False, self._merge(record_id, self._records[record_id], fields, ignore_blanks)

    def select(self, node: Node | None, ids: list[int] | None = None, search: str = "") -> list[int] | None:
        """Matching ids in id order; None means "every record" so that callers can page through
        the whole store without building a 200,000-item list."""
        with self.lock:
            if node is None and ids is None and not search:
                return None
            pool_ids: set[int] | None = set(ids) if ids is not None else None
            if node is not None:
                indexed = candidates(node, self._lookup)
                if indexed is not None:
                    pool_ids = indexed if pool_ids is None else pool_ids & indexed
                    if self._index_is_exact(node):
                        node = None  # the common `email IN [...]` look-up needs no re-check
            pool: Iterable[int] = self._records.keys() if pool_ids is None else sorted(pool_ids)
            folded_search = self._fold(search)
            search_fields = self.schema.search_fields
            out: list[int] = []
            for record_id in pool:
                record = self._records.get(record_id)
                if record is None:
                    continue
                if node is not None and not matches(node, record_getter(record)):
                    continue
                if folded_search and not any(
                    folded_search in self._fold(record.get(name, "")) for name in search_fields
                ):
                    continue
                out.append(record_id)
            return out

    def page(
        self,
        selected: list[int] | None,
        *,
        start: int,
        size: int,
        list_fields: list[str] | None = None,
        sort: str = "",
        descending: bool = False,
    ) -> tuple[int, list[Record]]:
        with self.lock:
            records = self._records
            if sort and sort in self.schema.queryable:
                pool = list(records) if selected is None else selected
                sensitive = self.sensitive
                ordered = sorted(
                    pool, key=lambda rid: sort_key(records[rid].get(sort, ""), sensitive), reverse=descending
                )
                chosen: Iterator[Record] = (records[rid] for rid in ordered[start : start + size])
                total = len(pool)
            elif selected is None:
                total = len(records)
                values = reversed(records.values()) if descending else iter(records.values())
                chosen = itertools.islice(values, start, start + size)
            else:
                total = len(selected)
                window = selected[::-1] if descending else selected
                chosen = (records[rid] for rid in window[start : start + size])
            known = [name for name in list_fields or () if name in self.schema.readable] or None
            return total, [self.render(record, known) for record in chosen]

    def all_ids(self) -> list[int]:
        with self.lock:
            return list(self._records)

    def delete(self, ids: Iterable[int]) -> int:
        with self.lock:
            removed = 0
            for record_id in set(ids):
                if record_id in self._records:
                    self._remove(record_id)
                    removed += 1
            return removed

    def delete_all(self) -> int:
        """Keeps the id counter: Ontraport's ids are auto-increment and never reused."""
        with self.lock:
            removed = len(self._records)
            self._records = {}
            self._indexes = {name: {} for name in self._indexes}
            self._record_tags = {}
            self._tag_members = {tag_id: set() for tag_id in self._tag_members}
            self._lists = {name: {} for name in self._lists}
            return removed

    def lowest_ids_except(self, excluded: set[int], count: int) -> list[int]:
        """The `count` lowest ids not in `excluded` (the `delete_overreach` victims)."""
        with self.lock:
            return list(
                itertools.islice((rid for rid in sorted(self._records) if rid not in excluded), count)
            )

    # ------------------------------------------------------------------------------------------
    # tags (the account passes only tag ids that exist and belong to this object type)
    # ------------------------------------------------------------------------------------------
    def apply_tags(self, record_ids: Iterable[int], add: list[int], remove: list[int]) -> int:
        """Adds/removes tag ids; unknown record ids are ignored, and the tag-list field always
        mirrors the result. Tagging or untagging a record updates its `dlm`."""
        with self.lock:
            changed = 0
            tag_field = self.schema.tag_field
            for record_id in record_ids:
                record = self._records.get(record_id)
                if record is None:
                    continue
                current = self._record_tags.setdefault(record_id, set())
                before = set(current)
                for tag_id in add:
                    current.add(tag_id)
                    self._tag_members.setdefault(tag_id, set()).add(record_id)
                for tag_id in remove:
                    current.discard(tag_id)
                    members = self._tag_members.get(tag_id)
                    if members is not None:
                        members.discard(record_id)
                if current != before:
                    changed += 1
                    if tag_field is not None:
                        self._set_field(record_id, record, tag_field, encode_tag_ids(current))
                    self._set_field(record_id, record, "dlm", self._now())
                if not current:
                    del self._record_tags[record_id]
            return changed

    def drop_tag(self, tag_id: int) -> None:
        """A deleted tag leaves every record that had it."""
        with self.lock:
            members = self._tag_members.pop(tag_id, set())
            self.apply_tags(members, [], [tag_id])

    def tag_member_ids(self, tag_id: int) -> list[int]:
        with self.lock:
            return sorted(self._tag_members.get(tag_id, ()))

    def tag_ids_of(self, record_id: int) -> list[int]:
        with self.lock:
            return sorted(self._record_tags.get(record_id, ()))

    # ------------------------------------------------------------------------------------------
    # id lists a record carries: a contact's campaigns and sequences (`*/*1*/*2*/*`)
    # ------------------------------------------------------------------------------------------
    def change_list(
        self, name: str, record_id: int, add: Iterable[int], remove: Iterable[int]
    ) -> tuple[list[int], list[int], list[int]]:
        """Adds and removes list ids on one record: (added, removed, already there). A record that
        does not exist changes nothing. A change updates `dlm`, as tagging does."""
        with self.lock:
            record = self._records.get(record_id)
            if record is None:
                return [], [], []
            add, remove = list(dict.fromkeys(add)), list(dict.fromkeys(remove))
            current = set(decode_tag_ids(record.get(name, "")))
            lists = self._lists.setdefault(name, {})
            added = [list_id for list_id in add if list_id not in current]
            already = [list_id for list_id in add if list_id in current]
            removed = [list_id for list_id in remove if list_id in current and list_id not in add]
            for list_id in added:
                current.add(list_id)
                lists.setdefault(list_id, set()).add(record_id)
            for list_id in removed:
                current.discard(list_id)
                lists.get(list_id, set()).discard(record_id)
            if added or removed:
                self._set_field(record_id, record, name, encode_tag_ids(current))
                self._set_field(record_id, record, "dlm", self._now())
            return added, removed, already

    def set_system_values(self, record_id: int, values: Record) -> None:
        """Values the account keeps itself (a campaign's subscriber counts): no `dlm` change."""
        with self.lock:
            record = self._records.get(record_id)
            if record is not None:
                for name, value in values.items():
                    self._set_field(record_id, record, name, value)

    def list_ids_of(self, name: str, record_id: int) -> list[int]:
        with self.lock:
            record = self._records.get(record_id)
            return [] if record is None else decode_tag_ids(record.get(name, ""))

    def list_member_count(self, name: str, list_id: int) -> int:
        with self.lock:
            return len(self._lists.get(name, {}).get(list_id, ()))

    def records_with_lists(self, names: tuple[str, ...]) -> list[int]:
        """Ids of the records on at least one list of those fields, in id order."""
        with self.lock:
            found: set[int] = set()
            for name in names:
                for members in self._lists.get(name, {}).values():
                    found |= members
            return sorted(found)

    # ------------------------------------------------------------------------------------------
    # admin
    # ------------------------------------------------------------------------------------------
    def seed(
        self, items: list[dict[str, Any]], tag_ids_for: Callable[[list[str], list[int]], list[int]]
    ) -> list[int]:
        """Loads records as given (any known field, explicit `id`, `tags` by name and
        `contact_cat` ids, both resolved by `tag_ids_for`), without the validation the API
        applies, in chunks so that a 200,000-record seed never holds the lock long enough to
        stall concurrent API requests."""
        self._reserve_seeded_ids(items)
        known = self.schema.fields
        created: list[int] = []
        out_of_order = False
        for offset in range(0, len(items), SEED_CHUNK):
            with self.lock:
                last = next(reversed(self._records), 0)
                for item in items[offset : offset + SEED_CHUNK]:
                    fields = {name: as_str(value) for name, value in item.items() if name in known}
                    fields.pop("contact_cat", None)
                    record_id = intval(item["id"]) if "id" in item and intval(item["id"]) > 0 else None
                    if record_id is not None and record_id in self._records:
                        raise ValueError(f"record id {record_id} already exists")
                    record = self._insert(fields, record_id)
                    new_id = int(record["id"])
                    out_of_order = out_of_order or new_id < last
                    last = max(last, new_id)
                    created.append(new_id)
                    tag_ids = tag_ids_for(
                        as_list(item.get("tags")), decode_tag_ids(as_str(item.get("contact_cat", "")))
                    )
                    if tag_ids:
                        self.apply_tags([new_id], tag_ids, [])
                        if fields.get("dlm"):  # tagging touched dlm; a seeded value wins
                            self._set_field(new_id, record, "dlm", fields["dlm"])
        if out_of_order:
            with self.lock:
                self._records = dict(sorted(self._records.items()))
        return created

    def _reserve_seeded_ids(self, items: list[dict[str, Any]]) -> None:
        """Checks the records to seed before any is inserted (each an object, tags only where the
        type has them, no id twice or already taken) and reserves their explicit ids."""
        explicit: list[int] = []
        for item in items:
            if not isinstance(item, dict):
                raise ValueError("every seeded record must be a JSON object")
            if "id" in item and intval(item["id"]) > 0:
                explicit.append(intval(item["id"]))
            if not self.schema.tags and (item.get("tags") or item.get("contact_cat")):
                raise ValueError(f"object type {self.schema.object_id} has no tags")
        if len(set(explicit)) != len(explicit):
            raise ValueError("seeded records repeat an id")
        with self.lock:
            clash = [rid for rid in explicit if rid in self._records]
            if clash:
                raise ValueError(f"record id {clash[0]} already exists")
            if explicit:
                self._next_id = max(self._next_id, max(explicit) + 1)  # reserve them

    def dump(
        self, tag_name: Callable[[int], str], offset: int = 0, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Every record with every field, plus `tags` (names) for an object type with tags."""
        with self.lock:
            stop = None if limit is None else offset + limit
            out: list[dict[str, Any]] = []
            for record_id, record in itertools.islice(self._records.items(), offset, stop):
                rendered: dict[str, Any] = dict(self.render(record))
                if self.schema.tags:
                    rendered["tags"] = [tag_name(t) for t in sorted(self._record_tags.get(record_id, ()))]
                out.append(rendered)
            return out
