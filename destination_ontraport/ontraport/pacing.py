"""Client-side pacing for Ontraport's rolling-window rate limit.

Ontraport allows N requests per rolling window (180 per 60 s; a benchmark sandbox may scale the
window down) per account, shared with every other integration of that account, and answers 429
beyond it. The connector is measured on how fully it uses that budget without 429s, so the client
paces itself rather than bouncing off the limit:

1. a local rolling-window limiter over send times: in any effective window of
   `window_seconds * (1 + margin_ratio) + margin_seconds`, at most the configured cap (scaled to
   the window) of our own sends, and at most the server's limit (180 until a response says) of
   ours plus others' (see 2). The margin absorbs the jitter between our send time and the
   server's arrival time (a request sent just after the oldest one left our window could
   otherwise arrive before it left the server's);
2. the server's word: requests the server counted that our own sends cannot explain (other
   integrations share the budget) are added to the limiter as "phantom" sends; a
   `X-Rate-Limit-Remaining` of 0 that our sends do not explain holds every new send for
   `X-Rate-Limit-Reset` seconds; a 429 holds them for its Reset plus jitter (`hold_for`);
3. until the first response arrives only one request is in flight: it tells us the server's
   limit and how much of the window others already used (a back-to-back run, a `check`), so the
   first burst does not run into 429s;
4. at most `max_in_flight` requests at once (a semaphore), so slow responses overlap.

Every wait happens outside the lock, through the injected `Timing.sleep`, so tests neither wait nor flake.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_right, insort
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from destination_ontraport.ontraport.settings import Timing

DEFAULT_SERVER_LIMIT = 180
"""Ontraport's documented limit per window, assumed until a response says otherwise."""

DEFAULT_MARGIN_RATIO = 0.03
DEFAULT_MARGIN_SECONDS = 0.05


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        return int(float(raw.strip()))
    except (ValueError, OverflowError):  # garbage, nan, inf
        return None


@dataclass(frozen=True)
class RateHeaders:
    """The three `X-Rate-Limit-*` headers of one response (None when absent or unreadable).

    `reset` is seconds until the oldest request leaves the server's window, not an epoch.
    """

    limit: int | None = None
    remaining: int | None = None
    reset: float | None = None

    @classmethod
    def parse(cls, headers: Mapping[str, str]) -> RateHeaders:
        raw_reset = headers.get("X-Rate-Limit-Reset")
        reset: float | None = None
        if raw_reset is not None:
            try:
                reset = max(0.0, float(raw_reset.strip()))
            except ValueError:
                reset = None
        return cls(
            limit=_int_header(headers, "X-Rate-Limit-Limit"),
            remaining=_int_header(headers, "X-Rate-Limit-Remaining"),
            reset=reset if reset is not None and math.isfinite(reset) else None,
        )


@dataclass(frozen=True)
class Ticket:
    """One granted send: when, how many sends the limiter knew of in the window ending then, and
    the grant and phantom counters then (to tell, at the answer, what happened since)."""

    sent_at: float
    known_in_window: int
    probe: bool
    granted_before: int = 0
    phantoms_before: int = 0


