"""What a sync did, counted: the summary, the rejected records and the rejection threshold.

Kept apart from the writer so that every outcome, from the parser, the mapper or the API, lands in
one place and the summary cannot disagree with the counts the tests and the benchmark read.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from destination_ontraport.ontraport.request_rate import WindowRate
from destination_ontraport.sync.rejection_groups import FULL_LINES_PER_REASON, RejectionGroups

logger = logging.getLogger("airbyte")

LISTED_REJECTIONS = 20
LISTED_UNKEYED = 3  # per stream: input lines of rejected records that name no record, for a message


@dataclass
class Counts:
    records_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    tagged: int = 0
    untagged: int = 0
    deleted: int = 0
    rejected: int = 0
    superseded: int = 0
    skipped: int = 0
    ignored_messages: int = 0
    state_messages: int = 0


@dataclass(frozen=True)
class Rejection:
    position: int
    stream: str | None
    key: str | None
    reason: str

    def line(self) -> str:
        where = f"stream {self.stream!r}" if self.stream else "no stream"
        key = f", key {self.key!r}" if self.key else ""
        return f"line {self.position} ({where}{key}): {self.reason}"


@dataclass
class SyncReport:
    """Counts plus the rejected records; writes each rejection to the optional JSONL file at once."""

    rejected_path: str | None = None
    counts: Counts = field(default_factory=Counts)
    rejections: list[Rejection] = field(default_factory=list)
    dry_run_examples: list[str] = field(default_factory=list)
    rejected_streams: set[str | None] = field(default_factory=set)
    reasons: RejectionGroups = field(default_factory=RejectionGroups)
    spared: set[tuple[int, str, str]] = field(default_factory=set)
    """(object type id, key field name, comparable value) of the records rejected records name:
    removals of leftovers spare them (they are still in the source)."""
    unkeyed: dict[str | None, list[int]] = field(default_factory=dict)
    """Per stream, the first input lines of rejected records that name no record (no usable key)."""
    on_reject: Callable[[int, str | None, str | None, str, Any], None] | None = None
    """Told of every rejection (position, stream, key, reason, record): the rejected-records bucket."""
    _file: IO[str] | None = None

    def reject(
        self,
        position: int,
        stream: str | None,
        key: str | None,
        reason: str,
        record: Any = None,
        *,
        names: tuple[int, str, str] | None = None,
    ) -> None:
        """`names`: (object type id, key field, comparable value) of the Ontraport record the rejected
        record names, when known."""
        rejection = Rejection(position, stream, key, reason)
        self.counts.rejected += 1
        if names is not None:
            self.spared.add(names)
        else:
            lines = self.unkeyed.setdefault(stream, [])
            if len(lines) < LISTED_UNKEYED:
                lines.append(position)
        if len(self.rejections) < LISTED_REJECTIONS:
            self.rejections.append(rejection)
        group = self.reasons.add(reason, rejection.line())
        if group.count < FULL_LINES_PER_REASON:
            logger.warning(f"Rejected record at {rejection.line()}")
        elif group.count == FULL_LINES_PER_REASON:
            logger.warning(
                f"Rejected record at {rejection.line()}. Further records rejected for this reason are "
                "counted, not logged one by one (the summary gives their number)."
            )
        if self.on_reject is not None:
            self.on_reject(position, stream, key, reason, record)
        if self.rejected_path:
            self._rejected_file().write(
                json.dumps({**asdict(rejection), "record": record}, default=str, ensure_ascii=False) + "\n"
            )

    def _rejected_file(self) -> IO[str]:
        if self._file is None:
            path = Path(self.rejected_path or "")
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("a", encoding="utf-8")
        return self._file

    def sync_to_disk(self) -> None:
        """Called before a STATE goes out: a rejection acknowledged by that STATE must be on disk."""
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._file is not None:
            self.sync_to_disk()
            self._file.close()
            self._file = None

    def rejected_share(self) -> float:
        """Invalid input lines count as records read: each was meant to be one."""
        read = self.counts.records_read
        return 100.0 * self.counts.rejected / read if read else 0.0

    def summary(
        self,
        requests: int,
        seconds: float,
        allowed_per_minute: float,
        *,
        measured: WindowRate | None = None,
        window_seconds: float = 60.0,
        retries: int = 0,
        rate_limited: int = 0,
        unused_field_mappings: list[str] | None = None,
    ) -> dict[str, Any]:
        """`measured`: the rate over whole rate-limit windows (request_rate.py); None when the
        requests took less than one window, and then the rate and its share are null, not a figure
        taken over a few seconds."""
        c = self.counts
        rate = measured.per_minute if measured is not None else None
        return {
            **asdict(c),
            "rejected_percent": round(self.rejected_share(), 2),
            "requests": requests,
            "retries": retries,
            "rate_limited": rate_limited,
            "requests_per_record": round(requests / c.records_read, 4) if c.records_read else 0.0,
            "request_seconds": round(seconds, 3),
            "requests_per_minute": round(rate, 1) if rate is not None else None,
            "allowed_per_minute": round(allowed_per_minute, 1),
            "rate_share": round(rate / allowed_per_minute, 3)
            if rate is not None and allowed_per_minute
            else None,
            "rate_windows": measured.windows if measured is not None else 0,
            "rate_window_seconds": window_seconds,
            "unused_field_mappings": list(unused_field_mappings or []),
        }

    def log_summary(self, summary: dict[str, Any], dry_run: bool = False) -> None:
        """One human line, the listed rejections, and one machine line (`SYNC_SUMMARY {json}`)."""
        s = summary
        verb = "Dry run (nothing written) would have" if dry_run else "Sync summary:"
        logger.info(
            f"{verb} records read {s['records_read']}, records created {s['created']}, "
            f"updated {s['updated']}, unchanged {s['unchanged']}, tagged {s['tagged']}, "
            f"untagged {s['untagged']}, deleted {s['deleted']}, skipped {s['skipped']}, "
            f"superseded {s['superseded']}, rejected {s['rejected']} ({s['rejected_percent']}%); "
            f"requests {s['requests']} ({s['requests_per_record']} per record; {s['retries']} retried, "
            f"{s['rate_limited']} answered 429), {_rate(s)}{_unused(s)}"
        )
        for example in self.dry_run_examples:
            logger.info(f"Dry run: {example}")
        for rejection in self.rejections:
            logger.info(f"Rejected: {rejection.line()}")
        if self.counts.rejected > len(self.rejections):
            more = self.counts.rejected - len(self.rejections)
            where = f" (all of them are in {self.rejected_path})" if self.rejected_path else ""
            logger.info(f"... and {more} more rejected records{where}")
        if self.counts.rejected > 1:
            shown = self.reasons.most_common()
            for group in shown:
                logger.info(
                    f"Rejected {group.count:,} record(s) for this reason; the first: {group.first_line}"
                )
            if len(self.reasons) > len(shown):
                logger.info(f"... and {len(self.reasons) - len(shown)} more reasons")
        logger.info("SYNC_SUMMARY " + json.dumps(summary, sort_keys=True))


def _unused(s: dict[str, Any]) -> str:
    sources = s.get("unused_field_mappings") or []
    if not sources:
        return ""
    return "; field_mapping source(s) in no record: " + ", ".join(repr(source) for source in sources)


def _rate(s: dict[str, Any]) -> str:
    """The rate over whole windows (request_rate.py), or why there is none."""
    window = s["rate_window_seconds"]
    if s["requests_per_minute"] is None or s["rate_share"] is None:
        return (
            f"request rate not measured (the requests took {s['request_seconds']:.1f} s, less than one "
            f"whole rate window of {window:g} s)"
        )
    windows = s["rate_windows"]
    return (
        f"{s['requests_per_minute']}/min against {s['allowed_per_minute']}/min allowed "
        f"({100 * s['rate_share']:.0f}%, over {windows} whole {window:g}-s window{'s' if windows != 1 else ''})"
    )
