"""The progress line counts results as writes finish and estimates the batch's time left; the
summary measures the request rate over whole rate-limit windows and says null where it measured
nothing (issue 22, item 17). Every clock here is injected."""

from __future__ import annotations

import json
import logging

import pytest

from destination_ontraport.ontraport.request_rate import WindowCounter
from destination_ontraport.sync.loop import LoopSettings, MessageLoop
from destination_ontraport.sync.progress import PROGRESS_SECONDS, Progress
from destination_ontraport.sync.report import RequestFigures, SyncReport
from destination_ontraport.sync.streams import StreamRoutes
from destination_ontraport.write.batch import MappedRecord, PendingRecord
from destination_ontraport.write.object_writer import ObjectWriter
from destination_ontraport.write.planner import Kind, Step
from destination_ontraport.write.settings import WriterSettings
from unit_tests.test_object_writer import CONTACTS, EMAIL, FakeClient


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def step(kind: Kind, rejected: str | None = None) -> Step:
    pending = PendingRecord("k", {}, [(1, "people")], may_create=True)
    return Step(pending, kind, rejected=rejected)


def test_the_line_counts_writes_of_the_batch_under_way_and_estimates_its_time_left() -> None:
    clock, report = Clock(), SyncReport()
    report.counts.records_read = 1_000
    progress = Progress(report, lambda: 312, clock)
    progress.batch_started(1_000)
    clock.now += 60.0
    for _ in range(300):
        progress.written(step(Kind.CREATE))
    for _ in range(8):
        progress.written(step(Kind.UPDATE))
    progress.written(step(Kind.CREATE, rejected="Ontraport refused the contact"))
    progress.written(step(Kind.CREATE))
    assert progress.line(clock.now) == (
        "Progress: 1,000 records read; 301 created, 8 updated, 0 unchanged, 1 rejected; 312 requests; "
        "this batch: 310 of 1,000 writes done, about 2.2 min left at the rate so far."
    )  # 690 writes left at 310 a minute


def test_once_the_writer_counted_the_batch_nothing_is_counted_twice() -> None:
    clock, report = Clock(), SyncReport()
    progress = Progress(report, lambda: 3, clock)
    progress.batch_started(2)
    progress.written(step(Kind.CREATE))
    progress.written(step(Kind.CREATE))
    report.counts.created = 2  # what the writer counts at the batch's end
    progress.batch_counted()
    assert progress.line(clock.now) == (
        "Progress: 0 records read; 2 created, 0 updated, 0 unchanged, 0 rejected; 3 requests."
    )


def test_no_estimate_before_the_first_write_finished() -> None:
    clock = Clock()
    progress = Progress(SyncReport(), lambda: 1, clock)
    progress.batch_started(50)
    clock.now += 40
    assert progress.line(clock.now).endswith("; 1 requests; this batch: 0 of 50 writes done.")


def test_the_line_comes_every_30_seconds(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    progress = Progress(SyncReport(), lambda: 0, clock)
    with caplog.at_level(logging.INFO, logger="airbyte"):
        clock.now += PROGRESS_SECONDS - 1
        progress.tick()
        clock.now += 1
        progress.tick()
        progress.tick()
    assert len([r for r in caplog.records if r.getMessage().startswith("Progress:")]) == 1


def test_the_writer_tells_each_write_as_it_finishes_before_the_batch_is_counted() -> None:
    events: list[str] = []
    report = SyncReport()

    class Recorder:
        def tick(self) -> None: ...
        def batch_started(self, writes: int) -> None:
            events.append(f"started {writes}")

        def written(self, done: Step) -> None:
            events.append(f"written {done.kind.value}, report says {report.counts.created} created")

        def batch_counted(self) -> None:
            events.append(f"counted, report says {report.counts.created} created")

    recorder = Recorder()
    writer = ObjectWriter(FakeClient(), WriterSettings(CONTACTS, EMAIL), progress=recorder)
    loop = MessageLoop(StreamRoutes([]), [writer], report, LoopSettings(100), progress=recorder)
    for n in range(3):
        writer.add(MappedRecord(f"p{n}@x.io", {"email": f"p{n}@x.io"}, n + 1, "people"))
    list(loop.flush())  # the writer's outcome counted as the loop counts it
    writer.close()
    assert events == [
        "started 3",
        *["written create, report says 0 created"] * 3,
        "counted, report says 3 created",
    ]


# --- the rate over whole windows -------------------------------------------------------------------
def test_a_burst_at_the_start_of_the_second_window_is_not_a_rate_above_the_limit() -> None:
    """180 requests in the first minute and 22 at the start of the next: 202 over 61.5 s read as
    197/min (110%) when measured from first request to last answer; the only whole window held 180."""
    windows = WindowCounter(60.0)
    for i in range(180):
        windows.count(i * 0.3)
    for i in range(22):
        windows.count(60.0 + i * 0.05)
    measured = windows.rate(61.5)
    assert measured is not None and measured.windows == 1 and measured.per_minute == 180.0
    summary = SyncReport().summary(RequestFigures(202, 61.5, 180.0, measured=measured, window_seconds=60.0))
    assert summary["rate_share"] == 1.0 and summary["requests_per_minute"] == 180.0


def test_the_rate_is_the_mean_over_every_complete_window() -> None:
    windows = WindowCounter(6.0)
    for second in range(0, 30):  # 3 requests a second for 30 s: five complete 6-s windows
        for k in range(3):
            windows.count(second + k / 3)
    windows.count(30.5)  # one in the window still open at the end
    measured = windows.rate(31.0)
    assert measured is not None and measured.windows == 5 and measured.per_minute == 180.0


def test_a_sync_shorter_than_a_window_has_no_rate_and_says_null(caplog: pytest.LogCaptureFixture) -> None:
    windows = WindowCounter(60.0)
    for i in range(40):
        windows.count(i * 0.1)
    assert windows.rate(9.0) is None
    report = SyncReport()
    summary = report.summary(RequestFigures(40, 9.0, 180.0, measured=None, window_seconds=60.0))
    with caplog.at_level(logging.INFO, logger="airbyte"):
        report.log_summary(summary)
    machine = json.loads(
        next(
            r.getMessage() for r in caplog.records if r.getMessage().startswith("SYNC_SUMMARY ")
        ).removeprefix("SYNC_SUMMARY ")
    )
    assert machine["rate_share"] is None and machine["requests_per_minute"] is None
    assert machine["rate_windows"] == 0
    human = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("Sync summary:"))
    assert human.endswith(
        "request rate not measured (the requests took 9.0 s, less than one whole rate window of 60 s)"
    )


def test_no_request_no_rate() -> None:
    assert WindowCounter(60.0).rate(1e9) is None
