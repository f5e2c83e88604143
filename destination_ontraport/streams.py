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

from airbyte_cdk.models import ConfiguredAirbyteCatalog, DestinationSyncMode

from destination_ontraport.dedup import LatestByCursor
from destination_ontraport.mapping import FieldInfo, RecordMapper, RecordRejected
from destination_ontraport.messages import excerpt
from destination_ontraport.objects import ObjectType
from destination_ontraport.spec import SUPPORTED_MODE_NAMES

SUPPORTED_MODES = tuple(DestinationSyncMode(name) for name in SUPPORTED_MODE_NAMES)
ADD_TAGS = "Add Tags"
REMOVE_TAGS = "Remove Tags"
RECORD_ID_PROPERTY = "id"
CDC_DELETED_AT = "_ab_cdc_deleted_at"


class RecordSink(Protocol):
    """Where a stream's records go (an ObjectWriter; tests pass a fake)."""

    @property
    def obj(self) -> ObjectType: ...
    @property
    def key(self) -> FieldInfo | None: ...
    def add(
        self,
        key: str,
        fields: dict[str, str],
        position: int,
        stream: str,
        *,
        may_create: bool = True,
        tags: Mapping[str, bool] | None = None,
    ) -> None: ...
    def add_removal(self, key: str, fields: dict[str, str], position: int, stream: str) -> None: ...


@dataclass
class StreamPlan:
    """One configured stream: its records are mapped, then added to `writer` as writes or removals."""

    name: str
    namespace: str | None
    mode: DestinationSyncMode
    mapper: RecordMapper
    writer: RecordSink
    primary_key: list[list[str]]
    cursor: list[str]
    activation: bool = False  # a data-activation stream (destination_object_name)
    by_record_id: bool = False  # keyed by Ontraport's own id, taken out of the record before mapping
    keyless: bool = False  # append without a key: every record is created
    records_taken: int = 0  # records this stream received (the rejection threshold's denominator)
    _dedup: LatestByCursor[tuple[str, dict[str, str], int, dict[str, bool]]] = field(
        default_factory=LatestByCursor
    )

    @property
    def label(self) -> str:
        return f"{self.namespace}.{self.name}" if self.namespace else self.name

    @property
    def buffered(self) -> int:
        """Records held for deduplication (they count as pending: STATE waits for them too)."""
        return len(self._dedup)

    def take(self, data: Mapping[str, Any], position: int) -> int | None:
        """Map one record and hand it to the writer (or to deduplication first). Returns the input
        position of a record this one superseded (or that lost against it) in append_dedup, else
        None. Raises RecordRejected with the reason when it cannot be written."""
        self.records_taken += 1
        record, tags, record_id = self._split(data)
        fields = self.mapper.map(record)
        if record_id is not None:
            key = record_id
        elif self.keyless:
            key = f"#{position}"
        else:
            key = self.mapper.match_key(fields)
        if self.mode == DestinationSyncMode.soft_delete or self._cdc_deleted(data):
            found_by = (
                {}
                if record_id is not None or self.writer.key is None
                else {self.writer.key.name: fields[self.writer.key.name]}
            )
            self.writer.add_removal(key, found_by, position, self.label)
            return None
        if self.mode == DestinationSyncMode.append_dedup:
            pk = self._primary_key_of(data) or (key,)
            loser = self._dedup.offer(pk, self._cursor_of(data), (key, fields, position, tags))
            return loser[2] if loser is not None else None
        may_create = self.mode != DestinationSyncMode.update
        self.writer.add(key, fields, position, self.label, may_create=may_create, tags=tags)
        return None

    def _cdc_deleted(self, data: Mapping[str, Any]) -> bool:
        """A CDC source's deletion marker, for classic streams: an activation stream follows its mode
        (the platform never sends the marker to one: it is no property of any object)."""
        return not self.activation and data.get(CDC_DELETED_AT) not in (None, "")

    def drain(self) -> None:
        """Hand the deduplicated winners to the writer (before it flushes)."""
        for key, fields, position, tags in self._dedup.drain():
            self.writer.add(key, fields, position, self.label, tags=tags)

    def _split(self, data: Mapping[str, Any]) -> tuple[Mapping[str, Any], dict[str, bool], str | None]:
        """(what is mapped, the tags the record asks for, its Ontraport id when keyed by id)."""
        if not self.activation:
            return data, {}, None
        record = dict(data)
        tags: dict[str, bool] = {}
        for name in _tag_names(record.pop(REMOVE_TAGS, None), REMOVE_TAGS):
            tags[name] = False
        for name in _tag_names(record.pop(ADD_TAGS, None), ADD_TAGS):
            tags[name] = True
        if tags and not self.writer.obj.has_tags:
            raise RecordRejected(
                f"{self.writer.obj.name} records carry no tags in Ontraport ({ADD_TAGS} / {REMOVE_TAGS})"
            )
        if not self.by_record_id:
            return record, tags, None
        raw = record.pop(RECORD_ID_PROPERTY, None)
        text = str(raw).strip() if isinstance(raw, int | str) and not isinstance(raw, bool) else ""
        if not text.isdigit() or text.strip("0") == "":
            raise RecordRejected(
                f"no valid {self.writer.obj.name} id in {RECORD_ID_PROPERTY!r} (the stream's key): "
                f"{excerpt(str(raw), 40)!r}"
            )
        return record, tags, str(int(text))

    def _primary_key_of(self, data: Mapping[str, Any]) -> tuple[Any, ...] | None:
        if not self.primary_key:
            return None
        return tuple(_freeze(_dig(data, path)) for path in self.primary_key)

    def _cursor_of(self, data: Mapping[str, Any]) -> Any:
        return _dig(data, self.cursor) if self.cursor else None


