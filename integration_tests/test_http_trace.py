"""`--trace-http FILE` and `debug_http_trace` on `check`, `discover`, `write` and `doctor`: every
request the sandbox answered is one line of the trace, and no secret is in it.

The runs put every secret where a trace would show it: the API key and the storage keys as record
values (sent in form bodies and echoed in answers), the key in a configured tag name (sent in lookup
conditions and a create). The trace file is then searched for any piece of any of them, and added to
this process's capture file, so that the session's secrets check (conftest.py) searches it too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from integration_tests.harness import (
    API_KEY,
    APP_ID,
    capture_written_file,
    catalog_of,
    config_for,
    leak_failure,
    record,
    run_connector,
    state,
    stream_entry,
)
from integration_tests.s3_server import S3Handle
from integration_tests.test_rejected_bucket import storage
from ontraport_sandbox.testing import SandboxHandle

FIELDS = {"at", "method", "path", "query", "status", "failure", "ms", "rate", "request_body", "response_body"}


def test_every_request_of_every_command_is_traced_and_no_secret_is(
    sandbox: SandboxHandle, s3_server: S3Handle, tmp_path: Path
) -> None:
    bucket, who = s3_server.new_bucket(), s3_server.new_user()
    trace = tmp_path / "trace.jsonl"
    flags = ["--trace-http", str(trace)]
    config = config_for(
        sandbox.url,
        tags=f"Synced {API_KEY}",
        object_storage_config=storage(s3_server, bucket, who),
        rejected_records_threshold=100,
    )
    assert run_connector("check", {**config, "debug_http_trace": str(trace)}).returncode == 0
    assert run_connector("discover", config, flags=flags).returncode == 0
    secrets_as_values: list[Any] = [
        record(
            "people",
            {
                "email": "a@example.com",
                "firstname": API_KEY,
                "lastname": who.secret_access_key,
                "company": who.access_key_id,
            },
        ),
        record("people", {"email": API_KEY}),  # rejected: never sent
        state("people", 1),
    ]
    write = run_connector("write", config, catalog_of(stream_entry("people")), secrets_as_values, flags=flags)
    assert write.returncode == 0, write.stdout[-2000:]
    doctor = run_connector("doctor", config, flags=[*flags, "--write-test"])
    assert doctor.returncode == 0, doctor.stdout[-2000:] + doctor.stderr[-2000:]

    text = trace.read_text(encoding="utf-8")
    capture_written_file(trace)
    lines = [json.loads(line) for line in text.splitlines()]
    assert len(lines) == sandbox.stats()["total_requests"]  # every request of the four runs, no other
    assert all(set(line) == FIELDS for line in lines)
    assert {line["method"] for line in lines} == {"GET", "POST", "PUT", "DELETE"}
    assert all(line["rate"]["limit"] == 100_000 for line in lines)
    saved = [line for line in lines if line["path"] == "/Contacts/saveorupdate"]
    assert (
        saved and "firstname=***&lastname=***&company=***" in saved[0]["request_body"]
    )  # the value was sent, masked
    failure = leak_failure(text, "the HTTP trace", [who.access_key_id, who.secret_access_key])
    assert failure is None, failure
    assert APP_ID not in text and "Api-Key" not in text


def test_a_trace_file_that_cannot_be_written_stops_each_command_with_a_plain_message(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    nowhere = str(tmp_path / "no-such-folder" / "trace.jsonl")
    flags = ["--trace-http", nowhere]
    check = run_connector("check", config_for(sandbox.url), flags=flags).connection_status()
    assert check["status"] == "FAILED" and "cannot be written" in check["message"], check
    write = run_connector(
        "write", config_for(sandbox.url), catalog_of(stream_entry("people")), [], flags=flags
    )
    assert write.returncode == 1 and any("cannot be written" in error for error in write.errors), write.stdout
    doctor = run_connector("doctor", config_for(sandbox.url, debug_http_trace=nowhere))
    assert doctor.returncode == 1 and "cannot be written" in doctor.stderr
    assert sandbox.stats()["total_requests"] == 0