class Pacer:
    """Decides when each request may start. Thread-safe; see the module docstring for the rules."""

    def __init__(
        self,
        *,
        window_seconds: float,
        max_requests_per_minute: int | None,
        max_in_flight: int,
        timing: Timing,
        margin_ratio: float = DEFAULT_MARGIN_RATIO,
        margin_seconds: float = DEFAULT_MARGIN_SECONDS,
    ) -> None:
        if window_seconds <= 0:
            raise ValueError("window_seconds must be positive")
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self._window = float(window_seconds)
        self._effective_window = self._window * (1.0 + margin_ratio) + margin_seconds
        # The cap is per real minute; the limiter counts per window.
        self._cap_per_window: int | None = (
            None
            if max_requests_per_minute is None
            else max(1, math.floor(max_requests_per_minute * self._window / 60.0 + 1e-9))
        )
        self._clock = timing.clock
        self._sleep = timing.sleep
        self._lock = threading.Lock()
        self._first_response = threading.Condition(self._lock)
        self._in_flight = threading.BoundedSemaphore(max_in_flight)
        self._sends: list[float] = []  # our send times still in the window, sorted
        self._phantom_sends: list[float] = []  # others' requests we inferred, sorted
        self._hold_until = -math.inf
        self._server_limit: int | None = None
        self._synced = False  # an HTTP response (any status) has been observed
        self._probing = False  # the single pre-sync request is out
        self._granted = 0  # sends granted so far
        self._phantoms = 0  # phantom sends added so far

    # --- read-only views ---------------------------------------------------------------------
    @property
    def window_seconds(self) -> float:
        return self._window

    @property
    def effective_window(self) -> float:
        """The window the local limiter enforces: the server's window plus the safety margin."""
        return self._effective_window

    @property
    def server_limit(self) -> int | None:
        with self._lock:
            return self._server_limit

    def limit(self) -> int:
        """L: requests allowed per window = min(the cap scaled to the window, the server's limit)."""
        with self._lock:
            return self._limit_locked()

    def allowed_per_minute(self) -> float:
        """L expressed per 60 s of real time: L * 60 / window_seconds (180 per 6-s window -> 1800)."""
        return self.limit() * 60.0 / self._window

    # --- the send path -----------------------------------------------------------------------
    @contextmanager
    def slot(self) -> Iterator[Ticket]:
        """Hold one in-flight place and one rate slot for the duration of a single HTTP attempt."""
        self._in_flight.acquire()
        try:
            ticket = self._acquire()
            try:
                yield ticket
            finally:
                if ticket.probe:
                    with self._lock:
                        self._probing = False
                        self._first_response.notify_all()
        finally:
            self._in_flight.release()

    def _acquire(self) -> Ticket:
        while True:
            with self._lock:
                while self._probing and not self._synced:
                    self._first_response.wait()  # releases the lock while waiting
                now = self._clock()
                wait = self._wait_locked(now)
                if wait <= 0:
                    self._sends.append(now)
                    probe = not self._synced
                    self._probing = self._probing or probe
                    self._granted += 1
                    known = len(self._sends) + len(self._phantom_sends)
                    return Ticket(now, known, probe, self._granted, self._phantoms)
            self._sleep(wait)

    def _server_limit_locked(self) -> int:
        return max(1, self._server_limit if self._server_limit is not None else DEFAULT_SERVER_LIMIT)

    def _limit_locked(self) -> int:
        server = self._server_limit_locked()
        return server if self._cap_per_window is None else min(server, self._cap_per_window)

    def _wait_locked(self, now: float) -> float:
        """Seconds until a send is allowed (<= 0: now). Prunes sends that left the window.

        Our own sends count against the cap; ours and others' (phantoms) against the server's limit.
        """
        horizon = now - self._effective_window
        del self._sends[: bisect_right(self._sends, horizon)]
        del self._phantom_sends[: bisect_right(self._phantom_sends, horizon)]
        wait = self._hold_until - now
        cap = self._cap_per_window
        if cap is not None and len(self._sends) >= cap:
            wait = max(wait, self._sends[-cap] + self._effective_window - now)
        server = self._server_limit_locked()
        if len(self._sends) + len(self._phantom_sends) >= server:
            everyone = sorted(self._sends + self._phantom_sends)
            wait = max(wait, everyone[-server] + self._effective_window - now)
        return wait

    # --- what the server said ----------------------------------------------------------------
    def observe(self, ticket: Ticket, rate: RateHeaders) -> None:
        """Learn from one HTTP response (any status) to the request of `ticket`."""
        with self._lock:
            now = self._clock()
            first = not self._synced
            self._synced = True
            self._first_response.notify_all()
            if rate.limit is not None and rate.limit > 0:
                self._server_limit = rate.limit
            if rate.remaining is None:
                return
            server_limit = self._server_limit_locked()
            # What the server counted beyond what we knew of when this request left, and beyond
            # everything granted or assumed since (any of it may have arrived first): others' use.
            since = (self._granted - ticket.granted_before) + (self._phantoms - ticket.phantoms_before)
            others = server_limit - rate.remaining - ticket.known_in_window - since
            if others > 0:
                self._add_phantoms_locked(now, min(others, server_limit), rate.reset if first else None)
            if rate.remaining <= 0 and ticket.known_in_window < server_limit:
                # Budget exhausted by sends we did not make: wait for the server's window to move.
                reset = rate.reset if rate.reset is not None else 1.0
                self._hold_until = max(self._hold_until, now + reset)

    def hold_for(self, seconds: float) -> None:
        """Hold every new send for `seconds` from now (after a 429)."""
        with self._lock:
            self._hold_until = max(self._hold_until, self._clock() + seconds)

    def _add_phantoms_locked(self, now: float, count: int, reset: float | None) -> None:
        """Stand-ins for requests other integrations made in the current window.

        On the first answer, Reset says when the oldest of them leaves the server's window; the
        others leave at unknown times before a full window has passed, so they are spread evenly
        over that span (their leave times are the server's own: no latency margin). Later, the
        newly seen ones are assumed to have just arrived (`reset` None): they leave a full
        (effective) window from now.
        """
        self._phantoms += count
        if reset is None:
            self._phantom_sends.extend([now] * count)
            return
        first_leave = min(reset, self._window)
        step = (self._window - first_leave) / (count - 1) if count > 1 else 0.0
        for i in range(count):
            insort(self._phantom_sends, now + first_leave + step * i - self._effective_window)
