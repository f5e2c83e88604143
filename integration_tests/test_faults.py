"""Faults: 5xx, dropped connections and answers slower than the client's timeout (half of them after
the write took effect), and 429 storms. The sync must complete with every contact exactly once, with
the right fields and tags, and every STATE must come out only after its records are in Ontraport."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import requests

from integration_tests.harness import catalog_of, config_for, run_connector, run_watching_states, stream_entry
from integration_tests.scenarios import (
    accounted,
    by_key,
    count_by,
    cursor_of,
    duplicates,
    people,
    quiesce,
    with_states,
)
from ontraport_sandbox.testing import SandboxHandle

TAGS = ["Airbyte", "Faults"]
RECORDS = 300
STATE_EVERY = 50


def check_contacts(sandbox: SandboxHandle, rows: list[dict[str, Any]], tags: list[str]) -> dict[str, int]:
    """Exactly one contact per email, each with the record's fields and the configured tags."""
    counts = count_by(sandbox, "email")
    assert duplicates(counts) == {}, "duplicate contacts"
    contacts = by_key(sandbox)
    expected = {row["email"] for row in rows}
    assert set(contacts) == expected, f"missing {sorted(expected - set(contacts))[:5]}"
    for row in rows:
        contact = contacts[row["email"]]
        got = (contact["firstname"], contact["lastname"], contact["company"])
        assert got == (row["first_name"], row["last_name"], row["company"]), row["email"]
        assert sorted(contact["tags"]) == sorted(tags), row["email"]
    return {"records": len(rows), "contacts": len(contacts), "duplicates": len(duplicates(counts))}


@pytest.mark.parametrize("seed", [11, 22])
def test_sync_survives_5xx_drops_and_timeouts_in_the_random_phase(sandbox: SandboxHandle, seed: int) -> None:
    quiesce(sandbox)  # a slow request of an earlier test must not land in this one
    sandbox.reset()
    sandbox.configure(
        fault_rate_5xx=0.05,
        fault_rate_drop=0.02,
        fault_rate_slow=0.02,
        slow_seconds=3,
        fault_phase="random",
        seed=seed,
        latency_ms="1-5",
    )
    rows = people(RECORDS, prefix=f"f{seed}-")
    messages = with_states("people", rows, STATE_EVERY)
    seen: list[tuple[int, set[str]]] = []

    def on_state(st: dict[str, Any]) -> None:
        seen.append((cursor_of(st), set(by_key(sandbox))))

    config = config_for(sandbox.url, tags=", ".join(TAGS), request_timeout_seconds=1, batch_size=50)
    try:
        run = run_watching_states(config, catalog_of(stream_entry("people")), messages, on_state, timeout=120)
    finally:
        quiesce(sandbox)  # requests the client gave up on land when their slow answer ends
    assert run.returncode == 0, run.stdout[-3000:]

    stats = sandbox.stats()
    faults = stats["faults"]
    assert faults["5xx"] + faults["drop"] + faults["slow"] > 0, "the sandbox injected no fault"
    counts = check_contacts(sandbox, rows, TAGS)

    assert [cursor for cursor, _ in seen] == list(range(STATE_EVERY, RECORDS + 1, STATE_EVERY))
    for cursor, emails in seen:
        missing = {row["email"] for row in rows[:cursor]} - emails
        assert not missing, f"STATE {cursor} came out before {len(missing)} of its records were written"

    summary = run.summary
    assert summary["records_read"] == RECORDS and summary["rejected"] == 0
    assert accounted(summary) == RECORDS
    retries = sum(1 for line in run.logs if "will retry" in line or "had taken effect" in line)
    assert retries > 0, "faults were injected but the log shows no retry"
    timeouts = sum(1 for line in run.logs if "read timeout" in line)
    if faults["slow"]:
        assert timeouts > 0, "answers slower than request_timeout_seconds must time out and be retried"
    print(
        f"FAULTS seed={seed} records={counts['records']} contacts={counts['contacts']} "
        f"duplicates={counts['duplicates']} faults={faults} retries_logged={retries} timeouts={timeouts} "
        f"requests={summary['requests']} created={summary['created']} updated={summary['updated']}"
    )


