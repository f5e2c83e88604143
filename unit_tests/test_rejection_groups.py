"""Rejections are logged by reason: the first few in full, then counted, in bounded memory; records
for streams the catalog lacks name its streams, and a sync whose records all go nowhere stops early
(issue 22, item 18)."""

from __future__ import annotations

import logging

import pytest
from airbyte_cdk.models import DestinationSyncMode

from destination_ontraport.model.mapping import FieldCatalog, RecordMapper
from destination_ontraport.model.objects import ObjectType
from destination_ontraport.model.problems import ConfigProblem
from destination_ontraport.rejected.rejection_groups import (
    FULL_LINES_PER_REASON,
    MAX_REASONS,
    RejectionGroups,
    reason_kind,
)
from destination_ontraport.sync.report import RequestFigures, SyncReport
from destination_ontraport.sync.stream_rules import CatalogStream
from destination_ontraport.sync.streams import StreamRoute, StreamRoutes
from unit_tests.fakes import RecordingSink


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
            report.rejections.reject(n, "peoples", None, "stream 'peoples' is not in the configured catalog")
        report.rejections.reject(3_001, "people", "a@x.io", "email: 'a@' is not a valid email address")
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        report.log_summary(report.summary(RequestFigures(10, 1.0, 180.0)))
    assert len(warnings) == FULL_LINES_PER_REASON + 1
    assert warnings[FULL_LINES_PER_REASON - 1].endswith("(the summary gives their number).")
    assert report.rejections.count == 3_001
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert (
        "Rejected 3,000 record(s) for this reason; the first: line 1 (stream 'peoples'): stream "
        in "\n".join(infos)
    )
    assert any(
        line.startswith("Rejected 1 record(s) for this reason; the first: line 3001") for line in infos
    )


def plans(count: int, stop_after: int | None = 3) -> StreamRoutes:
    catalog = FieldCatalog.from_meta({"email": {"alias": "Email", "type": "email"}})
    email = catalog.require("email", "test")

    streams = [
        StreamRoute(
            CatalogStream(f"s{n}", None, DestinationSyncMode.append, [], []),
            RecordMapper(catalog, email),
            RecordingSink(ObjectType(0, "Contact", catalog), email),
        )
        for n in range(count)
    ]
    return StreamRoutes(streams, stop_after_strays=stop_after)


def test_the_unknown_stream_reason_names_the_first_ten_catalog_streams() -> None:
    reason = plans(12).unknown_stream("people", "crm")
    assert reason == (
        "stream 'crm.people' is not in the configured catalog (its streams: 's0', 's1', 's2', 's3', 's4', "
        "'s5', 's6', 's7', 's8', 's9' and 2 more)"
    )
    assert plans(0).unknown_stream("x", None).endswith("(the catalog names no streams)")


def test_the_sync_stops_only_when_every_record_so_far_went_nowhere() -> None:
    strays = plans(1)
    for read in (1, 2):
        strays.unknown_stream("x", None)
        strays.stop_if_all_strays(read)
    strays.unknown_stream("x", None)
    with pytest.raises(
        ConfigProblem, match=r"The first 3 records all name streams .* \(the first: 'x'; its streams: 's0'\)"
    ):
        strays.stop_if_all_strays(3)
    mixed = plans(1)  # one record of the 3 read went to a known stream
    for _ in range(2):
        mixed.unknown_stream("x", None)
    mixed.stop_if_all_strays(3)
    never = plans(1, stop_after=None)  # rejected_records_threshold 100: never stops
    for read in range(1, 5):
        never.unknown_stream("x", None)
        never.stop_if_all_strays(read)
