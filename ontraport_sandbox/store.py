"""The in-memory account: one record store per object type, and the tags they share.

Tags are one table (object 14) with an `object_type_id` each; a tag only ever applies to records
of its own object type. One re-entrant lock guards everything: operations are short, and a single
lock is what keeps saveorupdate's find-then-write and a bulk action's select-then-act atomic
under concurrent requests.
"""

from __future__ import annotations

import random
import string
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .criteria import fold
from .meta import CONTACT_OBJECT_ID, Meta
from .records import RecordStore

_UNIQUE_ID_ALPHABET = string.ascii_uppercase + string.digits


class DuplicateTagError(Exception):
    """A tag name is unique per object type (compared under `text_case`)."""


@dataclass
class Tag:
    tag_id: int
    tag_name: str
    object_type_id: int

    def as_record(self) -> dict[str, str]:
        return {
            "tag_id": str(self.tag_id),
            "tag_name": self.tag_name,
            "object_type_id": str(self.object_type_id),
        }


class Store:
    def __init__(self, meta: Meta, rng: random.Random, clock: Callable[[], float] = time.time) -> None:
        self.lock = threading.RLock()
        self._rng = rng
        self._clock = clock
        self.sensitive = False  # the `text_case` switch
        self.meta = meta
        self._stores: dict[int, RecordStore] = {}
        self._tags: dict[int, Tag] = {}
        self._next_tag_id = 1
        self.set_meta(meta)

    # ------------------------------------------------------------------------------------------
    # lifecycle
    # ------------------------------------------------------------------------------------------
    def now(self) -> str:
        return str(int(self._clock()))

    def _token(self) -> str:
        return "".join(self._rng.choices(_UNIQUE_ID_ALPHABET, k=7))

    def clear(self) -> None:
        """Every record of every type and every tag; ids start again at 1."""
        with self.lock:
            for store in self._stores.values():
                store.clear()
            self._tags = {}
            self._next_tag_id = 1

    def reseed(self, rng: random.Random) -> None:
        with self.lock:
            self._rng = rng

    def set_text_case(self, sensitive: bool) -> None:
        with self.lock:
            self.sensitive = sensitive
            for store in self._stores.values():
                store.set_text_case(sensitive)

    def set_meta(self, meta: Meta) -> None:
        """Serve a new schema: new object types start empty, removed ones lose their records
        and tags, kept ones keep their records."""
        with self.lock:
            for object_id in [oid for oid in self._stores if oid not in meta.types]:
                del self._stores[object_id]
                for tag in [t for t in self._tags.values() if t.object_type_id == object_id]:
                    del self._tags[tag.tag_id]
            for object_id, schema in meta.types.items():
                store = self._stores.get(object_id)
                if store is None:
                    self._stores[object_id] = RecordStore(
                        schema, self.lock, self.now, self._token, self.sensitive
                    )
                else:
                    store.set_schema(schema)
            self.meta = meta

    def records(self, object_id: int) -> RecordStore | None:
        return self._stores.get(object_id)

    @property
    def contacts(self) -> RecordStore:
        return self._stores[CONTACT_OBJECT_ID]

    @property
    def contact_count(self) -> int:
        return self.contacts.count

    def counts(self, hidden: bool = False) -> dict[str, int]:
        """Records per object type other than contacts, for the stats: the account's own types, or
        (`hidden`) the built-in types of automations and purchases."""
        with self.lock:
            return {
                str(oid): store.count
                for oid, store in self._stores.items()
                if oid != CONTACT_OBJECT_ID and store.schema.traits.hidden == hidden
            }

    # ------------------------------------------------------------------------------------------
    # tags
    # ------------------------------------------------------------------------------------------
    def _find_tag(self, object_type_id: int, name: str) -> int | None:
        """The oldest tag of that object type whose name matches under `text_case`. A scan, not a
        dict: an account has few tags, and a scan stays right when the collation is switched
        while names that differ only in case exist."""
        key = fold(name.strip(), self.sensitive)
        for tag in self._tags.values():
            if tag.object_type_id == object_type_id and fold(tag.tag_name, self.sensitive) == key:
                return tag.tag_id
        return None

    def create_tag(self, name: str, object_type_id: int = CONTACT_OBJECT_ID) -> Tag:
        with self.lock:
            if self._find_tag(object_type_id, name) is not None:
                raise DuplicateTagError(name)
            tag = Tag(self._next_tag_id, name.strip(), object_type_id)
            self._next_tag_id += 1
            self._tags[tag.tag_id] = tag
            return tag

    def tag_ids_for_names(
        self, names: Iterable[str], create: bool, object_type_id: int = CONTACT_OBJECT_ID
    ) -> list[int]:
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

    def tags_of_type(self, tag_ids: Iterable[int], object_type_id: int) -> list[int]:
        """The given tag ids that exist and belong to that object type (others are ignored)."""
        with self.lock:
            out: list[int] = []
            for tag_id in tag_ids:
                tag = self._tags.get(tag_id)
                if tag is not None and tag.object_type_id == object_type_id and tag_id not in out:
                    out.append(tag_id)
            return out

    def get_tag(self, tag_id: int) -> Tag | None:
        with self.lock:
            return self._tags.get(tag_id)

    def tags(self) -> list[Tag]:
        with self.lock:
            return list(self._tags.values())

    def tag_name(self, tag_id: int) -> str:
        with self.lock:
            tag = self._tags.get(tag_id)
            return "" if tag is None else tag.tag_name

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
                store = self._stores.get(tag.object_type_id)
                if store is not None:
                    store.drop_tag(tag_id)
            return removed

    def change_tags(
        self, object_id: int, record_ids: Iterable[int], add: list[int], remove: list[int]
    ) -> int:
        """Adds/removes tags on records of one type; tags that do not exist or belong to another
        object type are ignored, like unknown record ids."""
        with self.lock:
            store = self._stores[object_id]
            return store.apply_tags(
                record_ids, self.tags_of_type(add, object_id), self.tags_of_type(remove, object_id)
            )

    # ------------------------------------------------------------------------------------------
    # admin
    # ------------------------------------------------------------------------------------------
    def seed(self, object_id: int, items: list[dict[str, Any]]) -> list[int]:
        """Loads records of one type (see RecordStore.seed); tags named are created as needed."""

        def tag_ids_for(names: list[str], ids: list[int]) -> list[int]:
            found = self.tags_of_type(ids, object_id)
            return found + [t for t in self.tag_ids_for_names(names, True, object_id) if t not in found]

        return self._stores[object_id].seed(items, tag_ids_for)

    def dump(self, object_id: int, offset: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        return self._stores[object_id].dump(self.tag_name, offset, limit)
