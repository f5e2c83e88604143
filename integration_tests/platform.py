"""The Airbyte platform's replication worker, played in the tests: what a sync on the real platform
sends the connector, and what the platform then requires of the connector's output, nothing more.

Read in airbytehq/airbyte-platform (2026); paths under
`airbyte-container-orchestrator/src/main/kotlin/io/airbyte/container/orchestrator/` unless named:

- **The catalog the destination gets.** `airbyte-config/config-persistence/.../helper/
  CatalogGenerationSetter.kt` gives every stream the job id as `sync_id`, its current generation as
  `generation_id` and a `minimum_generation_id` equal to that generation for a full-refresh
  overwrite (or overwrite + deduped) stream and a refresh that removes records ("truncate"), 0
  otherwise; `GenerationBumper.kt` (called by `airbyte-commons-server/.../AttemptHandler.kt`) first
  bumps the generation of every full-refresh stream and every stream a refresh job refreshes (a
  stream without one gets 1). `airbyte-commons-protocol/.../DefaultProtocolSerializer.kt` then, for
  a destination whose definition supports refreshes, rewrites `overwrite` to `append` and
  `overwrite_dedup` to `append_dedup` (without refreshes: `overwrite_dedup` to `overwrite`).
  `supportsRefreshes` is read from this repository's metadata.yaml, as the registry would.
- **What reaches the destination.** `airbyte-commons-worker/.../internal/BasicAirbyteMessageValidator.kt`
  drops a RECORD without a stream or whose data is null or empty, and fails the sync for a RECORD
  of a stream not in the catalog, or of an incremental deduplicated stream whose primary key is
  missing from the record in every candidate (`AirbyteMessageExtractor.containsNonNullPK`); a line
  that is not JSON is a log line. `worker/ReplicationTask.kt` (`MessageProcessor`) forwards only
  RECORD and STATE: the source's STREAM_STATUS never arrives (`SourceReader` hands it to
  `tracker/StreamStatusCompletionTracker.kt`, which fails the sync for a COMPLETE of a stream not in
  the catalog).
- **STATE ids and counts.** `worker/state/StateEnricher.kt` gives a STATE without `sourceStats` the
  records of its streams since their previous STATE (`bookkeeping/ParallelStreamStatsTracker.kt`
  `getEmittedCountForCurrentState`: the stream's for a per-stream STATE, the sum over the streams a
  GLOBAL one lists; a LEGACY one throws "LEGACY states are deprecated."), then
  `worker/state/StateWithId.kt` an integer `id` (1, 2, ...; one the source set is kept).
  `bookkeeping/StatsTracker.kt` keeps one count per (namespace, name) of the records and stages it
  under the id of each source STATE that answers for that stream.
- **The end.** When the source exited 0, `bookkeeping/state/MissingStateInjector.kt` adds an empty
  STREAM state for each full-refresh stream that sent none (none once a GLOBAL state came); then,
  for a destination that supports refreshes, `StreamStatusCompletionTracker.finalize` sends one
  STREAM_STATUS COMPLETE per configured stream. A source that failed gets neither.
- **Reading the destination's STATEs.** `getIdFromStateMessage` casts `state.id` to an integer and
  throws "State message does not contain id"; `StatsTracker.trackStateFromDestination` un-stages a
  stream's counts up to that id (an id it never staged, or one echoed again, finds nothing: "Unexpected
  state from destination"). `bookkeeping/StateCheckSumCountEventHandler.kt` `validateStateChecksum`:
  `destinationStats.recordCount + destinationStats.rejectedRecordCount` must equal the records the
  platform forwarded for that STATE (per stream; the sum over the listed streams for GLOBAL:
  `validateGlobalStateChecksum`) and the echoed `sourceStats.recordCount`; a mismatch is "The sync
  appears to have dropped records", fatal where `FailSyncOnInvalidChecksum` is on. The replica raises
  `PlatformError` on every one of these, and on a STATE without `destinationStats.recordCount` (the
  platform only reports that as a missing count, but without it the platform cannot know of rejected
  records at all).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
StreamKey = tuple[str | None, str]  # (namespace, name)
DEDUP_MODES = ("append_dedup", "overwrite_dedup")
REPLACING_MODES = ("overwrite", "overwrite_dedup")


class PlatformError(AssertionError):
    """What would fail (or be reported as a failed checksum in) a sync on the real platform."""


def supports_refreshes() -> bool:
    """metadata.yaml's `supportsRefreshes`, as the connector registry hands it to the platform."""
    data = yaml.safe_load((ROOT / "metadata.yaml").read_text(encoding="utf-8"))["data"]
    return bool(data.get("supportsRefreshes", False))


