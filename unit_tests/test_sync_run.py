"""SyncRun owns STATE and nothing else: built here with a fake writer, it must hold every STATE until
the records before it are flushed, release held states on a flush and after the hold time, and
never release one early."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from airbyte_cdk.models import AirbyteMessageSerializer, DestinationSyncMode

from destination_ontraport.mapping import FieldCatalog, FieldInfo, RecordMapper
from destination_ontraport.messages import InputItem, RecordItem, StateItem
from destination_ontraport.objects import ObjectType
from destination_ontraport.report import SyncReport
from destination_ontraport.streams import StreamPlan, StreamPlans
from destination_ontraport.sync import SyncRun

CATALOG = FieldCatalog.from_meta(
    {"email": {"alias": "Email", "type": "email"}, "firstname": {"alias": "First"}}
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

    def add(
        self,
        key: str,
        fields: dict[str, str],
        position: int,
        stream: str,
        *,
        may_create: bool = True,
        tags: Mapping[str, bool] | None = None,
    ) -> None:
        self.held.append(key)

    def add_removal(self, key: str, fields: dict[str, str], position: int, stream: str) -> None:
        self.held.append(key)

    def match_key(self, fields: Mapping[str, str]) -> str:
        return fields["email"]

    def flush(self) -> None:
        self._log.append(f"flush {','.join(self.held)}")
        self.written += self.held
        self.held = []


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def make(batch_size: int = 100, hold: float = 30.0) -> tuple[SyncRun, FakeWriter, list[str], Clock]:
    log: list[str] = []
    writer = FakeWriter(log)
    mapper = RecordMapper(CATALOG, EMAIL)
    plan = StreamPlan("people", None, DestinationSyncMode.append, mapper, writer, [], [])
    clock = Clock()
    run = SyncRun(
        StreamPlans([plan]), [writer], SyncReport(), batch_size=batch_size, clock=clock, hold_seconds=hold
    )
    return run, writer, log, clock


def record(n: int) -> RecordItem:
    return RecordItem(n, "people", None, {"email": f"p{n}@x.io"})


def state(n: int) -> StateItem:
    stream = {"stream_descriptor": {"name": "people"}, "stream_state": {"cursor": n}}
    message = AirbyteMessageSerializer.load({"type": "STATE", "state": {"type": "STREAM", "stream": stream}})
    return StateItem(n, message)


def drive(run: SyncRun, items: list[InputItem], log: list[str], clock: Clock | None = None) -> list[int]:
    """Feed items one by one; every STATE that comes out is logged where it happened."""
    out: list[int] = []

    def feed() -> Iterator[InputItem]:
        for item in items:
            if clock is not None:
                clock.now += 10.0
            yield item

    for message in run.run(feed()):
        cursor: Any = AirbyteMessageSerializer.dump(message)["state"]["stream"]["stream_state"]["cursor"]
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


def test_each_state_carries_the_count_of_records_it_covers() -> None:
    run = make()[0]
    counts = [
        message.state.destinationStats.recordCount
        for message in run.run([record(1), record(2), state(3), record(4), state(5)])
        if message.state is not None and message.state.destinationStats is not None
    ]
    assert counts == [2.0, 1.0]


def test_a_dry_run_withholds_every_state() -> None:
    log: list[str] = []
    writer = FakeWriter(log)
    plan = StreamPlan(
        "people", None, DestinationSyncMode.append, RecordMapper(CATALOG, EMAIL), writer, [], []
    )
    run = SyncRun(StreamPlans([plan]), [writer], SyncReport(), batch_size=10, withhold_states=True)
    assert list(run.run([record(1), state(2)])) == [] and run.withheld_states == 1
    assert writer.written == ["p1@x.io"]
