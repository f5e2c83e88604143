"""Rejected records in the bucket, counted in STATE: `main.py` against the sandbox and a moto S3 server.

What the platform relies on: every record the connector refuses lands, with its reason, under
`<bucket_path>/<sync id>/<stream>/` in the configured bucket before the STATE that covers it is
released; each STATE says how many of its records were rejected (`rejectedRecordCount`) and how many
were accepted (`recordCount`), which add up to the records the platform forwarded for it; a bucket
that fails stops the sync with a message that says what to fix, and no STATE goes out for records
whose rejections are not stored. Each sync runs as the platform runs it (`run_on_platform`, the job id
as `sync_id`); a record of a stream the catalog lacks, which the platform never forwards, by hand.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from integration_tests.harness import (
    PlatformJob,
    catalog_of,
    config_for,
    record,
    run_connector,
    run_on_platform,
    state,
    stream_entry,
)
from integration_tests.s3_server import Credentials, S3Handle, running_s3
from ontraport_sandbox.testing import SandboxHandle

SYNC_ID = 4242
PREFIX = "team/rejects"


def storage(s3: S3Handle, bucket: str, who: Credentials, **extra: Any) -> dict[str, Any]:
    return {
        "storage_type": "S3",
        "access_key_id": who.access_key_id,
        "secret_access_key": who.secret_access_key,
        "s3_bucket_name": bucket,
        "s3_bucket_region": "us-east-1",
        "s3_endpoint": s3.endpoint,
        "bucket_path": PREFIX + "/",
        **extra,
    }


def catalog() -> dict[str, Any]:
    """As the user configures it; `run_on_platform(..., job=PlatformJob(job_id=SYNC_ID))` adds each
    stream's `sync_id`."""
    return catalog_of(stream_entry("people"))


def rows_in(s3: S3Handle, bucket: str, prefix: str = PREFIX) -> dict[str, list[dict[str, Any]]]:
    """Every stored row, by object key."""
    return {
        key: [json.loads(line) for line in s3.read(bucket, key).decode("utf-8").splitlines()]
        for key in s3.keys(bucket, prefix)
    }


def stored_positions(s3: S3Handle, bucket: str) -> set[int]:
    return {row["position"] for rows in rows_in(s3, bucket).values() for row in rows}


@pytest.fixture
def bucket(s3_server: S3Handle) -> str:
    return s3_server.new_bucket()


@pytest.fixture
def user(s3_server: S3Handle) -> Credentials:
    return s3_server.new_user()


# Input lines (1-based positions): the record each position holds is what the bucket must show.
MESSAGES: list[Any] = [
    record("people", {"email": "ada@example.com", "first_name": "Ada"}),  # 1 written
    record("people", {"email": "not-an-email", "first_name": "Bad"}),  # 2 invalid email
    record("people", {"email": "bob@example.com", "birthday": "someday soon"}),  # 3 un-coercible date
    state("people", 1),  # 4
    record("people", {"email": "cy@example.com"}),  # 5 written
    record("people", {"email": "ü@bücher.example"}),  # 6 Ontraport refuses it (HTTP 422)
    state("people", 2),  # 7
    record("people", {"email": "dee@example.com"}),  # 8 written
    state("people", 3),  # 9
]
REJECTED = {2: "people", 3: "people", 6: "people"}


