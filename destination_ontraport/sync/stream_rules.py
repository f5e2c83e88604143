"""The configured catalog's rules, pure: what each stream is, which modes and keys it may use.

`catalog_streams` reads a stream's settings as the protocol defines their defaults; `supported_mode`,
`activation_object` and `matching_key` refuse, with a message that says what to choose instead, what
this connector cannot do. No I/O: the object types are given (`Account.objects()` read them), so each
rule is unit-tested directly, and discover's tests ask these very functions whether a key discover
offers is one the writer takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from airbyte_cdk.models import ConfiguredAirbyteCatalog, DestinationSyncMode

from destination_ontraport.model.mapping import FieldInfo
from destination_ontraport.model.objects import RECORD_ID_FIELD, RECORD_ID_PROPERTY, ObjectType, find_object
from destination_ontraport.model.problems import ConfigProblem
from destination_ontraport.protocol.messages import stream_label
from destination_ontraport.spec import SUPPORTED_MODE_NAMES

SUPPORTED_MODES = tuple(DestinationSyncMode(name) for name in SUPPORTED_MODE_NAMES)
KEYED_MODES = (DestinationSyncMode.append_dedup, DestinationSyncMode.update, DestinationSyncMode.soft_delete)
"""The modes that find existing records, so a data-activation stream needs a matching key for them."""


@dataclass(frozen=True)
class CatalogStream:
    """One configured stream as the catalog gives it, the protocol's defaults filled in.
    `object_name`: `destination_object_name`, set on a data-activation stream.
    `replacing_generation`: the generation a refresh that replaces what is there brings
    (`minimum_generation_id == generation_id > 0`, see `replaces`); None otherwise."""

    name: str
    namespace: str | None
    mode: DestinationSyncMode
    primary_key: list[list[str]] = field(default_factory=list)
    cursor: list[str] = field(default_factory=list)
    object_name: str | None = None
    replacing_generation: int | None = None

    @property
    def label(self) -> str:
        return stream_label(self.namespace, self.name)

    @property
    def replaces(self) -> bool:
        """Whether the stream replaces what is there. `overwrite` says so (a catalog from PyAirbyte, a
        person or a platform without refreshes). A platform that supports refreshes never sends
        `overwrite`: it rewrites it to `append` (and `overwrite_dedup` to `append_dedup`,
        airbyte-platform `DefaultProtocolSerializer.kt`) and says "replace" with
        `minimum_generation_id == generation_id`, which it sets for a full-refresh overwrite and a
        refresh that removes records, its generation bumped to 1 or more (`CatalogGenerationSetter.kt`,
        `GenerationBumper.kt`). A `minimum_generation_id` of 0 (a normal sync, a refresh that keeps
        records) replaces nothing."""
        if self.mode == DestinationSyncMode.overwrite:
            return True
        appends = self.mode in (DestinationSyncMode.append, DestinationSyncMode.append_dedup)
        return appends and self.replacing_generation is not None


def catalog_streams(catalog: ConfiguredAirbyteCatalog) -> list[CatalogStream]:
    """Every stream of the catalog: the configured primary key and cursor, else the source's; the
    mode `append` when none is given."""
    found = []
    for configured in catalog.streams:
        stream = configured.stream
        primary_key = configured.primary_key or stream.source_defined_primary_key or []
        cursor = configured.cursor_field or stream.default_cursor_field or []
        mode = configured.destination_sync_mode or DestinationSyncMode.append
        found.append(
            CatalogStream(
                stream.name,
                stream.namespace,
                mode,
                [list(part) for part in primary_key],
                list(cursor),
                getattr(configured, "destination_object_name", None) or None,
                _replacing_generation(configured),
            )
        )
    return found


def _replacing_generation(configured: Any) -> int | None:
    generation = getattr(configured, "generation_id", None)
    minimum = getattr(configured, "minimum_generation_id", None)
    return generation if isinstance(generation, int) and generation > 0 and minimum == generation else None


def supported_mode(stream: CatalogStream) -> None:
    """Raises ConfigProblem for a destination sync mode this connector does not offer, or data
    activation does not (overwrite: a data-activation stream never removes what it did not name)."""
    if stream.mode not in SUPPORTED_MODES:
        modes = ", ".join(m.value for m in SUPPORTED_MODES)
        raise ConfigProblem(
            f"Stream {stream.label!r} uses destination sync mode {stream.mode.value!r}, which this connector "
            f"does not support; choose one of: {modes}."
        )
    if stream.object_name and stream.mode == DestinationSyncMode.overwrite:
        raise ConfigProblem(
            f"Stream {stream.label!r} writes {stream.object_name!r} in overwrite, which data activation does "
            "not offer (discover lists append, append_dedup, update and soft_delete): a data-activation "
            "stream never removes the records it did not name. Choose append or append_dedup, and "
            "send soft_delete records to remove records."
        )


def activation_object(stream: CatalogStream, objects: Sequence[ObjectType]) -> ObjectType:
    """The object a data-activation stream writes (`destination_object_name`); raises ConfigProblem
    when the account has none of that name."""
    label, object_name = stream.label, stream.object_name or ""
    obj = find_object(objects, object_name)
    if obj is None:
        names = ", ".join(o.name for o in objects)
        raise ConfigProblem(
            f"Stream {label!r} writes to {object_name!r}, which this Ontraport account does not have "
            f"(its objects: {names}). Run discover again and pick one of them."
        )
    return obj


def matching_key(
    label: str, obj: ObjectType, primary_key: list[list[str]], mode: DestinationSyncMode
) -> FieldInfo | None:
    """The matching key a data-activation stream's user chose (its primary key: one top-level
    property): a field Ontraport keeps unique, `RECORD_ID_FIELD` for the record `id`, or None (no
    key: every record is created). Raises ConfigProblem for a key the writer cannot match on, or a
    mode that needs one and has none."""
    if not primary_key:
        if mode in KEYED_MODES:
            raise ConfigProblem(
                f"Stream {label!r} ({mode.value} to {obj.name}) needs a matching key; choose one in the "
                "mapping (discover lists the candidates)."
            )
        return None
    if len(primary_key) != 1 or len(primary_key[0]) != 1:
        raise ConfigProblem(
            f"Stream {label!r}: the matching key must be one top-level property, got {primary_key}."
        )
    prop = primary_key[0][0]
    if prop == RECORD_ID_PROPERTY:
        if mode in (DestinationSyncMode.append, DestinationSyncMode.append_dedup):
            raise ConfigProblem(
                f"Stream {label!r}: {mode.value} creates records, and Ontraport gives new records their "
                f"own id: match on a unique field instead, or use update to change records by id."
            )
        return RECORD_ID_FIELD
    info = obj.fields.resolve(prop)
    if info is None or info not in obj.unique_fields():
        keys = ", ".join([RECORD_ID_PROPERTY, *(f.alias for f in obj.unique_fields())])
        raise ConfigProblem(
            f"Stream {label!r}: {prop!r} is not a key of {obj.name} that Ontraport keeps unique "
            f"(the keys are: {keys})."
        )
    return info


__all__ = [
    "KEYED_MODES",
    "SUPPORTED_MODES",
    "CatalogStream",
    "activation_object",
    "catalog_streams",
    "matching_key",
    "supported_mode",
]
