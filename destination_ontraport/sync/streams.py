"""The configured catalog, resolved once: per stream where its records go and how.

Two kinds of stream. A data-activation stream (`destination_object_name` set by the Airbyte
platform) names an Ontraport object; its records already carry the object's property names (an
alias, or the field's name where aliases clash), its `primary_key` is the matching key the user
chose, and `Add Tags` / `Remove Tags` may name tags per record. Any other stream writes contacts,
mapped by the config (`match_field`, `field_mapping`, automatic mapping) as before.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from airbyte_cdk.models import DestinationSyncMode

from destination_ontraport.model.automations import AUTOMATION_PROPERTIES, ListRef
from destination_ontraport.model.coercion import CoercionError, coerce_email, coerce_text, record_id
from destination_ontraport.model.links import LinkProperty
from destination_ontraport.model.mapping import FieldInfo, RecordMapper, normalise
from destination_ontraport.model.objects import ADD_TAGS, RECORD_ID_PROPERTY, REMOVE_TAGS, ObjectType
from destination_ontraport.model.problems import ConfigProblem, RecordRejected
from destination_ontraport.model.text import excerpt
from destination_ontraport.ontraport.client import MAX_LOOKUP_VALUE, lookup_value_fits
from destination_ontraport.protocol.messages import StreamKey, stream_label
from destination_ontraport.sync.dedup import LatestByCursor
from destination_ontraport.sync.record_lists import ListResolver, take_lists
from destination_ontraport.sync.stream_rules import CatalogStream
from destination_ontraport.write.batch import MappedRecord

STOP_AFTER_STRAYS = 1_000
"""Records that all went to streams the catalog lacks before a sync stops (see StreamRoutes)."""
MAX_STREAMS_NAMED = 10
CDC_DELETED_AT = "_ab_cdc_deleted_at"


class RecordSink(Protocol):
    """Where a stream's records go (an ObjectWriter; tests pass a fake)."""

    @property
    def obj(self) -> ObjectType: ...
    @property
    def key(self) -> FieldInfo | None: ...
    def match_key(self, fields: Mapping[str, str]) -> str: ...
    def add(self, record: MappedRecord) -> None: ...
    def add_removal(self, record: MappedRecord) -> None: ...


