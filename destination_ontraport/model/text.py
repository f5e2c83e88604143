"""Quoting untrusted text (a record's value, a response body, a stream name) in log lines and
messages: short and on one line, so that a hostile value can neither flood the log nor forge a line."""

from __future__ import annotations

EXCERPT_CHARS = 80


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A short, single-line quote of untrusted input for log lines and rejection reasons."""
    flat = text.replace("\n", "\\n").replace("\r", "\\r")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


__all__ = ["EXCERPT_CHARS", "excerpt"]
