"""What a sync did, counted: the counts, the summary and its log lines.

Every outcome lands here, from the message loop (records read, superseded, ...), the writers (what
each flush did, `WriteOutcome`) and the removal of leftovers, so that the summary cannot disagree
with the counts the tests and the benchmark read. Rejected records have their own owner
(`rejected/rejections.py`); the summary reads its counts and reasons.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from destination_ontraport.ontraport.request_rate import WindowRate
from destination_ontraport.rejected.rejections import Rejections
from destination_ontraport.synclog.log import NoRecordLog, RecordLog
from destination_ontraport.write.dry_run import DryRun
from destination_ontraport.write.estimate import RequestEstimate
from destination_ontraport.write.outcome import WriteOutcome

logger = logging.getLogger("airbyte")

COUNTED_ACTIONS = (
    "created",
    "updated",
    "unchanged",
    "tagged",
    "untagged",
    "deleted",
    "skipped",
    "subscribed",
    "unsubscribed",
    "subscriptions_left_off",
    "subscriptions_unconfirmed",
)
"""The counts a WriteOutcome adds to."""


@dataclass
class Counts:
    records_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    tagged: int = 0
    untagged: int = 0
    deleted: int = 0
    superseded: int = 0
    skipped: int = 0
    ignored_messages: int = 0
    state_messages: int = 0
    # campaigns and sequences: subscriptions (one per contact and list) made and removed, existing
    # contacts left off (membership unreadable), sent without an answer, and whether Ontraport showed
    # the sync's subscriptions at its end (None: nothing to check; see write/subscriber.py)
    subscribed: int = 0
    unsubscribed: int = 0
    subscriptions_left_off: int = 0
    subscriptions_unconfirmed: int = 0
    subscriptions_processed: bool | None = None


@dataclass(frozen=True)
class RequestFigures:
    """The requests a sync sent, for its summary. `measured`: the rate over whole rate-limit windows
    (request_rate.py); None when the requests took less than one window, and then the rate and its
    share are null, not a figure taken over a few seconds."""

    requests: int
    seconds: float
    allowed_per_minute: float
    measured: WindowRate | None = None
    window_seconds: float = 60.0
    retries: int = 0
    rate_limited: int = 0


@dataclass
class SyncReport:
    """The counts of one sync, its rejections' owner (read for the summary), its sync log (every
    record's result goes there) and, in a dry run, the requests a real sync would spend."""

    rejections: Rejections = field(default_factory=Rejections)
    counts: Counts = field(default_factory=Counts)
    sync_log: RecordLog = field(default_factory=NoRecordLog)
    estimate: RequestEstimate = field(default_factory=RequestEstimate)

    def add(self, outcome: WriteOutcome) -> None:
        """What a writer's flush (or the removal of leftovers) did; its refused records go to the
        rejections' owner, not here."""
        for name in COUNTED_ACTIONS:
            setattr(self.counts, name, getattr(self.counts, name) + getattr(outcome, name))
        self.estimate.add(outcome.requests)
        self.sync_log.add(outcome.results)

    def rejected_share(self) -> float:
        """Invalid input lines count as records read: each was meant to be one."""
        read = self.counts.records_read
        return 100.0 * self.rejections.count / read if read else 0.0

    def summary(
        self, figures: RequestFigures, unused_field_mappings: list[str] | None = None
    ) -> dict[str, Any]:
        c, f = self.counts, figures
        rate = f.measured.per_minute if f.measured is not None else None
        return {
            **asdict(c),
            "rejected": self.rejections.count,
            "rejected_percent": round(self.rejected_share(), 2),
            "requests": f.requests,
            "retries": f.retries,
            "rate_limited": f.rate_limited,
            "requests_per_record": round(f.requests / c.records_read, 4) if c.records_read else 0.0,
            "request_seconds": round(f.seconds, 3),
            "requests_per_minute": round(rate, 1) if rate is not None else None,
            "allowed_per_minute": round(f.allowed_per_minute, 1),
            "rate_share": round(rate / f.allowed_per_minute, 3)
            if rate is not None and f.allowed_per_minute
            else None,
            "rate_windows": f.measured.windows if f.measured is not None else 0,
            "rate_window_seconds": f.window_seconds,
            "unused_field_mappings": list(unused_field_mappings or []),
        }

    def log_summary(self, summary: dict[str, Any], dry_run: DryRun | None = None) -> None:
        """One human line, the listed rejections, and one machine line (`SYNC_SUMMARY {json}`). A dry
        run's summary carries its estimate (`summary["estimate"]`, see `estimate_summary`)."""
        s = summary
        verb = "Dry run (nothing written) would have" if dry_run is not None else "Sync summary:"
        logger.info(
            f"{verb} records read {s['records_read']}, records created {s['created']}, "
            f"updated {s['updated']}, unchanged {s['unchanged']}, tagged {s['tagged']}, "
            f"untagged {s['untagged']}, deleted {s['deleted']}, skipped {s['skipped']}, "
            f"superseded {s['superseded']}, rejected {s['rejected']} ({s['rejected_percent']}%); "
            f"requests {s['requests']} ({s['requests_per_record']} per record; {s['retries']} retried, "
            f"{s['rate_limited']} answered 429), {_rate(s)}{_subscriptions(s)}{_unused(s)}"
        )
        if "estimate_text" in s:
            logger.info(f"Dry run: the real sync would spend {s['estimate_text']}.")
        for example in dry_run.examples if dry_run is not None else ():
            logger.info(f"Dry run: {example}")
        rejections = self.rejections
        for rejection in rejections.listed:
            logger.info(f"Rejected: {rejection.line()}")
        if rejections.count > len(rejections.listed):
            more = rejections.count - len(rejections.listed)
            where = f" (all of them are in {rejections.path})" if rejections.path else ""
            logger.info(f"... and {more} more rejected records{where}")
        if rejections.count > 1:
            shown = rejections.reasons.most_common()
            for group in shown:
                logger.info(
                    f"Rejected {group.count:,} record(s) for this reason; the first: {group.first_line}"
                )
            if len(rejections.reasons) > len(shown):
                logger.info(f"... and {len(rejections.reasons) - len(shown)} more reasons")
        logger.info("SYNC_SUMMARY " + json.dumps(summary, sort_keys=True))


def _subscriptions(s: dict[str, Any]) -> str:
    """Campaigns and sequences, when the sync touched any."""
    counts = [s.get(name, 0) for name in ("subscribed", "unsubscribed", "subscriptions_left_off")]
    if not any(counts):
        return ""
    return (
        f"; subscriptions to campaigns and sequences made {counts[0]}, removed {counts[1]}, "
        f"existing contacts left off {counts[2]}"
    )


def estimate_summary(estimate: RequestEstimate, per_minute: float) -> dict[str, Any]:
    """A dry run's summary keys: `estimate` (per action, total, minutes) and its sentence."""
    return {"estimate": estimate.as_dict(per_minute), "estimate_text": estimate.describe(per_minute)}


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
        f"({100 * s['rate_share']:.0f}%, "
        f"over {windows} whole {window:g}-s window{'s' if windows != 1 else ''})"
    )
