"""The API key never appears in any output: every byte of stdout and stderr of every integration run
of this session (failures and killed runs included) was appended to one capture file; this module
runs last (by name), adds runs that try hard to make the key leak, and searches the whole file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from integration_tests.harness import (
    API_KEY,
    capture_path,
    catalog_of,
    config_for,
    record,
    run_connector,
    state,
    stream_entry,
)
from integration_tests.scenarios import run_and_kill
from ontraport_sandbox.testing import SandboxHandle

SECRET_PART = API_KEY.removeprefix("it-key-")  # the distinctive part
WINDOW = 8  # any 8 consecutive characters of it count as a leak (a cut or partly masked key)


def leaks(text: str) -> list[str]:
    pieces = {SECRET_PART[i : i + WINDOW] for i in range(len(SECRET_PART) - WINDOW + 1)}
    return sorted(piece for piece in pieces if piece in text)


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
    sandbox.configure(latency_ms="20-30")
    killed = run_and_kill(config_for(sandbox.url, batch_size=10), catalog, many, kill_after=2.0)
    assert killed.killed


def test_no_output_of_any_run_holds_the_api_key(sandbox: SandboxHandle, tmp_path: Path) -> None:
    provoke(sandbox, tmp_path)
    captured = capture_path().read_text(encoding="utf-8", errors="replace")
    assert len(captured) > 2_000, "the capture file must hold the output of real runs"
    found = leaks(captured)
    if found:
        at = captured.find(found[0])
        raise AssertionError(
            f"the API key leaked: {found}; context: {captured[max(0, at - 300) : at + 100]!r}"
        )


def test_the_leak_check_would_see_a_leak() -> None:
    assert leaks(f"prefix {API_KEY} suffix")
    assert leaks("...vK3xw7Lp...")  # a cut key is a leak too
    assert not leaks("it-key-*** and **** and Zq8vK3x")
