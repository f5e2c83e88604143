"""The sync log end to end: `main.py` as the platform runs it, against the sandbox (and a moto S3
server for the bucket), with a row for every record and every action, stored before the STATE that
covers its record goes out, and none for records whose STATE never went out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from integration_tests.harness import (
    PlatformJob,
    PlatformRun,
    catalog_of,
    config_for,
    record,
    run_on_platform,
    state,
    stream_entry,
)
from integration_tests.s3_server import S3Handle
from integration_tests.test_rejected_bucket import PREFIX, SYNC_ID, storage
from ontraport_sandbox.testing import SandboxHandle

DELETED = {"_ab_cdc_deleted_at": "2026-12-01T00:00:00Z"}

SOURCE: list[dict[str, Any]] = [
    record("people", {"email": "new@example.com", "first_name": "New"}),
    record("people", {"email": "upd@example.com", "first_name": "Changed"}),
    record("people", {"email": "same@example.com", "first_name": "Same"}),
    record("people", {"email": "untagged@example.com", "first_name": "Tag"}),
    state("people", 1),
    record("people", {"email": "gone@example.com", **DELETED}),
    record("people", {"email": "never@example.com", **DELETED}),
    # in a stream that removes nothing: a rejected record without a key would stop the removals
    record("members", {"id": 2, "email": "not-an-email", "first_name": "Bad", "updated_at": 1}),
    record("members", {"id": 1, "email": "dup@example.com", "first_name": "First", "updated_at": 1}),
    record("members", {"id": 1, "email": "dup@example.com", "first_name": "Second", "updated_at": 2}),
    state("people", 2),
    state("members", 1),
]


def seed_account(sandbox: SandboxHandle) -> dict[str, int]:
    emails = ["upd", "same", "untagged", "gone", "left"]
    contacts: list[dict[str, Any]] = [
        {"email": "upd@example.com", "firstname": "Old", "tags": ["Airbyte"]},
        {"email": "same@example.com", "firstname": "Same", "tags": ["Airbyte"]},
        {"email": "untagged@example.com", "firstname": "Tag"},
        {"email": "gone@example.com", "tags": ["Airbyte"]},
        {"email": "left@example.com", "tags": ["Airbyte"]},  # not in this full refresh: removed
    ]
    return dict(zip(emails, sandbox.seed(contacts), strict=True))


def catalog() -> dict[str, Any]:
    return catalog_of(
        stream_entry("people", "overwrite"),
        stream_entry("members", "append_dedup", primary_key=[["id"]], cursor=["updated_at"]),
    )


def positions(run: PlatformRun) -> dict[tuple[str, str | None], list[int]]:
    """(stream, email) -> the input lines (1-based, as the connector read them) of its records."""
    found: dict[tuple[str, str | None], list[int]] = {}
    for line, message in enumerate(run.sent, start=1):
        if message.get("type") == "RECORD":
            data = message["record"]["data"]
            found.setdefault((message["record"]["stream"], data.get("email")), []).append(line)
    return found


def sync(sandbox: SandboxHandle, sync_log: dict[str, Any], **extra: Any) -> PlatformRun:
    config = config_for(
        sandbox.url,
        tags="Airbyte",
        missing_contacts="delete",
        rejected_records_threshold=100,
        sync_log=sync_log,
        **extra,
    )
    run = run_on_platform(config, catalog(), SOURCE, job=PlatformJob(job_id=SYNC_ID))
    assert run.returncode == 0, run.stdout[-3000:]
    return run


def check_every_action(run: PlatformRun, rows: list[dict[str, Any]], ids: dict[str, int]) -> None:
    lines = positions(run)
    by_line = {row["position"]: row for row in rows if row["position"] is not None}
    assert len(by_line) == len([row for row in rows if row["position"] is not None]), "one row per record"

    def row_of(stream: str, email: str | None, nth: int = 0) -> dict[str, Any]:
        return by_line[lines[(stream, email)][nth]]

    new = row_of("people", "new@example.com")
    assert (new["action"], new["key"], new["stream"]) == ("created", "new@example.com", "people")
    assert new["id"] and new["fields"] == ["Email", "First Name"]
    upd = row_of("people", "upd@example.com")
    assert (upd["action"], upd["id"], upd["fields"]) == ("updated", str(ids["upd"]), ["First Name"])
    assert "Changed" not in json.dumps(rows), "field names, never values"
    assert row_of("people", "same@example.com")["action"] == "unchanged"
    assert row_of("people", "untagged@example.com")["action"] == "tagged"
    gone = row_of("people", "gone@example.com")
    assert (gone["action"], gone["id"]) == ("removed", str(ids["gone"]))
    never = row_of("people", "never@example.com")
    assert never["action"] == "skipped" and never["reason"] == "deleted in the source; not in Ontraport"
    bad = row_of("members", "not-an-email")
    assert bad["action"] == "rejected" and bad["key"] is None and "not a valid email address" in bad["reason"]
    first, second = row_of("members", "dup@example.com"), row_of("members", "dup@example.com", 1)
    assert first["action"] == "superseded" and first["stream"] == "members"
    assert (second["action"], second["key"]) == ("created", "dup@example.com")
    (left,) = [row for row in rows if row["position"] is None]
    assert (left["action"], left["key"], left["id"]) == ("removed", "left@example.com", str(ids["left"]))
    assert "not in this full refresh" in left["reason"]
    records = sum(1 for message in run.sent if message.get("type") == "RECORD")
    assert len(rows) == records + 1, "a row per record, and one for the contact the full refresh removed"


def test_a_local_file_gets_a_row_for_every_record_and_every_action(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    ids = seed_account(sandbox)
    path = tmp_path / "logs" / "sync_log.jsonl"
    run = sync(sandbox, {"log_type": "File", "path": str(path)})
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    check_every_action(run, rows, ids)
    assert f"The sync log holds {len(rows)} row(s) of this sync in {path}." in run.logs


def test_the_bucket_gets_them_under_the_sync_id_beside_the_rejected_records(
    sandbox: SandboxHandle, s3_server: S3Handle
) -> None:
    bucket, user = s3_server.new_bucket(), s3_server.new_user()
    ids = seed_account(sandbox)
    run = sync(sandbox, {"log_type": "Bucket"}, object_storage_config=storage(s3_server, bucket, user))
    keys = s3_server.keys(bucket, f"{PREFIX}/{SYNC_ID}/sync_log/")
    assert keys and all(key.endswith(".jsonl") for key in keys)
    rows = [
        json.loads(line) for key in keys for line in s3_server.read(bucket, key).decode("utf-8").splitlines()
    ]
    check_every_action(run, rows, ids)
    rejected = s3_server.keys(bucket, f"{PREFIX}/{SYNC_ID}/members/")
    assert len(rejected) == 1, "the rejected record is in its own folder, as before"
    parts = sorted(int(key.rsplit("_", 1)[1].split(".")[0]) for key in [*keys, *rejected])
    assert parts == list(range(1, len(parts) + 1)), "one sequence of part numbers: no name used twice"


# --- rows before the STATE that covers them ------------------------------------------------------


def test_rows_are_on_disk_before_the_state_that_covers_their_records(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    path = tmp_path / "sync_log.jsonl"
    messages = [
        record("people", {"email": f"p{n}@example.com"}) if n % 3 else state("people", n)
        for n in range(1, 13)
    ]
    config = config_for(sandbox.url, batch_size=3, sync_log={"log_type": "File", "path": str(path)})
    seen: list[set[int]] = []

    def on_state(_: dict[str, Any]) -> None:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        seen.append({json.loads(line)["position"] for line in text.splitlines()})

    run = run_on_platform(config, catalog_of(stream_entry("people")), messages, on_state=on_state)
    assert run.returncode == 0, run.stdout[-3000:]
    record_lines = [n for n, m in enumerate(run.sent, start=1) if m["type"] == "RECORD"]
    state_lines = [n for n, m in enumerate(run.sent, start=1) if m["type"] == "STATE"]
    assert len(seen) == len(state_lines) == 4
    for stored, at in zip(seen, state_lines, strict=True):
        before = {n for n in record_lines if n < at}
        assert before <= stored, f"STATE at line {at} came out before the rows of {before - stored}"


def test_a_bucket_that_starts_denying_writes_stops_the_sync_and_no_state_covers_rows_not_stored(
    sandbox: SandboxHandle, s3_server: S3Handle
) -> None:
    bucket, user = s3_server.new_bucket(), s3_server.new_user()
    sandbox.configure(latency_ms=400)  # the writes after the first STATE take longer than the denial
    messages = [
        record("people", {"email": "ada@example.com"}),  # 1
        record("people", {"email": "bob@example.com"}),  # 2 -> flush: rows stored
        state("people", 1),  # 3 released after them; then access is denied
        record("people", {"email": "cy@example.com"}),  # 4
        record("people", {"email": "dee@example.com"}),  # 5 -> flush: written, rows refused
        state("people", 2),  # 6 never released
    ]
    config = config_for(
        sandbox.url,
        batch_size=2,
        object_storage_config=storage(s3_server, bucket, user),
        sync_log={"log_type": "Bucket"},
    )
    released: list[tuple[dict[str, Any], set[int]]] = []

    def stored() -> set[int]:
        keys = s3_server.keys(bucket, f"{PREFIX}/")
        return {
            json.loads(line)["position"]
            for key in keys
            for line in s3_server.read(bucket, key).decode("utf-8").splitlines()
        }

    def on_state(st: dict[str, Any]) -> None:
        released.append((st, stored()))
        s3_server.deny_puts(user.user)

    run = run_on_platform(config, catalog_of(stream_entry("people")), messages, on_state=on_state)
    assert run.returncode != 0
    assert [(st["stream"]["stream_state"], rows) for st, rows in released] == [({"cursor": 1}, {1, 2})]
    assert run.unacknowledged == [2], "the STATE whose rows are not stored never comes back"
    assert stored() == {1, 2}
    assert {"cy@example.com", "dee@example.com"} <= {c["email"] for c in sandbox.contacts()}
    (error,) = run.errors
    assert f"Could not store the sync log in the rejected-records bucket {bucket!r}" in error
    assert "access was denied (AccessDenied)" in error
    assert run.traces[-1]["error"]["failure_type"] == "config_error"
    assert "2 sync log row(s) were not stored in the bucket" in "\n".join(run.logs)


def test_a_dry_run_writes_no_sync_log(sandbox: SandboxHandle, tmp_path: Path) -> None:
    path = tmp_path / "sync_log.jsonl"
    config = config_for(sandbox.url, dry_run=True, sync_log={"log_type": "File", "path": str(path)})
    run = run_on_platform(config, catalog_of(stream_entry("people")), SOURCE[:4])
    assert run.returncode == 0 and not path.exists()
    assert any("the sync log is not written" in line for line in run.logs)


def test_a_contact_only_put_on_a_campaign_is_logged_as_subscribed(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    """The one action the main test cannot show: nothing of the contact changed but its campaigns."""
    sandbox.seed_campaigns(["Onboarding"])
    (same,) = sandbox.seed([{"email": "same@example.com", "firstname": "Same", "tags": ["Airbyte"]}])
    path = tmp_path / "sync_log.jsonl"
    config = config_for(
        sandbox.url, tags="Airbyte", campaigns="Onboarding", sync_log={"log_type": "File", "path": str(path)}
    )
    source = [record("people", {"email": "same@example.com", "first_name": "Same"}), state("people", 1)]
    run = run_on_platform(config, catalog_of(stream_entry("people")), source)
    assert run.returncode == 0, run.stdout[-3000:]
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(row["action"], row["id"], row["fields"]) for row in rows] == [("subscribed", str(same), [])]
    assert sandbox.memberships([same])[same]["campaigns"] == ["Onboarding"]
