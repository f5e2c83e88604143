"""The in-memory account: contacts, tags, and the value indexes that keep look-ups fast.

Benchmarks hold up to 200,000 contacts and look 50 of them up per request by `email IN [...]`;
a scan per request would make the sandbox, not the connector, the bottleneck. So every field that
is ever queried with `=`/`IN` gets a value index (built on first use, then maintained on every
write), and `id` is the dict key. One re-entrant lock guards everything: operations are short, and
a single lock is what keeps saveorupdate's find-then-write atomic under concurrent requests.

Records are stored sparse (blank fields absent) and rendered with every field on the way out,
which keeps 200,000 contacts within a few hundred MB.
"""

from __future__ import annotations

import itertools
import random
import string
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .criteria import EQUALITY_OPS, Clause, Node, candidates, fold, matches
from .meta import CONTACT_OBJECT_ID, Meta
from .params import as_list, as_str, intval

Record = dict[str, str]

SEARCH_FIELDS = ("firstname", "lastname", "email", "company", "office_phone", "sms_number")
SEED_CHUNK = 2000
_UNIQUE_ID_ALPHABET = string.ascii_uppercase + string.digits


class DuplicateTagError(Exception):
    """A tag name is unique per object type (compared under `text_case`)."""


@dataclass
class Tag:
    tag_id: int
    tag_name: str
    object_type_id: int

    def as_record(self) -> Record:
        return {
            "tag_id": str(self.tag_id),
            "tag_name": self.tag_name,
            "object_type_id": str(self.object_type_id),
        }


def encode_tag_ids(tag_ids: Iterable[int]) -> str:
    """`contact_cat` format: `*/*1*/*2*/*`, empty string for no tags."""
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


