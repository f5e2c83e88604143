"""What a client is told before its first request: where and as whom to send, how fast, how long to
wait; and where it reads the time.

Two values instead of a dozen keyword arguments: `EngineSettings` travels from the connector's
config (`account/connection.py`) to the engine unchanged, and `Timing` is the one seam tests use to
run the pacer and the retries on a fake clock, so that nothing really waits.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field

ONTRAPORT_WINDOW_SECONDS = 60.0
"""Ontraport's rate-limit window: a rolling minute (the API notes, section 2 "Rate limiting"). Support
may raise an account's limit: that changes the number of requests, which every answer's
X-Rate-Limit-Limit reports and the pacer reads, not the window."""


@dataclass(frozen=True)
class EngineSettings:
    """One account's connection: URL and credentials, then the limits the engine keeps.

    `window_seconds` is Ontraport's 60 s everywhere but a scaled sandbox; `max_requests_per_minute`
    is the person's cap (None: the server's limit); `max_attempts` counts every send of one request.
    The API key never appears in `repr` (a settings object may end up in a log or a traceback).
    """

    base_url: str
    app_id: str
    api_key: str = field(repr=False)
    _: KW_ONLY
    timeout_seconds: float = 90.0
    max_requests_per_minute: int | None = None
    window_seconds: float = ONTRAPORT_WINDOW_SECONDS
    max_in_flight: int = 10
    max_attempts: int = 8

    def __post_init__(self) -> None:
        # Plain HTTP only for a local sandbox: config.py refuses it for any other host.
        if not self.base_url.startswith(("https://", "http://")):  # ignore-https-check
            raise ValueError("base_url must start with https:// (or plain HTTP for a local sandbox)")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")


@dataclass(frozen=True)
class Timing:
    """The engine's clock, its way of waiting, and its jitter source (a float in [0, 1)).

    Real time by default. A test passes a fake clock whose `sleep` moves that clock forward, and a
    fixed jitter, so that pacing and backoff are exact and instant.
    """

    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random


REAL_TIME = Timing()

__all__ = ["ONTRAPORT_WINDOW_SECONDS", "REAL_TIME", "EngineSettings", "Timing"]
