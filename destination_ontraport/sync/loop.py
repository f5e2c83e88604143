"""The message loop of one `write`: routes records to their stream, and owns STATE.

STATE has exactly one owner: a STATE message goes out only after every record that came before it
is written to Ontraport or rejected and counted (and the rejected-records file is on disk, and the
rejections are stored in the bucket, if one is configured: see `rejected/rejections.py`). States
that arrive while records are pending are held and released after the next flush, so a source that
sends a state after every record does not force a lookup and a tag call per record; a state is never
held longer than STATE_HOLD_SECONDS when more input keeps coming.

Each STATE goes out as it arrived (every key, the platform's `id` above all) plus
`destinationStats`: of the records since the previous STATE of the streams it answers for (counted
as the platform counts them), how many were accepted and how many rejected (see `protocol/state.py`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from destination_ontraport.model.problems import RecordRejected
from destination_ontraport.protocol.messages import (
    IgnoredItem,
    InputItem,
    InvalidItem,
    RecordItem,
    StateItem,
    StreamKey,
    StreamStatusItem,
)
from destination_ontraport.protocol.state import echoed_state
from destination_ontraport.rejected.rejections import NamedRecord
from destination_ontraport.sync.report import SyncReport
from destination_ontraport.sync.streams import StreamRoutes
from destination_ontraport.synclog.rows import RecordResult
from destination_ontraport.write.outcome import WriteOutcome

STATE_HOLD_SECONDS = 30.0
SUPERSEDED = "replaced by a later record with the same primary key (append_dedup keeps the latest)"


class Flushable(Protocol):
    """What the loop needs of a writer: how much it holds, and a flush that writes all of it and
    says what it did, round by round."""

    @property
    def pending_records(self) -> int: ...
    def flush(self) -> Iterable[WriteOutcome]: ...


class LoopProgress(Protocol):
    """The progress line, as the loop drives it (`sync.progress.Progress`)."""

    def tick(self) -> None:
        """After each input item: a chance to log."""

    def batch_counted(self) -> None:
        """A writer's round is counted into the report."""


class NoLoopProgress:
    def tick(self) -> None: ...
    def batch_counted(self) -> None: ...


NO_LOOP_PROGRESS = NoLoopProgress()


@dataclass(frozen=True)
class LoopSettings:
    """`batch_size`: records pending before a flush. `withhold_states`: a dry run wrote nothing, and
    acknowledging would skip its records. `hold_seconds`: the longest a STATE is held while more
    input keeps coming."""

    batch_size: int
    withhold_states: bool = False
    hold_seconds: float = STATE_HOLD_SECONDS


class RecordsSinceState:
    """Records read since the previous STATE of their stream, as the platform counts what it forwarded
    (airbyte-platform `bookkeeping/StatsTracker.kt`: one count per (namespace, name) of the records, which
    a source STATE closes for each stream it answers for; `ParallelStreamStatsTracker.kt` sums those a
    GLOBAL state lists). A LEGACY state, which the platform refuses, takes every stream's count."""

    def __init__(self) -> None:
        self._counts: dict[StreamKey, int] = {}

    def record(self, stream: StreamKey) -> None:
        self._counts[stream] = self._counts.get(stream, 0) + 1

    def take(self, streams: frozenset[StreamKey] | None) -> int:
        if streams is None:
            total = sum(self._counts.values())
            self._counts.clear()
            return total
        return sum(self._counts.pop(stream, 0) for stream in streams)


