"""MessageLoop owns STATE and nothing else: built here with a fake writer, it must hold every STATE until
the records before it are flushed, release held states on a flush and after the hold time, and
never release one early."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from airbyte_cdk.models import DestinationSyncMode

from destination_ontraport.model.mapping import FieldCatalog, FieldInfo, RecordMapper
from destination_ontraport.model.objects import ObjectType
from destination_ontraport.protocol.messages import InputItem, RecordItem, StateItem, parse_line
from destination_ontraport.sync.loop import LoopSettings, MessageLoop
from destination_ontraport.sync.report import SyncReport
from destination_ontraport.sync.stream_rules import CatalogStream
from destination_ontraport.sync.streams import StreamRoute, StreamRoutes
from destination_ontraport.write.batch import MappedRecord
from destination_ontraport.write.outcome import WriteOutcome

CATALOG = FieldCatalog.from_meta(
    {
        "email": {"alias": "Email", "type": "email"},
        "firstname": {"alias": "First"},
        "f1001": {"alias": "Score", "type": "numeric"},
    }
)
EMAIL = CATALOG.require("email", "test")


class FakeWriter:
    """Holds records until flushed; records what was flushed, and when."""

    def __init__(self, log: list[str]) -> None:
        self.obj = ObjectType(0, "Contact", CATALOG)
        self.key: FieldInfo | None = EMAIL
        self.held: list[str] = []
        self.written: list[str] = []
        self._log = log

    @property
    def pending_records(self) -> int:
        return len(self.held)

    def add(self, record: MappedRecord) -> None:
        self.held.append(record.key)

    def add_removal(self, record: MappedRecord) -> None:
        self.held.append(record.key)

    def match_key(self, fields: Mapping[str, str]) -> str:
        return fields["email"]

    def flush(self) -> Iterator[WriteOutcome]:
        self._log.append(f"flush {','.join(self.held)}")
        self.written += self.held
        self.held = []
        return iter(())


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def make(batch_size: int = 100, hold: float = 30.0) -> tuple[MessageLoop, FakeWriter, list[str], Clock]:
    log: list[str] = []
    writer = FakeWriter(log)
    mapper = RecordMapper(CATALOG, EMAIL)
    plan = StreamRoute(CatalogStream("people", None, DestinationSyncMode.append, [], []), mapper, writer)
    clock = Clock()
    settings = LoopSettings(batch_size, hold_seconds=hold)
    run = MessageLoop(StreamRoutes([plan]), [writer], SyncReport(), settings, clock=clock)
    return run, writer, log, clock


def record(n: int, stream: str = "people", **data: Any) -> RecordItem:
    return RecordItem(n, stream, None, {"email": f"p{n}@x.io", **data})


def state(n: int, stream: str = "people") -> StateItem:
    descriptor = {"stream_descriptor": {"name": stream}, "stream_state": {"cursor": n}}
    line = json.dumps({"type": "STATE", "state": {"type": "STREAM", "stream": descriptor, "id": n}})
    item = parse_line(line, n)
    assert isinstance(item, StateItem)
    return item


def global_state(n: int, *streams: str) -> StateItem:
    listed = [{"stream_descriptor": {"name": name}} for name in streams]
    line = json.dumps(
        {"type": "STATE", "state": {"type": "GLOBAL", "global": {"stream_states": listed}, "id": n}}
    )
    item = parse_line(line, n)
    assert isinstance(item, StateItem)
    return item


def drive(run: MessageLoop, items: list[InputItem], log: list[str], clock: Clock | None = None) -> list[int]:
    """Feed items one by one; every STATE that comes out is logged where it happened."""
    out: list[int] = []

    def feed() -> Iterator[InputItem]:
        for item in items:
            if clock is not None:
                clock.now += 10.0
            yield item

    for message in run.run(feed()):
        cursor: Any = message["state"]["stream"]["stream_state"]["cursor"]
        log.append(f"STATE {cursor}")
        out.append(cursor)
    return out


def test_a_state_waits_until_the_records_before_it_are_flushed() -> None:
    run, _, log, _ = make()
    drive(run, [record(1), record(2), state(3), record(4), state(5)], log)
    assert log == ["flush p1@x.io,p2@x.io,p4@x.io", "STATE 3", "STATE 5"], "no STATE before its records"


def test_a_state_with_nothing_pending_goes_out_at_once() -> None:
    run, _, log, _ = make()
    drive(run, [state(1), record(2), state(3)], log)
    assert log == ["STATE 1", "flush p2@x.io", "STATE 3"]


def test_held_states_are_released_by_the_flush_a_full_batch_triggers() -> None:
    run, _, log, _ = make(batch_size=2)
    drive(run, [record(1), state(2), record(3), record(4), state(5)], log)
    assert log == ["flush p1@x.io,p3@x.io", "STATE 2", "flush p4@x.io", "STATE 5"]


def test_a_held_state_is_released_after_the_hold_time_even_if_the_batch_is_not_full() -> None:
    run, _, log, clock = make(hold=30.0)
    # each item advances the clock 10 s: the state held at t=20 is due at t=50
    drive(run, [record(1), state(2), record(3), record(4), record(5), record(6), state(7)], log, clock)
    first_state = log.index("STATE 2")
    assert log[first_state - 1].startswith("flush p1@x.io,p3@x.io"), log
    assert "p6@x.io" not in log[first_state - 1], "released as soon as the hold time passed, not later"
    assert log[-1] == "STATE 7" and all(f"p{n}@x.io" in ",".join(log) for n in (1, 3, 4, 5, 6))


def stats(messages: Iterator[dict[str, Any]]) -> list[tuple[Any, float, float]]:
    """(id, recordCount, rejectedRecordCount) of each STATE that came out."""
    return [
        (
            m["state"]["id"],
            m["state"]["destinationStats"]["recordCount"],
            m["state"]["destinationStats"]["rejectedRecordCount"],
        )
        for m in messages
    ]


def test_each_state_carries_the_count_of_records_it_covers() -> None:
    run = make()[0]
    assert stats(run.run([record(1), record(2), state(3), record(4), state(5)])) == [
        (3, 2.0, 0.0),
        (5, 1.0, 0.0),
    ]


def test_a_rejected_record_counts_only_as_rejected_and_each_state_keeps_its_interval() -> None:
    """recordCount + rejectedRecordCount = the records since the previous STATE of that stream, what the
    platform checks (StateCheckSumCountEventHandler.validateStateChecksum); 2 records, 1 rejected: 1 + 1."""
    run, _, _, _ = make()
    out = run.run(
        [
            record(1),
            record(2, email="not an email"),
            state(3),
            record(4, "other"),
            record(5, f1001="many"),
            state(6),
            state(7, "other"),
            state(8),
        ]
    )
    assert stats(out) == [(3, 1.0, 1.0), (6, 0.0, 1.0), (7, 0.0, 1.0), (8, 0.0, 0.0)]


def test_a_global_state_counts_the_streams_it_lists_as_the_platform_does() -> None:
    """ParallelStreamStatsTracker.validateGlobalStateChecksum: the sum over the streams the GLOBAL
    state lists; the records of a stream it does not list wait for a STATE that does."""
    run, _, _, _ = make()
    out = run.run(
        [
            record(1),
            record(2, "other", email="bad"),
            record(3, "third"),
            global_state(4, "people", "other"),
            global_state(5, "third"),
        ]
    )
    assert stats(out) == [(4, 1.0, 1.0), (5, 0.0, 1.0)]  # 'third' is not in the catalog: rejected


def test_a_record_rejected_for_another_field_still_names_its_contact() -> None:
    """Removals of leftovers spare the contact a rejected record names, when its key is usable."""
    run, _, _, _ = make()
    report = run._report
    list(run.run([record(1, f1001="many"), record(2, email="not an email"), state(3)]))
    assert report.rejections.spared == {(0, "email", "p1@x.io")}
    assert report.rejections.unkeyed == {"people": [2]}
    assert [r.key for r in report.rejections.listed] == ["p1@x.io", None]


def test_a_dry_run_withholds_every_state() -> None:
    log: list[str] = []
    writer = FakeWriter(log)
    plan = StreamRoute(
        CatalogStream("people", None, DestinationSyncMode.append, [], []),
        RecordMapper(CATALOG, EMAIL),
        writer,
    )
    settings = LoopSettings(10, withhold_states=True)
    run = MessageLoop(StreamRoutes([plan]), [writer], SyncReport(), settings)
    assert list(run.run([record(1), state(2)])) == [] and run.withheld_states == 1
    assert writer.written == ["p1@x.io"]
