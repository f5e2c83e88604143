"""Full refresh that mirrors the source, refreshes, CDC deletes, `update` and `soft_delete` modes, and
dry runs: each sync as the Airbyte platform runs it (`run_on_platform`: the catalog rewritten as the
platform hands it to a destination that supports refreshes, so an overwrite arrives as `append` with
generation ids; STATEs stamped and their echoes checked; COMPLETE only after a source that succeeded),
plus the same input run by hand."""

from __future__ import annotations

from typing import Any

from integration_tests.harness import (
    PlatformJob,
    PlatformRun,
    catalog_of,
    config_for,
    record,
    run_connector,
    run_on_platform,
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
]
OVERWRITE = catalog_of(stream_entry("audience", "overwrite"))
NO_COMPLETE = "received no STREAM_STATUS COMPLETE"


def every_state_acknowledged(run: PlatformRun) -> PlatformRun:
    """Every STATE the platform stamped came back with its id and an equal checksum (run_on_platform
    raised otherwise), none left out."""
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert run.stamped and run.unacknowledged == [], (run.stamped, run.checks)
    return run


def test_overwrite_arrives_as_append_with_generation_ids_and_still_mirrors(sandbox: SandboxHandle) -> None:
    seed_audience(sandbox)
    config = config_for(sandbox.url, tags="Audience", missing_contacts="delete")
    run = every_state_acknowledged(run_on_platform(config, OVERWRITE, FULL_REFRESH))
    (stream,) = run.catalog["streams"]
    assert (stream["destination_sync_mode"], stream["generation_id"], stream["minimum_generation_id"]) == (
        "append",
        1,
        1,
    ), "what a destination that supports refreshes receives for an overwrite"
    assert set(emails(sandbox)) == {"stays@example.com", "new@example.com", "not-ours@example.com"}
    assert run.summary["deleted"] == 2
    stats = sandbox.stats()
    assert stats["by_route"].get("DELETE /1/Contacts") == 1, "one bulk delete with explicit ids"
    assert stats["delete_all"] == 0
    deleted = next(line for line in run.logs if "were not in this full refresh and were deleted" in line)
    assert "left@example.com" in deleted and "also-left@example.com" in deleted, "the line names them"


def test_the_empty_state_the_platform_adds_for_a_full_refresh_comes_back_with_its_counts(
    sandbox: SandboxHandle,
) -> None:
    """A full-refresh source that sends no STATE: the platform adds an empty one at the end
    (MissingStateInjector); it comes back with its id, counting the stream's records, before the mirror."""
    seed_audience(sandbox)
    config = config_for(
        sandbox.url, tags="Audience", missing_contacts="delete", rejected_records_threshold=50
    )
    source = [*FULL_REFRESH[:2], record("audience", {"email": "no email here"})]
    run = every_state_acknowledged(run_on_platform(config, OVERWRITE, source))
    (echoed,) = run.states
    assert echoed["stream"]["stream_state"] == {} and echoed["id"] == 1
    assert echoed["destinationStats"] == {"recordCount": 2.0, "rejectedRecordCount": 1.0}
    assert len(sandbox.contacts()) == 5, "a record without a usable key was rejected: nothing removed"


def test_overwrite_remove_tags_untags_instead_of_deleting(sandbox: SandboxHandle) -> None:
    seed_audience(sandbox)
    config = config_for(sandbox.url, tags="Audience", missing_contacts="remove_tags")
    run = every_state_acknowledged(run_on_platform(config, OVERWRITE, FULL_REFRESH))
    contacts = emails(sandbox)
    assert len(contacts) == 5
    assert contacts["left@example.com"]["tags"] == []
    assert contacts["also-left@example.com"]["tags"] == ["Other"]
    assert contacts["stays@example.com"]["tags"] == ["Audience"]
    assert run.summary["untagged"] == 2


def test_overwrite_keep_is_the_default(sandbox: SandboxHandle) -> None:
    seed_audience(sandbox)
    every_state_acknowledged(
        run_on_platform(config_for(sandbox.url, tags="Audience"), OVERWRITE, FULL_REFRESH)
    )
    assert len(sandbox.contacts()) == 5


def test_a_source_that_fails_half_way_through_an_overwrite_removes_nothing(sandbox: SandboxHandle) -> None:
    """The platform sends COMPLETE only after a source that succeeded: a source that stopped after one
    record gets none, and the contacts it did not read yet stay (as does everything else)."""
    seed_audience(sandbox)
    config = config_for(sandbox.url, tags="Audience", missing_contacts="delete")
    run = run_on_platform(config, OVERWRITE, FULL_REFRESH[:1], source_succeeded=False)
    assert run.returncode == 0, run.stdout[-3000:]
    assert [m["type"] for m in run.sent] == ["RECORD"], "no STATE injected, no COMPLETE"
    assert set(emails(sandbox)) == {
        "stays@example.com",
        "left@example.com",
        "also-left@example.com",
        "not-ours@example.com",
    }
    warning = next(line for line in run.logs if NO_COMPLETE in line)
    assert "stream(s) audience" in warning and "are kept" in warning
    assert sandbox.stats()["by_route"].get("DELETE /1/Contacts") is None


