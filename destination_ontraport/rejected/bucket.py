"""Rejected records into the bucket: buffered per stream, stored as one object per stream and part.

Before the message loop releases STATE messages, `Rejections.store()` calls `store()` here, so every
rejection a released STATE covers is in the bucket (and readable: S3 is read-after-write consistent)
before the platform sees that STATE. A bucket that still fails after the retries raises: the sync
stops, the held STATEs stay unreleased, and the platform sends those records again. Nothing is
uploaded when nothing was rejected.
After a failed sync the rows not yet stored are not uploaded either (their records were never
acknowledged, so a retry rejects them again); the log says how many.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Protocol

from airbyte_cdk.models import ConfiguredAirbyteCatalog
from airbyte_cdk.utils.airbyte_secrets_utils import filter_secrets

from destination_ontraport.rejected.paths import (
    object_key,
    render_directory,
    render_file_name,
    resolve_sync_id,
)
from destination_ontraport.rejected.rows import RejectedRow, content_type, encode, extension
from destination_ontraport.rejected.s3_store import S3Store
from destination_ontraport.rejected.settings import S3ObjectStorage

logger = logging.getLogger("airbyte")


class ObjectStore(Protocol):
    """What this module needs of a bucket (`S3Store`; tests may pass their own)."""

    def put(self, key: str, body: bytes, content_type: str) -> None: ...

    def close(self) -> None: ...


class RejectedObjects:
    def __init__(
        self,
        store: ObjectStore,
        settings: S3ObjectStorage,
        sync_id: str,
        started: datetime,
        mask: Callable[[str], str] = filter_secrets,
    ) -> None:
        self._store = store
        self._settings = settings
        self._sync_id = sync_id
        self._started = started
        self._mask = mask
        self._rows: dict[tuple[str | None, str], list[RejectedRow]] = {}
        self._part = 0
        self.buffered = 0  # rows not yet stored; the sync loop holds STATEs while this is above 0
        self.stored = 0
        self.objects = 0

    def add(self, row: RejectedRow) -> None:
        self._rows.setdefault((row.namespace, row.stream), []).append(row)
        self.buffered += 1

    def store(self) -> None:
        """One object per stream with buffered rows; each stream's rows leave the buffer only once
        their object is written. Raises `ObjectStorageError` (after the client's retries)."""
        settings = self._settings
        ext = extension(settings.format, settings.compression)
        kind = content_type(settings.format, settings.compression)
        for (namespace, stream), rows in list(self._rows.items()):
            self._part += 1
            directory = render_directory(
                settings.path_format,
                sync_id=self._sync_id,
                namespace=namespace,
                stream_name=stream,
                at=self._started,
            )
            name = render_file_name(
                settings.file_name_format,
                sync_id=self._sync_id,
                part_number=self._part,
                extension=ext,
                at=self._started,
            )
            key = self._mask(object_key(settings.bucket_path, directory, name))  # a stream may be named so
            self._store.put(key, encode(rows, settings.format, settings.compression, self._mask), kind)
            del self._rows[(namespace, stream)]
            self.buffered -= len(rows)
            self.stored += len(rows)
            self.objects += 1
            logger.info(
                f"Stored {len(rows)} rejected record(s) of stream {stream!r} in s3://{settings.s3_bucket_name}/{key}."
            )

    def close(self) -> None:
        if self.buffered:
            logger.warning(
                f"{self.buffered} rejected record(s) were not stored in the bucket: the sync stopped before "
                "their records were acknowledged, so the next attempt sends and rejects them again."
            )
        if self.objects:
            logger.info(
                f"{self.stored} rejected record(s) are in {self.objects} object(s) under "
                f"{self._settings.location} (sync id {self._sync_id}), each with the reason it was rejected."
            )
        self._store.close()


def open_rejected_objects(
    settings: S3ObjectStorage,
    catalog: ConfiguredAirbyteCatalog,
    environ: Mapping[str, str] = os.environ,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> RejectedObjects:
    """The bucket `object_storage_config` names, for one sync (its sync id from the catalog or the
    environment)."""
    started = now()
    sync_id, source = resolve_sync_id((s.sync_id for s in catalog.streams), environ, started)
    logger.info(f"Rejected records go to {settings.location} under sync id {sync_id} (from {source}).")
    return RejectedObjects(S3Store(settings), settings, sync_id, started)
