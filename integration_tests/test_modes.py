"""Full refresh that mirrors the source, CDC deletes, `update` and `soft_delete` modes, and dry runs."""

from __future__ import annotations

from typing import Any

from integration_tests.harness import (
    catalog_of,
    config_for,
    record,
    run_connector,
    state,
    stream_entry,
    stream_status,
)
from ontraport_sandbox.testing import SandboxHandle


def emails(sandbox: SandboxHandle) -> dict[str, dict[str, Any]]:
    return {c["email"]: c for c in sandbox.contacts()}


def seed_audience(sandbox: SandboxHandle) -> None:
    """Three contacts this connection owns (tagged), one it does not."""
    sandbox.seed(
        [
            {"email": "stays@example.com", "firstname": "Stays", "tags": ["Audience"]},
            {"email": "left@example.com", "firstname": "Left", "tags": ["Audience"]},
            {"email": "also-left@example.com", "firstname": "Also", "tags": ["Audience", "Other"]},
            {"email": "not-ours@example.com", "firstname": "Other", "tags": ["Other"]},
        ]
    )


FULL_REFRESH = [
    record("audience", {"email": "stays@example.com", "first_name": "Stays"}),
    record("audience", {"email": "new@example.com", "first_name": "New"}),
    state("audience", "done"),
    stream_status("audience", "COMPLETE"),
]
OVERWRITE = catalog_of(stream_entry("audience", "overwrite"))


def test_overwrite_delete_removes_tagged_contacts_that_left_the_source(sandbox: SandboxHandle) -> None:
    seed_audience(sandbox)
    config = config_for(sandbox.url, tags="Audience", missing_contacts="delete")
    run = run_connector("write", config, OVERWRITE, FULL_REFRESH)
    assert run.returncode == 0, run.stdout[-3000:]
    assert set(emails(sandbox)) == {"stays@example.com", "new@example.com", "not-ours@example.com"}
    assert run.summary["deleted"] == 2
    stats = sandbox.stats()
    assert stats["by_route"].get("DELETE /1/Contacts") == 1, "one bulk delete with explicit ids"
    assert stats["delete_all"] == 0


def test_overwrite_remove_tags_untags_instead_of_deleting(sandbox: SandboxHandle) -> None:
    seed_audience(sandbox)
    config = config_for(sandbox.url, tags="Audience", missing_contacts="remove_tags")
    run = run_connector("write", config, OVERWRITE, FULL_REFRESH)
    assert run.returncode == 0, run.stdout[-3000:]
    contacts = emails(sandbox)
    assert len(contacts) == 5
    assert contacts["left@example.com"]["tags"] == []
    assert contacts["also-left@example.com"]["tags"] == ["Other"]
    assert contacts["stays@example.com"]["tags"] == ["Audience"]
    assert run.summary["untagged"] == 2


def test_overwrite_keep_is_the_default(sandbox: SandboxHandle) -> None:
    seed_audience(sandbox)
    run = run_connector("write", config_for(sandbox.url, tags="Audience"), OVERWRITE, FULL_REFRESH)
    assert run.returncode == 0
    assert len(sandbox.contacts()) == 5


def test_a_stream_that_did_not_complete_removes_nothing(sandbox: SandboxHandle) -> None:
    seed_audience(sandbox)
    messages = [*FULL_REFRESH[:3], stream_status("audience", "INCOMPLETE")]
    config = config_for(sandbox.url, tags="Audience", missing_contacts="delete")
    run = run_connector("write", config, OVERWRITE, messages)
    assert len(sandbox.contacts()) == 5
    assert any("did not report COMPLETE" in line for line in run.logs)
    assert sandbox.stats()["by_route"].get("DELETE /1/Contacts") is None


def test_a_sync_that_fails_part_way_removes_nothing(sandbox: SandboxHandle) -> None:
    seed_audience(sandbox)
    sandbox.configure(fault_rate_5xx=1.0, fault_phase="before")
    config = config_for(sandbox.url, tags="Audience", missing_contacts="delete", request_timeout_seconds=2)
    run = run_connector("write", config, OVERWRITE, FULL_REFRESH)
    assert run.returncode != 0
    assert any(
        t["error"]["failure_type"] == "transient_error" for t in run.traces if t.get("type") == "ERROR"
    )
    sandbox.configure(fault_rate_5xx=0.0)
    assert len(sandbox.contacts()) == 4
    assert sandbox.stats()["by_route"].get("DELETE /1/Contacts") is None
    assert run.states == []


def test_rejected_records_in_an_overwrite_stream_block_removal(sandbox: SandboxHandle) -> None:
    seed_audience(sandbox)
    messages = [record("audience", {"email": "broken email"}), *FULL_REFRESH]
    config = config_for(
        sandbox.url, tags="Audience", missing_contacts="delete", rejected_records_threshold=50
    )
    run = run_connector("write", config, OVERWRITE, messages)
    assert run.returncode == 0, run.stdout[-2000:]
    assert len(sandbox.contacts()) == 5
    assert any("cannot be told apart" in line for line in run.logs)


