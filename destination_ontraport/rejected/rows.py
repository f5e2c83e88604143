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
from collections.abc import Callable, Collection, Iterable, Sequence
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


def _jsonl(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], nested: Collection[str], stringify: bool
) -> str:
    lines = []
    for values in rows:
        row = dict(zip(columns, values, strict=True))
        if stringify:
            for name in nested:
                if isinstance(row[name], dict | list):
                    row[name] = _json(row[name])
        lines.append(_json(row) + "\n")
    return "".join(lines)


def _csv(columns: Sequence[str], rows: Iterable[Sequence[Any]], nested: Collection[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    as_json = [name in nested for name in columns]
    for values in rows:
        writer.writerow(
            "" if value is None else _json(value) if json_cell else value
            for value, json_cell in zip(values, as_json, strict=True)
        )
    return out.getvalue()


def encode_table(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    output: CsvFormat | JsonlFormat,
    compression: NoCompression | GzipCompression,
    *,
    nested: Collection[str] = (),
    mask: Callable[[str], str] = lambda text: text,
) -> bytes:
    """One object's bytes, for any table of rows (the rejected records, the sync log): JSON Lines
    with one object per row, or CSV with a header, where the `nested` columns (a record, a list)
    are one cell of JSON; empty cells for None. `mask` hides the connector's secrets, as the log
    does: a source that sent the API key as a value would otherwise find it quoted in a bucket."""
    stringify = isinstance(output, JsonlFormat) and output.stringify == "Stringify"
    text = (
        _csv(columns, rows, nested)
        if isinstance(output, CsvFormat)
        else _jsonl(columns, rows, nested, stringify=stringify)
    )
    data = mask(text).encode("utf-8")
    if isinstance(compression, GzipCompression):
        return gzip.compress(data, mtime=0)
    return data


def encode(
    rows: Iterable[RejectedRow],
    output: CsvFormat | JsonlFormat,
    compression: NoCompression | GzipCompression,
    mask: Callable[[str], str] = lambda text: text,
) -> bytes:
    """The rejected rows of one object (see `encode_table`); the record is one nested column."""
    table = ((r.error, r.stream, r.namespace, r.position, r.key, r.record) for r in rows)
    return encode_table(COLUMNS, table, output, compression, nested=("record",), mask=mask)


def extension(output: CsvFormat | JsonlFormat, compression: NoCompression | GzipCompression) -> str:
    """`jsonl`, `csv`, `jsonl.gz`, `csv.gz`: the `{format_extension}` without its dot."""
    return output.extension + (".gz" if isinstance(compression, GzipCompression) else "")


def content_type(output: CsvFormat | JsonlFormat, compression: NoCompression | GzipCompression) -> str:
    if isinstance(compression, GzipCompression):
        return "application/gzip"
    return (
        "text/csv; charset=utf-8" if isinstance(output, CsvFormat) else "application/x-ndjson; charset=utf-8"
    )
