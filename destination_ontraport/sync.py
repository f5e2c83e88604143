"""The message loop of one `write`: routes records to their stream, and owns STATE.

STATE has exactly one owner: a STATE message goes out only after every record that came before it
is written to Ontraport or rejected and counted (and the rejected-records file is on disk, and the
rejections are stored in the bucket, if one is configured). States
that arrive while records are pending are held and released after the next flush, so a source that
sends a state after every record does not force a lookup and a tag call per record; a state is never
held longer than STATE_HOLD_SECONDS when more input keeps coming.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from airbyte_cdk.models import AirbyteMessage, AirbyteStateType

from destination_ontraport.mapping import RecordRejected
from destination_ontraport.messages import (
    IgnoredItem,
    InputItem,
    InvalidItem,
    RecordItem,
    StateItem,
    StreamStatusItem,
)
from destination_ontraport.reject_ledger import RejectLedger
from destination_ontraport.rejected_objects import RejectedObjects
from destination_ontraport.report import SyncReport
from destination_ontraport.state_stats import StateStats
from destination_ontraport.streams import StreamPlans

STATE_HOLD_SECONDS = 30.0


class Flushable(Protocol):
    """What the loop needs of a writer: how much it holds, and a flush that writes all of it."""

    @property
    def pending_records(self) -> int: ...
    def flush(self) -> None: ...


@dataclass
class _StateCounter:
    """Records since the previous STATE, per stream and overall, for `destinationStats.recordCount`."""

    total: int = 0
    per_stream: dict[tuple[str | None, str], int] = field(default_factory=dict)

    def record(self, namespace: str | None, name: str) -> None:
        self.total += 1
        key = (namespace, name)
        self.per_stream[key] = self.per_stream.get(key, 0) + 1

    def take(self, message: AirbyteMessage) -> int:
        state = message.state
        if state is not None and state.type == AirbyteStateType.STREAM and state.stream is not None:
            desc = state.stream.stream_descriptor
            count = self.per_stream.pop((desc.namespace, desc.name), 0)
            if (desc.namespace, desc.name) not in self.per_stream:
                count += self.per_stream.pop((None, desc.name), 0) if desc.namespace else 0
            self.total = sum(self.per_stream.values())
            return count
        count, self.total, self.per_stream = self.total, 0, {}
        return count


class SyncRun:
    """Routes input items and releases STATE; writing is the writers' job, set-up and the end of
    the sync (removals, summary) the caller's. `ledger` attributes rejections to the STATEs that
    cover them (it is the report's `on_reject`); `objects`, the rejected-records bucket, must hold a
    STATE's rejections before that STATE goes out."""

    def __init__(
        self,
        plans: StreamPlans,
        writers: Sequence[Flushable],
        report: SyncReport,
        *,
        batch_size: int,
        withhold_states: bool = False,
        before_flush: Callable[[], None] = lambda: None,
        tick: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
        hold_seconds: float = STATE_HOLD_SECONDS,
        ledger: RejectLedger | None = None,
        objects: RejectedObjects | None = None,
    ) -> None:
        self._plans = plans
        self._writers = list(writers)
        self._report = report
        self._batch_size = batch_size
        self._withhold = withhold_states  # a dry run wrote nothing: acknowledging would skip its records
        self._before_flush = before_flush
        self._tick = tick
        self._clock = clock
        self._hold_seconds = hold_seconds
        self._ledger = ledger or RejectLedger()
        self._objects = objects
        self._held: list[AirbyteMessage] = []
        self._held_since: float | None = None
        self._states = _StateCounter()
        self.statuses: dict[tuple[str | None, str], str] = {}
        self.withheld_states = 0

    def run(self, items: Iterable[InputItem]) -> Iterator[AirbyteMessage]:
        for item in items:
            yield from self._handle(item)
            self._tick()
        yield from self.flush()

    def _handle(self, item: InputItem) -> Iterator[AirbyteMessage]:
        if isinstance(item, RecordItem):
            self._on_record(item)
            if self.pending() >= self._batch_size:
                yield from self.flush()
        elif isinstance(item, StateItem):
            yield from self._on_state(item)
        elif isinstance(item, InvalidItem):
            self._report.counts.records_read += 1
            self._report.reject(item.position, item.stream, None, item.reason)
        elif isinstance(item, StreamStatusItem):
            self.statuses[(item.namespace, item.stream)] = item.status
        elif isinstance(item, IgnoredItem):
            self._report.counts.ignored_messages += 1
        if self._held_since is not None and self._clock() - self._held_since >= self._hold_seconds:
            yield from self.flush()

    def _on_record(self, item: RecordItem) -> None:
        self._report.counts.records_read += 1
        self._states.record(item.namespace, item.stream)
        self._ledger.track(item)
        plan = self._plans.find(item.stream, item.namespace)
        if plan is None:
            reason = self._plans.unknown_stream(item.stream, item.namespace)
            self._report.reject(item.position, item.stream, None, reason, item.data)
            self._plans.stop_if_all_strays(self._report.counts.records_read)
            return
        try:
            superseded = plan.take(item.data, item.position)
            if superseded is not None:
                self._report.counts.superseded += 1
                self._ledger.forget(superseded)  # replaced by a later version: it can no longer be refused
        except RecordRejected as exc:
            self._report.reject(item.position, plan.label, None, exc.reason, item.data)

    def _on_state(self, item: StateItem) -> Iterator[AirbyteMessage]:
        message = item.message
        self._report.counts.state_messages += 1
        if message.state is not None:
            message.state.destinationStats = StateStats(recordCount=float(self._states.take(message)))
        self._ledger.state_arrived(item.position, message)
        self._held.append(message)
        if self.pending() == 0:
            yield from self._release_states()
        elif self._held_since is None:
            self._held_since = self._clock()

    def pending(self) -> int:
        """Records not yet written, and rejections not yet stored: a STATE waits for both."""
        waiting = self._objects.buffered if self._objects is not None else 0
        return sum(writer.pending_records for writer in self._writers) + self._plans.buffered + waiting

    def flush(self) -> Iterator[AirbyteMessage]:
        """Every writer writes everything it holds; then the states held for those records go out."""
        self._before_flush()
        for plan in self._plans:
            plan.drain()
        for writer in self._writers:
            writer.flush()
        self._ledger.settled()
        yield from self._release_states()

    def _release_states(self) -> Iterator[AirbyteMessage]:
        self._report.sync_to_disk()
        if self._objects is not None:
            self._objects.store()  # raises when the bucket fails: the held states stay unreleased
        held, self._held, self._held_since = self._held, [], None
        for message in held:
            if message.state is not None and isinstance(message.state.destinationStats, StateStats):
                message.state.destinationStats.rejectedRecordCount = float(self._ledger.count_for(message))
        if self._withhold:
            self.withheld_states += len(held)
            return
        yield from held
