"""Records a STATE acknowledges are in Ontraport, and a sync removes only what it was asked to.

Each case is one way issue 22 found to lose data or block a sync, played end to end: `main.py
write` in a process of its own against the sandbox, the way the platform (or a person) runs it.
Keys first (a missing primary key, an activation key in the object's property names, case variants
of a key), then removals (the tripwire of each object type), then lookups that an account without
contacts or a long list of tag names once broke.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from integration_tests.harness import Run, catalog_of, config_for, record, run_connector, state, stream_entry
from ontraport_sandbox.testing import SandboxHandle

PET = 10000


def activation(
    name: str,
    object_name: str,
    mode: str,
    key: list[list[str]] | None,
    cursor: list[str] | None = None,
) -> dict[str, Any]:
    """A stream as the platform sends it for data activation: the source's name, the object chosen in
    the UI, and the matching key as the primary key (in the object's property names)."""
    entry: dict[str, Any] = {
        "stream": {"name": name, "json_schema": {"type": "object"}, "supported_sync_modes": ["incremental"]},
        "sync_mode": "incremental",
        "destination_sync_mode": mode,
        "destination_object_name": object_name,
    }
    if key:
        entry["primary_key"] = key
    if cursor:
        entry["cursor_field"] = cursor
    return entry


def ok(run: Run) -> Run:
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    return run


def acknowledged(run: Run, stream: str) -> tuple[float, float]:
    """(accepted, rejected) records that the released STATEs of one stream acknowledge."""
    stats = [s["destinationStats"] for s in run.states if s["stream"]["stream_descriptor"]["name"] == stream]
    return sum(s["recordCount"] for s in stats), sum(s.get("rejectedRecordCount", 0) for s in stats)


# --- item 1: a record without its primary key is rejected, never merged into another ---------------


def test_records_without_their_primary_key_are_rejected_not_collapsed_into_one(
    sandbox: SandboxHandle,
) -> None:
    catalog = catalog_of(stream_entry("people", "append_dedup", primary_key=[["id"]], cursor=["at"]))
    keyless = [record("people", {"email": f"k{n}@x.io", "at": 1}) for n in range(20)]
    keyed = [
        record("people", {"id": 1, "email": "a@x.io", "first_name": "Old", "at": 1}),
        record("people", {"id": 1, "email": "a@x.io", "first_name": "New", "at": 2}),
        record("people", {"id": 2, "email": "b@x.io", "first_name": "Bee", "at": 1}),
    ]
    config = config_for(sandbox.url, rejected_records_threshold=100)
    run = ok(run_connector("write", config, catalog, [*keyless, *keyed, state("people", 1)]))
    assert acknowledged(run, "people") == (3, 20), "every keyless record counted as rejected"
    contacts = {c["email"]: c for c in sandbox.contacts()}
    assert set(contacts) == {"a@x.io", "b@x.io"}, "no keyless record stood in for the others"
    assert contacts["a@x.io"]["firstname"] == "New", "deduplication by primary key still works"
    assert run.summary["superseded"] == 1
    reasons = [line for line in run.logs if line.startswith("Rejected record at")]
    assert reasons and all("primary key id" in line for line in reasons), reasons[:2]
    assert any(line.startswith("Rejected 20 record(s) for this reason") for line in run.logs)


# --- item 2: an activation key names the object's property ----------------------------------------


def test_an_activation_key_in_another_spelling_deduplicates_as_matching_matches(
    sandbox: SandboxHandle,
) -> None:
    catalog = catalog_of(
        activation("signups", "Contact", "append_dedup", [["email"]]),
        activation("history", "Contact", "append_dedup", [["Email"]], cursor=["seq"]),
    )
    messages = [
        *[record("signups", {"Email": f"p{n}@x.io", "First Name": f"P{n}"}) for n in range(5)],
        record("history", {"Email": "Ann@x.io", "First Name": "Newer", "seq": 2}),
        record("history", {"Email": "ann@x.io", "First Name": "Older", "seq": 1}),
        record("history", {"Email": " Zed@X.io", "First Name": "Newer", "seq": 9}),
        record("history", {"Email": "zed@x.io", "First Name": "Older", "seq": 3}),
        state("signups", 1),
        state("history", 1),
    ]
    run = ok(run_connector("write", config_for(sandbox.url), catalog, messages))
    assert acknowledged(run, "signups") == (5, 0) and acknowledged(run, "history") == (4, 0)
    contacts = {c["email"].lower(): c for c in sandbox.contacts()}
    assert Counter(c["email"].lower() for c in sandbox.contacts()).most_common(1)[0][1] == 1
    assert {f"p{n}@x.io" for n in range(5)} <= set(contacts), "five distinct emails, five contacts"
    assert contacts["ann@x.io"]["firstname"] == "Newer" and contacts["zed@x.io"]["firstname"] == "Newer"
    assert run.summary["superseded"] == 2


# --- item 5: case variants of a key, in one batch or in two --------------------------------------


@pytest.mark.parametrize("text_case", ["insensitive", "sensitive"])
@pytest.mark.parametrize("probe", ["known", "unknown"])
def test_case_variants_of_a_key_make_the_same_records_in_one_batch_as_in_two(
    sandbox: SandboxHandle, text_case: str, probe: str
) -> None:
    """`ABC-1` then `abc-1` on the Pet's unique Pet ID: one record where the account ignores case, two
    where it does not, whether they come in one batch or two, and whether the read-path probe could
    learn the account's comparison (it needs a contact with an email) or not."""
    sandbox.configure(text_case=text_case)
    catalog = catalog_of(activation("pets", "Pet", "append", [["Pet ID"]]))
    messages = [
        record("pets", {"Pet ID": "ABC-1", "Pet Name": "First"}),
        record("pets", {"Pet ID": "abc-1", "Pet Name": "Second"}),
        state("pets", 1),
    ]
    outcomes = []
    for batch_size in (1000, 1):
        sandbox.reset()
        if probe == "known":
            sandbox.seed([{"email": "someone@x.io"}])
        ok(run_connector("write", config_for(sandbox.url, batch_size=batch_size), catalog, messages))
        outcomes.append(sorted((p["f2001"].casefold(), p["f2002"]) for p in sandbox.objects(PET)))
    in_one_batch, in_two = outcomes
    assert in_one_batch == in_two
    expected = (
        [("abc-1", "First"), ("abc-1", "Second")] if text_case == "sensitive" else [("abc-1", "Second")]
    )
    assert in_one_batch == expected


# --- item 4: the first delete of each object type is checked ------------------------------------


def test_a_contact_delete_after_a_pet_delete_is_checked_too(sandbox: SandboxHandle) -> None:
    """A server that removes more than it was asked (`delete_overreach`) is caught on the contact delete
    even though a Pet delete came first: no STATE acknowledges the records of that delete."""
    sandbox.seed_objects(PET, [{"f2001": "PET-DEL"}])
    sandbox.seed([{"email": "gone@x.io"}, {"email": "stay1@x.io"}, {"email": "stay2@x.io"}])
    sandbox.configure(delete_overreach=1)  # a Pet delete has no other pet to take along
    catalog = catalog_of(
        activation("pets_gone", "Pet", "soft_delete", [["Pet ID"]]),
        activation("people_gone", "Contact", "soft_delete", [["Email"]]),
    )
    messages = [
        record("pets_gone", {"Pet ID": "PET-DEL"}),
        state("pets_gone", 1),
        record("people_gone", {"Email": "gone@x.io"}),
        state("people_gone", 1),
    ]
    run = run_connector("write", config_for(sandbox.url, batch_size=1), catalog, messages)
    assert run.returncode != 0
    assert any("Contact count fell by 2" in error for error in run.errors), run.errors
    assert [s["stream"]["stream_descriptor"]["name"] for s in run.states] == ["pets_gone"]
    assert sandbox.objects(PET) == [], "the Pet delete went as asked"
    assert sandbox.stats()["delete_all"] == 0


# --- item 6: the empty-account shortcut is learned per object type --------------------------------


def test_custom_objects_of_an_account_without_contacts_are_not_duplicated_by_each_sync(
    sandbox: SandboxHandle,
) -> None:
    sandbox.configure(condition_without_ids="nothing")
    catalog = catalog_of(activation("pets", "Pet", "append", [["Pet ID"]]))
    messages = [
        *[record("pets", {"Pet ID": f"P-{n}", "Pet Name": f"Pet {n}"}) for n in range(5)],
        state("pets", 1),
    ]
    counts = []
    for _ in range(3):
        ok(run_connector("write", config_for(sandbox.url), catalog, messages))
        counts.append(len(sandbox.objects(PET)))
    assert counts == [5, 5, 5]


# --- items 10 and 11: tags named by records ---------------------------------------------------------


def test_removing_a_tag_nobody_has_creates_nothing(sandbox: SandboxHandle) -> None:
    sandbox.seed([{"email": "a@x.io", "tags": ["Old"]}])
    catalog = catalog_of(activation("fixes", "Contact", "update", [["Email"]]))
    messages = [
        record("fixes", {"Email": "a@x.io", "Remove Tags": ["NeverExisted", "Old"]}),
        state("fixes", 1),
    ]
    ok(run_connector("write", config_for(sandbox.url), catalog, messages))
    assert sorted(t["tag_name"] for t in sandbox.tags()) == ["Old"]
    assert sandbox.contacts()[0]["tags"] == []


def test_a_thousand_different_tag_names_are_looked_up_in_requests_a_server_accepts(
    sandbox: SandboxHandle,
) -> None:
    catalog = catalog_of(activation("people", "Contact", "append", [["Email"]]))
    messages = [
        *[
            record(
                "people", {"Email": f"p{n:04d}@x.io", "Add Tags": [f"Spring campaign 2026 / cohort {n:04d}"]}
            )
            for n in range(1000)
        ],
        state("people", 1),
    ]
    run = ok(run_connector("write", config_for(sandbox.url), catalog, messages))
    assert acknowledged(run, "people") == (1000, 0)
    assert "414" not in sandbox.stats()["by_status"]
    tagged = {c["email"]: c["tags"] for c in sandbox.contacts()}
    assert len(tagged) == 1000 and tagged["p0999@x.io"] == ["Spring campaign 2026 / cohort 0999"]


# --- item 12: one bad id is one rejected record --------------------------------------------------


def test_an_id_made_of_other_digits_is_one_rejected_record_not_a_failed_sync(sandbox: SandboxHandle) -> None:
    (pet,) = sandbox.seed_objects(PET, [{"f2001": "P-1", "f2002": "Old"}])
    catalog = catalog_of(activation("fixes", "Pet", "update", [["id"]]))
    messages = [
        record("fixes", {"id": "²", "Pet Name": "Nope"}),
        record("fixes", {"id": pet, "Pet Name": "New"}),
        state("fixes", 1),
    ]
    run = ok(
        run_connector("write", config_for(sandbox.url, rejected_records_threshold=100), catalog, messages)
    )
    assert acknowledged(run, "fixes") == (1, 1)
    assert sandbox.objects(PET)[0]["f2002"] == "New"