@dataclass
class StreamRoute:
    """One configured stream: its records are mapped, then added to `writer` as writes or removals."""

    stream: CatalogStream
    mapper: RecordMapper
    writer: RecordSink
    activation: bool = False  # a data-activation stream (destination_object_name)
    by_record_id: bool = False  # keyed by Ontraport's own id, taken out of the record before mapping
    keyless: bool = False  # append without a key: every record is created
    lists: ListResolver | None = None  # the account's campaigns and sequences, for `Add to Campaigns`...
    # key properties of linked records (`Primary Contact (Email)`), taken out before mapping
    links: Sequence[LinkProperty] = ()
    # records this stream received (the rejection threshold's denominator)
    records_taken: int = field(default=0, init=False)
    _dedup: LatestByCursor[MappedRecord] = field(default_factory=LatestByCursor, init=False)

    @property
    def name(self) -> str:
        return self.stream.name

    @property
    def namespace(self) -> str | None:
        return self.stream.namespace

    @property
    def mode(self) -> DestinationSyncMode:
        return self.stream.mode

    @property
    def label(self) -> str:
        return self.stream.label

    @property
    def replaces(self) -> bool:
        """A classic stream's full refresh that replaces what is there: its leftovers may be removed
        (a data-activation stream removes nothing it did not name)."""
        return self.stream.replaces and not self.activation

    @property
    def buffered(self) -> int:
        """Records held for deduplication (they count as pending: STATE waits for them too)."""
        return len(self._dedup)

    def take(self, data: Mapping[str, Any], position: int) -> int | None:
        """Map one record and hand it to the writer (or to deduplication first). Returns the input
        position of a record this one superseded (or that lost against it) in append_dedup, else
        None. Raises RecordRejected with the reason when it cannot be written."""
        self.records_taken += 1
        properties, (tags, lists), record_id = self._split(data)
        links = self._take_links(properties) if self.links else None
        fields = self.mapper.map(properties)
        if links:
            _check_link_and_id(links, fields, self.links)
        if record_id is not None:
            key = record_id
        elif self.keyless:
            key = f"#{position}"
        else:
            key = self.writer.match_key(fields)
            _check_lookup_value(
                fields.get(self.writer.key.name, "") if self.writer.key else "", "matching key"
            )
        if self.mode == DestinationSyncMode.soft_delete or self._cdc_deleted(data):
            found_by = (
                {}
                if record_id is not None or self.writer.key is None
                else {self.writer.key.name: fields[self.writer.key.name]}
            )
            self.writer.add_removal(MappedRecord(key, found_by, position, self.label))
            return None
        if self.mode == DestinationSyncMode.append_dedup:
            # A data-activation key is the matching key, in the object's property names: compared as
            # the writer compares it. A classic stream's is the source's own, compared as written.
            pk = (key,) if self.activation else self._primary_key_of(data, key)
            mapped = MappedRecord(key, fields, position, self.label, tags=tags, lists=lists, links=links)
            loser = self._dedup.offer(pk, self._cursor_of(data), mapped)
            return loser.position if loser is not None else None
        may_create = self.mode != DestinationSyncMode.update
        self.writer.add(
            MappedRecord(
                key, fields, position, self.label, may_create=may_create, tags=tags, lists=lists, links=links
            )
        )
        return None

    def _take_links(self, record: Mapping[str, Any]) -> dict[str, str]:
        """Takes the linked records' key properties out of `record` (a copy of the input: see
        `_split`): link field name -> the linked record's key, checked as a lookup needs it. A property
        is recognised as fields are, normalised (`primary contact (email)` too)."""
        assert isinstance(record, dict)
        by_name = {normalise(link.name): link for link in self.links}
        found: dict[str, str] = {}
        for name in [name for name in record if "(" in name]:
            link = by_name.get(normalise(name))
            if link is None:
                continue
            raw = record.pop(name)
            if raw is None or raw == "":
                continue
            try:
                value = coerce_email(raw) if link.key.type == "email" else coerce_text(raw)
            except CoercionError as exc:
                raise RecordRejected(f"{link.name}: {exc.problem}") from None
            if value:
                _check_lookup_value(value, link.name)
                found[link.field.name] = value
        return found

    # --- hooks for a stream whose records form groups (see purchase_route.py) ---------------------
    def open_group(self) -> tuple[StreamKey, int] | None:
        """The group of records still open (its last record may be yet to come), or None."""
        return None

    def open_positions(self) -> list[int]:
        """Input positions of the records of the open group: not settled yet."""
        return []

    def stream_ended(self) -> None:
        """The platform said the stream is COMPLETE: no record of it follows."""

    def unfinished(self) -> str | None:
        """At the end of the input: what this stream holds that was neither written nor rejected."""
        return None

    def identity(self, data: Mapping[str, Any]) -> tuple[str, str] | None:
        """For a rejected record: (key field name, comparable value) of the Ontraport record it names,
        when it has a usable key despite what was wrong with it, so that removals spare that record;
        None when it names none (no key, or the key itself is what was wrong)."""
        key_field = self.writer.key
        if self.keyless or key_field is None:
            return None
        if self.by_record_id:
            found = record_id(data.get(RECORD_ID_PROPERTY))
            return (key_field.name, found) if found is not None else None
        own = (ADD_TAGS, REMOVE_TAGS, *AUTOMATION_PROPERTIES)
        record = {k: v for k, v in data.items() if k not in own} if self.activation else data
        value = self.mapper.match_value_despite_errors(record)
        key = self.writer.match_key({key_field.name: value}) if value else ""
        return (key_field.name, key) if key else None

    def _cdc_deleted(self, data: Mapping[str, Any]) -> bool:
        """A CDC source's deletion marker, for classic streams: an activation stream follows its mode
        (the platform never sends the marker to one: it is no property of any object)."""
        return not self.activation and data.get(CDC_DELETED_AT) not in (None, "")

    def drain(self) -> None:
        """Hand the deduplicated winners to the writer (before it flushes)."""
        # By cursor for activation streams, whose winners differ by key only: where the account's
        # comparison of text is not known, two keys that differ in case are written in turn (see
        # Batch), and the newer must come last. A classic stream keeps the order of arrival.
        for record in self._dedup.drain(by_cursor=self.activation):
            self.writer.add(record)

    def _split(
        self, data: Mapping[str, Any]
    ) -> tuple[Mapping[str, Any], tuple[dict[str, bool], dict[ListRef, bool]], str | None]:
        """(what is mapped, (the tags and the campaigns and sequences the record asks for), its
        Ontraport id when keyed by id)."""
        if not self.activation:
            return data, ({}, {}), None
        record = dict(data)  # a copy: properties are taken out of it
        tags: dict[str, bool] = {}
        for name in _tag_names(record.pop(REMOVE_TAGS, None), REMOVE_TAGS):
            tags[name] = False
        for name in _tag_names(record.pop(ADD_TAGS, None), ADD_TAGS):
            tags[name] = True
        if tags and not self.writer.obj.has_tags:
            raise RecordRejected(
                f"{self.writer.obj.name} records carry no tags in Ontraport ({ADD_TAGS} / {REMOVE_TAGS})"
            )
        lists = take_lists(record, self.writer.obj, self.lists)
        if not self.by_record_id:
            return record, (tags, lists), None
        raw = record.pop(RECORD_ID_PROPERTY, None)
        found = record_id(raw)
        if found is None:
            raise RecordRejected(
                f"no valid {self.writer.obj.name} id in {RECORD_ID_PROPERTY!r} "
                f"(the stream's key, a positive whole number): {excerpt(str(raw), 40)!r}"
            )
        return record, (tags, lists), found

    def _primary_key_of(self, data: Mapping[str, Any], match_key: str) -> tuple[Any, ...]:
        """The source's primary key, or the match key when the stream has none. A key missing or null
        in every part is no key: the record is rejected, never merged with every other keyless one.
        A part null in some records is a value like any other (as Airbyte's warehouse destinations
        deduplicate: only a key null in every part counts as missing)."""
        if not self.stream.primary_key:
            return (match_key,)
        parts = tuple(_freeze(_dig(data, path)) for path in self.stream.primary_key)
        if all(part is None for part in parts):
            names = ", ".join(".".join(path) for path in self.stream.primary_key)
            raise RecordRejected(
                f"no value for the stream's primary key {names}: append_dedup keeps the latest record per "
                "primary key, and a record without one cannot be told apart from any other"
            )
        return parts

    def _cursor_of(self, data: Mapping[str, Any]) -> Any:
        return _dig(data, self.stream.cursor) if self.stream.cursor else None


