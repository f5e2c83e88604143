"""The progress line of long syncs: what is done so far, and how long the batch under way still takes.

A batch's results reach the report only when the whole batch is written (the message loop counts
the writer's outcome then), and a batch of 1,000 new contacts takes about six minutes at 180 requests
a minute: counted that way, the line would say `0 created` for six minutes. So the executor tells
this object of each write as it finishes (from its worker threads, as a `write.progress.ProgressSink`),
and the line adds those to the report's counts until the loop has counted the batch.

Time left is estimated only where the remaining work is known: the writes of the batch under way
(how many are planned, how many are done), at the rate its writes have finished so far. The rest of
the input is not known (stdin has no length), so no estimate for the whole sync is made up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from destination_ontraport.sync.report import SyncReport
from destination_ontraport.write.planner import Kind, Step

logger = logging.getLogger("airbyte")

PROGRESS_SECONDS = 30.0


class Progress:
    """A log line at least every 30 seconds on long syncs, from wherever the work is happening: a
    `write.progress.ProgressSink`."""

    def __init__(self, report: SyncReport, requests: Callable[[], int], clock: Callable[[], float]) -> None:
        self._report, self._requests, self._clock = report, requests, clock
        self._last = clock()
        self._lock = threading.Lock()
        self._created = self._updated = self._rejected = 0
        self._planned = self._done = 0
        self._batch_since: float | None = None

    def batch_started(self, writes: int) -> None:
        with self._lock:
            self._planned, self._done = writes, 0
            self._batch_since = self._clock() if writes else None

    def written(self, step: Step) -> None:
        with self._lock:
            self._done += 1
            if step.rejected:
                self._rejected += 1
            elif step.kind is Kind.CREATE:
                self._created += 1
            elif step.kind is Kind.UPDATE:
                self._updated += 1

    def batch_counted(self) -> None:
        """The message loop counted a writer's round into the report: its live counts are in there now."""
        with self._lock:
            self._created = self._updated = self._rejected = 0
            self._planned = self._done = 0
            self._batch_since = None

    def tick(self) -> None:
        now = self._clock()
        if now - self._last < PROGRESS_SECONDS:
            return
        self._last = now
        logger.info(self.line(now))

    def line(self, now: float) -> str:
        c = self._report.counts
        with self._lock:
            created, updated, rejected = (
                c.created + self._created,
                c.updated + self._updated,
                self._report.rejections.count + self._rejected,
            )
            batch = self._batch_part(now)
        return (
            f"Progress: {c.records_read:,} records read; {created:,} created, {updated:,} updated, "
            f"{c.unchanged:,} unchanged, {rejected:,} rejected; {self._requests():,} requests{batch}."
        )

    def _batch_part(self, now: float) -> str:
        """`; this batch: 310 of 1,000 writes done, about 3.8 min left` (under the lock)."""
        if not self._planned or self._batch_since is None:
            return ""
        done, planned = self._done, self._planned
        text = f"; this batch: {done:,} of {planned:,} writes done"
        elapsed = now - self._batch_since
        if done and elapsed > 0 and done < planned:
            left = (planned - done) * elapsed / done
            text += f", about {_duration(left)} left at the rate so far"
        return text


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


__all__ = ["PROGRESS_SECONDS", "Progress"]