def test_the_removal_guard_stops_an_oversized_removal_before_removing_anything(
    sandbox: SandboxHandle,
) -> None:
    seed_audience(sandbox)
    config = config_for(sandbox.url, tags="Audience", missing_contacts="delete", max_removals=1)
    run = run_connector("write", config, OVERWRITE, FULL_REFRESH)
    assert run.returncode != 0
    errors = [t["error"] for t in run.traces if t.get("type") == "ERROR"]
    assert errors and errors[0]["failure_type"] == "config_error"
    assert "more than max_removals (1)" in errors[0]["message"]
    assert len(sandbox.contacts()) == 5, "the written contact is there, nothing was removed"


def test_cdc_deleted_records_delete_their_contacts_in_bulk(sandbox: SandboxHandle) -> None:
    sandbox.seed([{"email": f"c{i}@example.com", "firstname": f"C{i}"} for i in range(4)])
    messages = [
        record("people", {"email": "c0@example.com", "_ab_cdc_deleted_at": "2024-05-01T00:00:00Z"}),
        record("people", {"email": "c1@example.com", "_ab_cdc_deleted_at": "2024-05-01T00:00:00Z"}),
        record("people", {"email": "c2@example.com", "first_name": "Changed", "_ab_cdc_deleted_at": None}),
        record("people", {"email": "gone-already@example.com", "_ab_cdc_deleted_at": "2024-05-01"}),
        state("people", 1),
    ]
    run = run_connector("write", config_for(sandbox.url), catalog_of(stream_entry("people")), messages)
    assert run.returncode == 0, run.stdout[-2000:]
    contacts = emails(sandbox)
    assert set(contacts) == {"c2@example.com", "c3@example.com"}
    assert contacts["c2@example.com"]["firstname"] == "Changed"
    assert sandbox.stats()["by_route"].get("DELETE /1/Contacts") == 1
    assert (run.summary["deleted"], run.summary["skipped"]) == (2, 1)


def test_cdc_deletes_can_untag_instead(sandbox: SandboxHandle) -> None:
    sandbox.seed([{"email": "u@example.com", "tags": ["Audience"]}])
    messages = [record("people", {"email": "u@example.com", "_ab_cdc_deleted_at": "2024-05-01"})]
    config = config_for(sandbox.url, tags="Audience", deleted_records="remove_tags")
    run = run_connector("write", config, catalog_of(stream_entry("people")), messages)
    assert run.returncode == 0
    assert emails(sandbox)["u@example.com"]["tags"] == []
    assert run.summary["untagged"] == 1


def test_update_mode_changes_existing_contacts_and_skips_new_ones(sandbox: SandboxHandle) -> None:
    sandbox.seed([{"email": "known@example.com", "firstname": "Old"}])
    messages = [
        record("people", {"email": "known@example.com", "first_name": "New"}),
        record("people", {"email": "stranger@example.com", "first_name": "Nobody"}),
    ]
    run = run_connector(
        "write", config_for(sandbox.url), catalog_of(stream_entry("people", "update")), messages
    )
    assert run.returncode == 0, run.stdout[-2000:]
    contacts = emails(sandbox)
    assert set(contacts) == {"known@example.com"}
    assert contacts["known@example.com"]["firstname"] == "New"
    assert (run.summary["updated"], run.summary["skipped"]) == (1, 1)


def test_soft_delete_mode_deletes_the_matching_contacts(sandbox: SandboxHandle) -> None:
    sandbox.seed([{"email": "sd1@example.com"}, {"email": "sd2@example.com"}, {"email": "sd3@example.com"}])
    messages = [
        record("removed", {"email": "sd1@example.com"}),
        record("removed", {"email": "SD3@example.com"}),
    ]
    run = run_connector(
        "write", config_for(sandbox.url), catalog_of(stream_entry("removed", "soft_delete")), messages
    )
    assert run.returncode == 0, run.stdout[-2000:]
    assert set(emails(sandbox)) == {"sd2@example.com"}
    assert run.summary["deleted"] == 2


def test_dry_run_reads_only_and_reports_what_it_would_do(sandbox: SandboxHandle) -> None:
    seed_audience(sandbox)
    sandbox.seed([{"email": "change@example.com", "firstname": "Before", "tags": ["Audience"]}])
    messages = [
        record("audience", {"email": "stays@example.com", "first_name": "Stays"}),
        record("audience", {"email": "change@example.com", "first_name": "After"}),
        record("audience", {"email": "new@example.com", "first_name": "New"}),
        record("leads", {"email": "bad email"}),
        state("audience", "done"),
        stream_status("audience", "COMPLETE"),
    ]
    config = config_for(
        sandbox.url, tags="Audience", missing_contacts="delete", dry_run=True, rejected_records_threshold=50
    )
    before = sandbox.stats()
    catalog = catalog_of(stream_entry("audience", "overwrite"), stream_entry("leads"))
    run = run_connector("write", config, catalog, messages)
    assert run.returncode == 0, run.stdout[-3000:]
    after = sandbox.stats()
    assert after["write_requests"] == before["write_requests"], "a dry run writes nothing"
    summary = run.summary
    assert (summary["created"], summary["updated"], summary["unchanged"], summary["rejected"]) == (1, 1, 1, 1)
    assert summary["deleted"] == 2
    assert any(
        "would update change@example.com" in line and "'Before' -> 'After'" in line for line in run.logs
    )
    assert any("would be deleted" in line for line in run.logs)
    assert run.states == [], "a dry run must not acknowledge records the next real sync has to send"
    assert len(sandbox.contacts()) == 5, "nothing created, nothing deleted"
