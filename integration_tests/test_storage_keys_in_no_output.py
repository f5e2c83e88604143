"""The storage keys never appear in any output either: test_api_key_in_no_output.py's idea for the
bucket's keys.

Every access key id and secret the S3 fixtures hand to a connector run is noted (`ISSUED_SECRETS` in
this pytest process, `note_issued_secret` for the session). This module adds runs that try hard to
make a storage key leak (rejected values that quote it, refused keys, a broken config, a failing
bucket), then searches what those runs printed, and the stored rejected rows, for any piece of any
of them, and for the API key; once every pytest-xdist worker has finished, `conftest.py` searches
every run of the session for every key issued in any worker.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from integration_tests.harness import (
    API_KEY,
    capture_mark,
    capture_path,
    captured_since,
    config_for,
    leak_failure,
    record,
    run_connector,
    state,
)
from integration_tests.harness import leaks as api_key_leaks
from integration_tests.s3_server import ISSUED_SECRETS, Credentials, S3Handle
from integration_tests.test_rejected_bucket import catalog, storage
from ontraport_sandbox.testing import SandboxHandle

WINDOW = 8  # any 8 consecutive characters count as a leak (a cut or partly masked key)
ACCESS_KEY_PREFIX = 4  # "AKIA" starts every access key id; the rest is what identifies it


def pieces(secret: str) -> set[str]:
    distinctive = secret[ACCESS_KEY_PREFIX:] if secret.startswith("AKIA") else secret
    return {distinctive[i : i + WINDOW] for i in range(len(distinctive) - WINDOW + 1)}


def leaks(text: str, secrets: list[str]) -> list[str]:
    return sorted({piece for secret in secrets for piece in pieces(secret) if piece in text})


def provoke(sandbox: SandboxHandle, s3: S3Handle, bucket: str, who: Credentials) -> None:
    good = storage(s3, bucket, who)
    assert run_connector("check", config_for(sandbox.url, object_storage_config=good)).returncode == 0
    for wrong in (
        {"secret_access_key": who.secret_access_key[::-1]},
        {"access_key_id": "AKIA" + who.secret_access_key[:16]},
    ):
        status = run_connector("check", config_for(sandbox.url, object_storage_config={**good, **wrong}))
        assert status.connection_status()["status"] == "FAILED"
    # A config pydantic refuses, with the secret where the key id belongs and a line break in it.
    broken = {**good, "access_key_id": who.secret_access_key + "\n", "secret_access_key": None}
    assert run_connector("check", config_for(sandbox.url, object_storage_config=broken)).returncode == 0

    # Rejected values, a stream name and a bad line that quote the keys: logged, stored, masked.
    hostile: list[Any] = [
        record("people", {"email": who.secret_access_key}),
        record("people", {"email": "a@example.com", "birthday": who.access_key_id}),
        record(who.secret_access_key, {"email": "b@example.com"}),
        record("people", {"email": API_KEY}),
        f"not json {who.secret_access_key}",
        state("people", 1),
    ]
    options = {"rejected_records_threshold": 100, "object_storage_config": good}
    run = run_connector("write", config_for(sandbox.url, **options), catalog(), hostile)
    assert run.returncode == 0, run.stdout[-2000:]
    assert run.summary["rejected"] == 5

    # A bucket that fails: its error message goes to the log and the trace.
    missing = {**good, "s3_bucket_name": "no-such-bucket-here"}
    failed = run_connector(
        "write", config_for(sandbox.url, object_storage_config=missing), catalog(), hostile[:1]
    )
    assert failed.returncode != 0 and failed.errors


def test_no_output_and_no_stored_row_holds_a_storage_key(
    sandbox: SandboxHandle, s3_server: S3Handle, tmp_path: Path
) -> None:
    bucket, who = s3_server.new_bucket(), s3_server.new_user()
    mark = capture_mark()
    provoke(sandbox, s3_server, bucket, who)
    captured = captured_since(mark)
    assert captured, "the capture file must hold the output of this test's runs"
    assert who.secret_access_key in ISSUED_SECRETS
    found = leaks(captured, ISSUED_SECRETS)
    if found:
        at = captured.find(found[0])
        raise AssertionError(
            f"a storage key leaked: {found}; context: {captured[max(0, at - 300) : at + 100]!r}"
        )
    everything = capture_path().read_text(encoding="utf-8", errors="replace")  # and whatever ran before
    failure = leak_failure(everything, "this process's capture file", ISSUED_SECRETS)
    assert failure is None, failure

    keys = s3_server.keys(bucket)
    assert not leaks("\n".join(keys), ISSUED_SECRETS), keys  # a stream named like the key is stored as ****
    stored = "".join(s3_server.read(bucket, key).decode("utf-8") for key in keys)
    rows = [json.loads(line) for line in stored.splitlines()]
    assert len(rows) == 5, rows  # every rejection is there, its secrets masked
    assert not leaks(stored, ISSUED_SECRETS) and not api_key_leaks(stored)
    assert "****" in stored


def test_the_storage_leak_check_would_see_a_leak() -> None:
    secret = "a2shaugRPlpKMhBi+P//O/lvNu9i2Rc/0c8fzu4n"
    assert leaks(f"x {secret} y", [secret])
    assert leaks("...PlpKMhBi+P...", [secret])
    assert leaks("AKIARZPUZDIKN567", ["AKIARZPUZDIKN567W5DL"])
    assert not leaks("AKIA and **** and a2shaug", [secret, "AKIARZPUZDIKN567W5DL"])
