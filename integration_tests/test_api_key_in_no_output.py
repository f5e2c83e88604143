"""The API key never appears in any output. Every byte of stdout and stderr of every integration run
(failures and killed runs included) is appended to its pytest process's capture file. This module
adds runs that try hard to make the key leak and searches what those runs printed, wherever pytest
places it in the session; once every pytest-xdist worker has finished, `conftest.py` searches every
capture file, every run of the session included (reported as
`every_output_of_every_run_is_free_of_the_api_key`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from integration_tests.harness import (
    API_KEY,
    capture_mark,
    capture_path,
    captured_files,
    captured_since,
    catalog_of,
    config_for,
    issued_secrets,
    leak_failure,
    leaks,
    note_issued_secret,
    record,
    run_connector,
    secrets_check_failure,
    state,
    stream_entry,
)
from integration_tests.scenarios import run_and_kill
from ontraport_sandbox.testing import SandboxHandle


def provoke(sandbox: SandboxHandle, tmp_path: Path) -> None:
    """Runs that succeed, fail in every way we know, and put the key where output quotes input."""
    catalog = catalog_of(stream_entry("people"))
    good = config_for(sandbox.url)
    assert run_connector("check", good).connection_status()["status"] == "SUCCEEDED"

    wrong_key = run_connector("write", config_for(sandbox.url, api_key="wrong-key"), catalog, [])
    assert wrong_key.returncode != 0 and wrong_key.errors
    invalid = run_connector("write", config_for(sandbox.url, batch_size="many", max_removals=-1), catalog, [])
    assert invalid.returncode != 0 and invalid.errors
    raw = json.dumps(config_for(sandbox.url))[:-5]  # cut in the middle: not JSON, holds the key
    assert run_connector("write", raw, catalog, []).returncode != 0

    # Input that quotes the key back: rejected values, a bad line, a tag name and unmapped field names.
    hostile: list[Any] = [
        record("people", {"email": API_KEY}),
        record("people", {"email": "a@example.com", "lifetime_value": API_KEY}),
        record("people", {"email": "b@example.com", API_KEY: 1, "api_key": API_KEY}),
        record(API_KEY, {"email": "c@example.com"}),
        f"not json {API_KEY}",
        state("people", 1),  # STATE is echoed verbatim: a key the source put there is not ours to mask
    ]
    options = {"rejected_records_threshold": 100, "rejected_records_path": str(tmp_path / "r.jsonl")}
    run = run_connector("write", config_for(sandbox.url, tags=f"T {API_KEY}", **options), catalog, hostile)
    assert run.returncode == 0, run.stdout[-2000:]
    assert run.summary["rejected"] == 4

    # A run that dies in the middle (SIGKILL).
    many = [record("people", {"email": f"k{i}@example.com"}) for i in range(300)]
    sandbox.configure(latency_ms="60-80")  # 300 writes take longer than the 2 s before the kill
    killed = run_and_kill(config_for(sandbox.url, batch_size=10), catalog, many, kill_after=2.0)
    assert killed.killed


def test_no_output_of_any_run_holds_the_api_key(sandbox: SandboxHandle, tmp_path: Path) -> None:
    mark = capture_mark()
    provoke(sandbox, tmp_path)
    own = captured_since(mark)
    assert len(own) > 2_000, "the capture file must hold the output of real runs"
    assert capture_path() in captured_files(), "the session check reads this process's capture file"
    failure = leak_failure(own, "the output of this test's runs", issued_secrets())
    assert failure is None, failure
    failure = secrets_check_failure(captured_files())  # and whatever ran before it, in any worker
    assert failure is None, failure


def test_the_leak_check_would_see_a_leak(tmp_path: Path) -> None:
    assert leaks(f"prefix {API_KEY} suffix")
    assert leaks("...vK3xw7Lp...")  # a cut key is a leak too
    assert not leaks("it-key-*** and **** and Zq8vK3x")
    clean, leaky = tmp_path / "gw0.log", tmp_path / "gw1.log"
    clean.write_text("it-key-*** " * 500)
    leaky.write_text("x" * 1000 + f"checked key {API_KEY[:15]}...")  # its first 8 distinctive characters
    assert secrets_check_failure([clean]) is None
    failure = secrets_check_failure([clean, leaky])
    assert failure is not None and "gw1.log" in failure


def test_the_session_check_looks_for_storage_keys_issued_in_any_worker(tmp_path: Path) -> None:
    """The rejected-records bucket's keys are handed out by whichever worker runs those tests: each
    one is noted beside the captures, and the final check looks for all of them in every capture."""
    secret = "AKIAstoragekeyXYZ123456"
    note_issued_secret(secret)
    leaky = tmp_path / "gw2.log"
    leaky.write_text("error talking to s3 with storagekeyXYZ1 ...")
    failure = secrets_check_failure([leaky])
    assert failure is not None and "gw2.log" in failure
    leaky.write_text("error talking to s3 with AKIA************ ...")
    assert secrets_check_failure([leaky]) is None