def _key(namespace: Any, name: Any) -> StreamKey:
    return (namespace if isinstance(namespace, str) else None, str(name))


@dataclass(frozen=True)
class StateCheck:
    """One destination STATE as the platform read it."""

    id: int
    streams: tuple[StreamKey, ...]
    forwarded: int  # records the platform forwarded for it
    record_count: float
    rejected_count: float


@dataclass
class _Stream:
    """`StatsTracker.StreamStatsTracker`: records since the last source STATE, and staged counts."""

    current: int = 0
    staged: dict[int, int] = field(default_factory=dict)  # state id -> records, in staging order


class ReplicationWorker:
    """One sync: `destination_catalog()` and `forward(...)` give the connector's input;
    `read_destination(...)` checks its output."""

    def __init__(
        self,
        catalog: Mapping[str, Any],
        *,
        job_id: int = 1,
        generations: Mapping[str, int] | None = None,
        refresh: Mapping[str, str] | None = None,
        refreshes: bool | None = None,
    ) -> None:
        """`catalog`: the connection's streams as the user configured them (`overwrite` and all);
        `generations`: each stream's generation before this job (0 when absent); `refresh`: streams a
        refresh job refreshes, "truncate" (removes records) or "merge" (keeps them); `refreshes`:
        whether the destination supports refreshes (default: metadata.yaml)."""
        self.configured = copy.deepcopy(dict(catalog))
        self.job_id = job_id
        self.generations = dict(generations or {})
        self.refresh = dict(refresh or {})
        self.supports_refreshes = supports_refreshes() if refreshes is None else refreshes
        self.streams = {
            _key(entry["stream"].get("namespace"), entry["stream"]["name"]): entry
            for entry in self.configured.get("streams", [])
        }
        self.stamped: list[int] = []
        self._next_id = 0
        self._trackers: dict[StreamKey, _Stream] = {}
        self._acked: set[int] = set()
        self._last_acked = 0

    # --- the catalog -------------------------------------------------------------------------------
    def destination_catalog(self) -> dict[str, Any]:
        """CatalogGenerationSetter, then DefaultProtocolSerializer (SerializationTarget.DESTINATION)."""
        out = copy.deepcopy(self.configured)
        for entry in out.get("streams", []):
            name = entry["stream"]["name"]
            mode = entry.get("destination_sync_mode", "append")
            full_refresh = entry.get("sync_mode") == "full_refresh"
            generation = self.generations.get(name, 0)
            if full_refresh or name in self.refresh:
                generation += 1  # GenerationBumper
            truncate = self.refresh.get(name) == "truncate" or (full_refresh and mode in REPLACING_MODES)
            entry["sync_id"] = self.job_id
            entry["generation_id"] = generation
            entry["minimum_generation_id"] = generation if truncate else 0
            if self.supports_refreshes:
                entry["destination_sync_mode"] = {
                    "overwrite": "append",
                    "overwrite_dedup": "append_dedup",
                }.get(mode, mode)
            elif mode == "overwrite_dedup":
                entry["destination_sync_mode"] = "overwrite"
        return out

    # --- the source's messages -> the destination's input ------------------------------------------
    def forward(
        self, source: Iterable[Mapping[str, Any] | str], *, source_succeeded: bool = True
    ) -> list[dict[str, Any]]:
        """The messages the destination reads, in order, from what the source printed. A source that
        failed (`source_succeeded=False`) stops after these messages: no injected STATE, no COMPLETE."""
        out: list[dict[str, Any]] = []
        state_seen: set[StreamKey] = set()
        global_seen = False
        for raw in source:
            message = self._parse(raw)
            if message is None:
                continue
            kind = message.get("type")
            if kind == "RECORD":
                record = self._record(message)
                if record is not None:
                    out.append(record)
            elif kind == "STATE" and isinstance(message.get("state"), dict):
                state = message["state"]
                if state.get("type") == "STREAM":
                    descriptor = state.get("stream", {}).get("stream_descriptor", {})
                    state_seen.add(_key(descriptor.get("namespace"), descriptor.get("name")))
                else:
                    global_seen = True
                out.append(self._enrich(message))
            elif kind == "TRACE":
                self._completion(message)
        if not source_succeeded:
            return out
        if not global_seen:
            out.extend(self._missing_states(state_seen))
        if self.supports_refreshes:  # StreamStatusCompletionTracker.finalize
            out.extend(_complete(key) for key in self.streams)
        return out

    def _missing_states(self, state_seen: set[StreamKey]) -> list[dict[str, Any]]:
        """MissingStateInjector: an empty STATE, enriched, for each full-refresh stream that is not
        resumable and sent none."""
        out: list[dict[str, Any]] = []
        for key, entry in self.streams.items():
            resumable = entry["stream"].get("is_resumable") is True
            if entry.get("sync_mode") == "full_refresh" and not resumable and key not in state_seen:
                descriptor = {"name": key[1], **({"namespace": key[0]} if key[0] is not None else {})}
                empty = {
                    "type": "STREAM",
                    "stream": {"stream_descriptor": descriptor, "stream_state": {}},
                }
                out.append(self._enrich({"type": "STATE", "state": empty}))
        return out

    @staticmethod
    def _parse(raw: Mapping[str, Any] | str) -> dict[str, Any] | None:
        if isinstance(raw, str):
            try:
                parsed = json.loads(raw)
            except ValueError:
                return None  # the platform logs a line that is not JSON
            return parsed if isinstance(parsed, dict) else None
        return copy.deepcopy(dict(raw))

    def _record(self, message: dict[str, Any]) -> dict[str, Any] | None:
        record = message.get("record")
        if not isinstance(record, dict) or record.get("stream") is None:
            return None
        data = record.get("data")
        if not isinstance(data, dict | list) or not data:
            return None  # BasicAirbyteMessageValidator: null or empty data
        key = _key(record.get("namespace"), record["stream"])
        entry = self.streams.get(key)
        if entry is None:
            raise PlatformError(
                f"Missing catalog stream for the stream (namespace: {key[0]}, name: {key[1]}): the platform "
                "fails the sync (BasicAirbyteMessageValidator); such a record never reaches a destination"
            )
        if entry.get("sync_mode") == "incremental" and entry.get("destination_sync_mode") in DEDUP_MODES:
            keys = entry.get("primary_key") or []
            if not keys:
                raise PlatformError(f"Primary keys not found in catalog for the stream {key[1]!r}")
            if not any(_has_path(data, path) for path in keys):
                raise PlatformError(
                    f"All the defined primary keys are null in a record of {key[1]!r}: "
                    "the platform fails the sync (BasicAirbyteMessageValidator)"
                )
        self._trackers.setdefault(key, _Stream()).current += 1
        return message

    def _enrich(self, message: dict[str, Any]) -> dict[str, Any]:
        """StateEnricher: sourceStats when missing, then an id; the streams' counts are staged."""
        state = message["state"]
        streams = self._state_streams(state)
        if state.get("sourceStats") is None:
            records = sum(self._trackers[s].current for s in streams if s in self._trackers)
            state["sourceStats"] = {"recordCount": float(records)}
        if "id" not in state:
            self._next_id += 1
            state["id"] = self._next_id
        state_id = state["id"]
        if not isinstance(state_id, int) or isinstance(state_id, bool):
            raise PlatformError(f"a source STATE carries an id that is no integer: {state_id!r}")
        self.stamped.append(state_id)
        for stream in streams:
            tracker = self._trackers.setdefault(stream, _Stream())
            tracker.staged[state_id] = tracker.current
            tracker.current = 0
        return message

    @staticmethod
    def _state_streams(state: Mapping[str, Any]) -> tuple[StreamKey, ...]:
        kind = state.get("type")
        if kind == "STREAM":
            descriptor = state.get("stream", {}).get("stream_descriptor", {})
            return (_key(descriptor.get("namespace"), descriptor.get("name")),)
        if kind == "GLOBAL":
            return tuple(
                _key(s["stream_descriptor"].get("namespace"), s["stream_descriptor"]["name"])
                for s in state.get("global", {}).get("stream_states", [])
            )
        raise PlatformError(f"LEGACY states are deprecated: the platform refuses a {kind or 'LEGACY'} STATE")

    def _completion(self, message: Mapping[str, Any]) -> None:
        trace = message.get("trace")
        if not isinstance(trace, dict) or trace.get("type") != "STREAM_STATUS":
            return
        status = trace.get("stream_status", {})
        descriptor = status.get("stream_descriptor", {})
        if self.supports_refreshes and status.get("status") == "COMPLETE":
            key = _key(descriptor.get("namespace") or None, descriptor.get("name"))
            if key not in self.streams:
                raise PlatformError(
                    f"A stream status ({key[0]}.{key[1]}) has been detected "
                    "for a stream not present in the catalog"
                )

    # --- the destination's output ------------------------------------------------------------------
    def read_destination(self, messages: Sequence[Mapping[str, Any]]) -> list[StateCheck]:
        """Every STATE the destination printed, read as the platform reads it; raises PlatformError."""
        checks = []
        for message in messages:
            if message.get("type") == "STATE":
                checks.append(self._check(message.get("state") or {}))
        return checks

    def _check(self, state: Mapping[str, Any]) -> StateCheck:
        state_id = state.get("id")
        if not isinstance(state_id, int) or isinstance(state_id, bool):
            raise PlatformError(f"State message does not contain id (an integer): {json.dumps(state)[:300]}")
        if state_id not in self.stamped:
            raise PlatformError(
                f"the destination echoed STATE id {state_id}, which the platform never stamped"
            )
        if state_id in self._acked or state_id < self._last_acked:
            raise PlatformError(
                f"STATE id {state_id} came back out of order or twice "
                f"(last acknowledged: {self._last_acked}): the platform finds no staged counts for it"
            )
        self._acked.add(state_id)
        self._last_acked = state_id
        streams = self._state_streams(state)
        forwarded = 0
        for stream in streams:
            staged = self._trackers.get(stream, _Stream()).staged
            forwarded += staged.get(state_id, 0)
            for earlier in [i for i in staged if i <= state_id]:
                del staged[earlier]  # trackStateFromDestination un-stages up to this id
        stats = state.get("destinationStats")
        if not isinstance(stats, dict) or not isinstance(stats.get("recordCount"), int | float):
            raise PlatformError(
                f"STATE id {state_id} has no destinationStats.recordCount: {json.dumps(state)[:300]}"
            )
        accepted = float(stats["recordCount"])
        rejected = float(stats.get("rejectedRecordCount") or 0.0)
        source = (
            state.get("sourceStats", {}).get("recordCount")
            if isinstance(state.get("sourceStats"), dict)
            else None
        )
        where = ", ".join(f"{ns}.{name}" if ns else name for ns, name in streams) or "no stream"
        if accepted + rejected != forwarded or (source is not None and float(source) != accepted + rejected):
            raise PlatformError(
                f"Destination state message checksum is invalid for STATE id {state_id} ({where}): "
                f"recordCount {accepted:g} + rejectedRecordCount {rejected:g} != {forwarded} records the "
                f"platform forwarded (sourceStats.recordCount {source}): "
                "the sync appears to have dropped records"
            )
        return StateCheck(state_id, streams, forwarded, accepted, rejected)


def _has_path(data: Any, path: Sequence[str]) -> bool:
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return False
        data = data[part]
    return True


def _complete(key: StreamKey) -> dict[str, Any]:
    descriptor = {"name": key[1], **({"namespace": key[0]} if key[0] is not None else {})}
    return {
        "type": "TRACE",
        "trace": {
            "type": "STREAM_STATUS",
            "emitted_at": 1.7e12,
            "stream_status": {"stream_descriptor": descriptor, "status": "COMPLETE"},
        },
    }
