"""Fakes and helpers shared by the unit tests, checked by mypy against the protocols they stand in for."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from destination_ontraport.model.mapping import FieldInfo, key_normaliser
from destination_ontraport.model.objects import ObjectType
from destination_ontraport.ontraport.client import OntraportClient
from destination_ontraport.ontraport.settings import EngineSettings, Timing
from destination_ontraport.sync.loop import count_in
from destination_ontraport.sync.report import SyncReport
from destination_ontraport.write.batch import MappedRecord
from destination_ontraport.write.object_writer import ObjectWriter

BASE = "https://api.test/1"
"""The API base URL the requests-mock tests answer on."""


def envelope(data: object) -> dict[str, Any]:
    """requests-mock keyword arguments for Ontraport's success envelope around `data`."""
    return {"json": {"code": 0, "data": data, "account_id": 50}}


def mocked_client(max_attempts: int = 2, *, api_key: str = "key") -> OntraportClient:
    """A real client on BASE that never sleeps between attempts (requests-mock answers it)."""
    settings = EngineSettings(BASE, "app", api_key, max_attempts=max_attempts)
    return OntraportClient(settings, Timing(sleep=lambda _: None, jitter=lambda: 0.0))


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

    def add(self, record: MappedRecord) -> None:
        self.writes.append((record.key, record.fields))

    def add_removal(self, record: MappedRecord) -> None:
        self.removals.append(record.key)


class CountedWriter:
    """A real ObjectWriter whose flushes are counted into `report` as the message loop counts them
    (`loop.count_in`), so that a test reads the counts and rejections a sync's summary would."""

    def __init__(self, writer: ObjectWriter, report: SyncReport) -> None:
        self.writer, self.report = writer, report

    @property
    def obj(self) -> ObjectType:
        return self.writer.obj

    @property
    def key(self) -> FieldInfo | None:
        return self.writer.key

    @property
    def seen_ids(self) -> set[str]:
        return self.writer.seen_ids

    @property
    def pending_records(self) -> int:
        return self.writer.pending_records

    def match_key(self, fields: Mapping[str, str]) -> str:
        return self.writer.match_key(fields)

    def add(self, record: MappedRecord) -> None:
        self.writer.add(record)

    def add_removal(self, record: MappedRecord) -> None:
        self.writer.add_removal(record)

    def flush(self) -> None:
        for outcome in self.writer.flush():
            count_in(outcome, self.report)

    def close(self) -> None:
        self.writer.close()
