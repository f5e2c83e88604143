"""`write` end to end: `main.py` as a subprocess against the sandbox, for each sync mode, run as the
Airbyte platform runs it (`run_on_platform`: every STATE stamped with an id that must come back, every
checksum compared); bad input a person might pipe in is run by hand."""

from __future__ import annotations

from typing import Any

from airbyte_cdk.models import AirbyteMessageSerializer, ConfiguredAirbyteCatalogSerializer, Type

from destination_ontraport.destination import DestinationOntraport
from integration_tests.harness import (
    catalog_of,
    config_for,
    record,
    run_connector,
    run_on_platform,
    state,
    stream_entry,
)
from ontraport_sandbox.testing import SandboxHandle


def by_email(sandbox: SandboxHandle) -> dict[str, dict[str, Any]]:
    return {c["email"].lower(): c for c in sandbox.contacts()}


PEOPLE = [
    {
        "id": 101,
        "email": "Ada@Example.com ",
        "first_name": "Ada",
        "Last Name": "Lovelace",
        "address": {"city": "London", "zip_code": "N1"},
        "plan": "pro",
        "signup": "2024-03-01",
        "vip": True,
        "favourite_colour": "green",
    },
    {
        "id": 102,
        "email": "grace@example.com",
        "first_name": "Grace",
        "plan": "Enterprise",
        "signup": 1714557600,
    },
]
MAPPING = [{"source": "plan", "target": "Plan"}, {"source": "signup", "target": "Signup Date"}]


def test_append_creates_mapped_tagged_contacts_and_echoes_state_after_them(sandbox: SandboxHandle) -> None:
    messages = [
        record("people", PEOPLE[0]),
        state("people", 1),
        record("people", PEOPLE[1]),
        state("people", 2),
    ]
    config = config_for(sandbox.url, tags="Airbyte, VIP list", field_mapping=MAPPING)
    run = run_on_platform(config, catalog_of(stream_entry("people")), messages)
    assert run.returncode == 0, run.stdout[-3000:]
    assert run.unacknowledged == [], "every STATE's id came back"

    contacts = by_email(sandbox)
    assert set(contacts) == {"ada@example.com", "grace@example.com"}
    ada = contacts["ada@example.com"]
    assert ada["firstname"] == "Ada" and ada["lastname"] == "Lovelace"
    assert ada["city"] == "London" and ada["zip"] == "N1"
    assert ada["f1003"] == "2"  # Plan drop-down: label "pro" -> option id
    assert ada["f1006"] == "1709251200"  # 2024-03-01 as Unix seconds
    assert ada["f1005"] == "1"
    assert ada["id"] != "101", "a source column `id` must never reach Ontraport's id"
    assert sorted(ada["tags"]) == ["Airbyte", "VIP list"]
    assert sorted(contacts["grace@example.com"]["tags"]) == ["Airbyte", "VIP list"]

    assert [s["stream"]["stream_state"]["cursor"] for s in run.states] == [1, 2]
    assert [s["destinationStats"]["recordCount"] for s in run.states] == [1.0, 1.0]
    assert [s["id"] for s in run.states] == run.stamped == [1, 2], "each STATE's id comes back"
    assert [s["sourceStats"] for s in run.states] == [{"recordCount": 1.0}] * 2
    summary = run.summary
    assert (summary["records_read"], summary["created"], summary["tagged"], summary["rejected"]) == (
        2,
        2,
        2,
        0,
    )
    assert any("favourite_colour" in line and "not sent" in line for line in run.logs)


