"""Tag names -> Ontraport tag ids, per object type, creating the missing tags once.

Tags are per object type in Ontraport. The config's tags are resolved when a sync starts; the
tags records ask for (`Add Tags` / `Remove Tags` in data activation) when their batch is written.
POST /Tags is not repeat-safe, so a doubtful create is followed by a lookup, never a blind retry.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from destination_ontraport.model.problems import ConfigProblem
from destination_ontraport.ontraport.client import OntraportClient
from destination_ontraport.ontraport.errors import AmbiguousWriteError, RequestRejectedError

logger = logging.getLogger("airbyte")


class TagBook:
    def __init__(self, client: OntraportClient, *, create: bool = True) -> None:
        self._client = client
        self._create = create  # False in a dry run: missing tags are reported, not made
        self._ids: dict[tuple[int, str], str] = {}
        self._absent: set[tuple[int, str]] = set()  # looked up, not found, not (yet) created
        self._reported: set[tuple[int, str]] = set()  # dry run: "would be created" said once
        self._lock = threading.Lock()

    def ids_by_name(
        self, names: Iterable[str], object_type_id: int, *, create: bool = True
    ) -> dict[str, str]:
        """{name: tag id} for every name that exists, and with `create` (outside a dry run) for every
        other one, created. Tags only to be removed are looked up with `create=False`: a tag nobody
        holds needs no removing, and creating it to remove it would leave it in the account."""
        wanted = list(dict.fromkeys(names))
        with self._lock:
            unknown = [
                n
                for n in wanted
                if (object_type_id, n) not in self._ids and (object_type_id, n) not in self._absent
            ]
            if unknown:
                found = self._client.find_tags(unknown, object_type_id)
                for name in unknown:
                    if name in found:
                        self._ids[(object_type_id, name)] = found[name]
                    else:
                        self._absent.add((object_type_id, name))
            if create:
                for name in wanted:
                    if (object_type_id, name) in self._absent:
                        self._make(name, object_type_id)
            return {n: self._ids[(object_type_id, n)] for n in wanted if (object_type_id, n) in self._ids}

    @property
    def would_create(self) -> int:
        """A dry run: the tags a real sync would have created (one request each)."""
        return len(self._reported)

    def _make(self, name: str, object_type_id: int) -> None:
        slot = (object_type_id, name)
        if not self._create:
            if slot not in self._reported:
                self._reported.add(slot)
                logger.info(f"Dry run: tag {name!r} does not exist and would be created.")
            return
        self._ids[slot] = self._create_one(name, object_type_id)
        self._absent.discard(slot)

    def _create_one(self, name: str, object_type_id: int) -> str:
        """A tag the lookup by condition missed but Ontraport says exists (it may differ only in case,
        or the account's condition reads may need `ids=0`) is found by listing every tag."""
        try:
            tag_id = self._client.create_tag(name, object_type_id)
            logger.info(f"Created tag {name!r} (id {tag_id}).")
            return tag_id
        except AmbiguousWriteError:
            again = self._client.find_tags([name], object_type_id)
            return again[name] if name in again else self._client.create_tag(name, object_type_id)
        except RequestRejectedError as exc:
            listed = self._client.all_tags([name], object_type_id)
            if name not in listed:
                raise ConfigProblem(
                    f"Ontraport refused to create the tag {name!r} ({exc}) and no tag of that name (ignoring "
                    "case) is listed under GET /Tags; check the tag in Ontraport or change the tag names."
                ) from None
            logger.info(f"Using the existing tag for {name!r} (id {listed[name]}), named with another case.")
            return listed[name]
