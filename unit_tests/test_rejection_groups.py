"""Rejections are logged by reason: the first few in full, then counted, in bounded memory (issue 22,
item 18)."""

from __future__ import annotations

import logging

import pytest

from destination_ontraport.rejection_groups import (
    FULL_LINES_PER_REASON,
    MAX_REASONS,
    RejectionGroups,
    reason_kind,
)
from destination_ontraport.report import SyncReport


def test_reasons_that_differ_only_in_quoted_parts_are_one_reason() -> None:
    assert reason_kind("email: 'a@' is not a valid email address") == reason_kind(
        'email: "it\'s" is not a valid email address'
    )
    assert reason_kind("email: 'a@' is not a valid email address") != reason_kind(
        "birthday: 'x' is not a date Ontraport understands"
    )


def test_groups_are_bounded_and_keep_their_first_example() -> None:
    groups = RejectionGroups()
    for n in range(MAX_REASONS + 50):
        groups.add(f"reason number {n}", f"line {n}")
    groups.add("reason number 0", "line 999")
    assert len(groups) == MAX_REASONS + 1  # the later ones share one "other reasons" group
    top = groups.most_common(1)[0]
    assert top.count == 50 and top.first_line == f"line {MAX_REASONS}"
    first = next(g for g in groups.most_common(MAX_REASONS + 1) if g.first_reason == "reason number 0")
    assert first.count == 2 and first.first_line == "line 0"


def test_the_report_logs_a_few_per_reason_then_counts(caplog: pytest.LogCaptureFixture) -> None:
    report = SyncReport()
    with caplog.at_level(logging.INFO, logger="airbyte"):
        for n in range(1, 3_001):
            report.reject(n, "peoples", None, "stream 'peoples' is not in the configured catalog")
        report.reject(3_001, "people", "a@x.io", "email: 'a@' is not a valid email address")
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        report.log_summary(report.summary(10, 1.0, 180.0))
    assert len(warnings) == FULL_LINES_PER_REASON + 1
    assert warnings[FULL_LINES_PER_REASON - 1].endswith("(the summary gives their number).")
    assert report.counts.rejected == 3_001
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert (
        "Rejected 3,000 record(s) for this reason; the first: line 1 (stream 'peoples'): stream "
        in "\n".join(infos)
    )
    assert any(
        line.startswith("Rejected 1 record(s) for this reason; the first: line 3001") for line in infos
    )