def test_state_comes_out_only_after_its_records_are_in_ontraport(sandbox: SandboxHandle) -> None:
    """At the moment each STATE line is printed (the connector still running), every record before it
    must already be a contact in the sandbox."""
    sandbox.configure(latency_ms="20-40")
    messages: list[dict[str, Any]] = []
    for i in range(30):
        messages.append(record("people", {"email": f"p{i}@example.com", "first_name": f"P{i}"}))
        if i % 10 == 9:
            messages.append(state("people", i))
    seen: list[tuple[int, set[str]]] = []

    def on_state(st: dict[str, Any]) -> None:
        seen.append((st["stream"]["stream_state"]["cursor"], {c["email"] for c in sandbox.contacts()}))

    run = run_on_platform(
        config_for(sandbox.url, batch_size=7), catalog_of(stream_entry("people")), messages, on_state=on_state
    )
    assert run.returncode == 0, run.stdout[-2000:]
    assert run.unacknowledged == [], "every STATE's id came back"
    assert [cursor for cursor, _ in seen] == [9, 19, 29]
    for cursor, emails in seen:
        expected = {f"p{i}@example.com" for i in range(cursor + 1)}
        assert expected <= emails, f"STATE {cursor} came out before its records were written"


def test_rerun_of_unchanged_records_sends_no_writes(sandbox: SandboxHandle) -> None:
    messages = [record("people", p) for p in PEOPLE] + [state("people", 1)]
    config = config_for(sandbox.url, tags="Airbyte", field_mapping=MAPPING)
    catalog = catalog_of(stream_entry("people"))
    first = run_on_platform(config, catalog, messages)
    assert first.returncode == 0, first.stdout[-2000:]
    assert first.unacknowledged == [], "every STATE's id came back"
    before = sandbox.stats()
    second = run_on_platform(config, catalog, messages)
    assert second.returncode == 0
    assert second.unacknowledged == [], "every STATE's id came back"
    after = sandbox.stats()
    assert after["write_requests"] == before["write_requests"], "an unchanged re-sync must not write"
    assert second.summary["unchanged"] == 2 and second.summary["created"] == 0
    # meta, the tag lookup, the read-path probe (a sample and one lookup) and one contact lookup
    assert second.summary["requests"] <= 5


def test_changed_record_updates_only_changed_fields(sandbox: SandboxHandle) -> None:
    catalog = catalog_of(stream_entry("people"))
    config = config_for(sandbox.url)
    run_on_platform(
        config,
        catalog,
        [record("people", {"email": "a@example.com", "first_name": "A", "company": "X"})],
    )
    before = sandbox.stats()["by_route"]
    run = run_on_platform(
        config,
        catalog,
        [record("people", {"email": "a@example.com", "first_name": "B", "company": "X"})],
    )
    assert run.returncode == 0
    assert run.unacknowledged == [], "every STATE's id came back"
    after = sandbox.stats()["by_route"]
    assert after.get("PUT /1/Contacts", 0) - before.get("PUT /1/Contacts", 0) == 1
    contact = by_email(sandbox)["a@example.com"]
    assert (contact["firstname"], contact["company"]) == ("B", "X")
    assert run.summary["updated"] == 1


def test_append_applies_every_record_in_arrival_order(sandbox: SandboxHandle) -> None:
    messages = [
        record("people", {"email": "x@example.com", "first_name": "One", "company": "Early"}),
        record("people", {"email": "x@example.com", "first_name": "Two"}),
        record("people", {"email": "X@example.com", "last_name": "Three"}),
    ]
    run = run_on_platform(config_for(sandbox.url), catalog_of(stream_entry("people")), messages)
    assert run.returncode == 0
    assert run.unacknowledged == [], "every STATE's id came back"
    contacts = sandbox.contacts()
    assert len(contacts) == 1
    assert (contacts[0]["firstname"], contacts[0]["lastname"], contacts[0]["company"]) == (
        "Two",
        "Three",
        "Early",
    )
    assert sandbox.stats()["by_route"].get("POST /1/Contacts/saveorupdate") == 1, "collapsed into one write"