def test_rejected_records_are_stored_with_reasons_before_the_state_that_counts_them(
    sandbox: SandboxHandle, s3_server: S3Handle, bucket: str, user: Credentials
) -> None:
    config = config_for(
        sandbox.url,
        batch_size=2,  # several flushes, so several parts and states released along the way
        rejected_records_threshold=100,
        object_storage_config=storage(s3_server, bucket, user),
    )
    seen: list[tuple[dict[str, Any], set[int]]] = []
    run = run_on_platform(
        config,
        catalog(),
        MESSAGES,
        job=PlatformJob(job_id=SYNC_ID),
        on_state=lambda st: seen.append((st, stored_positions(s3_server, bucket))),
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]

    # Each STATE: its accepted and its rejected records counted, already in the bucket when it came out.
    counts = [
        (st["id"], st["destinationStats"]["recordCount"], st["destinationStats"]["rejectedRecordCount"])
        for st, _ in seen
    ]
    assert counts == [(1, 1.0, 2.0), (2, 1.0, 1.0), (3, 1.0, 0.0)]
    assert [check.forwarded for check in run.checks] == [3, 2, 1] and run.unacknowledged == []
    state_positions = [4, 7, 9]
    for (_, stored), position in zip(seen, state_positions, strict=True):
        before = {p for p in REJECTED if p < position}
        assert before <= stored, (
            f"STATE at line {position} came out before rejections {before - stored} were stored"
        )
    assert [st["stream"]["stream_state"] for st, _ in seen] == [{"cursor": 1}, {"cursor": 2}, {"cursor": 3}]

    # The bucket holds exactly the rejected records, each with its reason, under <prefix>/<sync id>/<stream>/.
    objects = rows_in(s3_server, bucket)
    assert all(key.startswith(f"{PREFIX}/{SYNC_ID}/") and key.endswith(".jsonl") for key in objects), objects
    rows = {row["position"]: (key, row) for key, found in objects.items() for row in found}
    assert sorted(rows) == sorted(REJECTED)
    for position, stream in REJECTED.items():
        key, row = rows[position]
        assert key.startswith(f"{PREFIX}/{SYNC_ID}/{stream}/"), key
        assert row["stream"] == stream and row["namespace"] is None
        assert row["record"] == MESSAGES[position - 1]["record"]["data"]
        assert row["error"] and f"Rejected record at line {position} " in "\n".join(run.logs)
        assert any(row["error"] in line for line in run.logs), "the row's error is the log's reason"
    assert "not a valid email address" in rows[2][1]["error"] and "not-an-email" in rows[2][1]["error"]
    assert rows[2][1]["key"] is None, "the email is what was wrong: no key"
    assert "birthday" in rows[3][1]["error"].lower() and "someday soon" in rows[3][1]["error"]
    assert rows[3][1]["key"] == "bob@example.com", "its email still names the contact"
    assert "Ontraport refused the contact" in rows[6][1]["error"] and rows[6][1]["key"] == "ü@bücher.example"
    parts = sorted(int(key.rsplit("_", 1)[1].split(".")[0]) for key in objects)
    assert parts == list(range(1, len(objects) + 1)) and len(objects) >= 3  # one object per stream and flush

    # The valid records reached Ontraport; the summary agrees.
    assert {c["email"] for c in sandbox.contacts()} == {
        "ada@example.com",
        "cy@example.com",
        "dee@example.com",
    }
    assert run.summary["rejected"] == 3 and run.summary["created"] == 3


def test_a_record_of_a_stream_the_catalog_lacks_is_stored_and_counted_by_a_state_of_that_stream(
    sandbox: SandboxHandle, s3_server: S3Handle, bucket: str, user: Credentials
) -> None:
    """By hand only (the platform fails a sync whose source sends such a record): it is stored under
    its own stream's folder, and only a STATE of that stream counts it."""
    messages = [
        record("people", {"email": "ada@example.com"}),
        record("ghosts", {"email": "ghost@example.com"}),
        state("people", 1),
        state("ghosts", 1),
    ]
    config = config_for(
        sandbox.url, rejected_records_threshold=100, object_storage_config=storage(s3_server, bucket, user)
    )
    entry = stream_entry("people")
    entry["sync_id"] = SYNC_ID
    run = run_connector("write", config, catalog_of(entry), messages)
    assert run.returncode == 0, run.stdout[-3000:]
    assert [st["destinationStats"] for st in run.states] == [
        {"recordCount": 1.0, "rejectedRecordCount": 0.0},
        {"recordCount": 0.0, "rejectedRecordCount": 1.0},
    ]
    ((key, rows),) = rows_in(s3_server, bucket).items()
    assert key.startswith(f"{PREFIX}/{SYNC_ID}/ghosts/") and rows[0]["position"] == 2
    assert "not in the configured catalog" in rows[0]["error"]


