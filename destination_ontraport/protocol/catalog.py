"""The configured catalog file, read with a message that names the stream and the field when it is
malformed.

A catalog written by hand (or by a tool) is where data-activation settings go wrong most easily: a
`destination_object_name` given as an object id number, a `primary_key` written as `"Email"` instead
of `[["Email"]]`. The protocol's parser stops at the first problem with a path such as
`streams/0/primary_key`; this module checks the fields a person writes, every stream at once, and
says what each must look like. Anything else the parser refuses is reported with the stream's name
in place of its index.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson
from airbyte_cdk.models import (
    ConfiguredAirbyteCatalog,
    ConfiguredAirbyteCatalogSerializer,
    DestinationSyncMode,
    SyncMode,
)

from destination_ontraport.model.text import excerpt

DESTINATION_MODES = tuple(mode.value for mode in DestinationSyncMode)
SOURCE_MODES = tuple(mode.value for mode in SyncMode)


class CatalogError(ValueError):
    """The configured catalog cannot be used as it is: a setting to fix, not a bug."""


def load_configured_catalog(path: str) -> ConfiguredAirbyteCatalog:
    try:
        with open(path, "rb") as handle:
            data = orjson.loads(handle.read())
    except OSError as exc:
        raise CatalogError(f"Could not read the configured catalog {path}: {exc.strerror or exc}.") from None
    except orjson.JSONDecodeError as exc:
        raise CatalogError(f"The configured catalog {path} is not valid JSON: {exc}.") from None
    problems = catalog_problems(data)
    if problems:
        raise CatalogError(_message(path, problems))
    try:
        return ConfiguredAirbyteCatalogSerializer.load(data)
    except ValueError as exc:
        found = [_located(data, error) for error in getattr(exc, "errors", [])] or [str(exc)]
        raise CatalogError(_message(path, found)) from None


def catalog_problems(data: Any) -> list[str]:
    """What is wrong with the fields of each stream a person writes: every stream, every field."""
    if not isinstance(data, Mapping) or not isinstance(data.get("streams"), list):
        return ['it must be a JSON object with a "streams" list']
    problems: list[str] = []
    for index, entry in enumerate(data["streams"]):
        where = _stream_label(data, index)
        if not isinstance(entry, Mapping):
            problems.append(f"{where}: each entry of streams must be an object, got {_shown(entry)}")
            continue
        stream = entry.get("stream")
        if not isinstance(stream, Mapping) or not isinstance(stream.get("name"), str) or not stream["name"]:
            problems.append(f'{where}: "stream" must be an object with a "name" (the source stream\'s name)')
        problems += [f"{where}: {problem}" for problem in _entry_problems(entry)]
    return problems


def _entry_problems(entry: Mapping[str, Any]) -> list[str]:
    problems = []
    name = entry.get("destination_object_name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        problems.append(
            "destination_object_name must be the Ontraport object's name as a string, as discover lists "
            f'it (e.g. "Deal", "Contact"), got {_shown(name)}'
        )
    key = entry.get("primary_key")
    if key is not None and not _paths(key):
        problems.append(
            'primary_key must be a list of field paths, each a list of names: [["Email"]] for the field '
            f"Email, [] for none; got {_shown(key)}"
        )
    cursor = entry.get("cursor_field")
    if cursor is not None and not _path(cursor):
        problems.append(f'cursor_field must be a list of names, e.g. ["updated_at"]; got {_shown(cursor)}')
    mode = entry.get("destination_sync_mode")
    if mode is not None and mode not in DESTINATION_MODES:
        problems.append(
            f"destination_sync_mode must be one of {', '.join(DESTINATION_MODES)}; got {_shown(mode)}"
        )
    sync_mode = entry.get("sync_mode")
    if sync_mode is not None and sync_mode not in SOURCE_MODES:
        problems.append(f"sync_mode must be one of {', '.join(SOURCE_MODES)}; got {_shown(sync_mode)}")
    return problems


def _path(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(part, str) for part in value)


def _paths(value: Any) -> bool:
    return isinstance(value, list) and all(_path(path) and path for path in value)


def _shown(value: Any) -> str:
    kind = {bool: "true/false", int: "a number", float: "a number", str: "a string", list: "a list",
            dict: "an object", type(None): "null"}.get(type(value), type(value).__name__)  # fmt: skip
    return f"{excerpt(json.dumps(value, ensure_ascii=False), 60)} ({kind})"


def _stream_label(data: Any, index: int) -> str:
    """`stream 'deals'` (or `stream #2` when the entry has no usable name)."""
    try:
        name = data["streams"][index]["stream"]["name"]
    except (KeyError, IndexError, TypeError):
        name = None
    if isinstance(name, str) and name:
        return f"stream {name!r}"
    return f"stream #{index + 1}"


def _located(data: Any, error: Any) -> str:
    """A parser error (`streams/0/stream/json_schema`) with the stream's name in place of its index."""
    parts = str(getattr(error, "instance_path", "")).split("/")
    message = str(getattr(error, "message", error))
    if len(parts) >= 2 and parts[0] == "streams" and parts[1].isdigit():
        field = "/".join(parts[2:]) or "the entry"
        return f"{_stream_label(data, int(parts[1]))}: {field}: {message}"
    return message


def _message(path: str, problems: list[str]) -> str:
    return f"The configured catalog {path} cannot be used: " + "; ".join(problems) + "."


__all__ = ["CatalogError", "catalog_problems", "load_configured_catalog"]