class MessageLoop:
    """Routes input items and releases STATE; writing is the writers' job, set-up and the end of
    the sync (removals, summary) the caller's. Each writer's outcome goes to the report, its refused
    records to the report's rejections, which also say which STATEs count them and hold a STATE
    until its rejections are stored. `before_flush` runs before every flush (the unmapped-fields log)."""

    def __init__(
        self,
        routes: StreamRoutes,
        writers: Sequence[Flushable],
        report: SyncReport,
        settings: LoopSettings,
        *,
        before_flush: Callable[[], None] = lambda: None,
        progress: LoopProgress = NO_LOOP_PROGRESS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._routes = routes
        self._writers = list(writers)
        self._report = report
        self._rejections = report.rejections
        self._batch_size = settings.batch_size
        self._withhold = settings.withhold_states
        self._before_flush = before_flush
        self._progress = progress
        self._clock = clock
        self._hold_seconds = settings.hold_seconds
        # with the records of its interval, and the open groups of its streams it waits for
        self._held: list[tuple[StateItem, int, frozenset[Any]]] = []
        self._held_since: float | None = None
        self._since_state = RecordsSinceState()
        self.statuses: dict[tuple[str | None, str], str] = {}
        self.withheld_states = 0

    def run(self, items: Iterable[InputItem]) -> Iterator[dict[str, Any]]:
        """The STATE messages to emit, as JSON objects, each once its records are settled."""
        for item in items:
            yield from self._handle(item)
            self._progress.tick()
        yield from self.flush()

    def _handle(self, item: InputItem) -> Iterator[dict[str, Any]]:
        if isinstance(item, RecordItem):
            self._on_record(item)
            if self.pending() >= self._batch_size:
                yield from self.flush()
        elif isinstance(item, StateItem):
            yield from self._on_state(item)
        elif isinstance(item, InvalidItem):
            self._report.counts.records_read += 1
            reject(self._report, item.position, item.stream, None, item.reason)
        elif isinstance(item, StreamStatusItem):
            self.statuses[(item.namespace or None, item.stream)] = item.status
            if item.status == "COMPLETE":
                self._routes.stream_complete(item.stream, item.namespace or None)
        elif isinstance(item, IgnoredItem):
            self._report.counts.ignored_messages += 1
        if self._held_since is not None and self._clock() - self._held_since >= self._hold_seconds:
            yield from self.flush()

    def _on_record(self, item: RecordItem) -> None:
        self._report.counts.records_read += 1
        self._since_state.record((item.namespace, item.stream))
        self._rejections.track(item)
        route = self._routes.find(item.stream, item.namespace)
        if route is None:
            reason = self._routes.unknown_stream(item.stream, item.namespace)
            reject(self._report, item.position, item.stream, None, reason, item.data)
            self._routes.stop_if_all_strays(self._report.counts.records_read)
            return
        try:
            superseded = route.take(item.data, item.position)
            if superseded is not None:
                self._report.counts.superseded += 1
                # replaced by a later version: it can no longer be refused
                self._rejections.forget(superseded)
                self._report.sync_log.add(
                    [RecordResult(superseded, route.label, None, "superseded", reason=SUPERSEDED)]
                )
        except RecordRejected as exc:
            # Its key, when it still has a usable one: removals of leftovers spare that record.
            names = route.identity(item.data)
            reject(
                self._report,
                item.position,
                route.label,
                names[1] if names else None,
                exc.reason,
                item.data,
                names=(route.writer.obj.id, *names) if names else None,
            )

    def _on_state(self, item: StateItem) -> Iterator[dict[str, Any]]:
        self._report.counts.state_messages += 1
        self._rejections.state_arrived(item)
        waits = self._routes.open_groups(item.streams)  # an order whose last line is yet to come
        self._held.append((item, self._since_state.take(item.streams), waits))
        if self.pending() == 0:
            yield from self._release_states()
        elif self._held_since is None:
            self._held_since = self._clock()

    def pending(self) -> int:
        """Records not yet written, and rejections and sync log rows not yet stored: a STATE waits
        for all of them."""
        waiting = self._rejections.unstored + self._report.sync_log.unstored
        return sum(writer.pending_records for writer in self._writers) + self._routes.buffered + waiting

    def flush(self) -> Iterator[dict[str, Any]]:
        """Every writer writes everything it holds; then the states held for those records go out."""
        self._before_flush()
        for route in self._routes:
            route.drain()
        for writer in self._writers:
            for outcome in writer.flush():
                self._count(outcome)
        self._rejections.settled(keep=self._routes.open_positions())
        yield from self._release_states()

    def _count(self, outcome: WriteOutcome) -> None:
        count_in(outcome, self._report)
        self._progress.batch_counted()

    def _release_states(self) -> Iterator[dict[str, Any]]:
        """The held states whose records are settled, in arrival order: a state that waits for a group
        still open (and every state after it) stays held, its hold time counted afresh."""
        self._rejections.store()  # raises when the bucket fails: the held states stay unreleased
        self._report.sync_log.store()  # the same for the sync log's rows
        ready = next(
            (i for i, (_, _, waits) in enumerate(self._held) if self._routes.still_open(waits)),
            len(self._held),
        )
        held, self._held = self._held[:ready], self._held[ready:]
        self._held_since = self._clock() if self._held else None
        released = []
        for item, records, _ in held:
            rejected = self._rejections.count_for(item)  # in arrival order: each STATE its own interval
            released.append(echoed_state(item.raw, records - rejected, rejected))
        if self._withhold:
            self.withheld_states += len(held)
            return
        yield from released


def count_in(outcome: WriteOutcome, report: SyncReport) -> None:
    """One round of a writer, counted: its counts (and its records' results, for the sync log) to
    the report, its refused records to the report's rejections (which log, store and attribute them
    to their STATE)."""
    report.add(outcome)
    for refused in outcome.refused:
        reject(report, refused.position, refused.stream, refused.key, refused.reason, names=refused.names)


def reject(
    report: SyncReport,
    position: int,
    stream: str | None,
    key: str | None,
    reason: str,
    record: Any = None,
    *,
    names: NamedRecord | None = None,
) -> None:
    """Every rejection of the loop: to the rejections' owner, and its row to the sync log."""
    row = report.rejections.reject(position, stream, key, reason, record, names=names)
    report.sync_log.add([RecordResult.rejected(row)])