def test_429_storm_from_a_tiny_window_the_connector_knows(sandbox: SandboxHandle) -> None:
    """20 requests per 1-s window; the connector is told the window and paces itself."""
    sandbox.configure(rate_limit=20, window_seconds=1)
    rows = people(60, prefix="w1-")
    config = config_for(
        sandbox.url,
        tags=", ".join(TAGS),
        rate_limit_window_seconds=1,
        batch_size=50,
        request_timeout_seconds=5,
    )
    started = time.monotonic()
    run = run_connector("write", config, catalog_of(stream_entry("people")), with_states("people", rows, 30))
    seconds = time.monotonic() - started
    assert run.returncode == 0, run.stdout[-3000:]
    counts = check_contacts(sandbox, rows, TAGS)
    assert [cursor_of(s) for s in run.states] == [30, 60]
    stats = sandbox.stats()
    print(
        f"STORM known-window records={counts['records']} contacts={counts['contacts']} "
        f"duplicates={counts['duplicates']} 429s={stats['status_429']} requests={stats['total_requests']} "
        f"seconds={seconds:.1f}"
    )
    assert seconds < 60


def test_429_storm_when_the_connector_underestimates_the_window(sandbox: SandboxHandle) -> None:
    """The server allows 10 requests per 2 s; the connector believes the window is 0.2 s, so its own
    pacing lets it send ~10x too fast: the server's 429s and rate headers must hold it back."""
    sandbox.configure(rate_limit=10, window_seconds=2)
    rows = people(30, prefix="w2-")
    config = config_for(
        sandbox.url,
        tags=", ".join(TAGS),
        rate_limit_window_seconds=0.2,
        batch_size=30,
        request_timeout_seconds=5,
    )
    started = time.monotonic()
    run = run_connector(
        "write", config, catalog_of(stream_entry("people")), with_states("people", rows, 10), timeout=90
    )
    seconds = time.monotonic() - started
    assert run.returncode == 0, run.stdout[-3000:]
    counts = check_contacts(sandbox, rows, TAGS)
    stats = sandbox.stats()
    # The storm's size depends on timing (a Remaining of 0 also holds the connector back); what
    # matters is that it honoured the server rather than hammering it, and lost nothing.
    assert stats["status_429"] < stats["total_requests"], "more refused requests than accepted ones"
    assert [cursor_of(s) for s in run.states] == [10, 20, 30]
    print(
        f"STORM underestimated-window records={counts['records']} contacts={counts['contacts']} "
        f"duplicates={counts['duplicates']} 429s={stats['status_429']} requests={stats['total_requests']} "
        f"seconds={seconds:.1f}"
    )
    assert seconds < 60


def test_429_storm_from_another_integration_sharing_the_account(sandbox: SandboxHandle) -> None:
    """Another client of the same account takes the whole budget for the first seconds of the sync
    (the connector's first requests then meet 429s it did not cause), then a share of it: the
    connector must wait the storm out on the server's 429s and headers, and lose nothing."""
    sandbox.configure(rate_limit=30, window_seconds=1)
    stop = threading.Event()
    other = {"sent": 0, "429": 0}
    storm_until = time.monotonic() + 4.0  # the connector's first request leaves ~1.5 s after start

    def hog() -> None:
        with requests.Session() as session:
            while not stop.is_set():
                answer = session.get(f"{sandbox.url}/Contacts/getInfo", headers=sandbox.headers, timeout=5)
                other["sent"] += 1
                other["429"] += answer.status_code == 429
                time.sleep(0.005 if time.monotonic() < storm_until else 0.1)

    thread = threading.Thread(target=hog, daemon=True)
    thread.start()
    try:
        rows = people(60, prefix="w3-")
        config = config_for(
            sandbox.url,
            tags=", ".join(TAGS),
            rate_limit_window_seconds=1,
            batch_size=20,
            request_timeout_seconds=5,
        )
        started = time.monotonic()
        run = run_connector(
            "write", config, catalog_of(stream_entry("people")), with_states("people", rows, 20), timeout=90
        )
        seconds = time.monotonic() - started
    finally:
        stop.set()
        thread.join(timeout=10)
    assert run.returncode == 0, run.stdout[-3000:]
    counts = check_contacts(sandbox, rows, TAGS)
    assert [cursor_of(s) for s in run.states] == [20, 40, 60]
    stats = sandbox.stats()
    connector_429s = stats["status_429"] - other["429"]
    assert connector_429s > 0, "the connector's requests during the storm must have met 429s"
    waits = [line for line in run.logs if "rate limit reached (HTTP 429)" in line]
    assert len(waits) == connector_429s, "each 429 is logged as a wait"
    print(
        f"STORM shared-account records={counts['records']} contacts={counts['contacts']} "
        f"duplicates={counts['duplicates']} connector_429s={connector_429s} (other client: {other['429']} "
        f"429s of {other['sent']}) connector_requests={run.summary['requests']} seconds={seconds:.1f}"
    )
    assert seconds < 60
