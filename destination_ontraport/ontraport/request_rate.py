"""The request rate a sync achieved, measured over whole rate-limit windows.

Ontraport counts an account's requests in a rolling window (180 per 60 s), and the pacer keeps at
most the allowed number of ours in any window. A rate taken as requests / (last answer - first
request) measures a burst against too short a span: 180 requests in the first minute and a burst at
the start of the second read as `201.2/min against 180.0/min allowed (112%)`, although no window
held more than the limit.

So the rate is measured over whole windows only. The time from the first request on is cut into
consecutive windows of the rate-limit window's length; a window is complete when it ended before
the sync's last answer; the rate is the requests sent in complete windows divided by their time
(windows x window length), per minute. The trailing partial window is left out (and so is a
complete window after the last request, which only a very slow last answer leaves). The figure cannot
pass the allowed rate unless a window really held more requests than allowed. It was chosen over
"the busiest whole window": that tells how high the peak was, this tells how fully the budget was
used over the sync, which is what `rate_share` is read for. A sync shorter than one window has no
complete window, and its rate is not measured (None; null in SYNC_SUMMARY).

Memory: one counter per window of the sync (a day at 60 s windows is 1,440 integers).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class WindowRate:
    per_minute: float
    windows: int  # complete windows measured


@dataclass
class WindowCounter:
    """Requests per fixed window, counted from the first one. Not thread-safe: the engine counts
    under its stats lock."""

    window_seconds: float
    start: float | None = None
    counts: list[int] = field(default_factory=list)

    def count(self, at: float) -> None:
        if self.start is None:
            self.start = at
        # sends granted in parallel may be counted slightly out of order: never before window 0
        index = max(0, int((at - self.start) // self.window_seconds))
        if index >= len(self.counts):
            self.counts.extend([0] * (index + 1 - len(self.counts)))
        self.counts[index] += 1

    def rate(self, end: float) -> WindowRate | None:
        """Requests per minute over the windows complete at `end`; None when none is."""
        if self.start is None or self.window_seconds <= 0:
            return None
        complete = min(int((end - self.start) // self.window_seconds), len(self.counts))
        if complete < 1:
            return None
        requests = sum(self.counts[:complete])
        return WindowRate(60.0 * requests / (complete * self.window_seconds), complete)


__all__ = ["WindowCounter", "WindowRate"]
