"""Rejected records into the bucket: buffered per stream, stored as one object per stream and part.
`BucketTarget` (where a sync's objects go, their names and part numbers) is shared with the sync log
(`synclog/`), whose rows go to the same bucket under a folder of their own.

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
from functools import partial
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
from destination_ontraport.rejected.settings import (
    CsvFormat,
    GzipCompression,
    JsonlFormat,
    NoCompression,
    S3ObjectStorage,
)

logger = logging.getLogger("airbyte")


class ObjectStore(Protocol):
    """What this module needs of a bucket (`S3Store`; tests may pass their own)."""

    def put(self, key: str, body: bytes, content_type: str, what: str = ...) -> None: ...

    def close(self) -> None: ...


Encoder = Callable[[CsvFormat | JsonlFormat, NoCompression | GzipCompression], bytes]
"""(format, compression) -> an object's bytes: the caller's rows, encoded as the settings say."""


class PartNumbers:
    """One sequence of part numbers for every object a sync stores (its rejected records and its sync
    log): `file_name_format` must hold `{part_number}`, so no two objects of one sync can share a
    name, whatever folder `path_format` puts them in. Stores happen one at a time (the message loop's
    thread), so no lock."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        self._last += 1
        return self._last


class BucketTarget:
    """Where one sync's objects go: the bucket (its store and settings), the sync's id and start, and
    its part numbers. `put` names and writes one object under `bucket_path`; what goes in it, and in
    which folder, is the caller's (the rejected records, the sync log)."""

    def __init__(
        self,
        store: ObjectStore,
        settings: S3ObjectStorage,
        sync_id: str,
        started: datetime,
        mask: Callable[[str], str] = filter_secrets,
    ) -> None:
        self.store = store
        self.settings = settings
        self.sync_id = sync_id
        self.started = started
        self.mask = mask
        self.parts = PartNumbers()

    def directory(self, namespace: str | None, stream: str) -> str:
        """A stream's folder under `path_format` (`4242/people/` by default)."""
        return render_directory(
            self.settings.path_format,
            sync_id=self.sync_id,
            namespace=namespace,
            stream_name=stream,
            at=self.started,
        )

    def put(self, directory: str, encoded: Encoder, what: str) -> str:
        """Writes one object (the next part) in `directory`, in the format and compression the settings
        name; returns its key. Raises `ObjectStorageError` (after the client's retries)."""
        settings = self.settings
        name = render_file_name(
            settings.file_name_format,
            sync_id=self.sync_id,
            part_number=self.parts.next(),
            extension=extension(settings.format, settings.compression),
            at=self.started,
        )
        key = self.mask(object_key(settings.bucket_path, directory, name))  # a stream may be named so
        body = encoded(settings.format, settings.compression)
        self.store.put(key, body, content_type(settings.format, settings.compression), what)
        return key

    def close(self) -> None:
        self.store.close()


class RejectedObjects:
    """The rejected rows of one sync, buffered per stream until `store()` writes one object per stream
    through `target` (which the sync log shares: one sequence of part numbers)."""

    def __init__(self, target: BucketTarget) -> None:
        self.target = target
        self._rows: dict[tuple[str | None, str], list[RejectedRow]] = {}
        self.buffered = 0  # rows not yet stored; the sync loop holds STATEs while this is above 0
        self.stored = 0
        self.objects = 0

    def add(self, row: RejectedRow) -> None:
        self._rows.setdefault((row.namespace, row.stream), []).append(row)
        self.buffered += 1

    def store(self) -> None:
        """One object per stream with buffered rows; each stream's rows leave the buffer only once
        their object is written. Raises `ObjectStorageError` (after the client's retries)."""
        target = self.target
        for (namespace, stream), rows in list(self._rows.items()):
            encoded = partial(_encoded, rows, target.mask)
            key = target.put(target.directory(namespace, stream), encoded, "store rejected records in")
            del self._rows[(namespace, stream)]
            self.buffered -= len(rows)
            self.stored += len(rows)
            self.objects += 1
            logger.info(
                f"Stored {len(rows)} rejected record(s) of stream {stream!r} in "
                f"s3://{target.settings.s3_bucket_name}/{key}."
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
                f"{self.target.settings.location} (sync id {self.target.sync_id}), each with the reason it "
                "was rejected."
            )
        self.target.close()


def _encoded(
    rows: list[RejectedRow],
    mask: Callable[[str], str],
    output: CsvFormat | JsonlFormat,
    compression: NoCompression | GzipCompression,
) -> bytes:
    return encode(rows, output, compression, mask)


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
    return RejectedObjects(BucketTarget(S3Store(settings), settings, sync_id, started))