def _tag_names(value: Any, prop: str) -> list[str]:
    """`Add Tags` / `Remove Tags`: a list of tag names or one comma-separated string."""
    if value is None or value == "":
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise RecordRejected(
            f"{prop}: {excerpt(str(value), 60)!r} is not a list of tag names or a comma-separated string"
        )
    return [item.strip() for item in items if item.strip()]


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


class StreamPlans:
    """Looks up the plan of a record's stream: by namespace and name, or by name when unambiguous."""

    def __init__(self, plans: Sequence[StreamPlan]) -> None:
        self.plans = list(plans)
        self._exact = {(p.namespace, p.name): p for p in plans}
        by_name: dict[str, list[StreamPlan]] = {}
        for plan in plans:
            by_name.setdefault(plan.name, []).append(plan)
        self._by_name = {name: group[0] for name, group in by_name.items() if len(group) == 1}

    def find(self, name: str, namespace: str | None) -> StreamPlan | None:
        return self._exact.get((namespace, name)) or (self._by_name.get(name) if namespace is None else None)

    def __iter__(self) -> Iterator[StreamPlan]:
        return iter(self.plans)

    @property
    def buffered(self) -> int:
        return sum(plan.buffered for plan in self.plans if plan.mode == DestinationSyncMode.append_dedup)


def stream_keys(
    catalog: ConfiguredAirbyteCatalog,
) -> list[tuple[Any, list[list[str]], list[str], DestinationSyncMode]]:
    """(configured stream, primary key, cursor, mode) of every stream, with the catalog's defaults."""
    out = []
    for configured in catalog.streams:
        stream = configured.stream
        primary_key = configured.primary_key or stream.source_defined_primary_key or []
        cursor = configured.cursor_field or stream.default_cursor_field or []
        mode = configured.destination_sync_mode or DestinationSyncMode.append
        out.append((configured, [list(p) for p in primary_key], list(cursor), mode))
    return out


__all__ = ["ADD_TAGS", "REMOVE_TAGS", "SUPPORTED_MODES", "FieldInfo", "StreamPlan", "StreamPlans"]
