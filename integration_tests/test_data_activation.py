"""Playing the Airbyte platform's data activation end to end against the sandbox.

The platform asks `discover` what the destination can write, the user picks an object, a mode and
a matching key per source stream in the UI, and the platform sends each stream with its source
name, `destination_object_name`, the chosen key as `primary_key`, and records already renamed to
the destination's property names. This module does exactly that for Contacts and a custom object
(the sandbox's Pet) in all four modes, then checks Ontraport's side: each record exactly once, tags
applied and removed, and a second identical sync that writes nothing. Every sync runs as the
platform runs it (`run_on_platform`: STATE ids echoed, checksums equal); a hand-written catalog the
platform would never send, by hand.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from integration_tests.harness import PlatformJob, PlatformRun, config_for, run_connector, run_on_platform
from ontraport_sandbox.testing import SandboxHandle

PET = 10000


def discover(sandbox: SandboxHandle) -> dict[tuple[str, str], dict[str, Any]]:
    run = run_connector("discover", config_for(sandbox.url))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    catalogs = [m for m in run.messages if m.get("type") == "DESTINATION_CATALOG"]
    assert len(catalogs) == 1, run.stdout[-3000:]
    operations = catalogs[0]["destination_catalog"]["operations"]
    return {(op["object_name"], op["sync_mode"]): op for op in operations}


def configured(
    source_stream: str, operation: dict[str, Any], key: list[str] | None, properties: list[str]
) -> dict[str, Any]:
    """A stream as the Airbyte UI configures it: the source's name, the renamed fields, the chosen key."""
    schema = operation["json_schema"]["properties"]
    for name in properties:
        assert name in schema, f"{name!r} is not a property discover offered for {operation['object_name']}"
    if key is not None:
        assert key in operation.get("matching_keys", []), f"{key} is not a key discover offered: {operation}"
    entry: dict[str, Any] = {
        "stream": {
            "name": source_stream,
            "json_schema": {"type": "object", "properties": {name: schema[name] for name in properties}},
            "supported_sync_modes": ["full_refresh", "incremental"],
        },
        "sync_mode": "incremental",
        "destination_sync_mode": operation["sync_mode"],
        "destination_object_name": operation["object_name"],
    }
    if key is not None:
        entry["primary_key"] = [[part] for part in key]
    return entry


