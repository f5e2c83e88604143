"""The sync log of one sync: its rows, kept until they are stored, and stored before the STATE that
covers their records goes out, as the rejected records are (see `sync/loop.py`).

Rows arrive from the message loop: each writer's round (`WriteOutcome.results`), every rejection (as
the rejections' owner resolved it), each record superseded in `append_dedup`, and the contacts a full
refresh removed. A local file gets them at once and is flushed to disk before each STATE; the bucket
gets one object per store, under `<bucket_path>/<sync id>/sync_log/`, and a STATE waits while rows are
buffered for it (`unstored`), so a STATE never acknowledges a record whose row is not stored. After a
failed sync the rows not yet stored are not uploaded (the next attempt writes those records again, and
logs them then); the log says how many.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import IO, Protocol

from airbyte_cdk.utils.airbyte_secrets_utils import filter_secrets

from destination_ontraport.rejected.bucket import BucketTarget
from destination_ontraport.rejected.settings import CsvFormat, GzipCompression, JsonlFormat, NoCompression
from destination_ontraport.synclog.rows import RecordResult, encode_results

logger = logging.getLogger("airbyte")

FOLDER = "sync_log"


class RecordLog(Protocol):
    """What the message loop and the job need of a sync log."""

    @property
    def unstored(self) -> int:
        """Rows a STATE must wait for (buffered for the bucket)."""

    def add(self, rows: Iterable[RecordResult]) -> None: ...

    def store(self) -> None:
        """Before a STATE goes out: every row so far is on disk or in the bucket (raises if not)."""

    def close(self) -> None: ...


class NoRecordLog:
    """No sync log configured (or a dry run, which writes nothing anywhere)."""

    unstored = 0

    def add(self, rows: Iterable[RecordResult]) -> None: ...
    def store(self) -> None: ...
    def close(self) -> None: ...


class FileRecordLog:
    """JSON Lines appended to a local file, as they come; flushed and synced to disk by `store`."""

    unstored = 0

    def __init__(self, path: str, mask: Callable[[str], str] = filter_secrets) -> None:
        self._path = Path(path)
        self._mask = mask
        self._file: IO[bytes] | None = None
        self.rows = 0

    def add(self, rows: Iterable[RecordResult]) -> None:
        batch = list(rows)
        if not batch:
            return
        if self._file is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self._path.open("ab")
        self._file.write(encode_results(batch, JsonlFormat(), NoCompression(), self._mask))
        self.rows += len(batch)

    def store(self) -> None:
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._file is not None:
            self.store()
            self._file.close()
            self._file = None
            logger.info(f"The sync log holds {self.rows} row(s) of this sync in {self._path}.")


class BucketRecordLog:
    """Rows buffered until `store` writes them as one object (every stream together: each row names
    its stream) in the rejected-records bucket, in the folder `<sync id>/sync_log/`."""

    def __init__(self, target: BucketTarget) -> None:
        self._target = target
        self._rows: list[RecordResult] = []
        self.stored = 0
        self.objects = 0

    @property
    def unstored(self) -> int:
        return len(self._rows)

    def add(self, rows: Iterable[RecordResult]) -> None:
        self._rows.extend(rows)

    def store(self) -> None:
        """One object; the rows leave the buffer only once it is written. Raises `ObjectStorageError`
        (after the client's retries)."""
        if not self._rows:
            return
        target, rows = self._target, self._rows
        encoded = partial(_encoded, rows, target.mask)
        key = target.put(f"{target.sync_id}/{FOLDER}/", encoded, "store the sync log in")
        self._rows = []
        self.stored += len(rows)
        self.objects += 1
        logger.info(f"Stored {len(rows)} sync log row(s) in s3://{target.settings.s3_bucket_name}/{key}.")

    def close(self) -> None:
        if self._rows:
            logger.warning(
                f"{len(self._rows)} sync log row(s) were not stored in the bucket: the sync stopped before "
                "their records were acknowledged, so the next attempt writes and logs them again."
            )
        if self.objects:
            logger.info(
                f"The sync log holds {self.stored} row(s) in {self.objects} object(s) under "
                f"{target_location(self._target)} (sync id {self._target.sync_id})."
            )
        self._target.close()


def target_location(target: BucketTarget) -> str:
    return f"{target.settings.location}{target.sync_id}/{FOLDER}/"


def _encoded(
    rows: list[RecordResult],
    mask: Callable[[str], str],
    output: CsvFormat | JsonlFormat,
    compression: NoCompression | GzipCompression,
) -> bytes:
    return encode_results(rows, output, compression, mask)


__all__ = ["FOLDER", "BucketRecordLog", "FileRecordLog", "NoRecordLog", "RecordLog"]
