"""Crashes: the connector is SIGKILLed at a random moment of a sync; the orchestrator then sends the
messages after the last STATE that came out to a new run, until one completes. The sandbox must end
with exactly the expected contacts, once each, holding the fields of the last record of each."""

from __future__ import annotations

import random
from typing import Any

import pytest

from integration_tests.harness import (
    START_UP_SECONDS,
    catalog_of,
    config_for,
    record,
    state,
    stream_entry,
)
from integration_tests.scenarios import by_key, count_by, duplicates, replay_until_done
from ontraport_sandbox.testing import SandboxHandle

RECORDS = 200
DISTINCT = 150  # the last 50 records change contacts written earlier in the same sync
STATE_EVERY = 20
TAGS = ["Airbyte", "Crash"]
# Seconds after start, inside the sync: past the run's start-up, before the ~2 s a whole run takes.
KILL_WINDOW = (START_UP_SECONDS + 0.1, START_UP_SECONDS + 1.2)


def crash_input(seed: int, with_external_id: bool) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """200 records over 150 contacts (later records rewrite earlier contacts), a STATE every 20;
    returns the messages and, per key, the last record sent for it."""
    rng = random.Random(seed)
    messages: list[dict[str, Any]] = []
    last: dict[str, dict[str, Any]] = {}
    for i in range(RECORDS):
        n = i if i < DISTINCT else rng.randrange(DISTINCT)
        row: dict[str, Any] = {
            "email": f"c{seed}-{n}@example.com",
            "first_name": f"F{n}-v{i}",
            "last_name": f"L{n}",
            "company": f"Co{i % 5}",
        }
        if with_external_id:
            row["external_id"] = f"X-{seed}-{n}"
        messages.append(record("people", row))
        last[row["external_id"] if with_external_id else row["email"]] = row
        if (i + 1) % STATE_EVERY == 0:
            messages.append(state("people", i + 1))
    return messages, last


def run_crash_scenario(sandbox: SandboxHandle, seed: int, with_external_id: bool) -> dict[str, Any]:
    sandbox.configure(latency_ms="15-35", seed=seed)
    messages, last = crash_input(seed, with_external_id)
    overrides: dict[str, Any] = {"tags": ", ".join(TAGS), "batch_size": 10, "request_timeout_seconds": 10}
    if with_external_id:
        overrides["match_field"] = "External ID"
    config = config_for(sandbox.url, **overrides)
    at_kill: list[int] = []  # contacts in the sandbox when each killed run died
    replay = replay_until_done(
        config,
        catalog_of(stream_entry("people")),
        messages,
        random.Random(seed),
        KILL_WINDOW,
        max_attempts=3,
        after_kill=lambda _: at_kill.append(len(sandbox.contacts())),
    )

    key_field = "f1001" if with_external_id else "email"
    counts = count_by(sandbox, key_field)
    assert duplicates(counts) == {}, f"duplicate contacts after {replay.kills} kills"
    contacts = by_key(sandbox, key_field)
    assert set(contacts) == {k.lower() for k in last}, "the sandbox must hold exactly the expected contacts"
    for key, row in last.items():
        contact = contacts[key.lower()]
        got = (contact["email"], contact["firstname"], contact["lastname"], contact["company"])
        assert got == (row["email"], row["first_name"], row["last_name"], row["company"]), key
        assert sorted(contact["tags"]) == sorted(TAGS), key
    result = {
        "seed": seed,
        "match": key_field,
        "records": RECORDS,
        "expected_contacts": len(last),
        "contacts": len(contacts),
        "duplicates": len(duplicates(counts)),
        "kills": replay.kills,
        "runs": len(replay.attempts),
        "resumed_at": replay.resumed_at,
        "contacts_at_kill": at_kill,
        "kill_seconds": [round(a.seconds, 2) for a in replay.attempts if a.killed],
    }
    print("CRASH", result)
    return result


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_killed_sync_replayed_from_the_last_state_converges_by_email(
    sandbox: SandboxHandle, seed: int
) -> None:
    result = run_crash_scenario(sandbox, seed, with_external_id=False)
    assert result["kills"] >= 1


@pytest.mark.parametrize("seed", [6, 7])
def test_killed_sync_replayed_from_the_last_state_converges_by_external_id(
    sandbox: SandboxHandle, seed: int
) -> None:
    """With a custom match field every create is a plain POST, so a replayed create is the real
    danger: the new run must look the contact up and find what the killed run created."""
    result = run_crash_scenario(sandbox, seed, with_external_id=True)
    assert result["kills"] >= 1
