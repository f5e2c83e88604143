"""The redacted HTTP trace: every request and answer as one JSON line, for support and for a person
checking what a sync sent (`debug_http_trace`, `--trace-http FILE`).

Each line: the time, method, path, query, status (or the failure when no answer came), milliseconds,
the rate headers, and an excerpt of the request and response bodies. Headers are never written (the
App ID and the API key travel only there). Any value that is, or contains, a secret (the API key, the
App ID, the storage keys) is masked before anything is cut, so that no prefix of a secret survives a
cut. The file is opened per line in append mode: a crash loses at most the line being written, and
several runs (check, then write) add to one file.

The trace holds what the sync sent: the contacts' emails and fields. Share it as you would the data.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import orjson

from destination_ontraport.model.problems import ConfigProblem
from destination_ontraport.ontraport.exchange import Exchange

logger = logging.getLogger("airbyte")

BODY_EXCERPT_CHARS = 2000
"""Characters kept of each body: enough for a lookup's 49 values or a page of rows' first records."""
QUERY_VALUE_CHARS = 8000
"""Characters kept of each query value: a lookup's whole condition fits (request lines stay under
6,000 bytes)."""
MASK = "***"
MIN_SUBSTRING_SECRET = 4
"""Secrets at least this long are masked wherever they occur; shorter ones only as a whole value
(masking a 2-character App ID inside every word would make the trace unreadable, and say nothing)."""


class TraceFileError(ConfigProblem):
    """The trace file cannot be written: a setting to fix before anything is sent."""


class HttpTrace:
    """An ExchangeWatcher (engine.watch) writing one JSON line per attempt. Thread-safe."""

    def __init__(self, path: str | Path, secrets: Iterable[str]) -> None:
        self._path = Path(path).expanduser()
        self._secrets = sorted({form for s in secrets if s for form in _spellings(s)}, key=len, reverse=True)
        self._lock = threading.Lock()
        self._broken = False
        try:
            with self._path.open("ab"):
                pass
        except OSError as exc:
            raise TraceFileError(
                f"The HTTP trace file {self._path} cannot be written ({type(exc).__name__}: "
                f"{exc.strerror or 'no reason given'}). Choose a path in a writable folder, or remove "
                "debug_http_trace / --trace-http."
            ) from None

    def __call__(self, exchange: Exchange) -> None:
        line = orjson.dumps(self.entry(exchange)) + b"\n"
        with self._lock:
            if self._broken:
                return
            try:
                with self._path.open("ab") as sink:
                    sink.write(line)
            except OSError as exc:
                self._broken = True  # one warning, then the sync goes on without its trace
                logger.warning(
                    f"The HTTP trace stopped: {self._path} could not be written ({type(exc).__name__})."
                )

    def entry(self, exchange: Exchange) -> dict[str, Any]:
        """The line's content, every text masked and bounded."""
        rate = exchange.rate
        return {
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "method": exchange.method,
            "path": self.redact(exchange.path, BODY_EXCERPT_CHARS),
            "query": self._query(exchange.query),
            "status": exchange.status,
            "failure": exchange.failure or None,
            "ms": round(exchange.milliseconds, 1),
            "rate": {"limit": rate.limit, "remaining": rate.remaining, "reset": rate.reset},
            "request_body": self.redact(exchange.request_body, BODY_EXCERPT_CHARS),
            "response_body": self.redact(exchange.response_body, BODY_EXCERPT_CHARS),
        }

    def _query(self, query: Mapping[str, str]) -> dict[str, str]:
        return {
            self.redact(str(key), QUERY_VALUE_CHARS): self.redact(str(value), QUERY_VALUE_CHARS)
            for key, value in query.items()
        }

    def redact(self, text: str, limit: int) -> str:
        """`text` with every secret masked, then cut to `limit` characters (marked when cut)."""
        masked = text
        for secret in self._secrets:
            if masked == secret:
                return MASK
            if len(secret) >= MIN_SUBSTRING_SECRET:
                masked = masked.replace(secret, MASK)
        if len(masked) <= limit:
            return masked
        return masked[:limit] + f"... ({len(masked) - limit} more characters)"


def _spellings(secret: str) -> set[str]:
    """A secret as it may appear on the wire: itself, URL-encoded (a form body, a query), JSON-escaped."""
    return {secret, quote_plus(secret), quote(secret, safe=""), orjson.dumps(secret).decode()[1:-1]}


__all__ = ["BODY_EXCERPT_CHARS", "HttpTrace", "TraceFileError"]