def _tag_names(value: Any, prop: str) -> list[str]:
    """`Add Tags` / `Remove Tags`: a list of tag names or one comma-separated string."""
    if value is None or value == "":
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise RecordRejected(
            f"{prop}: {excerpt(str(value), 60)!r} is not a list of tag names or a comma-separated string"
        )
    names = [item.strip() for item in items if item.strip()]
    for name in names:
        _check_lookup_value(name, f"a tag name in {prop}")
    return names


def _check_link_and_id(
    links: Mapping[str, str], fields: Mapping[str, str], props: Sequence[LinkProperty]
) -> None:
    """A record that gives both a link's key and its raw id says two things: neither is guessed."""
    for link in props:
        if link.field.name in links and fields.get(link.field.name, "") != "":
            raise RecordRejected(
                f"the record gives both {link.name} and {link.field.alias} (the id): map one of them"
            )


def _check_lookup_value(value: str, what: str) -> None:
    """A value the writer looks up by condition must fit in a request line a server accepts: a longer
    one would fail the lookup on every retry, so it rejects its record instead."""
    if not lookup_value_fits(value):
        raise RecordRejected(
            f"{what}: {excerpt(value, 40)!r} is {len(value):,} characters long, too long to look up in "
            f"Ontraport (a lookup goes in the URL, "
            f"which holds at most {MAX_LOOKUP_VALUE:,} bytes of one value)"
        )