def test_append_dedup_keeps_the_latest_record_by_cursor(sandbox: SandboxHandle) -> None:
    entry = stream_entry("people", "append_dedup", primary_key=[["pk"]], cursor=["updated"])
    messages = [
        record(
            "people", {"pk": 1, "email": "d@example.com", "first_name": "Newest", "updated": "2024-03-01"}
        ),
        record(
            "people",
            {
                "pk": 1,
                "email": "d@example.com",
                "first_name": "Oldest",
                "company": "Old Co",
                "updated": "2024-01-01",
            },
        ),
        record("people", {"pk": 2, "email": "e@example.com", "first_name": "E1", "updated": 5}),
        record("people", {"pk": 2, "email": "e@example.com", "first_name": "E2", "updated": 5}),
        state("people", "s"),
    ]
    run = run_on_platform(config_for(sandbox.url), catalog_of(entry), messages)
    assert run.returncode == 0, run.stdout[-2000:]
    assert run.unacknowledged == [], "every STATE's id came back"
    contacts = by_email(sandbox)
    assert contacts["d@example.com"]["firstname"] == "Newest"
    assert contacts["d@example.com"].get("company", "") == "", "the older record must not be applied at all"
    assert contacts["e@example.com"]["firstname"] == "E2", "ties go to the later arrival"
    assert run.summary["superseded"] == 2


def test_append_dedup_across_batches_ignores_an_older_version(sandbox: SandboxHandle) -> None:
    entry = stream_entry("people", "append_dedup", primary_key=[["pk"]], cursor=["updated"])
    messages = [
        record("people", {"pk": 1, "email": "f@example.com", "first_name": "New", "updated": 10}),
        state("people", 1),
        record("people", {"pk": 1, "email": "f@example.com", "first_name": "Old", "updated": 3}),
        state("people", 2),
    ]
    run = run_on_platform(config_for(sandbox.url, batch_size=1), catalog_of(entry), messages)
    assert run.returncode == 0
    assert run.unacknowledged == [], "every STATE's id came back"
    assert by_email(sandbox)["f@example.com"]["firstname"] == "New"


def test_overwrite_writes_like_append_and_keeps_other_contacts_by_default(sandbox: SandboxHandle) -> None:
    sandbox.seed([{"email": "keep@example.com", "firstname": "Keep"}])
    messages = [record("people", {"email": "o@example.com", "first_name": "O"}), state("people", 1)]
    run = run_on_platform(
        config_for(sandbox.url, tags="T"), catalog_of(stream_entry("people", "overwrite")), messages
    )
    assert run.returncode == 0, run.stdout[-2000:]
    assert run.unacknowledged == [], "every STATE's id came back"
    assert set(by_email(sandbox)) == {"keep@example.com", "o@example.com"}


def test_bad_records_are_rejected_counted_and_listed(sandbox: SandboxHandle, tmp_path: Any) -> None:
    rejected_file = tmp_path / "rejected.jsonl"
    messages: list[Any] = [record("people", {"email": f"ok{i}@example.com"}) for i in range(20)]
    messages += [
        record("ghosts", {"email": "ghost@example.com"}),
        record("people", {"first_name": "No email"}),
        record("people", {"email": "not an email"}),
        "this is not json",
        state("people", 1),
    ]
    config = config_for(sandbox.url, rejected_records_threshold=50, rejected_records_path=str(rejected_file))
    run = run_connector("write", config, catalog_of(stream_entry("people")), messages)
    assert run.returncode == 0, run.stdout[-2000:]
    summary = run.summary
    assert summary["rejected"] == 4 and summary["created"] == 20
    rejected_lines = [line for line in run.logs if line.startswith("Rejected: ")]
    assert len(rejected_lines) == 4
    assert any("not in the configured catalog" in line for line in rejected_lines)
    assert any("not valid JSON" in line for line in rejected_lines)
    assert len(rejected_file.read_text().splitlines()) == 4
    assert len(run.states) == 1


def test_rejected_records_on_the_platform_count_in_their_state(sandbox: SandboxHandle) -> None:
    """recordCount counts the accepted records, rejectedRecordCount the refused ones: 3 + 2 = the 5
    records the platform forwarded before that STATE, as its checksum requires."""
    messages: list[Any] = [record("people", {"email": f"ok{i}@example.com"}) for i in range(3)]
    messages += [record("people", {"first_name": "No email"}), record("people", {"email": "not an email"})]
    messages += [state("people", 1), record("people", {"email": "later@example.com"}), state("people", 2)]
    run = run_on_platform(
        config_for(sandbox.url, rejected_records_threshold=50), catalog_of(stream_entry("people")), messages
    )
    assert run.returncode == 0, run.stdout[-2000:]
    assert run.unacknowledged == [], "every STATE's id came back"
    assert [(c.id, c.forwarded, c.record_count, c.rejected_count) for c in run.checks] == [
        (1, 5, 3.0, 2.0),
        (2, 1, 1.0, 0.0),
    ]
    assert run.unacknowledged == []