def test_states_on_stdout_carry_rejected_record_count_even_without_a_bucket(sandbox: SandboxHandle) -> None:
    """The count is the platform's only view of rejections; it must not depend on a bucket."""
    messages = [
        record("people", {"email": "not-an-email"}),
        record("people", {"email": "ok@example.com"}),
        state("people", 1),
    ]
    run = run_on_platform(config_for(sandbox.url, rejected_records_threshold=100), catalog(), messages)
    assert run.returncode == 0, run.stdout[-2000:]
    state_lines = [line for line in run.stdout.splitlines() if '"type":"STATE"' in line.replace(" ", "")]
    assert len(state_lines) == 1
    assert json.loads(state_lines[0])["state"] == {
        "type": "STREAM",
        "stream": {"stream_descriptor": {"name": "people"}, "stream_state": {"cursor": 1}},
        "sourceStats": {"recordCount": 2.0},
        "id": 1,
        "destinationStats": {"recordCount": 1.0, "rejectedRecordCount": 1.0},
    }, "the STATE as the platform sent it, plus destinationStats"


def test_a_bucket_that_starts_denying_writes_stops_the_sync_before_the_next_state(
    sandbox: SandboxHandle, s3_server: S3Handle, bucket: str, user: Credentials
) -> None:
    sandbox.configure(latency_ms=400)  # the writes after the first STATE take longer than the denial
    messages = [
        record("people", {"email": "ada@example.com"}),  # 1
        record("people", {"email": "not-an-email-1"}),  # 2 -> flush: part 1 stored
        state("people", 1),  # 3 released: its rejection is stored; then access is denied
        record("people", {"email": "not-an-email-2"}),  # 4 waits for the bucket...
        state("people", 2),  # 5 ...so this STATE is held with it
        record("people", {"email": "cy@example.com"}),  # 6 -> flush: cy written, part 2 refused
        record("people", {"email": "dee@example.com"}),  # 7
        state("people", 3),  # 8
    ]
    config = config_for(
        sandbox.url,
        batch_size=2,
        rejected_records_threshold=100,
        object_storage_config=storage(s3_server, bucket, user),
    )
    released: list[tuple[dict[str, Any], set[int]]] = []

    def on_state(st: dict[str, Any]) -> None:
        released.append((st, stored_positions(s3_server, bucket)))
        s3_server.deny_puts(user.user)

    run = run_on_platform(config, catalog(), messages, on_state=on_state)
    assert run.returncode != 0
    assert [(st["stream"]["stream_state"], stored) for st, stored in released] == [({"cursor": 1}, {2})]
    assert released[0][0]["destinationStats"] == {"recordCount": 1.0, "rejectedRecordCount": 1.0}
    assert run.unacknowledged == [2, 3], "the STATEs whose rejections are not stored never come back"
    assert stored_positions(s3_server, bucket) == {2}  # the denied part is not there, and nothing else is
    assert "cy@example.com" in {c["email"] for c in sandbox.contacts()}  # written, but not acknowledged
    assert len(run.errors) == 1, run.errors
    error = run.errors[0]
    assert f"Could not store rejected records in the rejected-records bucket {bucket!r}" in error
    assert "access was denied (AccessDenied)" in error and "s3:PutObject" in error
    assert run.traces[-1]["error"]["failure_type"] == "config_error"
    assert "1 rejected record(s) were not stored in the bucket" in "\n".join(run.logs)


@pytest.fixture
def own_s3_server() -> Iterator[S3Handle]:
    """A server this test may stop."""
    with running_s3() as handle:
        yield handle


