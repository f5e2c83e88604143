"""The configured catalog, resolved once: per stream its sync mode, mapper, primary key and cursor."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airbyte_cdk.models import ConfiguredAirbyteCatalog, DestinationSyncMode

from destination_ontraport.config import OntraportConfig
from destination_ontraport.mapping import FieldCatalog, FieldInfo, RecordMapper
from destination_ontraport.spec import SUPPORTED_MODE_NAMES

SUPPORTED_MODES = tuple(DestinationSyncMode(name) for name in SUPPORTED_MODE_NAMES)


@dataclass
class StreamPlan:
    name: str
    namespace: str | None
    mode: DestinationSyncMode
    mapper: RecordMapper
    primary_key: list[list[str]]
    cursor: list[str]

    @property
    def label(self) -> str:
        return f"{self.namespace}.{self.name}" if self.namespace else self.name

    def primary_key_of(self, data: Mapping[str, Any]) -> tuple[Any, ...] | None:
        if not self.primary_key:
            return None
        return tuple(_freeze(_dig(data, path)) for path in self.primary_key)

    def cursor_of(self, data: Mapping[str, Any]) -> Any:
        return _dig(data, self.cursor) if self.cursor else None


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


def build_plans(
    catalog: ConfiguredAirbyteCatalog, config: OntraportConfig, fields: FieldCatalog, match_field: FieldInfo
) -> StreamPlans:
    explicit = [(entry.source, entry.target) for entry in config.field_mapping]
    plans = []
    for configured in catalog.streams:
        stream = configured.stream
        primary_key = configured.primary_key or stream.source_defined_primary_key or []
        cursor = configured.cursor_field or stream.default_cursor_field or []
        mapper = RecordMapper(
            fields, match_field, explicit, auto_mapping=config.auto_mapping, ignore=config.ignore_fields
        )
        mode = configured.destination_sync_mode or DestinationSyncMode.append
        plans.append(StreamPlan(stream.name, stream.namespace, mode, mapper, primary_key, list(cursor)))
    return StreamPlans(plans)