def test_by_hand_an_overwrite_mirrors_only_when_the_input_ends_with_complete(sandbox: SandboxHandle) -> None:
    """Input piped in by hand: without a COMPLETE trace nothing is removed (and the log says how to get
    the mirror); with one, the leftovers go."""
    seed_audience(sandbox)
    config = config_for(sandbox.url, tags="Audience", missing_contacts="delete")
    without = run_connector("write", config, OVERWRITE, FULL_REFRESH)
    assert without.returncode == 0, without.stdout[-3000:]
    assert len(sandbox.contacts()) == 5
    assert any(NO_COMPLETE in line and "COMPLETE trace" in line for line in without.logs)
    with_complete = run_connector(
        "write", config, OVERWRITE, [*FULL_REFRESH, stream_status("audience", "COMPLETE")]
    )
    assert with_complete.returncode == 0, with_complete.stdout[-3000:]
    assert set(emails(sandbox)) == {"stays@example.com", "new@example.com", "not-ours@example.com"}


def test_a_refresh_that_removes_records_mirrors_a_classic_stream_like_overwrite(
    sandbox: SandboxHandle,
) -> None:
    """A refresh job ("remove records") of an incremental append stream: the platform hands over
    `append` with minimum_generation_id == generation_id; the connector mirrors as for overwrite."""
    seed_audience(sandbox)
    catalog = catalog_of(stream_entry("audience", "append"))
    config = config_for(sandbox.url, tags="Audience", missing_contacts="remove_tags")
    run = every_state_acknowledged(
        run_on_platform(
            config,
            catalog,
            FULL_REFRESH,
            job=PlatformJob(generations={"audience": 4}, refresh={"audience": "truncate"}),
        )
    )
    (stream,) = run.catalog["streams"]
    assert (stream["destination_sync_mode"], stream["generation_id"], stream["minimum_generation_id"]) == (
        "append",
        5,
        5,
    )
    contacts = emails(sandbox)
    assert contacts["left@example.com"]["tags"] == [] and contacts["also-left@example.com"]["tags"] == [
        "Other"
    ]
    assert run.summary["untagged"] == 2


def test_a_refresh_that_keeps_records_and_a_normal_sync_remove_nothing(sandbox: SandboxHandle) -> None:
    """minimum_generation_id 0 (a "merge" refresh, an incremental sync) replaces nothing."""
    seed_audience(sandbox)
    catalog = catalog_of(stream_entry("audience", "append"))
    config = config_for(sandbox.url, tags="Audience", missing_contacts="delete")
    for refresh in ({"audience": "merge"}, None):
        run = every_state_acknowledged(
            run_on_platform(
                config, catalog, FULL_REFRESH, job=PlatformJob(generations={"audience": 2}, refresh=refresh)
            )
        )
        assert run.catalog["streams"][0]["minimum_generation_id"] == 0
        assert run.summary["deleted"] == 0
    assert len(sandbox.contacts()) == 5


def test_a_sync_that_fails_part_way_removes_nothing(sandbox: SandboxHandle) -> None:
    seed_audience(sandbox)
    sandbox.configure(fault_rate_5xx=1.0, fault_phase="before")
    config = config_for(sandbox.url, tags="Audience", missing_contacts="delete", request_timeout_seconds=2)
    run = run_on_platform(config, OVERWRITE, FULL_REFRESH)
    assert run.returncode != 0
    assert any(
        t["error"]["failure_type"] == "transient_error" for t in run.traces if t.get("type") == "ERROR"
    )
    sandbox.configure(fault_rate_5xx=0.0)
    assert len(sandbox.contacts()) == 4
    assert sandbox.stats()["by_route"].get("DELETE /1/Contacts") is None
    assert run.states == []


def test_a_rejected_record_without_a_usable_key_blocks_removal_and_says_why(sandbox: SandboxHandle) -> None:
    seed_audience(sandbox)
    messages = [record("audience", {"email": "broken email"}), *FULL_REFRESH]
    config = config_for(
        sandbox.url, tags="Audience", missing_contacts="delete", rejected_records_threshold=50
    )
    run = every_state_acknowledged(run_on_platform(config, OVERWRITE, messages))
    assert len(sandbox.contacts()) == 5
    assert any(
        "without a usable match key were rejected in audience (line 1)" in line
        and "cannot be told apart" in line
        for line in run.logs
    ), run.logs
    assert run.checks[0].rejected_count == 1 and run.checks[0].record_count == 2


