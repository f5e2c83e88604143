"""Rejections grouped by reason, so that 3,000 records for one unknown stream make a few log lines and
one count, not 3,000 warnings.

Two rejections share a reason when their reasons differ only in quoted parts (the value, the stream
or field name a reason quotes): `email: 'a' is not a valid email address` and `email: 'b' is not a
valid email address` are one reason. The first FULL_LINES_PER_REASON of each are logged in full,
the rest only counted; the summary gives each reason's count with its first example. Memory is
bounded: at most MAX_REASONS groups, later new reasons are counted together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FULL_LINES_PER_REASON = 5
MAX_REASONS = 100
OTHER_REASONS = "(other reasons)"
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def reason_kind(reason: str) -> str:
    """The reason with every quoted part replaced: what rejections of one kind have in common."""
    return _QUOTED.sub("'…'", reason)


@dataclass
class ReasonGroup:
    kind: str
    first_line: str  # the first rejection of this kind, in full (`line 3 (stream 'people'): ...`)
    first_reason: str
    count: int = 0


class RejectionGroups:
    def __init__(self) -> None:
        self._groups: dict[str, ReasonGroup] = {}

    def add(self, reason: str, line: str) -> ReasonGroup:
        """Count one rejection; returns its group (whose `count` now includes it)."""
        kind = reason_kind(reason)
        group = self._groups.get(kind)
        if group is None:
            if len(self._groups) >= MAX_REASONS:
                kind = OTHER_REASONS
                group = self._groups.get(kind)
            if group is None:
                group = self._groups[kind] = ReasonGroup(kind, line, reason)
        group.count += 1
        return group

    def most_common(self, limit: int = 10) -> list[ReasonGroup]:
        return sorted(self._groups.values(), key=lambda group: -group.count)[:limit]

    def __len__(self) -> int:
        return len(self._groups)


__all__ = ["FULL_LINES_PER_REASON", "ReasonGroup", "RejectionGroups", "reason_kind"]
