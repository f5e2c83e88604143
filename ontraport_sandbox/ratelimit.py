"""Ontraport's rate limit: a rolling window per App ID, reported on every response.

Only admitted requests are remembered: Ontraport does not charge a 401 or a 429 against the
budget, so a client that retries on 429 is not locked out forever.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RateState:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> list[tuple[str, str]]:
        return [
            ("X-Rate-Limit-Limit", str(self.limit)),
            ("X-Rate-Limit-Remaining", str(self.remaining)),
            ("X-Rate-Limit-Reset", str(self.reset_seconds)),
        ]


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, deque[float]] = {}

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()

    @staticmethod
    def _state(window: deque[float], now: float, limit: int, seconds: float, allowed: bool) -> RateState:
        # Whole seconds until the oldest counted request leaves the window, within 1..window (a full
        # window's length when nothing is counted). The float sum carries noise in its last bits
        # (1000.4 + 60 - 1000.4 is 60.000000000000114): it is rounded to the microsecond before
        # rounding up, or a request counted this instant would read 61 in a 60-second window.
        oldest_leaves_in = window[0] + seconds - now if window else seconds
        reset = min(math.ceil(round(oldest_leaves_in, 6)), math.ceil(seconds))
        return RateState(allowed, limit, max(0, limit - len(window)), max(1, reset))

    def _window(self, key: str, now: float, seconds: float) -> deque[float]:
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = deque()
        horizon = now - seconds
        while window and window[0] <= horizon:
            window.popleft()
        return window

    def admit(self, key: str, limit: int, seconds: float) -> RateState:
        """Counts the request if there is room; a refused request is not counted."""
        with self._lock:
            now = self._clock()
            window = self._window(key, now, seconds)
            if len(window) >= limit:
                return self._state(window, now, limit, seconds, allowed=False)
            window.append(now)
            return self._state(window, now, limit, seconds, allowed=True)

    def peek(self, key: str, limit: int, seconds: float) -> RateState:
        """The headers for a response that must not spend budget (a 401)."""
        with self._lock:
            now = self._clock()
            return self._state(self._window(key, now, seconds), now, limit, seconds, allowed=True)
