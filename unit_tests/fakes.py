"""Fakes shared by the unit tests, checked by mypy against the protocols they stand in for."""

from __future__ import annotations

from collections.abc import Mapping

from destination_ontraport.model.mapping import FieldInfo, key_normaliser
from destination_ontraport.model.objects import ObjectType


class RecordingSink:
    """A `streams.RecordSink` that keeps what it is given, and keys records as a writer does."""

    def __init__(self, obj: ObjectType, key: FieldInfo | None) -> None:
        self.obj, self.key = obj, key
        self.writes: list[tuple[str, dict[str, str]]] = []
        self.removals: list[str] = []

    def match_key(self, fields: Mapping[str, str]) -> str:
        if self.key is None:
            return ""
        return key_normaliser(self.key, None)(fields.get(self.key.name) or "")

    def add(
        self,
        key: str,
        fields: dict[str, str],
        position: int,
        stream: str,
        *,
        may_create: bool = True,
        tags: Mapping[str, bool] | None = None,
    ) -> None:
        self.writes.append((key, fields))

    def add_removal(self, key: str, fields: dict[str, str], position: int, stream: str) -> None:
        self.removals.append(key)
