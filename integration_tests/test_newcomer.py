"""What a newcomer hits first, run as a newcomer runs it: `main.py` as a subprocess against the
sandbox (issue 22, items 13 to 16 and 18): the README's command with a Python that lacks the
dependencies, a misspelled option, a field mapping that names a source no record has or a target the
writer refuses, and records for a stream the catalog lacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from integration_tests.harness import (
    ROOT,
    Run,
    capture_path,
    catalog_of,
    config_for,
    record,
    run_connector,
    stream_entry,
)
from ontraport_sandbox.testing import SandboxHandle

# `python main.py ...` with a Python that has pydantic (so `spec` works) but not airbyte-cdk: what a
# person gets who runs the README's command outside the project's virtualenv.
WITHOUT_CDK = (
    "import runpy, sys; sys.modules['airbyte_cdk'] = None; sys.argv = ['main.py', *sys.argv[1:]]; "
    "runpy.run_path('main.py', run_name='__main__')"
)


def run_main(*args: str, prelude: str = WITHOUT_CDK) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-c", prelude, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    with capture_path().open("a", encoding="utf-8") as sink:
        sink.write(proc.stdout + proc.stderr)
    return proc


def test_check_without_the_dependencies_says_to_run_make_venv(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"app_id": "a", "api_key": "b"}))
    proc = run_main("check", "--config", str(config))
    assert proc.returncode == 1
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr  # one line, no traceback
    assert "no module named 'airbyte_cdk'" in lines[0]
    assert "make venv" in lines[0] and ".venv/bin/python main.py" in lines[0]
    assert sys.executable in lines[0]


def test_spec_still_works_without_the_cdk() -> None:
    proc = run_main("spec")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["type"] == "SPEC"


def test_a_python_without_any_dependency_gets_the_same_line_for_spec() -> None:
    proc = subprocess.run(
        [sys.executable, "-S", "main.py", "spec"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 1
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "make venv" in proc.stderr


# --- item 13: a misspelled option ------------------------------------------------------------------
PEOPLE = catalog_of(stream_entry("people"))
TWO_PEOPLE = [record("people", {"email": f"p{n}@example.com"}) for n in range(2)]


def test_write_refuses_a_misspelled_dry_run_before_sending_anything(sandbox: SandboxHandle) -> None:
    run = run_connector("write", config_for(sandbox.url, dryrun=True), PEOPLE, TWO_PEOPLE)
    assert run.returncode == 1
    assert run.traces and run.traces[0]["error"]["failure_type"] == "config_error"
    assert "unknown option 'dryrun' (did you mean 'dry_run'?)" in run.errors[0]
    assert sandbox.stats()["total_requests"] == 0, "refused before any request"
    assert sandbox.contacts() == []
    assert not run.states


def test_check_refuses_a_misspelled_option_in_any_case_or_spelling(sandbox: SandboxHandle) -> None:
    for key, meant in (("Dry-Run", "dry_run"), ("max_removal", "max_removals"), ("tag", "tags")):
        status = run_connector("check", config_for(sandbox.url, **{key: "x"})).connection_status()
        assert status["status"] == "FAILED", key
        assert f"unknown option '{key}' (did you mean '{meant}'?)" in status["message"]
    assert sandbox.stats()["total_requests"] == 0


def test_check_refuses_a_misspelled_key_inside_nested_settings(sandbox: SandboxHandle) -> None:
    storage = {"storage_type": "S3", "s3_bucket_nme": "rejects", "bucket_path": "p"}
    mapping = [{"sorce": "ltv", "target": "Lifetime Value"}]
    run = run_connector(
        "check", config_for(sandbox.url, object_storage_config=storage, field_mapping=mapping)
    )
    message = run.connection_status()["message"]
    assert "unknown option 'object_storage_config.s3_bucket_nme' (did you mean 's3_bucket_name'?)" in message
    assert "unknown option 'field_mapping[0].sorce' (did you mean 'source'?)" in message


def test_another_unknown_option_only_warns_in_check_and_write(sandbox: SandboxHandle) -> None:
    config = config_for(
        sandbox.url, comment="set up by Ann", object_storage_config={"storage_type": "None", "x": 1}
    )
    warning = "Unknown config option(s) comment, object_storage_config.x are ignored"
    check = run_connector("check", config)
    assert check.connection_status()["status"] == "SUCCEEDED", check.stdout
    assert any(warning in line for line in check.logs), check.logs
    write = run_connector("write", config, PEOPLE, TWO_PEOPLE)
    assert write.returncode == 0, write.stderr
    assert any(warning in line for line in write.logs)
    assert len(sandbox.contacts()) == 2


# --- item 15: per-record tags, and a field_mapping target the writer refuses ------------------------
def test_check_refuses_a_read_only_mapping_target_with_the_message_write_gives(
    sandbox: SandboxHandle,
) -> None:
    for target in ("Contact Tags", "Date Added"):
        config = config_for(sandbox.url, field_mapping=[{"source": "tags", "target": target}])
        status = run_connector("check", config).connection_status()
        assert status["status"] == "FAILED", target
        write = run_connector("write", config, PEOPLE, TWO_PEOPLE)
        assert write.returncode == 1 and write.errors, write.stderr
        assert status["message"] == write.errors[0]
        assert "is read-only; the field mapping from 'tags' cannot write it." in status["message"]
        assert ("Tags per record" in status["message"]) == (target == "Contact Tags")
    assert sandbox.contacts() == []


def test_check_refuses_two_mappings_to_one_field(sandbox: SandboxHandle) -> None:
    mapping = [{"source": "a", "target": "First Name"}, {"source": "b", "target": "firstname"}]
    status = run_connector("check", config_for(sandbox.url, field_mapping=mapping)).connection_status()
    assert status["status"] == "FAILED"
    assert "is the target of two field mappings ('a' and 'b')" in status["message"]


def test_a_tags_column_of_a_classic_stream_points_to_tags_per_record(sandbox: SandboxHandle) -> None:
    records = [record("people", {"email": "t@example.com", "tags": "VIP", "shoe_size": "44"})]
    run = run_connector("write", config_for(sandbox.url), PEOPLE, records)
    assert run.returncode == 0, run.stderr
    hint = [line for line in run.logs if "'tags'" in line]
    assert len(hint) == 1 and "Tags per record" in hint[0] and "Add Tags" in hint[0], run.logs
    generic = [line for line in run.logs if "add a field_mapping entry" in line]
    assert generic and "shoe_size" in generic[0] and "tags" not in generic[0]


# --- item 14: a field_mapping source that no record has ---------------------------------------------
def test_a_mapping_source_in_no_record_is_named_at_the_end(sandbox: SandboxHandle) -> None:
    config = config_for(sandbox.url, field_mapping=[{"source": "ltv", "target": "Lifetime Value"}])
    records = [record("people", {"email": f"v{n}@example.com", "lifetime_value": 10 * n}) for n in range(20)]
    run = run_connector("write", config, PEOPLE, records)
    assert run.returncode == 0, run.stderr
    warnings = [line for line in run.logs if line.startswith("field_mapping source 'ltv'")]
    assert len(warnings) == 1, run.logs
    assert "was in none of 20 records (stream(s) 'people')" in warnings[0]
    assert "Lifetime Value (f1002)" in warnings[0] and "records had 'lifetime_value'" in warnings[0]
    assert warning_level(run, warnings[0]) == "WARN"
    assert run.summary["unused_field_mappings"] == ["ltv"]
    assert "field_mapping source(s) in no record: 'ltv'" in next(
        line for line in run.logs if line.startswith("Sync summary:")
    )
    assert all(not c.get("f1002") for c in sandbox.contacts()), "the field got no value"


def test_a_mapping_source_found_in_one_stream_is_not_named(sandbox: SandboxHandle) -> None:
    config = config_for(sandbox.url, field_mapping=[{"source": "ltv", "target": "Lifetime Value"}])
    catalog = catalog_of(stream_entry("people"), stream_entry("buyers"))
    records = [
        record("people", {"email": "a@example.com"}),
        record("buyers", {"email": "b@example.com", "ltv": 5}),
    ]
    run = run_connector("write", config, catalog, records)
    assert run.returncode == 0, run.stderr
    assert run.summary["unused_field_mappings"] == []
    assert not [line for line in run.logs if line.startswith("field_mapping source")]


def warning_level(run: Run, message: str) -> str:
    return str(
        next(
            m["log"]["level"]
            for m in run.messages
            if m.get("type") == "LOG" and m["log"]["message"] == message
        )
    )


# --- item 18: records for a stream the catalog lacks -----------------------------------------------
TWO_STREAMS = catalog_of(stream_entry("people"), stream_entry("deals"))
STRAYS = [record("peoples", {"email": f"s{n}@example.com"}) for n in range(3_000)]


def rejection_warnings(run: Run) -> list[str]:
    return [
        m["log"]["message"]
        for m in run.messages
        if m.get("type") == "LOG"
        and m["log"]["level"] == "WARN"
        and m["log"]["message"].startswith("Rejected record")
    ]


def test_records_that_all_go_nowhere_stop_the_sync_after_1000(sandbox: SandboxHandle) -> None:
    run = run_connector("write", config_for(sandbox.url), TWO_STREAMS, STRAYS)
    assert run.returncode == 1
    assert run.traces[-1]["error"]["failure_type"] == "config_error"
    assert run.errors[-1].startswith(
        "The first 1,000 records all name streams the configured catalog does not have (the first: "
        "'peoples'; its streams: 'people', 'deals'), so the sync stops here: nothing was written."
    )
    assert run.summary["records_read"] == 1_000 and run.summary["rejected"] == 1_000
    warnings = rejection_warnings(run)
    assert len(warnings) == 5, "the first few in full, then counted"
    assert "its streams: 'people', 'deals'" in warnings[0]
    assert "Further records rejected for this reason are counted" in warnings[-1]
    assert any(
        line.startswith("Rejected 1,000 record(s) for this reason; the first: line 1") for line in run.logs
    )
    assert sandbox.stats()["write_requests"] == 0 and sandbox.contacts() == []


def test_strays_after_a_good_record_fail_at_the_threshold_naming_the_streams(sandbox: SandboxHandle) -> None:
    records = [record("people", {"email": "good@example.com"}), *STRAYS]
    run = run_connector("write", config_for(sandbox.url), TWO_STREAMS, records)
    assert run.returncode == 1
    assert run.summary["records_read"] == 3_001 and run.summary["rejected"] == 3_000
    error = run.errors[-1]
    assert "3000 of 3001 records (100.0%) were rejected" in error
    assert "Most often: 3,000 like stream 'peoples' is not in the configured catalog (its streams: " in error
    assert "'people', 'deals')" in error and "the connection's streams" in error
    assert len(rejection_warnings(run)) == 5
    assert [c["email"] for c in sandbox.contacts()] == ["good@example.com"]


def test_a_threshold_of_100_percent_never_stops_early(sandbox: SandboxHandle) -> None:
    run = run_connector("write", config_for(sandbox.url, rejected_records_threshold=100), TWO_STREAMS, STRAYS)
    assert run.returncode == 0, run.errors
    assert run.summary["rejected"] == 3_000
    assert len(rejection_warnings(run)) == 5


# --- item 17: progress and rate on a long run ----------------------------------------------------------
def test_a_long_batch_shows_counts_and_time_left_as_it_goes_and_a_whole_window_rate(
    sandbox: SandboxHandle,
) -> None:
    """One batch of 160 new contacts at 20 requests per 5-s window (about 40 s): the progress line
    at 30 s already counts the contacts created so far and estimates the batch's time left; the
    summary's rate, over whole windows, is not above the allowed rate."""
    sandbox.configure(rate_limit=20, window_seconds=5)
    config = config_for(sandbox.url, rate_limit_window_seconds=5)
    records = [record("people", {"email": f"long{n}@example.com"}) for n in range(160)]
    run = run_connector("write", config, PEOPLE, records)
    assert run.returncode == 0, run.errors
    lines = [line for line in run.logs if line.startswith("Progress:")]
    assert lines, run.logs
    first = lines[0]
    created = int(first.split(" created")[0].rsplit("; ", 1)[-1].replace(",", ""))
    assert 0 < created < 160, first  # counted as the writes finish, before the batch ends
    assert "this batch: " in first and " of 160 writes done, about " in first and " left" in first
    summary = run.summary
    assert summary["created"] == 160
    assert summary["rate_windows"] >= 5 and summary["rate_window_seconds"] == 5
    assert 0 < summary["rate_share"] <= 1.0, summary
    assert summary["allowed_per_minute"] == 240.0


def test_a_short_run_reports_no_rate_rather_than_a_figure_of_a_few_seconds(sandbox: SandboxHandle) -> None:
    run = run_connector("write", config_for(sandbox.url), PEOPLE, TWO_PEOPLE)
    assert run.returncode == 0, run.errors
    assert run.summary["rate_share"] is None and run.summary["requests_per_minute"] is None
    human = next(line for line in run.logs if line.startswith("Sync summary:"))
    assert "request rate not measured" in human and "less than one whole rate window of 60 s" in human
