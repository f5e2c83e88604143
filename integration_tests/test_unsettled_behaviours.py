"""The connector is right under every plausible Ontraport behaviour that no public source settles.

Each sandbox switch (see ontraport_sandbox/README.md, "Assumed") plays one way the real server may
behave; every scenario here runs under each of them: a full refresh that mirrors the source by
deleting leftovers, a CDC delete, an email sync whose values differ in case from what Ontraport
holds, configured tags, and a custom match field. Every run must leave each contact exactly once,
remove exactly the right ones, and never trigger a delete-everything (`delete_all` stays 0). Each
sync runs as the Airbyte platform runs it (`run_on_platform`): the overwrite arrives as a refresh
(`append` with generation ids) and the mirror waits for the platform's COMPLETE.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from integration_tests.harness import (
    Run,
    catalog_of,
    config_for,
    record,
    run_on_platform,
    state,
    stream_entry,
)
from ontraport_sandbox.testing import SandboxHandle

SWITCHES: dict[str, dict[str, Any]] = {
    "default": {},
    "delete-form-body-read": {"delete_form_body": "read"},
    "text-case-sensitive": {"text_case": "sensitive"},
    "contact-cat-never": {"collection_contact_cat": "never"},
    "condition-needs-ids": {"condition_without_ids": "nothing"},
    "unknown-id-400": {"not_found_status": 400},
    "save-failed-200": {
        "save_failed_rate": 0.25,
        "save_failed_status": 200,
        "fault_phase": "random",
        "seed": 3,
    },
    "save-failed-400": {
        "save_failed_rate": 0.25,
        "save_failed_status": 400,
        "fault_phase": "before",
        "seed": 4,
    },
    "save-failed-500": {
        "save_failed_rate": 0.25,
        "save_failed_status": 500,
        "fault_phase": "after",
        "seed": 5,
    },
}
EXTERNAL_ID = "f1001"


@pytest.fixture(params=list(SWITCHES), ids=list(SWITCHES))
def switched(request: pytest.FixtureRequest, sandbox: SandboxHandle) -> SandboxHandle:
    sandbox.configure(**SWITCHES[request.param])
    return sandbox


def compares_by_case(sandbox: SandboxHandle) -> bool:
    return bool(sandbox.config().get("text_case") == "sensitive")


def ok(run: Run) -> Run:
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    return run


def rejected_for_odd_saves(run: Run) -> int:
    """Records the connector gave up on because Ontraport answered `Save failed!` twice: rejected with
    that reason (the only rejection these scenarios allow), never a stopped sync."""
    reasons = [line for line in run.logs if line.startswith("Rejected record at")]
    assert all("Save failed" in line for line in reasons), reasons
    return int(run.summary["rejected"])


def by_email(sandbox: SandboxHandle) -> Counter[str]:
    return Counter(c["email"].casefold() for c in sandbox.contacts())


# --- email sync: full refresh that deletes leftovers, a CDC delete, values that differ in case ------
SEEDED = [
    {"email": "stays@example.com", "firstname": "Stays", "tags": ["Audience"]},
    {"email": "Left@Example.com", "firstname": "Left", "tags": ["Audience"]},
    {"email": "also-left@example.com", "firstname": "Also", "tags": ["Audience", "Other"]},
    {"email": "not-ours@example.com", "firstname": "Other", "tags": ["Other"]},
    {"email": "cdc-gone@example.com", "firstname": "Gone", "tags": ["Audience"]},
    {"email": "mixed@example.com", "firstname": "Lower", "tags": ["Audience"]},
    {"email": "Exact@Example.com", "firstname": "Exact", "tags": ["Audience"]},
]
FULL_REFRESH = [
    record("audience", {"email": "stays@example.com", "first_name": "Stays"}),
    record("audience", {"email": "Mixed@Example.com", "first_name": "Mixed"}),  # held lower-cased
    record("audience", {"email": "Exact@Example.com", "first_name": "Exact"}),  # held with this case
    record("audience", {"email": "new@example.com", "first_name": "New"}),
    record("audience", {"email": "new2@example.com", "first_name": "New2"}),
    record("audience", {"email": "cdc-gone@example.com", "_ab_cdc_deleted_at": "2024-06-01T00:00:00Z"}),
    state("audience", "done"),
]
KEPT = {"stays@example.com", "mixed@example.com", "exact@example.com", "not-ours@example.com"}
NEW = {"new@example.com", "new2@example.com"}
LEFTOVERS = {"left@example.com", "also-left@example.com"}


def test_email_full_refresh_with_deletes(switched: SandboxHandle) -> None:
    switched.seed(SEEDED)
    config = config_for(
        switched.url,
        tags="Audience",
        missing_contacts="delete",
        deleted_records="delete",
        rejected_records_threshold=100,
    )
    catalog = catalog_of(stream_entry("audience", "overwrite"))
    run = ok(run_on_platform(config, catalog, FULL_REFRESH))
    rejected = rejected_for_odd_saves(run)

    held = by_email(switched)
    assert all(n == 1 for n in held.values()), f"a contact is there twice: {held}"
    assert "cdc-gone@example.com" not in held
    assert set(held) >= KEPT
    # A record refused after two odd saves still names its contact (its email): the mirror goes on.
    assert not set(held) & LEFTOVERS, "the leftovers (tagged, not in the source) are deleted"
    assert set(held) - KEPT <= NEW and len(set(held) & NEW) == len(NEW) - rejected, "nothing else"
    assert run.summary["deleted"] == 3
    contacts = {c["email"].casefold(): c for c in switched.contacts()}
    assert contacts["mixed@example.com"]["firstname"] == "Mixed"
    assert all("Audience" in contacts[e]["tags"] for e in KEPT - {"not-ours@example.com"} | (NEW & set(held)))
    assert switched.stats()["delete_all"] == 0

    again = ok(run_on_platform(config, catalog, FULL_REFRESH))
    rejected_for_odd_saves(again)
    assert all(n == 1 for n in by_email(switched).values())
    assert again.summary["created"] <= rejected, "a re-sync creates only what the first run could not"
    assert switched.stats()["delete_all"] == 0


def test_untagging_leftovers(switched: SandboxHandle) -> None:
    switched.seed(SEEDED)
    config = config_for(
        switched.url, tags="Audience", missing_contacts="remove_tags", deleted_records="remove_tags"
    )
    config["rejected_records_threshold"] = 100
    run = ok(run_on_platform(config, catalog_of(stream_entry("audience", "overwrite")), FULL_REFRESH))
    rejected = rejected_for_odd_saves(run)
    contacts = {c["email"].casefold(): c for c in switched.contacts()}
    assert all(n == 1 for n in by_email(switched).values())
    assert contacts["cdc-gone@example.com"]["tags"] == []
    assert rejected <= len(NEW)  # a refused new contact does not hold the mirror back
    assert contacts["left@example.com"]["tags"] == []
    assert contacts["also-left@example.com"]["tags"] == ["Other"]
    assert contacts["stays@example.com"]["tags"] == ["Audience"]
    assert contacts["not-ours@example.com"]["tags"] == ["Other"]
    assert switched.stats()["delete_all"] == 0


# --- a custom match field and a configured tag that exists with another case ----------------------
def test_custom_match_field_and_tag_case(switched: SandboxHandle) -> None:
    sensitive = compares_by_case(switched)
    switched.seed(
        [
            {"email": "k1@example.com", EXTERNAL_ID: "abc-1", "firstname": "Old", "tags": ["airbyte"]},
            {"email": "k2@example.com", EXTERNAL_ID: "KEEP-2", "firstname": "Keep"},
        ]
    )
    rows = [
        {"external_id": "ABC-1", "first_name": "New"},  # held as abc-1
        {"external_id": "KEEP-2", "first_name": "Keep"},
        {"external_id": "fresh-3", "first_name": "Fresh"},
    ]
    messages = [record("people", row) for row in rows] + [state("people", 3)]
    config = config_for(switched.url, match_field="External ID", tags="Airbyte")
    catalog = catalog_of(stream_entry("people"))
    ok(run_on_platform(config, catalog, messages))
    ok(run_on_platform(config, catalog, messages))

    values = Counter(c[EXTERNAL_ID] for c in switched.contacts())
    assert all(n == 1 for n in values.values()), values
    folded = Counter(v.casefold() for v in values)
    if sensitive:  # `ABC-1` is another value than `abc-1` on such an account: a contact of its own
        assert set(values) == {"abc-1", "ABC-1", "KEEP-2", "fresh-3"}
    else:
        assert all(n == 1 for n in folded.values()), f"ABC-1 made a duplicate of abc-1: {values}"
        assert set(values) == {"abc-1", "KEEP-2", "fresh-3"}
    tag_names = Counter(t["tag_name"].casefold() for t in switched.tags())
    assert tag_names["airbyte"] == (2 if sensitive else 1), switched.tags()
    for contact in switched.contacts():
        if contact[EXTERNAL_ID] != "abc-1" or not sensitive:
            assert any(t.casefold() == "airbyte" for t in contact["tags"]), contact
    assert switched.stats()["delete_all"] == 0


# --- the tripwire -------------------------------------------------------------------------------
def test_a_delete_that_removes_more_than_asked_stops_the_sync(sandbox: SandboxHandle) -> None:
    sandbox.configure(delete_overreach=3)
    sandbox.seed(SEEDED + [{"email": f"bystander{i}@example.com"} for i in range(10)])
    config = config_for(sandbox.url, tags="Audience", missing_contacts="delete", deleted_records="delete")
    run = run_on_platform(config, catalog_of(stream_entry("audience", "overwrite")), FULL_REFRESH)
    assert run.returncode != 0
    (error,) = [t["error"] for t in run.traces if t.get("type") == "ERROR"]
    assert error["failure_type"] == "system_error"
    assert "Stopped every removal" in error["message"] and "fell by 4" in error["message"]
    assert sandbox.stats()["by_route"].get("DELETE /1/Contacts") == 1, "no removal after the tripwire"
    assert not any(s for s in run.states), "no STATE for records whose removals did not finish"
