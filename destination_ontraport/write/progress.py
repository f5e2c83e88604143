"""What a writer and its executor tell about their work as it happens, for a progress line.

The line itself (`sync/progress.py`) reads the report; this module holds only the protocol the
write side reports to, so that writing never imports the sync above it.
"""

from __future__ import annotations

from typing import Protocol

from destination_ontraport.write.planner import Step


class ProgressSink(Protocol):
    """What the writer and its executor tell the progress line."""

    def tick(self) -> None:
        """A chance to log (called often; logs at most every PROGRESS_SECONDS)."""

    def batch_started(self, writes: int) -> None:
        """The executor starts the `writes` writes of a batch."""

    def written(self, step: Step) -> None:
        """One write finished (called from a worker thread)."""


class NoProgress:
    """For writers without a progress line (tests, tools)."""

    def tick(self) -> None: ...
    def batch_started(self, writes: int) -> None: ...
    def written(self, step: Step) -> None: ...


NO_PROGRESS = NoProgress()

__all__ = ["NO_PROGRESS", "NoProgress", "ProgressSink"]
