"""The sync log's pure parts: a record's action, its rows as JSON Lines and CSV, where they go (a
local file, the rejected-records bucket under `<sync id>/sync_log/`, never over an object of the
rejected records), the option and its validation, and the message loop holding a STATE until the
rows of its records are stored."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from destination_ontraport.config import OntraportConfig
from destination_ontraport.protocol.messages import InputItem, parse_line
from destination_ontraport.rejected.bucket import BucketTarget, RejectedObjects
from destination_ontraport.rejected.rejections import Rejections
from destination_ontraport.rejected.rows import RejectedRow
from destination_ontraport.rejected.settings import CsvFormat, JsonlFormat, NoCompression
from destination_ontraport.sync.loop import LoopSettings, MessageLoop
from destination_ontraport.sync.report import SyncReport
from destination_ontraport.sync.streams import StreamRoutes
from destination_ontraport.synclog.log import BucketRecordLog, FileRecordLog
from destination_ontraport.synclog.rows import ACTIONS, RecordResult, encode_results
from destination_ontraport.synclog.settings import BucketSyncLog, FileSyncLog, NoSyncLog
from destination_ontraport.write.batch import PendingRecord
from destination_ontraport.write.known_records import KnownRecord
from destination_ontraport.write.outcome import WriteOutcome
from destination_ontraport.write.planner import Kind, Step
from destination_ontraport.write.results import record_action, record_results
from unit_tests.test_object_writer import CONTACTS
from unit_tests.test_rejected_storage import AT, MemoryStore, settings

BASE = {"app_id": "a", "api_key": "k"}
BUCKET = {"storage_type": "S3", "s3_bucket_name": "b", "bucket_path": "p"}


def step(kind: Kind, *, record_id: str | None = "5", remove: bool = False, **changed: str) -> Step:
    pending = PendingRecord(
        "ann@x.io",
        {"email": "ann@x.io", "firstname": "Ann"},
        [(3, "people"), (8, "crm.people")],
        True,
        remove=remove,
    )
    known = KnownRecord("5", {}, frozenset({"7"})) if kind is not Kind.CREATE else None
    return Step(pending, kind, record_id, known, changed=dict(changed))


# --- a record's action -----------------------------------------------------------------------------


def test_each_step_has_the_action_a_person_would_name() -> None:
    assert record_action(step(Kind.CREATE), tagged=True, removed=False) == "created"
    assert record_action(step(Kind.UPDATE), tagged=True, removed=False) == "updated"
    assert record_action(step(Kind.UNCHANGED), tagged=False, removed=False) == "unchanged"
    assert record_action(step(Kind.UNCHANGED), tagged=True, removed=False) == "tagged"
    assert record_action(step(Kind.UNCHANGED), tagged=False, removed=False, subscribed=True) == "subscribed"
    assert record_action(step(Kind.REMOVE), tagged=False, removed=True) == "removed"
    assert record_action(step(Kind.REMOVE), tagged=False, removed=False) == "skipped"
    assert record_action(step(Kind.SKIP, record_id=None), tagged=False, removed=False) == "skipped"
    assert set(ACTIONS) == {
        "created",
        "updated",
        "unchanged",
        "tagged",
        "subscribed",
        "removed",
        "skipped",
        "superseded",
        "rejected",
    }


def test_every_record_a_step_collapsed_gets_a_row_with_the_labels_of_the_changed_fields() -> None:
    rows = record_results(
        [step(Kind.UPDATE, f1003="2"), step(Kind.UNCHANGED, record_id="6")],
        CONTACTS,
        {"6"},
        removal=None,
        removal_tags=frozenset({"7"}),
    )
    assert rows == [
        RecordResult(3, "people", "ann@x.io", "updated", "5", ("Plan",)),
        RecordResult(8, "crm.people", "ann@x.io", "updated", "5", ("Plan",)),
        RecordResult(3, "people", "ann@x.io", "tagged", "6"),
        RecordResult(8, "crm.people", "ann@x.io", "tagged", "6"),
    ]
    created = record_results([step(Kind.CREATE)], CONTACTS, set(), removal=None, removal_tags=(), keyed=False)
    assert created[0].fields == ("Email", "First Name") and created[0].key is None
    gone = step(Kind.SKIP, record_id=None, remove=True)
    (skipped, _) = record_results([gone], CONTACTS, set(), removal="delete", removal_tags=())
    assert skipped.action == "skipped" and skipped.reason == "deleted in the source; not in Ontraport"
    refused = step(Kind.CREATE)
    refused.rejected = "no"
    assert record_results([refused], CONTACTS, set(), removal=None, removal_tags=()) == [], (
        "the rejections log it"
    )


# --- rows ------------------------------------------------------------------------------------------

ROWS = [
    RecordResult(3, "people", "ann@x.io", "updated", "5", ("First Name", "Plan, Tier")),
    RecordResult(None, "people", None, "removed", "9", reason="tagged Airbyte but not in this full refresh"),
]


def test_rows_as_json_lines_name_fields_never_values() -> None:
    lines = [json.loads(line) for line in encode_results(ROWS, JsonlFormat(), NoCompression()).splitlines()]
    assert lines[0] == {
        "position": 3,
        "stream": "people",
        "key": "ann@x.io",
        "action": "updated",
        "id": "5",
        "fields": ["First Name", "Plan, Tier"],
        "reason": None,
    }
    assert lines[1]["position"] is None and lines[1]["fields"] == []


def test_rows_as_csv_keep_a_label_with_a_comma_in_one_json_cell() -> None:
    text = encode_results(ROWS, CsvFormat(), NoCompression()).decode("utf-8")
    header, first, second = list(csv.reader(io.StringIO(text)))
    assert header == ["position", "stream", "key", "action", "id", "fields", "reason"]
    assert json.loads(first[5]) == ["First Name", "Plan, Tier"]
    assert second[0] == "" and second[2] == ""


def test_a_secret_quoted_in_a_reason_is_masked() -> None:
    row = RecordResult(1, "people", None, "rejected", reason="email: 'sk-very-secret' is not valid")
    text = encode_results(
        [row], JsonlFormat(), NoCompression(), lambda t: t.replace("sk-very-secret", "****")
    )
    assert b"sk-very-secret" not in text and b"****" in text


def test_a_rejected_row_names_its_stream_with_its_namespace() -> None:
    row = RejectedRow("bad email", "people", "crm", 4, "ann@x.io", {"email": "x"})
    assert RecordResult.rejected(row) == RecordResult(
        4, "crm.people", "ann@x.io", "rejected", reason="bad email"
    )


# --- where they go ---------------------------------------------------------------------------------


def test_the_bucket_gets_one_object_per_store_under_sync_log_never_over_a_rejected_records_object() -> None:
    """A stream called `sync_log` puts its rejected records in `<sync id>/sync_log/` too: the two
    share the part numbers, so no object overwrites another."""
    store = MemoryStore()
    rejected = RejectedObjects(BucketTarget(store, settings(), "4242", AT))
    log = BucketRecordLog(rejected.target)
    rejected.add(RejectedRow("bad", "sync_log", None, 1, None, {}))
    log.add(ROWS)
    assert log.unstored == 2
    rejected.store()
    log.store()
    log.store()  # nothing new: nothing written
    stamp = "2026-12-02_2026-12-02T06:09:25.877Z"
    assert sorted(store.objects) == [f"p/4242/sync_log/{stamp}_1.jsonl", f"p/4242/sync_log/{stamp}_2.jsonl"]
    assert [
        json.loads(line)["action"] for line in store.objects[f"p/4242/sync_log/{stamp}_2.jsonl"].splitlines()
    ] == [
        "updated",
        "removed",
    ]
    assert log.unstored == 0


def test_rows_a_failed_store_did_not_write_stay_unstored() -> None:
    log = BucketRecordLog(BucketTarget(MemoryStore(fail_on=1), settings(), "1", AT))
    log.add(ROWS)
    with pytest.raises(Exception, match="gone"):
        log.store()
    assert log.unstored == 2


def test_a_local_file_is_appended_to_and_synced_by_store(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "log.jsonl"
    path.parent.mkdir()
    path.write_text('{"an": "earlier sync"}\n')
    log = FileRecordLog(str(path))
    log.add(ROWS[:1])
    log.store()
    assert len(path.read_text().splitlines()) == 2, "on disk before a STATE goes out"
    log.add(ROWS[1:])
    log.close()
    assert [json.loads(line).get("action") for line in path.read_text().splitlines()] == [
        None,
        "updated",
        "removed",
    ]


# --- the option ------------------------------------------------------------------------------------


def test_the_option_defaults_to_none_and_takes_a_file_or_the_bucket(tmp_path: Path) -> None:
    assert isinstance(OntraportConfig.model_validate(BASE).sync_log, NoSyncLog)
    path = str(tmp_path / "log.jsonl")
    file = OntraportConfig.model_validate({**BASE, "sync_log": {"log_type": "File", "path": f" {path} "}})
    assert isinstance(file.sync_log, FileSyncLog) and file.sync_log.path == path
    bucket = OntraportConfig.model_validate(
        {**BASE, "object_storage_config": BUCKET, "sync_log": {"log_type": "Bucket"}}
    )
    assert isinstance(bucket.sync_log, BucketSyncLog)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"sync_log": {"log_type": "Bucket"}}, "object_storage_config names no S3 bucket"),
        ({"sync_log": {"log_type": "File", "path": "  "}}, "must name a file"),
        ({"sync_log": {"log_type": "File"}}, "path"),
        (
            {
                "sync_log": {"log_type": "File", "path": "logs/x/../r.jsonl"},
                "rejected_records_path": "logs/r.jsonl",
            },
            "name the same file",
        ),
    ],
)
def test_a_sync_log_with_nowhere_to_go_is_refused_before_anything_runs(
    extra: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        OntraportConfig.model_validate({**BASE, **extra})


# --- STATE waits for the rows ---------------------------------------------------------------------


class NoWriter:
    pending_records = 0

    def flush(self) -> list[WriteOutcome]:
        return []


def test_a_state_waits_for_the_rows_of_its_records_and_goes_out_once_they_are_stored() -> None:
    """A rejected line's row waits in the bucket's buffer: the STATE after it is held (not released
    at once, as a STATE with nothing pending is), and goes out after the flush that stores the row."""
    store = MemoryStore()
    log = BucketRecordLog(BucketTarget(store, settings(), "1", AT))
    report = SyncReport(Rejections(), sync_log=log)
    loop = MessageLoop(StreamRoutes([]), [NoWriter()], report, LoopSettings(batch_size=100))
    lines = [
        "not json",
        '{"type": "STATE", "state": {"type": "LEGACY", "data": {"n": 1}}}',
        "not json either",
    ]
    fed: list[int] = []

    def feed() -> Iterator[InputItem]:
        for position, line in enumerate(lines, start=1):
            fed.append(position)
            item = parse_line(line, position)
            assert item is not None
            yield item

    released = [(len(fed), len(store.objects)) for _ in loop.run(feed())]
    assert released == [(3, 1)], "the STATE went out after the end of the input, once its row was stored"
