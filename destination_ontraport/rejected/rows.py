"""What a stored rejected record looks like: one row per record, as JSON Lines or CSV, maybe gzipped.

A row is the original record plus why it was refused, in the connector's own columns:

    {"error": "...", "stream": "people", "namespace": null, "position": 7, "key": "a@example.com",
     "record": {...the record's data as the source sent it...}}

`error` is the sentence the log gives for that record (it names the field and quotes a short excerpt
of the value). The record stays one nested value (one CSV column holding its JSON), so a source
field called `error` can never be confused with the reason. Pure functions: tested without a bucket.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from destination_ontraport.rejected.settings import (
    CsvFormat,
    GzipCompression,
    JsonlFormat,
    NoCompression,
)

COLUMNS = ("error", "stream", "namespace", "position", "key", "record")
INVALID_LINES_STREAM = "_invalid_lines"
"""The `{stream_name}` of input lines that named no stream (not JSON, not an Airbyte message)."""


@dataclass(frozen=True, slots=True)
class RejectedRow:
    error: str
    stream: str
    namespace: str | None
    position: int  # the input line (1-based)
    key: str | None  # the match key, when it was known
    record: Any  # the record's data; None for an input line that was not a usable record


def _json(value: Any) -> str:
    """As the local rejected-records file does: non-JSON values (there should be none) as text."""
    return json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"))


def _jsonl(rows: Iterable[RejectedRow], stringify: bool) -> str:
    lines = []
    for row in rows:
        record = _json(row.record) if stringify and isinstance(row.record, dict | list) else row.record
        values = (row.error, row.stream, row.namespace, row.position, row.key, record)
        lines.append(_json(dict(zip(COLUMNS, values, strict=True))) + "\n")
    return "".join(lines)


def _csv(rows: Iterable[RejectedRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        record = "" if row.record is None else _json(row.record)
        writer.writerow((row.error, row.stream, row.namespace or "", row.position, row.key or "", record))
    return out.getvalue()


def encode(
    rows: Iterable[RejectedRow],
    output: CsvFormat | JsonlFormat,
    compression: NoCompression | GzipCompression,
    mask: Callable[[str], str] = lambda text: text,
) -> bytes:
    """One object's bytes. `mask` hides the connector's secrets, as the log does: a source that sent
    the API key as a value would otherwise find it quoted in a bucket."""
    stringify = isinstance(output, JsonlFormat) and output.stringify == "Stringify"
    text = _csv(rows) if isinstance(output, CsvFormat) else _jsonl(rows, stringify=stringify)
    data = mask(text).encode("utf-8")
    if isinstance(compression, GzipCompression):
        return gzip.compress(data, mtime=0)
    return data


def extension(output: CsvFormat | JsonlFormat, compression: NoCompression | GzipCompression) -> str:
    """`jsonl`, `csv`, `jsonl.gz`, `csv.gz`: the `{format_extension}` without its dot."""
    return output.extension + (".gz" if isinstance(compression, GzipCompression) else "")


def content_type(output: CsvFormat | JsonlFormat, compression: NoCompression | GzipCompression) -> str:
    if isinstance(compression, GzipCompression):
        return "application/gzip"
    return (
        "text/csv; charset=utf-8" if isinstance(output, CsvFormat) else "application/x-ndjson; charset=utf-8"
    )