def test_too_many_rejections_fail_the_sync_with_a_config_error(sandbox: SandboxHandle) -> None:
    messages = [record("people", {"email": "fine@example.com"})] + [
        record("people", {"nope": i}) for i in range(3)
    ]
    run = run_on_platform(config_for(sandbox.url), catalog_of(stream_entry("people")), messages)
    assert run.returncode != 0
    traces = [t for t in run.traces if t.get("type") == "ERROR"]
    assert traces and traces[0]["error"]["failure_type"] == "config_error"
    assert "rejected_records_threshold" in traces[0]["error"]["message"]
    assert len(sandbox.contacts()) == 1, "accepted records are still written"


def test_write_with_rejected_credentials_fails_with_config_error(sandbox: SandboxHandle) -> None:
    run = run_on_platform(
        config_for(sandbox.url, api_key="bad-key-42"),
        catalog_of(stream_entry("people")),
        [record("people", {"email": "z@example.com"})],
    )
    assert run.returncode != 0
    assert any("Ontraport rejected the App ID / API Key" in e for e in run.errors)
    assert "bad-key-42" not in run.stdout + run.stderr


def test_an_unknown_config_option_is_named_in_a_warning(sandbox: SandboxHandle) -> None:
    config = config_for(sandbox.url, comment="set up by Ann")
    run = run_on_platform(
        config, catalog_of(stream_entry("people")), [record("people", {"email": "t@example.com"})]
    )
    assert run.returncode == 0
    assert run.unacknowledged == [], "every STATE's id came back"
    assert any("Unknown config option(s) comment are ignored" in line for line in run.logs)


def test_airbyte_columns_in_records_are_not_named_as_unmapped(sandbox: SandboxHandle) -> None:
    airbyte_columns = {
        "_airbyte_raw_id": "6b0f8a52-3c41-4d1e-9a57-0c8f3e2d1b90",
        "_airbyte_extracted_at": "2024-05-31T12:00:00Z",
        "_airbyte_meta": {"changes": [], "sync_id": 7},
        "_airbyte_generation_id": 1,
        "_ab_source_file_url": "people.csv",
        "_ab_cdc_updated_at": "2024-05-31T12:00:00Z",
    }
    messages = [
        record(
            "people", {"email": "lin@example.com", "first_name": "Lin", "shoe_size": 38, **airbyte_columns}
        ),
        state("people", 1),
    ]
    run = run_on_platform(config_for(sandbox.url), catalog_of(stream_entry("people")), messages)
    assert run.returncode == 0, run.stdout[-3000:]
    assert run.unacknowledged == [], "every STATE's id came back"
    assert by_email(sandbox)["lin@example.com"]["firstname"] == "Lin"
    unmapped = [line for line in run.logs if "match no Ontraport contact field" in line]
    assert len(unmapped) == 1 and "shoe_size" in unmapped[0], run.logs
    log = "\n".join(run.logs)
    assert not [column for column in airbyte_columns if column in log], log


def test_the_cdk_write_entry_still_writes_and_yields_each_state(sandbox: SandboxHandle) -> None:
    """`Destination.write()` (the CDK's contract, parsed messages in and out) takes the same path; its
    models cannot carry the platform's `id`, which `main.py write` echoes."""
    catalog = ConfiguredAirbyteCatalogSerializer.load(catalog_of(stream_entry("people")))
    messages = [
        AirbyteMessageSerializer.load(m)
        for m in (record("people", {"email": "cdk@example.com"}), record("people", {}), state("people", 1))
    ]
    config = config_for(sandbox.url, rejected_records_threshold=100)
    out = list(DestinationOntraport().write(config, catalog, messages))
    assert [m.type for m in out] == [Type.STATE]
    assert out[0].state is not None and out[0].state.destinationStats is not None
    assert out[0].state.destinationStats.recordCount == 1.0
    assert set(by_email(sandbox)) == {"cdk@example.com"}
