"""What a real sync would spend, estimated by a dry run: requests per action, and the time they take.

A dry run reads what a real sync reads (the set-up, the lookups) and sends nothing else; it counts
what the real sync would send instead: one request per create and per update, one tag call per set of
tags per 500 records, the removals the remover would send, the lookups the real sync would make (not
those it would skip: see cold_start.py), and the one lookup that settles whether lookups need `ids=0`.
The time is the total at the account's allowed rate (its `X-Rate-Limit-Limit` header, or the
configured cap), which the connector keeps busy to within a few per cent.

The arithmetic here is pure: the writer and the sync hand it what they planned.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields

from destination_ontraport.write.executor import TAG_CHUNK
from destination_ontraport.write.planner import Kind, Step, TagPlan

LABELS = (
    ("lookups", "lookups"),
    ("creates", "creates"),
    ("updates", "updates"),
    ("tag_calls", "tag calls"),
    ("removals", "removals"),
    ("set_up", "set-up"),
)


@dataclass
class RequestEstimate:
    """Requests per action. `set_up`: before the first record (the account's fields, the tags and
    the ones to create, the read-path probe, the object list); `removals`: deletes and untags, their
    safety counts, and the reads that find a full refresh's leftovers."""

    set_up: int = 0
    lookups: int = 0
    creates: int = 0
    updates: int = 0
    tag_calls: int = 0
    removals: int = 0

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))

    def add(self, other: RequestEstimate) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self, per_minute: float) -> dict[str, float | int]:
        """For SYNC_SUMMARY: each action, the total, and the minutes at `per_minute`."""
        return {**asdict(self), "total": self.total, "minutes": round(minutes(self.total, per_minute), 1)}

    def describe(self, per_minute: float) -> str:
        """`about 5,080 requests: 28 minutes at 180 a minute (lookups 105, creates 4,950, ...)`."""
        parts = ", ".join(f"{label} {getattr(self, name):,}" for name, label in LABELS)
        return (
            f"about {self.total:,} requests: {duration(minutes(self.total, per_minute))} at "
            f"{per_minute:,.0f} a minute ({parts})"
        )


def minutes(requests: int, per_minute: float) -> float:
    return requests / per_minute if per_minute > 0 else 0.0


def duration(value: float) -> str:
    """`under a minute`, `1 minute`, `28 minutes`, `3.5 hours`."""
    if value < 1:
        return "under a minute"
    if value < 120:
        whole = round(value)
        return f"{whole} minute{'s' if whole != 1 else ''}"
    return f"{value / 60:.1f} hours"


def tag_calls(plan: TagPlan, chunk: int = TAG_CHUNK) -> int:
    """One call per set of tags per `chunk` records, as the executor sends them: records a dry run
    would create join the records of their set."""
    adding: dict[frozenset[str], int] = {tags: len(ids) for tags, ids in plan.add.items()}
    for tags, count in plan.once_created.items():
        adding[tags] = adding.get(tags, 0) + count
    removing = [len(ids) for ids in plan.remove.values()]
    return sum(math.ceil(count / chunk) for count in [*adding.values(), *removing])


def split_blind(steps: Sequence[Step]) -> tuple[Step | None, list[Step]]:
    """What a real sync's blind writes would meet, from a dry run's plan (which looked every record
    up): the first blind step whose record exists is merged by saveorupdate (its answer sends the
    writer back to lookups), and the blind steps after it are held back and looked up. Returns (that
    merge, the steps held back)."""
    merge: Step | None = None
    deferred: list[Step] = []
    for step in steps:
        if not step.blind:
            continue
        if merge is not None:
            deferred.append(step)
        elif step.kind is not Kind.CREATE:
            merge = step
    return merge, deferred


def round_requests(steps: Sequence[Step], merge: Step | None, *, lookups: int, tags: int) -> RequestEstimate:
    """One round of a writer: one request per record written (a blind write merged into an existing
    record is one update, whatever the dry run found it held), plus its lookups and tag calls.
    Removals go through the remover, which counts them itself."""
    estimate = RequestEstimate(lookups=lookups, tag_calls=tags)
    for step in steps:
        if step.rejected:
            continue
        if step is merge or step.kind is Kind.UPDATE:
            estimate.updates += 1
        elif step.kind is Kind.CREATE:
            estimate.creates += 1
    return estimate


__all__ = ["RequestEstimate", "duration", "minutes", "round_requests", "split_blind", "tag_calls"]