def rec(stream: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": "RECORD", "record": {"stream": stream, "data": data, "emitted_at": 1_700_000_000_000}}


def done(stream: str) -> dict[str, Any]:
    return {
        "type": "STATE",
        "state": {
            "type": "STREAM",
            "stream": {"stream_descriptor": {"name": stream}, "stream_state": {"at": 1}},
        },
    }


def ok(run: PlatformRun) -> PlatformRun:
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert run.unacknowledged == [], "every STATE the platform stamped came back"
    return run


@pytest.fixture
def account(sandbox: SandboxHandle) -> SandboxHandle:
    """What the account holds before the first sync: records to update and to delete."""
    sandbox.seed(
        [
            {"email": "update-me@example.com", "firstname": "Before", "tags": ["Old"]},
            {"email": "delete-me@example.com", "firstname": "Gone"},
            {"email": "keep@example.com", "firstname": "Keep"},
        ]
    )
    sandbox.seed_objects(
        PET,
        [
            {"f2001": "PET-UPD", "f2002": "Before"},
            {"f2001": "PET-DEL", "f2002": "Gone"},
        ],
    )
    return sandbox


def test_discover_then_write_every_mode_for_contacts_and_a_custom_object(account: SandboxHandle) -> None:
    ops = discover(account)
    pet_update_id = next(p["id"] for p in account.objects(PET) if p["f2001"] == "PET-UPD")
    streams = [
        configured("customers", ops[("Contact", "append")], ["Email"], ["Email", "First Name", "Add Tags"]),
        configured("customer_history", ops[("Contact", "append_dedup")], ["Email"], ["Email", "First Name"]),
        configured(
            "profile_fixes", ops[("Contact", "update")], ["Email"], ["Email", "First Name", "Remove Tags"]
        ),
        configured("unsubscribes", ops[("Contact", "soft_delete")], ["Email"], ["Email"]),
        configured("pets", ops[("Pet", "append")], ["Pet ID"], ["Pet ID", "Pet Name", "Species", "Add Tags"]),
        configured("pet_history", ops[("Pet", "append_dedup")], ["Pet ID"], ["Pet ID", "Weight"]),
        configured("pet_fixes", ops[("Pet", "update")], ["id"], ["id", "Pet Name"]),
        configured("pets_gone", ops[("Pet", "soft_delete")], ["Pet ID"], ["Pet ID"]),
    ]
    # The platform's mapper drops every field that was not mapped, an unmapped cursor too: the
    # latest record per key is then the one that arrived last.
    catalog = {"streams": streams}
    messages = [
        rec("customers", {"Email": "new@example.com", "First Name": "New", "Add Tags": "VIP, Newsletter"}),
        rec("customers", {"Email": "also-new@example.com", "First Name": "Also", "Add Tags": ["VIP"]}),
        rec("customer_history", {"Email": "hist@example.com", "First Name": "Old name"}),
        rec("customer_history", {"Email": "hist@example.com", "First Name": "Latest"}),
        rec("profile_fixes", {"Email": "update-me@example.com", "First Name": "After", "Remove Tags": "Old"}),
        rec("profile_fixes", {"Email": "not-in-ontraport@example.com", "First Name": "Nobody"}),
        rec("unsubscribes", {"Email": "delete-me@example.com"}),
        rec("pets", {"Pet ID": "PET-1", "Pet Name": "Rex", "Species": "Dog", "Add Tags": "Good Boy"}),
        rec("pets", {"Pet ID": "PET-2", "Pet Name": "Tom", "Species": "Cat"}),
        rec("pet_history", {"Pet ID": "PET-3", "Weight": 4}),
        rec("pet_history", {"Pet ID": "PET-3", "Weight": 5.5}),
        rec("pet_fixes", {"id": int(pet_update_id), "Pet Name": "After"}),
        rec("pets_gone", {"Pet ID": "PET-DEL"}),
        *[done(entry["stream"]["name"]) for entry in streams],
    ]
    config = config_for(account.url)
    first = ok(run_on_platform(config, catalog, messages))
    assert [state["id"] for state in first.states] == first.stamped and len(first.stamped) == len(streams)
    # the update-only record for an email Ontraport does not hold is rejected with its reason, as
    # Airbyte's activation destinations report it, and the sync succeeds (no threshold is set)
    assert first.summary["rejected"] == 1 and first.summary["skipped"] == 0
    assert any(
        "no Contact with Email 'not-in-ontraport@example.com': update changes existing records" in line
        for line in first.logs
    ), first.logs
    assert [(c.forwarded, c.record_count, c.rejected_count) for c in first.checks] == [
        (2, 2.0, 0.0),
        (2, 2.0, 0.0),
        (2, 1.0, 1.0),
        (1, 1.0, 0.0),
        (2, 2.0, 0.0),
        (2, 2.0, 0.0),
        (1, 1.0, 0.0),
        (1, 1.0, 0.0),
    ], (
        "each STATE counts the records of its stream, superseded ones as accepted, "
        "the unmatched update as rejected"
    )

    contacts = {c["email"]: c for c in account.contacts()}
    assert Counter(c["email"] for c in account.contacts()).most_common(1)[0][1] == 1, "each contact once"
    assert set(contacts) == {
        "new@example.com",
        "also-new@example.com",
        "hist@example.com",
        "update-me@example.com",
        "keep@example.com",
    }, "created, deduplicated, updated, deleted; the update-only record for an unknown email created nothing"
    assert sorted(contacts["new@example.com"]["tags"]) == ["Newsletter", "VIP"]
    assert contacts["also-new@example.com"]["tags"] == ["VIP"]
    assert contacts["hist@example.com"]["firstname"] == "Latest", "the latest record per key"
    assert contacts["update-me@example.com"]["firstname"] == "After"
    assert contacts["update-me@example.com"]["tags"] == [], "Remove Tags took Old off"

    pets = {p["f2001"]: p for p in account.objects(PET)}
    assert Counter(p["f2001"] for p in account.objects(PET)).most_common(1)[0][1] == 1, "each pet once"
    assert set(pets) == {"PET-1", "PET-2", "PET-3", "PET-UPD"}
    assert pets["PET-1"]["tags"] == ["Good Boy"] and pets["PET-1"]["f2003"] == "1", (
        "Species label -> option id"
    )
    assert float(pets["PET-3"]["f2005"]) == 5.5
    assert pets["PET-UPD"]["f2002"] == "After", "updated by its Ontraport id"
    assert account.stats()["delete_all"] == 0

    before = account.stats()
    second = ok(run_on_platform(config, catalog, messages))
    after = account.stats()
    assert after["write_requests"] == before["write_requests"], f"a re-sync wrote: {after['by_route']}"
    assert (second.summary["created"], second.summary["updated"]) == (0, 0)


def test_a_stream_naming_an_object_the_account_lacks_fails_with_the_objects_it_has(
    sandbox: SandboxHandle,
) -> None:
    catalog = {
        "streams": [
            {
                "stream": {
                    "name": "x",
                    "json_schema": {"type": "object"},
                    "supported_sync_modes": ["incremental"],
                },
                "sync_mode": "incremental",
                "destination_sync_mode": "append",
                "destination_object_name": "Spaceship",
            }
        ]
    }
    run = run_connector("write", config_for(sandbox.url), catalog, [rec("x", {"Name": "a"})])
    assert run.returncode != 0
    assert any("'Spaceship'" in e and "Pet" in e and "Contact" in e for e in run.errors), run.errors


def test_a_data_activation_stream_in_overwrite_is_refused_and_removes_nothing(account: SandboxHandle) -> None:
    """Issue 22 item 3: discover never offers overwrite, and a hand-written catalog that asks for it
    once deleted every tagged contact, those it had just written included."""
    ops = discover(account)
    entry = configured("customers", ops[("Contact", "append")], None, ["Email", "First Name"])
    entry["destination_sync_mode"] = "overwrite"
    entry["primary_key"] = []
    account.seed([{"email": "tagged@example.com", "tags": ["Airbyte"]}])
    config = config_for(account.url, tags="Airbyte", missing_contacts="delete")
    run = run_connector(
        "write", config, {"streams": [entry]}, [rec("customers", {"Email": "stay@example.com"})]
    )
    assert run.returncode != 0
    assert any(
        "'customers' writes 'Contact' in overwrite, which data activation does not offer" in e
        for e in run.errors
    )
    assert {c["email"] for c in account.contacts()} >= {"tagged@example.com", "update-me@example.com"}
    assert account.stats()["by_route"].get("DELETE /1/Contacts") is None


def test_contacts_an_activation_stream_wrote_are_never_leftovers_of_a_mirror(account: SandboxHandle) -> None:
    """A classic overwrite stream mirrors the tagged contacts (delete) while an activation stream, with
    another key than the config's match field, writes contacts tagged the same: those are in this
    sync, whichever writer wrote them, and stay."""
    ops = discover(account)
    account.seed(
        [
            {"email": "left@example.com", "tags": ["Airbyte"]},
            {"email": "act@example.com", "tags": ["Airbyte"]},
        ]
    )
    activation = configured("signups", ops[("Contact", "append")], ["Email"], ["Email", "First Name"])
    classic = {
        "stream": {
            "name": "audience",
            "json_schema": {"type": "object"},
            "supported_sync_modes": ["full_refresh"],
        },
        "sync_mode": "full_refresh",
        "destination_sync_mode": "overwrite",
    }
    messages = [
        {
            "type": "RECORD",
            "record": {
                "stream": "audience",
                "data": {"External ID": "A-1", "email": "stay@example.com"},
                "emitted_at": 1,
            },
        },
        rec("signups", {"Email": "fresh@example.com", "First Name": "Fresh"}),
        rec("signups", {"Email": "act@example.com", "First Name": "Act"}),
        done("audience"),
        done("signups"),
    ]
    config = config_for(account.url, tags="Airbyte", missing_contacts="delete", match_field="External ID")
    run = ok(run_on_platform(config, {"streams": [classic, activation]}, messages))
    emails = {c["email"] for c in account.contacts()}
    assert {"stay@example.com", "fresh@example.com", "act@example.com"} <= emails, (
        "nothing this sync wrote goes"
    )
    assert "left@example.com" not in emails and run.summary["deleted"] == 1


def test_a_refresh_of_an_activation_stream_removes_nothing_and_says_why(account: SandboxHandle) -> None:
    ops = discover(account)
    entry = configured("pets", ops[("Pet", "append_dedup")], ["Pet ID"], ["Pet ID", "Pet Name"])
    config = config_for(account.url, tags="Airbyte", missing_contacts="delete")
    messages = [rec("pets", {"Pet ID": "PET-9", "Pet Name": "Nine"}), done("pets")]
    run = ok(
        run_on_platform(
            config,
            {"streams": [entry]},
            messages,
            job=PlatformJob(generations={"pets": 1}, refresh={"pets": "truncate"}),
        )
    )
    assert (
        run.catalog["streams"][0]["minimum_generation_id"] == run.catalog["streams"][0]["generation_id"] == 2
    )
    assert any("'pets' is a refresh that replaces" in line and "removes nothing" in line for line in run.logs)
    assert {p["f2001"] for p in account.objects(PET)} == {"PET-UPD", "PET-DEL", "PET-9"}
    assert len(account.contacts()) == 3