def test_rejected_records_that_name_their_contact_spare_it_and_the_mirror_goes_on(
    sandbox: SandboxHandle,
) -> None:
    """Issue 22 item 19: an email Ontraport refuses (422) and a record whose date cannot be read (its
    email still names its contact) are rejected; the contact the second names stays tagged, the
    other leftovers lose the tag; the log names them."""
    seed_audience(sandbox)
    sandbox.seed([{"email": "bad-date@example.com", "firstname": "Dated", "tags": ["Audience"]}])
    messages = [
        record("audience", {"email": "ü@bücher.example", "first_name": "Umlaut"}),
        record("audience", {"email": "bad-date@example.com", "signup": "someday soon"}),
        *FULL_REFRESH,
    ]
    config = config_for(
        sandbox.url,
        tags="Audience",
        missing_contacts="remove_tags",
        rejected_records_threshold=100,
        field_mapping=[{"source": "signup", "target": "Signup Date"}],
    )
    run = every_state_acknowledged(run_on_platform(config, OVERWRITE, messages))
    assert run.summary["rejected"] == 2 and run.summary["untagged"] == 2
    contacts = emails(sandbox)
    assert contacts["bad-date@example.com"]["tags"] == ["Audience"], "named by a rejected record: spared"
    assert contacts["left@example.com"]["tags"] == [] and contacts["also-left@example.com"]["tags"] == [
        "Other"
    ]
    assert any("kept because a rejected record names them: bad-date@example.com" in line for line in run.logs)
    untagged = next(line for line in run.logs if "were untagged" in line)
    assert "left@example.com" in untagged and "also-left@example.com" in untagged
    assert (run.checks[0].record_count, run.checks[0].rejected_count) == (2.0, 2.0)


def test_the_removal_guard_stops_an_oversized_removal_before_removing_anything(
    sandbox: SandboxHandle,
) -> None:
    seed_audience(sandbox)
    config = config_for(sandbox.url, tags="Audience", missing_contacts="delete", max_removals=1)
    run = run_on_platform(config, OVERWRITE, FULL_REFRESH)
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
    run = every_state_acknowledged(
        run_on_platform(config_for(sandbox.url), catalog_of(stream_entry("people")), messages)
    )
    contacts = emails(sandbox)
    assert set(contacts) == {"c2@example.com", "c3@example.com"}
    assert contacts["c2@example.com"]["firstname"] == "Changed"
    assert sandbox.stats()["by_route"].get("DELETE /1/Contacts") == 1
    assert (run.summary["deleted"], run.summary["skipped"]) == (2, 1)


def test_cdc_deletes_can_untag_instead(sandbox: SandboxHandle) -> None:
    sandbox.seed([{"email": "u@example.com", "tags": ["Audience"]}])
    messages = [record("people", {"email": "u@example.com", "_ab_cdc_deleted_at": "2024-05-01"})]
    config = config_for(sandbox.url, tags="Audience", deleted_records="remove_tags")
    run = run_on_platform(config, catalog_of(stream_entry("people")), messages)
    assert run.returncode == 0
    assert emails(sandbox)["u@example.com"]["tags"] == []
    assert run.summary["untagged"] == 1


def test_update_mode_changes_existing_contacts_and_skips_new_ones(sandbox: SandboxHandle) -> None:
    sandbox.seed([{"email": "known@example.com", "firstname": "Old"}])
    messages = [
        record("people", {"email": "known@example.com", "first_name": "New"}),
        record("people", {"email": "stranger@example.com", "first_name": "Nobody"}),
    ]
    run = run_on_platform(config_for(sandbox.url), catalog_of(stream_entry("people", "update")), messages)
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
    run = run_on_platform(
        config_for(sandbox.url), catalog_of(stream_entry("removed", "soft_delete")), messages
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
    ]
    config = config_for(
        sandbox.url, tags="Audience", missing_contacts="delete", dry_run=True, rejected_records_threshold=50
    )
    before = sandbox.stats()
    catalog = catalog_of(stream_entry("audience", "overwrite"), stream_entry("leads"))
    run = run_on_platform(config, catalog, messages)
    assert run.returncode == 0, run.stdout[-3000:]
    after = sandbox.stats()
    assert after["write_requests"] == before["write_requests"], "a dry run writes nothing"
    summary = run.summary
    assert (summary["created"], summary["updated"], summary["unchanged"], summary["rejected"]) == (1, 1, 1, 1)
    assert summary["deleted"] == 2
    assert any(
        "would update change@example.com" in line and "First Name: 'Before' -> 'After'" in line
        for line in run.logs
    ), "the field by its label, not its API name"
    assert any("would be deleted: left@example.com, also-left@example.com" in line for line in run.logs)
    assert any(
        line.startswith("Dry run: would delete left@example.com (id ") and "not in this full refresh" in line
        for line in run.logs
    ), "example removals, as the docs say"
    assert run.states == [], "a dry run must not acknowledge records the next real sync has to send"
    assert run.unacknowledged == run.stamped
    assert len(sandbox.contacts()) == 5, "nothing created, nothing deleted"