def _dig(data: Any, path: Sequence[str]) -> Any:
    for part in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(part)
    return data


def _freeze(value: Any) -> Any:
    """Primary-key parts become dict keys; lists and objects are not hashable as they come."""
    if isinstance(value, dict | list):
        return repr(value)
    return value


class StreamRoutes:
    """Looks up the route of a record's stream: by namespace and name, or by name when unambiguous.

    Records for a stream the catalog lacks are rejected with a reason that names the catalog's
    streams. When the first `stop_after_strays` records all went to such streams (a catalog that
    does not match the source's stream names), `stop_if_all_strays` ends the sync with a config
    error instead of rejecting every record one by one: a sync that rejects everything fails at its
    end anyway (unless the rejection threshold is 100%, in which case the caller passes None)."""

    def __init__(self, routes: Sequence[StreamRoute], *, stop_after_strays: int | None = None) -> None:
        self.routes = list(routes)
        self._stop_after_strays = stop_after_strays
        self._strays = 0
        self._first_stray = ""
        self._exact = {(p.namespace, p.name): p for p in routes}
        by_name: dict[str, list[StreamRoute]] = {}
        for route in routes:
            by_name.setdefault(route.name, []).append(route)
        self._by_name = {name: group[0] for name, group in by_name.items() if len(group) == 1}

    def find(self, name: str, namespace: str | None) -> StreamRoute | None:
        return self._exact.get((namespace, name)) or (self._by_name.get(name) if namespace is None else None)

    def __iter__(self) -> Iterator[StreamRoute]:
        return iter(self.routes)

    def unknown_stream(self, name: str, namespace: str | None) -> str:
        """The rejection reason of a record whose stream the catalog lacks (counted as a stray)."""
        where = stream_label(namespace, name)
        self._strays += 1
        self._first_stray = self._first_stray or where
        return f"stream {excerpt(where, 80)!r} is not in the configured catalog ({self.describe()})"

    def describe(self) -> str:
        """`its streams: 'people', 'deals'` (the first few), for messages about stream names."""
        if not self.routes:
            return "the catalog names no streams"
        labels = [repr(excerpt(route.label, 80)) for route in self.routes[:MAX_STREAMS_NAMED]]
        more = len(self.routes) - len(labels)
        return "its streams: " + ", ".join(labels) + (f" and {more} more" if more > 0 else "")

    def stop_if_all_strays(self, records_read: int) -> None:
        """Raises ConfigProblem when the first `stop_after_strays` records all went to unknown streams."""
        limit = self._stop_after_strays
        if limit is None or records_read < limit or self._strays != records_read:
            return
        raise ConfigProblem(
            f"The first {records_read:,} records all name streams the configured catalog does not have "
            f"(the first: {excerpt(self._first_stray, 80)!r}; {self.describe()}), so the sync stops "
            "here: nothing was written. Make the connection's streams (names and namespaces) match "
            "the streams the source sends."
        )

    @property
    def buffered(self) -> int:
        """Records the routes hold (deduplication, an open order): STATE waits for them too."""
        return sum(route.buffered for route in self.routes)

    def open_groups(self, streams: frozenset[StreamKey] | None) -> frozenset[tuple[StreamKey, int]]:
        """The open groups of these streams (None: every stream): a STATE that covers them waits until
        they are closed and written."""
        found = set()
        for route in self.routes:
            group = route.open_group()
            if group is not None and (streams is None or group[0] in streams):
                found.add(group)
        return frozenset(found)

    def still_open(self, groups: frozenset[tuple[StreamKey, int]]) -> bool:
        return bool(groups) and not groups.isdisjoint(self.open_groups(None))

    def open_positions(self) -> list[int]:
        return [position for route in self.routes for position in route.open_positions()]

    def stream_complete(self, name: str, namespace: str | None) -> None:
        route = self.find(name, namespace)
        if route is not None:
            route.stream_ended()


__all__ = ["RecordSink", "StreamRoute", "StreamRoutes"]
