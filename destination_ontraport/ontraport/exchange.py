"""One HTTP attempt as the engine saw it, for whoever watches the engine's one send path.

The engine hands every attempt (a retry is an attempt of its own) to its watchers as an `Exchange`:
the HTTP trace (`trace.py`) writes it to a file, the account doctor reads the status and the rate
headers of its probes from it. An Exchange holds what went over the wire except the headers: the
credentials travel only in headers, so nothing built from an Exchange can carry them by way of a
header. Values in the query or a body can still equal a secret; the trace masks them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from destination_ontraport.ontraport.pacing import RateHeaders


@dataclass(frozen=True)
class Exchange:
    """`status` is None when no answer came (`failure` then says why: "read timeout", ...);
    `request_body` is the body as encoded for the wire ("" for none), `response_body` the answer's
    text as received, both unbounded here (a watcher cuts what it keeps)."""

    method: str
    path: str
    query: Mapping[str, str]
    request_body: str
    status: int | None
    milliseconds: float
    rate: RateHeaders
    response_body: str
    failure: str = ""


ExchangeWatcher = Callable[[Exchange], None]
"""Called once per attempt, on the thread that sent it, after the answer (or the failure) is read.
It must be quick and must not raise: the engine does not catch what a watcher throws."""

__all__ = ["Exchange", "ExchangeWatcher"]
