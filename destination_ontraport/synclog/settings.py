"""`sync_log`: where the per-record sync log goes, shaped like `object_storage_config` (a `oneOf`).

None (the default), a local file (JSON Lines), or the rejected-records bucket: the bucket that
`object_storage_config` configures, whose settings (credentials, prefix, format, compression, file
names) the log reuses, under a folder of its own (`<bucket_path>/<sync id>/sync_log/`). The bucket
is not configured twice: a second set of credentials would be a second secret to keep and rotate.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, field_validator

from destination_ontraport.rejected.settings import SettingsBlock, airbyte_shape, union_shape


class NoSyncLog(SettingsBlock):
    """No per-record log: the summary's counts only."""

    model_config = ConfigDict(title="None", json_schema_extra=airbyte_shape(["log_type"]))

    log_type: Literal["None"] = "None"


class FileSyncLog(SettingsBlock):
    """One JSON line per record in a local file, appended to (runs by hand, PyAirbyte, a mounted
    volume of the Docker image)."""

    model_config = ConfigDict(title="Local file", json_schema_extra=airbyte_shape(["log_type", "path"]))

    log_type: Literal["File"] = "File"
    path: str = Field(
        title="File path",
        description="Path of the JSON Lines file that receives one row per record (appended to).",
        examples=["/local/ontraport_sync_log.jsonl"],
        json_schema_extra={"order": 1},
    )

    @field_validator("path")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must name a file, e.g. /local/ontraport_sync_log.jsonl")
        return value.strip()


class BucketSyncLog(SettingsBlock):
    """The rows go to the bucket of `object_storage_config` (which must be S3), under
    `<bucket_path>/<sync id>/sync_log/`, in its format and compression."""

    model_config = ConfigDict(
        title="The rejected-records bucket", json_schema_extra=airbyte_shape(["log_type"])
    )

    log_type: Literal["Bucket"] = "Bucket"


SyncLogSettings = Annotated[NoSyncLog | FileSyncLog | BucketSyncLog, Field(discriminator="log_type")]


def sync_log_field(**form: Any) -> Any:
    """The `sync_log` field of the connector's config model (config.py holds one line); `form` places
    it in the setup form (its `order` and `group`)."""
    return Field(
        default_factory=NoSyncLog,
        title="Sync log",
        description=(
            "One row per record: its stream, input line, match key, what the sync did (created, "
            "updated, unchanged, tagged, subscribed, removed, skipped, superseded, rejected), the "
            "Ontraport id and the names of the fields it changed (never their values). To a local "
            "file, or to the rejected-records bucket configured above, under <prefix>/<sync id>/sync_log/."
        ),
        json_schema_extra=union_shape(**form),
    )


__all__ = ["BucketSyncLog", "FileSyncLog", "NoSyncLog", "SyncLogSettings", "sync_log_field"]
