"""Where a rejected-records object goes: the bucket key built from `path_format` and `file_name_format`.

Pure functions, so the layout is tested without a bucket. The variables and defaults follow Airbyte's
object-storage toolkit (Kotlin bulk CDK), because the platform links a job's rejected records to
`<bucket_path>/<job id>/` and users of other activation destinations know these names:

- `path_format` (default `{sync_id}/{namespace}/{stream_name}/`): `{sync_id}`, `{namespace}`,
  `{stream_name}`, `{year}`, `{month}`, `{day}`, `{hour}`, `{minute}`, `{second}`, `{millisecond}`,
  `{epoch}` (Unix milliseconds), `{uuid}`; also written `${NAMESPACE}` as the S3 destination does.
- `file_name_format` (default `{date}_{timestamp}_{part_number}{format_extension}`): `{date}`
  (`2026-12-02`), `{timestamp}` (`2026-12-02T05:54:12.123Z`), `{part_number}`, `{sync_id}`,
  `{format_extension}` (`.jsonl`, `.csv.gz`, ...).

Times are the sync's start, in UTC, so the parts of one sync differ only in their part number.
Empty segments (a stream without a namespace) are dropped, as the toolkit's `Paths.get` does:
`{sync_id}/{namespace}/{stream_name}/` is `4242/people/` for a stream with no namespace.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

DEFAULT_PATH_FORMAT = "{sync_id}/{namespace}/{stream_name}/"
DEFAULT_FILE_NAME_FORMAT = "{date}_{timestamp}_{part_number}{format_extension}"
PATH_VARIABLES = (
    "sync_id",
    "namespace",
    "stream_name",
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
    "millisecond",
    "epoch",
    "uuid",
)
FILE_NAME_VARIABLES = ("date", "timestamp", "part_number", "sync_id", "format_extension")
JOB_ID_ENV = "WORKER_JOB_ID"
"""Set by the Airbyte platform in every connector container it starts (`WorkerEnvConstants`)."""
LOCAL_SYNC_ID_PREFIX = "local-"

_VARIABLE = re.compile(r"\$?\{(\w+)\}")


def _variables(text: str) -> list[str]:
    return [match.group(1).lower() for match in _VARIABLE.finditer(text)]


def _refuse_unknown(text: str, known: Iterable[str], setting: str) -> None:
    unknown = [name for name in _variables(text) if name not in known]
    if unknown:
        raise ValueError(
            f"{setting} uses the unknown variable {{{unknown[0]}}}; the known ones are "
            + ", ".join(f"{{{name}}}" for name in known)
        )


def check_path_format(text: str) -> str:
    """A `path_format` with only known variables (a typo would otherwise land in every key)."""
    _refuse_unknown(text, PATH_VARIABLES, "path_format")
    return text.strip()


def check_file_name_format(text: str) -> str:
    """Every part of a sync needs its own name: without `{part_number}` the second part of a stream
    would overwrite the first, and those rejected records would be lost."""
    _refuse_unknown(text, FILE_NAME_VARIABLES, "file_name_format")
    if "part_number" not in _variables(text):
        raise ValueError(
            "file_name_format must contain {part_number}, or later parts would overwrite earlier ones"
        )
    return text.strip()


def _render(text: str, values: Mapping[str, str]) -> str:
    return _VARIABLE.sub(lambda match: values[match.group(1).lower()], text)


def render_directory(
    path_format: str, *, sync_id: str, namespace: str | None, stream_name: str, at: datetime
) -> str:
    """The folder of one stream's objects, without the bucket prefix: empty segments dropped, and
    ending with `/` unless it is empty."""
    at = at.astimezone(UTC)
    values = {
        "sync_id": sync_id,
        "namespace": namespace or "",
        "stream_name": stream_name,
        "year": f"{at.year:04d}",
        "month": f"{at.month:02d}",
        "day": f"{at.day:02d}",
        "hour": f"{at.hour:02d}",
        "minute": f"{at.minute:02d}",
        "second": f"{at.second:02d}",
        "millisecond": f"{at.microsecond // 1000:03d}",
        "epoch": str(int(at.timestamp() * 1000)),
        "uuid": str(uuid.uuid4()) if "uuid" in _variables(path_format) else "",
    }
    segments = [part for part in _render(path_format, values).split("/") if part]
    return "".join(f"{part}/" for part in segments)


def render_file_name(
    file_name_format: str, *, sync_id: str, part_number: int, extension: str, at: datetime
) -> str:
    """One object's name; `extension` without the dot (`jsonl`, `csv.gz`)."""
    at = at.astimezone(UTC)
    values = {
        "date": at.strftime("%Y-%m-%d"),
        "timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z",
        "part_number": str(part_number),
        "sync_id": sync_id,
        "format_extension": f".{extension}" if extension else "",
    }
    return _render(file_name_format, values)


def object_key(bucket_path: str, directory: str, file_name: str) -> str:
    """`bucket_path/directory/file_name` with empty segments dropped (no `//`, no leading `/`)."""
    segments = [part for part in f"{bucket_path}/{directory}".split("/") if part]
    return "/".join([*segments, file_name])


def resolve_sync_id(
    catalog_sync_ids: Iterable[int | None], environ: Mapping[str, str], started: datetime
) -> tuple[str, str]:
    """(sync id, where it came from). The platform's job id is the sync id: the configured catalog
    carries it per stream (`sync_id`, protocol 0.11+), and the platform also sets `WORKER_JOB_ID` in
    the container. A run by hand has neither: a UTC start time stands in, prefixed `local-` so that it
    cannot be mistaken for a job id."""
    for value in catalog_sync_ids:
        if value is not None:
            return str(value), "the configured catalog's sync_id"
    job_id = environ.get(JOB_ID_ENV, "").strip()
    if job_id:
        return job_id, f"the {JOB_ID_ENV} environment variable"
    stamp = started.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return (
        f"{LOCAL_SYNC_ID_PREFIX}{stamp}",
        "the start time (no sync_id in the catalog, no job id in the environment)",
    )