class Store:
    def __init__(self, meta: Meta, rng: random.Random, clock: Callable[[], float] = time.time) -> None:
        self.meta = meta
        self.lock = threading.RLock()
        self._rng = rng
        self._clock = clock
        self.sensitive = False  # the `text_case` switch; indexes are keyed by fold(value, sensitive)
        self.clear()

    # ------------------------------------------------------------------------------------------
    # lifecycle
    # ------------------------------------------------------------------------------------------
    def clear(self) -> None:
        with self.lock:
            self._contacts: dict[int, Record] = {}
            self._next_id = 1
            self._indexes: dict[str, dict[str, set[int]]] = {"email": {}, "unique_id": {}}
            self._tags: dict[int, Tag] = {}
            self._next_tag_id = 1
            self._tag_members: dict[int, set[int]] = {}
            self._contact_tags: dict[int, set[int]] = {}

    def reseed(self, rng: random.Random) -> None:
        with self.lock:
            self._rng = rng

    def set_text_case(self, sensitive: bool) -> None:
        """Switches the collation and rebuilds every value index under it, so that an index
        look-up keeps giving exactly the answer a scan would."""
        with self.lock:
            if sensitive == self.sensitive:
                return
            self.sensitive = sensitive
            names = list(self._indexes)
            self._indexes = {}
            for name in names:
                self._ensure_index(name)

    def _fold(self, value: str) -> str:
        return fold(value, self.sensitive)

    def now(self) -> str:
        return str(int(self._clock()))

    @property
    def contact_count(self) -> int:
        return len(self._contacts)

    # ------------------------------------------------------------------------------------------
    # indexes
    # ------------------------------------------------------------------------------------------
    def _ensure_index(self, name: str) -> dict[str, set[int]]:
        index = self._indexes.get(name)
        if index is None:
            index = {}
            for contact_id, record in self._contacts.items():
                value = record.get(name)
                if value:
                    index.setdefault(self._fold(value), set()).add(contact_id)
            self._indexes[name] = index
        return index

    def _unindex(self, index: dict[str, set[int]], value: str, contact_id: int) -> None:
        key = self._fold(value)
        ids = index.get(key)
        if ids is not None:
            ids.discard(contact_id)
            if not ids:
                del index[key]

    def _lookup(self, clause: Clause) -> set[int] | None:
        if clause.field == "id":
            return {int(value) for value in clause.values if value.isdigit()}
        if clause.field not in self.meta.contact_fields or clause.sensitive != self.sensitive:
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
        """Every contact whose `name` equals `value` (under `text_case`), oldest first."""
        with self.lock:
            return sorted(self._ensure_index(name).get(self._fold(value), ()))

    # ------------------------------------------------------------------------------------------
    # record plumbing (callers hold the lock)
    # ------------------------------------------------------------------------------------------
    def _set_field(self, contact_id: int, record: Record, name: str, value: str) -> bool:
        old = record.get(name, "")
        if old == value:
            return False
        index = self._indexes.get(name)
        if index is not None:
            if old:
                self._unindex(index, old, contact_id)
            if value:
                index.setdefault(self._fold(value), set()).add(contact_id)
        if value:
            record[name] = value
        else:
            record.pop(name, None)
        return True

    def _new_unique_id(self) -> str:
        taken = self._indexes["unique_id"]
        while True:
            candidate = "".join(self._rng.choices(_UNIQUE_ID_ALPHABET, k=7))
            if self._fold(candidate) not in taken:
                return candidate

    def _insert(self, fields: Record, contact_id: int | None = None) -> Record:
        if contact_id is None:
            contact_id = self._next_id
        self._next_id = max(self._next_id, contact_id + 1)
        now = self.now()
        record: Record = {"id": str(contact_id), "owner": "1"}
        for name, value in fields.items():
            if value != "":
                record[name] = value
        if not record.get("unique_id"):
            record["unique_id"] = self._new_unique_id()
        for name in ("date", "dla", "dlm"):
            record.setdefault(name, now)
        self._contacts[contact_id] = record
        for name, index in self._indexes.items():
            indexed = record.get(name)
            if indexed:
                index.setdefault(self._fold(indexed), set()).add(contact_id)
        return record

    def _remove(self, contact_id: int) -> None:
        record = self._contacts.pop(contact_id)
        for name, index in self._indexes.items():
            value = record.get(name)
            if value:
                self._unindex(index, value, contact_id)
        for tag_id in self._contact_tags.pop(contact_id, set()):
            members = self._tag_members.get(tag_id)
            if members is not None:
                members.discard(contact_id)

    def _merge(self, contact_id: int, record: Record, fields: Record, ignore_blanks: bool) -> Record:
        changed: Record = {}
        for name, value in fields.items():
            if ignore_blanks and value == "":
                continue
            if self._set_field(contact_id, record, name, value):
                changed[name] = value
        if changed:
            now = self.now()
            self._set_field(contact_id, record, "dlm", now)
            changed["dlm"] = now
        changed["id"] = str(contact_id)
        return changed

    def render(self, record: Record, list_fields: list[str] | None = None) -> Record:
        """Every field, or only `list_fields` (already filtered to known names by the caller)."""
        if list_fields:
            return {name: record.get(name, "") for name in list_fields}
        out: Record = {"id": record["id"]}
        for name in self.meta.field_order:
            out[name] = record.get(name, "")
        return out

    # ------------------------------------------------------------------------------------------
    # contacts
    # ------------------------------------------------------------------------------------------
    def create(self, fields: Record) -> Record:
        with self.lock:
            return dict(self._insert(fields))

    def get(self, contact_id: int) -> Record | None:
        with self.lock:
            record = self._contacts.get(contact_id)
            return None if record is None else self.render(record)

    def update(self, contact_id: int, fields: Record, ignore_blanks: bool = False) -> Record | None:
        """Returns the `attrs` Ontraport answers with (changed fields, `dlm`, `id`), or None when
        the contact does not exist."""
        with self.lock:
            record = self._contacts.get(contact_id)
            if record is None:
                return None
            return self._merge(contact_id, record, fields, ignore_blanks)

    def find_for_merge(self, unique_id: str, email: str) -> int | None:
        """saveorupdate's match: `unique_id` first, then email (under `text_case`); the oldest
        contact wins when several share an email (Ontraport allows duplicates)."""
        with self.lock:
            if unique_id:
                hit = self._indexes["unique_id"].get(self._fold(unique_id))
                if hit:
                    return min(hit)
            if email:
                hit = self._indexes["email"].get(self._fold(email))
                if hit:
                    return min(hit)
            return None

    def save_or_update(self, fields: Record, unique_id: str, ignore_blanks: bool) -> tuple[bool, Record]:
        with self.lock:
            contact_id = self.find_for_merge(unique_id, fields.get("email", ""))
            if contact_id is None:
                return True, dict(self._insert(fields))
            record = self._contacts[contact_id]
            return False, self._merge(contact_id, record, fields, ignore_blanks)

    def contact_id_for_unique_id(self, unique_id: str) -> int | None:
        with self.lock:
            hit = self._indexes["unique_id"].get(self._fold(unique_id))
            return min(hit) if hit else None

    def select(self, node: Node | None, ids: list[int] | None = None, search: str = "") -> list[int] | None:
        """Matching contact ids in id order; None means "every contact" so that callers can page
        through the whole store without building a 200,000-item list."""
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
            pool: Iterable[int] = self._contacts.keys() if pool_ids is None else sorted(pool_ids)
            folded_search = self._fold(search)
            out: list[int] = []
            for contact_id in pool:
                record = self._contacts.get(contact_id)
                if record is None:
                    continue
                if node is not None and not matches(node, record_getter(record)):
                    continue
                if folded_search and not any(
                    folded_search in self._fold(record.get(name, "")) for name in SEARCH_FIELDS
                ):
                    continue
                out.append(contact_id)
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
            if sort and sort in self.meta.queryable:
                pool = list(self._contacts) if selected is None else selected
                contacts, sensitive = self._contacts, self.sensitive
                ordered = sorted(
                    pool, key=lambda cid: sort_key(contacts[cid].get(sort, ""), sensitive), reverse=descending
                )
                chosen: Iterator[Record] = (contacts[cid] for cid in ordered[start : start + size])
                total = len(pool)
            elif selected is None:
                total = len(self._contacts)
                if descending:
                    chosen = itertools.islice(reversed(self._contacts.values()), start, start + size)
                else:
                    chosen = itertools.islice(self._contacts.values(), start, start + size)
            else:
                total = len(selected)
                window = selected[::-1] if descending else selected
                chosen = (self._contacts[cid] for cid in window[start : start + size])
            known = [name for name in list_fields or () if name in self.meta.queryable] or None
            return total, [self.render(record, known) for record in chosen]

    def all_ids(self) -> list[int]:
        with self.lock:
            return list(self._contacts)

    def existing(self, ids: Iterable[int]) -> list[int]:
        with self.lock:
            return sorted({cid for cid in ids if cid in self._contacts})

    def delete(self, ids: Iterable[int]) -> int:
        with self.lock:
            removed = 0
            for contact_id in set(ids):
                if contact_id in self._contacts:
                    self._remove(contact_id)
                    removed += 1
            return removed

    def lowest_ids_except(self, excluded: set[int], count: int) -> list[int]:
        """The `count` lowest contact ids not in `excluded` (the `delete_overreach` victims)."""
        with self.lock:
            return list(
                itertools.islice((cid for cid in sorted(self._contacts) if cid not in excluded), count)
            )

    def delete_all(self) -> int:
        """Keeps the id counter: Ontraport's ids are auto-increment and never reused."""
        with self.lock:
            removed = len(self._contacts)
            self._contacts = {}
            self._indexes = {name: {} for name in self._indexes}
            self._contact_tags = {}
            self._tag_members = {tag_id: set() for tag_id in self._tags}
            return removed

    # ------------------------------------------------------------------------------------------
    # tags
    # ------------------------------------------------------------------------------------------
    def _find_tag(self, object_type_id: int, name: str) -> int | None:
        """The oldest tag of that object type whose name matches under `text_case`. A scan, not a
        dict: an account has few tags, and a scan stays right when the collation is switched
        while names that differ only in case exist."""
        key = self._fold(name.strip())
        for tag in self._tags.values():
            if tag.object_type_id == object_type_id and self._fold(tag.tag_name) == key:
                return tag.tag_id
        return None

    def create_tag(self, name: str, object_type_id: int = CONTACT_OBJECT_ID) -> Tag:
        with self.lock:
            if self._find_tag(object_type_id, name) is not None:
                raise DuplicateTagError(name)
            tag = Tag(self._next_tag_id, name.strip(), object_type_id)
            self._next_tag_id += 1
            self._tags[tag.tag_id] = tag
            self._tag_members[tag.tag_id] = set()
            return tag

    def tag_ids_for_names(self, names: Iterable[str], create: bool, object_type_id: int = 0) -> list[int]:
        with self.lock:
            out: list[int] = []
            for name in names:
                if not name.strip():
                    continue
                tag_id = self._find_tag(object_type_id, name)
                if tag_id is None and create:
                    tag_id = self.create_tag(name, object_type_id).tag_id
                if tag_id is not None and tag_id not in out:
                    out.append(tag_id)
            return out

    def get_tag(self, tag_id: int) -> Tag | None:
        with self.lock:
            return self._tags.get(tag_id)

    def tags(self) -> list[Tag]:
        with self.lock:
            return list(self._tags.values())

    def rename_tag(self, tag_id: int, name: str) -> Tag | None:
        with self.lock:
            tag = self._tags.get(tag_id)
            if tag is None:
                return None
            if self._find_tag(tag.object_type_id, name) not in (None, tag_id):
                raise DuplicateTagError(name)
            tag.tag_name = name.strip()
            return tag

    def delete_tags(self, tag_ids: Iterable[int]) -> int:
        with self.lock:
            removed = 0
            for tag_id in set(tag_ids):
                tag = self._tags.pop(tag_id, None)
                if tag is None:
                    continue
                removed += 1
                members = self._tag_members.pop(tag_id, set())
                self._apply_tags(members, [], [tag_id], skip_unknown=False)
            return removed

    def _apply_tags(
        self, contact_ids: Iterable[int], add: list[int], remove: list[int], skip_unknown: bool = True
    ) -> int:
        changed = 0
        valid_add = [tag_id for tag_id in add if tag_id in self._tags]
        for contact_id in contact_ids:
            record = self._contacts.get(contact_id)
            if record is None:
                continue
            current = self._contact_tags.setdefault(contact_id, set())
            before = set(current)
            for tag_id in valid_add:
                current.add(tag_id)
                self._tag_members.setdefault(tag_id, set()).add(contact_id)
            for tag_id in remove:
                if skip_unknown and tag_id not in self._tags:
                    continue
                current.discard(tag_id)
                members = self._tag_members.get(tag_id)
                if members is not None:
                    members.discard(contact_id)
            if current != before:
                changed += 1
                self._set_field(contact_id, record, "contact_cat", encode_tag_ids(current))
                self._set_field(contact_id, record, "dlm", self.now())
            if not current:
                del self._contact_tags[contact_id]
        return changed

    def change_tags(self, contact_ids: Iterable[int], add: list[int], remove: list[int]) -> int:
        """Adds/removes tag ids on contacts; unknown tag and contact ids are ignored, and
        `contact_cat` always mirrors the result."""
        with self.lock:
            return self._apply_tags(contact_ids, add, remove)

    def tag_member_ids(self, tag_id: int) -> list[int]:
        with self.lock:
            return sorted(self._tag_members.get(tag_id, ()))

    def tag_names_of(self, contact_id: int) -> list[str]:
        with self.lock:
            return [self._tags[t].tag_name for t in sorted(self._contact_tags.get(contact_id, ()))]

    # ------------------------------------------------------------------------------------------
    # admin
    # ------------------------------------------------------------------------------------------
    def seed(self, items: list[dict[str, Any]]) -> list[int]:
        """Loads contacts as given (any known field, explicit `id`, `tags` by name), without the
        validation the API applies, in chunks so that a 200,000-contact seed never holds the lock
        long enough to stall concurrent API requests."""
        explicit: list[int] = []
        for item in items:
            if not isinstance(item, dict):
                raise ValueError("every seeded contact must be a JSON object")
            if "id" in item and intval(item["id"]) > 0:
                explicit.append(intval(item["id"]))
        if len(set(explicit)) != len(explicit):
            raise ValueError("seeded contacts repeat an id")
        with self.lock:
            clash = [cid for cid in explicit if cid in self._contacts]
            if clash:
                raise ValueError(f"contact id {clash[0]} already exists")
            if explicit:
                self._next_id = max(self._next_id, max(explicit) + 1)  # reserve them
        known = self.meta.contact_fields
        created: list[int] = []
        out_of_order = False
        for offset in range(0, len(items), SEED_CHUNK):
            with self.lock:
                last = next(reversed(self._contacts), 0)
                for item in items[offset : offset + SEED_CHUNK]:
                    fields = {name: as_str(value) for name, value in item.items() if name in known}
                    fields.pop("contact_cat", None)
                    contact_id = intval(item["id"]) if "id" in item and intval(item["id"]) > 0 else None
                    if contact_id is not None and contact_id in self._contacts:
                        raise ValueError(f"contact id {contact_id} already exists")
                    record = self._insert(fields, contact_id)
                    new_id = int(record["id"])
                    if new_id < last:
                        out_of_order = True
                    last = max(last, new_id)
                    created.append(new_id)
                    tag_ids = decode_tag_ids(as_str(item.get("contact_cat", "")))
                    tag_ids += self.tag_ids_for_names(as_list(item.get("tags")), create=True)
                    if tag_ids:
                        self._apply_tags([new_id], tag_ids, [])
                        if fields.get("dlm"):  # tagging touched dlm; a seeded value wins
                            self._set_field(new_id, record, "dlm", fields["dlm"])
        if out_of_order:
            with self.lock:
                self._contacts = dict(sorted(self._contacts.items()))
        return created

    def dump(self, offset: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        with self.lock:
            stop = None if limit is None else offset + limit
            out: list[dict[str, Any]] = []
            for contact_id, record in itertools.islice(self._contacts.items(), offset, stop):
                rendered: dict[str, Any] = dict(self.render(record))
                rendered["tags"] = [
                    self._tags[t].tag_name for t in sorted(self._contact_tags.get(contact_id, ()))
                ]
                out.append(rendered)
            return out