def test_an_unreachable_bucket_fails_the_sync_after_retries_and_holds_back_states(
    sandbox: SandboxHandle, own_s3_server: S3Handle
) -> None:
    s3 = own_s3_server
    bucket, user = s3.new_bucket(), s3.new_user()
    sandbox.configure(latency_ms=400)
    messages = [
        record("people", {"email": "not-an-email-1"}),  # 1
        record("people", {"email": "ada@example.com"}),  # 2 -> flush: part 1 stored
        state("people", 1),  # 3 released; then the server goes away
        record("people", {"email": "not-an-email-2"}),  # 4 waits for the bucket...
        state("people", 2),  # 5 ...so this STATE is held with it
        record("people", {"email": "cy@example.com"}),  # 6 -> flush: part 2 cannot be stored
    ]
    config = config_for(
        sandbox.url,
        batch_size=2,
        rejected_records_threshold=100,
        object_storage_config=storage(s3, bucket, user),
    )
    released: list[tuple[dict[str, Any], set[int]]] = []

    def on_state(st: dict[str, Any]) -> None:
        released.append((st, stored_positions(s3, bucket)))
        s3.stop()

    run = run_on_platform(config, catalog(), messages, on_state=on_state)
    assert run.returncode != 0
    assert [(st["stream"]["stream_state"], stored) for st, stored in released] == [({"cursor": 1}, {1})]
    assert len(run.errors) == 1, run.errors
    error = run.errors[0]
    assert (
        f"Could not store rejected records in the rejected-records bucket {bucket!r} at {s3.endpoint}"
        in error
    )
    assert "could not reach" in error and "through 5 attempts" in error
    assert "the sync can be run again safely" in error
    assert run.traces[-1]["error"]["failure_type"] == "transient_error"


# --- check ---------------------------------------------------------------------------------------


def test_check_writes_lists_and_deletes_a_test_object(
    sandbox: SandboxHandle, s3_server: S3Handle, bucket: str, user: Credentials
) -> None:
    config = config_for(sandbox.url, object_storage_config=storage(s3_server, bucket, user))
    run = run_connector("check", config)
    assert run.connection_status() == {"status": "SUCCEEDED"}, run.stdout[-2000:]
    assert s3_server.keys(bucket) == []  # the test object is gone again


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing bucket", "the bucket does not exist. Create it, or correct s3_bucket_name"),
        ("unknown access key", "S3 does not know the access key ID (InvalidAccessKeyId)"),
        ("wrong secret", "the secret access key does not match the access key ID (SignatureDoesNotMatch)"),
        ("denied", "access was denied (AccessDenied)"),
        (
            "unreachable endpoint",
            "could not reach http://127.0.0.1:9 (EndpointConnectionError) through 2 attempts",
        ),
    ],
)
def test_check_names_what_is_wrong_with_the_bucket(
    sandbox: SandboxHandle, s3_server: S3Handle, bucket: str, user: Credentials, case: str, expected: str
) -> None:
    settings = storage(s3_server, bucket, user)
    if case == "missing bucket":
        settings["s3_bucket_name"] = "no-such-bucket-here"
    elif case == "unknown access key":
        settings["access_key_id"] = "AKIAUNKNOWNKEY000000"
    elif case == "wrong secret":
        settings["secret_access_key"] = "wrong" + user.secret_access_key[5:]
    elif case == "denied":
        s3_server.deny_puts(user.user)
    else:
        settings["s3_endpoint"] = "http://127.0.0.1:9"
    run = run_connector("check", config_for(sandbox.url, object_storage_config=settings))
    status = run.connection_status()
    assert status["status"] == "FAILED"
    assert "rejected-records bucket" in status["message"] and "(object_storage_config)" in status["message"]
    assert expected in status["message"], status["message"]
    output = run.stdout + run.stderr
    for secret in (user.secret_access_key, user.access_key_id, settings["secret_access_key"]):
        assert secret[4:] not in output
