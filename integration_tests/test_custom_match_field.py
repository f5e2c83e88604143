"""A custom match field (the sandbox's "External ID" text field, f1001): creation is lookup-then-POST,
and an ambiguous failure of a create (the connection dropped after the contact was created) is
resolved by looking up again, so it never produces a duplicate."""

from __future__ import annotations

from typing import Any

import pytest

from integration_tests.harness import catalog_of, config_for, record, run_connector, state, stream_entry
from integration_tests.scenarios import accounted, by_key, count_by, duplicates, with_states
from ontraport_sandbox.testing import SandboxHandle

MATCH = {"match_field": "External ID"}
EXTERNAL_ID = "f1001"


def members(count: int, prefix: str) -> list[dict[str, Any]]:
    return [
        {"external_id": f"{prefix}-{i}", "email": f"{prefix}{i}@example.com", "first_name": f"M{i}"}
        for i in range(count)
    ]


def assert_one_contact_per_external_id(sandbox: SandboxHandle, rows: list[dict[str, Any]]) -> None:
    counts = count_by(sandbox, EXTERNAL_ID)
    assert duplicates(counts) == {}, "an ambiguous create was repeated into a duplicate"
    contacts = by_key(sandbox, EXTERNAL_ID)
    assert set(contacts) == {row["external_id"].lower() for row in rows}
    for row in rows:
        contact = contacts[row["external_id"].lower()]
        assert (contact["email"], contact["firstname"]) == (row["email"], row["first_name"])
        assert contact["tags"] == ["Airbyte"]


@pytest.mark.parametrize(
    ("phase", "faults"),
    [
        ("after", {"fault_rate_drop": 0.3}),
        ("random", {"fault_rate_drop": 0.1, "fault_rate_5xx": 0.1}),
    ],
)
def test_dropped_creates_never_duplicate(
    sandbox: SandboxHandle, phase: str, faults: dict[str, float]
) -> None:
    sandbox.configure(fault_phase=phase, seed=7, **faults)
    rows = members(50, f"ext-{phase}")
    config = config_for(sandbox.url, tags="Airbyte", batch_size=25, **MATCH)
    run = run_connector("write", config, catalog_of(stream_entry("people")), with_states("people", rows, 25))
    assert run.returncode == 0, run.stdout[-3000:]

    assert_one_contact_per_external_id(sandbox, rows)
    stats = sandbox.stats()
    routes = stats["by_route"]
    assert routes.get("POST /1/Contacts", 0) >= len(rows)
    assert not any("saveorupdate" in route for route in routes), routes
    assert stats["faults"]["drop"] > 0
    resolved = [line for line in run.logs if "had taken effect" in line]
    if phase == "after":
        assert resolved, "a create dropped after it took effect must be found by the lookup that follows"
    summary = run.summary
    assert (summary["created"], summary["rejected"]) == (len(rows), 0)
    assert [s["stream"]["stream_state"]["cursor"] for s in run.states] == [25, 50]
    print(
        f"MATCHFIELD phase={phase} records={len(rows)} contacts={len(by_key(sandbox, EXTERNAL_ID))} "
        f"duplicates=0 faults={stats['faults']} POST={routes.get('POST /1/Contacts')} "
        f"resolved_by_lookup={len(resolved)}"
    )


def test_existing_contact_is_found_by_external_id_and_updated_not_recreated(sandbox: SandboxHandle) -> None:
    """The email changes, the External ID does not: the same contact must be updated."""
    (old_id,) = sandbox.seed([{"email": "old@example.com", "firstname": "Old", EXTERNAL_ID: "K-1"}])
    messages = [
        record("people", {"external_id": "K-1", "email": "New@Example.com", "first_name": "New"}),
        state("people", 1),
    ]
    run = run_connector(
        "write", config_for(sandbox.url, **MATCH), catalog_of(stream_entry("people")), messages
    )
    assert run.returncode == 0, run.stdout[-3000:]
    contacts = sandbox.contacts()
    assert len(contacts) == 1
    assert (contacts[0]["id"], contacts[0]["email"], contacts[0]["firstname"]) == (
        str(old_id),
        "New@Example.com",
        "New",
    )
    routes = sandbox.stats()["by_route"]
    assert routes.get("PUT /1/Contacts") == 1 and "POST /1/Contacts" not in routes
    assert run.summary["updated"] == 1


def test_same_email_different_external_ids_are_two_contacts(sandbox: SandboxHandle) -> None:
    """Matching is on the External ID alone: a shared email does not merge two people."""
    messages = [
        record("people", {"external_id": "A-1", "email": "shared@example.com", "first_name": "One"}),
        record("people", {"external_id": "A-2", "email": "shared@example.com", "first_name": "Two"}),
        state("people", 1),
    ]
    run = run_connector(
        "write", config_for(sandbox.url, **MATCH), catalog_of(stream_entry("people")), messages
    )
    assert run.returncode == 0, run.stdout[-3000:]
    contacts = by_key(sandbox, EXTERNAL_ID)
    assert set(contacts) == {"a-1", "a-2"}
    assert (contacts["a-1"]["firstname"], contacts["a-2"]["firstname"]) == ("One", "Two")


def test_record_without_the_external_id_is_rejected_even_with_an_email(sandbox: SandboxHandle) -> None:
    messages = [
        record("people", {"external_id": "B-1", "email": "b1@example.com"}),
        record("people", {"email": "no-external@example.com"}),
        record("people", {"external_id": "   ", "email": "blank-external@example.com"}),
        state("people", 1),
    ]
    config = config_for(sandbox.url, rejected_records_threshold=100, **MATCH)
    run = run_connector("write", config, catalog_of(stream_entry("people")), messages)
    assert run.returncode == 0, run.stdout[-3000:]
    assert set(by_key(sandbox, EXTERNAL_ID)) == {"b-1"}
    summary = run.summary
    assert (summary["created"], summary["rejected"]) == (1, 2)
    assert accounted(summary) == summary["records_read"] == 3
    rejected = [line for line in run.logs if line.startswith("Rejected: ")]
    assert len(rejected) == 2
    assert all("no value for the match field External ID (f1001)" in line for line in rejected), rejected
