"""Input lines -> typed items, with bad lines turned into rejections instead of crashes or silence.

The CDK's own parser drops a non-JSON line with an INFO log and crashes on JSON that is not an
Airbyte message; a destination that promises to lose nothing must count and report both.
Records take a fast path (plain dicts via orjson) because they are the bulk of the input and the
full dataclass deserialisation costs more CPU than everything else the connector does per record.
A STATE is kept as the JSON object it arrived as: the platform reads its `id` (and `sourceStats`)
back from the STATE the destination echoes, and airbyte-cdk's models drop every key they do not
know; the models only validate it and say which streams it answers for.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from airbyte_cdk.models import AirbyteMessage, AirbyteMessageSerializer, AirbyteStateType, Type

from destination_ontraport.model.text import excerpt


@dataclass(slots=True)  # not frozen: a frozen __init__ costs a setattr call per field, per record
class RecordItem:
    position: int
    stream: str
    namespace: str | None
    data: Mapping[str, Any]


StreamKey = tuple[str | None, str]
"""(namespace, name), exactly as the record or STATE carries them: the platform keys its per-stream
record counts by this pair (`ParallelStreamStatsTracker.getNameNamespacePair`)."""


def stream_label(namespace: str | None, name: str) -> str:
    """A stream as messages, the log and rejected records name it: `crm.people`, or `people`."""
    return f"{namespace}.{name}" if namespace else name


@dataclass(frozen=True, slots=True)
class StateItem:
    """`raw`: the whole STATE message as it arrived, every key kept (the platform's `id` and
    `sourceStats`, anything else), to be echoed with only `destinationStats` added. `streams`: the
    streams it answers for, one for a per-stream STATE, those a GLOBAL one lists in `stream_states`;
    None for a LEGACY state, which answers for every stream."""

    position: int
    raw: dict[str, Any]
    streams: frozenset[StreamKey] | None


@dataclass(frozen=True, slots=True)
class InvalidItem:
    """A line that is not a usable Airbyte message; it becomes a counted rejection."""

    position: int
    reason: str
    stream: str | None = None


@dataclass(frozen=True, slots=True)
class StreamStatusItem:
    """A TRACE STREAM_STATUS: the only way to know a full-refresh stream really ended complete."""

    position: int
    stream: str
    namespace: str | None
    status: str  # STARTED, RUNNING, COMPLETE, INCOMPLETE


@dataclass(frozen=True, slots=True)
class IgnoredItem:
    """LOG, TRACE and other message types a destination may receive and need not act on."""

    position: int
    kind: str


InputItem = RecordItem | StateItem | InvalidItem | StreamStatusItem | IgnoredItem


_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_NUMBER = b"0" * 19  # 19 digits in a row may be an integer beyond 64 bits


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _loads(line: str | bytes) -> Any:
    """orjson, except for lines with integers beyond 64 bits: orjson turns those into floats, which
    would silently alter an id or a number (two 30-digit ids could even become one key)."""
    raw = line if isinstance(line, bytes) else line.encode("utf-8", "surrogatepass")
    if _LONG_NUMBER in raw.translate(_DIGITS_TO_ZERO):  # bytes.translate: well under 1 us a line
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    return orjson.loads(raw)


def parse_line(line: str | bytes, position: int) -> InputItem | None:
    """One stdin line -> an item; blank lines -> None."""
    if not line or line.isspace():
        return None
    try:
        obj = _loads(line)
    except ValueError as exc:  # orjson.JSONDecodeError and json.JSONDecodeError both are
        reason = getattr(exc, "msg", str(exc))
        text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
        return InvalidItem(position, f"line is not valid JSON ({reason}): {excerpt(text.strip())}")
    except RecursionError:
        return InvalidItem(position, "line is not valid JSON (nested too deeply)")
    return _message(obj, position)


def _message(obj: Any, position: int) -> InputItem:
    """A decoded line -> the item of its message type."""
    if not isinstance(obj, dict):
        return InvalidItem(position, f"line is JSON but not an Airbyte message (a {type(obj).__name__})")
    kind = obj.get("type")
    if kind == "RECORD":
        return _record(obj, position)
    if kind == "STATE":
        return _state(obj, position)
    if kind == "TRACE":
        return _trace(obj, position)
    if isinstance(kind, str) and kind in Type.__members__:
        return IgnoredItem(position, kind)
    return InvalidItem(position, f"line is JSON but not an Airbyte message (type {excerpt(repr(kind), 40)})")


def _record(obj: Mapping[str, Any], position: int) -> InputItem:
    record = obj.get("record")
    if not isinstance(record, dict):
        return InvalidItem(position, "RECORD message has no `record` object")
    stream = record.get("stream")
    if not isinstance(stream, str) or not stream:
        return InvalidItem(position, "RECORD message has no stream name")
    data = record.get("data")
    namespace = record.get("namespace")
    if not isinstance(data, dict):
        return InvalidItem(position, "RECORD message has no `data` object", stream)
    return RecordItem(position, stream, namespace if isinstance(namespace, str) else None, data)


def _state(obj: dict[str, Any], position: int, message: AirbyteMessage | None = None) -> InputItem:
    """The models validate it (a malformed STATE is a counted rejection); the raw object is kept."""
    try:
        parsed = message if message is not None else AirbyteMessageSerializer.load(obj)
        return StateItem(position, obj, state_streams(parsed))
    except Exception as exc:  # serpyco raises its own error types; all mean "malformed"
        return InvalidItem(position, f"STATE message is malformed: {excerpt(str(exc))}")


def state_streams(message: AirbyteMessage) -> frozenset[StreamKey] | None:
    """The streams a STATE answers for: its descriptor (per-stream), the descriptors of its
    `stream_states` (GLOBAL), or None (LEGACY: everything). Raises ValueError when a per-stream or
    global STATE names no stream where it must."""
    state = message.state
    if state is None:
        raise ValueError("no `state` object")
    if state.type == AirbyteStateType.STREAM:
        descriptor = state.stream.stream_descriptor if state.stream is not None else None
        if descriptor is None or not descriptor.name:
            raise ValueError("a STREAM state without a stream descriptor")
        return frozenset({(descriptor.namespace, descriptor.name)})
    if state.type == AirbyteStateType.GLOBAL:
        if state.global_ is None:
            raise ValueError("a GLOBAL state without a `global` object")
        return frozenset(
            (s.stream_descriptor.namespace, s.stream_descriptor.name)
            for s in state.global_.stream_states or []
        )
    return None


def _trace(obj: Mapping[str, Any], position: int) -> InputItem:
    trace = obj.get("trace")
    if not isinstance(trace, dict) or trace.get("type") != "STREAM_STATUS":
        return IgnoredItem(position, "TRACE")
    status = trace.get("stream_status")
    descriptor = status.get("stream_descriptor") if isinstance(status, dict) else None
    if not isinstance(status, dict) or not isinstance(descriptor, dict) or not descriptor.get("name"):
        return InvalidItem(position, "TRACE STREAM_STATUS message has no stream descriptor")
    namespace = descriptor.get("namespace")
    return StreamStatusItem(
        position,
        str(descriptor["name"]),
        namespace if isinstance(namespace, str) else None,
        str(status.get("status", "")),
    )


def parse_lines(lines: Iterable[str | bytes]) -> Iterator[InputItem]:
    for position, line in enumerate(lines, start=1):
        item = parse_line(line, position)
        if item is not None:
            yield item


def from_messages(messages: Iterable[AirbyteMessage]) -> Iterator[InputItem]:
    """Adapter for callers (the CDK's `write()` contract) that already hold parsed messages (whose
    STATEs have lost any key the models do not know: that path cannot echo the platform's `id`)."""
    for position, message in enumerate(messages, start=1):
        if message.type == Type.RECORD and message.record is not None:
            rec = message.record
            yield RecordItem(position, rec.stream, rec.namespace, rec.data)
        elif message.type == Type.STATE:
            yield _state(AirbyteMessageSerializer.dump(message), position, message)
        elif (
            message.type == Type.TRACE
            and message.trace is not None
            and message.trace.stream_status is not None
        ):
            status = message.trace.stream_status
            desc = status.stream_descriptor
            yield StreamStatusItem(position, desc.name, desc.namespace, status.status.value)
        else:
            yield IgnoredItem(position, str(message.type))
