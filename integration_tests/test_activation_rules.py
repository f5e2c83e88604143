"""Data-activation streams as Airbyte's activation destinations treat them, end to end (`main.py`
against the sandbox, the bucket on a moto S3 server):

- an `update` or `soft_delete` whose key matches nothing is a rejected record with its reason,
  stored in the bucket and counted in its STATE, and the sync succeeds: the default rejection
  threshold is for classic streams; one the user sets applies to every stream;
- classic options (`deleted_records`, `ignore_fields`, ...) do not reach activation streams, and a
  LOG line says so when they are set for a catalog of activation streams only;
- a property the object does not have is a WARN naming the object's properties, and the sync goes on;
- a malformed catalog fails with a configuration error that names the stream and the field;
- after a lost answer to a create without a matching key, the failure does not promise a re-run
  free of duplicates.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from integration_tests.harness import Run, config_for, run_connector, stream_entry
from integration_tests.s3_server import Credentials, S3Handle
from ontraport_sandbox.testing import SandboxHandle

DEAL, PET = 149, 10000
SYNC_ID = 77


def stream(
    name: str, object_name: str, mode: str, key: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    """A stream as the Airbyte UI configures a data-activation connection."""
    entry: dict[str, Any] = {
        "stream": {"name": name, "json_schema": {"type": "object"}, "supported_sync_modes": ["incremental"]},
        "sync_mode": "incremental",
        "destination_sync_mode": mode,
        "destination_object_name": object_name,
        "sync_id": SYNC_ID,
        **extra,
    }
    if key:
        entry["primary_key"] = [[part] for part in key]
    return entry


def rec(name: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": "RECORD", "record": {"stream": name, "data": data, "emitted_at": 1_700_000_000_000}}


def done(name: str, at: int = 1) -> dict[str, Any]:
    return {
        "type": "STATE",
        "state": {
            "type": "STREAM",
            "stream": {"stream_descriptor": {"name": name}, "stream_state": {"at": at}},
        },
    }


def states_by_stream(run: Run) -> dict[str, dict[str, Any]]:
    return {st["stream"]["stream_descriptor"]["name"]: st for st in run.states}


def logs_at(run: Run, level: str) -> list[str]:
    return [
        m["log"]["message"] for m in run.messages if m.get("type") == "LOG" and m["log"]["level"] == level
    ]


def storage(s3: S3Handle, bucket: str, who: Credentials) -> dict[str, Any]:
    return {
        "storage_type": "S3",
        "access_key_id": who.access_key_id,
        "secret_access_key": who.secret_access_key,
        "s3_bucket_name": bucket,
        "s3_bucket_region": "us-east-1",
        "s3_endpoint": s3.endpoint,
        "bucket_path": "rejects",
    }


def stored_rows(s3: S3Handle, bucket: str) -> list[dict[str, Any]]:
    return [
        json.loads(line) for key in s3.keys(bucket) for line in s3.read(bucket, key).decode().splitlines()
    ]


# --- §5: an update or a deletion that matches nothing -------------------------------------------------


def test_updates_and_deletions_that_match_nothing_are_rejected_stored_counted_and_the_sync_succeeds(
    sandbox: SandboxHandle, s3_server: S3Handle
) -> None:
    (deal_id,) = sandbox.seed_objects(DEAL, [{"name": "Known deal"}])
    sandbox.seed_objects(PET, [{"f2001": "PET-DEL", "f2002": "Gone"}])
    bucket, user = s3_server.new_bucket(), s3_server.new_user()
    catalog = {
        "streams": [
            stream("deal_fixes", "Deal", "update", ["id"]),
            stream("pets_gone", "Pet", "soft_delete", ["Pet ID"]),
        ]
    }
    messages = [
        rec("deal_fixes", {"id": deal_id, "Name": "Renamed"}),
        rec("deal_fixes", {"id": 42, "Name": "Nobody"}),
        done("deal_fixes"),
        rec("pets_gone", {"Pet ID": "PET-DEL"}),
        rec("pets_gone", {"Pet ID": "PET-NONE"}),
        done("pets_gone"),
    ]
    config = config_for(sandbox.url, object_storage_config=storage(s3_server, bucket, user))
    run = run_connector("write", config, catalog, messages)
    assert run.returncode == 0, (
        run.stdout[-3000:] + run.stderr[-2000:]
    )  # 2 of 4 rejected: no default threshold
    summary = run.summary
    assert (summary["rejected"], summary["skipped"], summary["updated"], summary["deleted"]) == (2, 0, 1, 1)
    assert [d["name"] for d in sandbox.objects(DEAL)] == ["Renamed"], "nothing created for id 42"
    assert sandbox.objects(PET) == []

    states = states_by_stream(run)
    assert states["deal_fixes"]["destinationStats"]["rejectedRecordCount"] == 1
    assert states["pets_gone"]["destinationStats"]["rejectedRecordCount"] == 1
    rows = {row["stream"]: row for row in stored_rows(s3_server, bucket)}
    assert rows["deal_fixes"]["error"].startswith("no Deal with id 42: update changes existing records")
    assert rows["deal_fixes"]["record"] == {"id": 42, "Name": "Nobody"}
    assert rows["pets_gone"]["error"] == "no Pet with Pet ID 'PET-NONE' to delete"
    assert rows["pets_gone"]["record"] == {"Pet ID": "PET-NONE"}

    explicit = run_connector("write", {**config, "rejected_records_threshold": 10}, catalog, messages)
    assert explicit.returncode == 1, "a threshold the user set applies to activation streams too"
    assert explicit.errors and "the rejected_records_threshold of 10%" in explicit.errors[0]
    assert [t["error"]["failure_type"] for t in explicit.traces if t["type"] == "ERROR"] == ["config_error"]


def test_the_default_threshold_still_guards_the_classic_streams_of_a_mixed_catalog(
    sandbox: SandboxHandle,
) -> None:
    classic = stream_entry("people", "append")
    catalog = {"streams": [classic, stream("deal_fixes", "Deal", "update", ["id"])]}
    messages = [
        *[rec("people", {"email": f"p{i}@example.com"}) for i in range(8)],
        rec("people", {"email": "not an email"}),
        rec("people", {"email": "neither"}),
        *[rec("deal_fixes", {"id": 100 + i, "Name": "x"}) for i in range(10)],  # all rejected: no such deals
    ]
    run = run_connector("write", config_for(sandbox.url), catalog, messages)
    assert run.returncode == 1
    assert run.errors[0].startswith("2 of 10 records of classic streams (20.0%) were rejected"), run.errors
    assert run.summary["rejected"] == 12


# --- item 21: classic options do not reach activation streams ------------------------------------------


@pytest.mark.parametrize("deleted_records", ["ignore", "remove_tags"])
def test_an_activation_soft_delete_deletes_whatever_deleted_records_says(
    sandbox: SandboxHandle, deleted_records: str
) -> None:
    sandbox.seed([{"email": "leaving@example.com", "tags": ["Airbyte"]}, {"email": "cdc@example.com"}])
    sandbox.seed_objects(PET, [{"f2001": "PET-1"}])
    classic = stream_entry("people", "append")
    catalog = {
        "streams": [
            stream("unsubscribes", "Contact", "soft_delete", ["Email"]),
            stream("pets_gone", "Pet", "soft_delete", ["Pet ID"]),
            classic,
        ]
    }
    messages = [
        rec("unsubscribes", {"Email": "leaving@example.com"}),
        rec("pets_gone", {"Pet ID": "PET-1"}),
        rec("people", {"email": "cdc@example.com", "_ab_cdc_deleted_at": "2024-01-01T00:00:00Z"}),
    ]
    config = config_for(sandbox.url, tags="Airbyte", deleted_records=deleted_records)
    run = run_connector("write", config, catalog, messages)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    emails = {c["email"] for c in sandbox.contacts()}
    assert "leaving@example.com" not in emails, "soft_delete deletes: deleted_records is for classic streams"
    assert sandbox.objects(PET) == [], "remove_tags no longer refuses a Pet soft_delete"
    assert "cdc@example.com" in emails, f"the classic CDC delete follows deleted_records={deleted_records}"
    assert run.summary["deleted"] == 2


def test_classic_options_set_for_a_catalog_of_activation_streams_only_are_named_in_the_log(
    sandbox: SandboxHandle,
) -> None:
    catalog = {"streams": [stream("deals", "Deal", "append")]}
    config = config_for(sandbox.url, deleted_records="ignore", ignore_fields=["Name"], match_field="email")
    run = run_connector("write", config, catalog, [rec("deals", {"Name": "A deal", "Value": 5})])
    assert run.returncode == 0, run.stdout[-3000:]
    (line,) = [line for line in run.logs if line.startswith("Options for classic contact streams are set")]
    assert "ignore_fields=['Name']" in line and "deleted_records='ignore'" in line
    assert "match_field" not in line, "the default value is not named"
    (deal,) = sandbox.objects(DEAL)
    assert deal["name"] == "A deal", "ignore_fields does not reach an activation stream"


# --- item 20: a property the object does not have --------------------------------------------------------


def test_a_property_the_object_lacks_is_a_warning_naming_its_properties_and_the_sync_succeeds(
    sandbox: SandboxHandle,
) -> None:
    catalog = {"streams": [stream("deals", "Deal", "append")]}
    run = run_connector(
        "write", config_for(sandbox.url), catalog, [rec("deals", {"Nmae": "A deal", "Value": 5})]
    )
    assert run.returncode == 0, run.stdout[-3000:]
    (warning,) = [line for line in logs_at(run, "WARN") if "'Nmae'" in line]
    assert "'Nmae' is not a writable property of Deal and is not sent ('Nmae': did you mean Name?)" in warning
    assert "Deal's properties: Name, " in warning and "Value" in warning
    (deal,) = sandbox.objects(DEAL)
    assert float(deal["value"]) == 5 and not deal.get("name")


# --- item 21: a malformed catalog -------------------------------------------------------------------------


def test_a_malformed_catalog_is_a_configuration_error_naming_the_stream_and_the_fields(
    sandbox: SandboxHandle,
) -> None:
    entry = stream("deals", "Deal", "append")
    entry.update(destination_object_name=10000, primary_key="Email")
    run = run_connector("write", config_for(sandbox.url), {"streams": [entry]}, [rec("deals", {"Name": "x"})])
    assert run.returncode == 1
    (error,) = run.errors
    assert "Something went wrong" not in error
    assert "stream 'deals': destination_object_name must be the Ontraport object's name as a string" in error
    assert "stream 'deals': primary_key must be a list of field paths" in error
    assert [t["error"]["failure_type"] for t in run.traces if t["type"] == "ERROR"] == ["config_error"]
    assert sandbox.stats()["write_requests"] == 0


# --- item 21: after a lost answer to a create without a key ------------------------------------------------


def test_a_lost_create_without_a_key_does_not_promise_a_rerun_without_duplicates(
    sandbox: SandboxHandle,
) -> None:
    sandbox.configure(fault_rate_drop=0.3, fault_phase="after", seed=5)
    sandbox.reset()  # reseeds the faults
    catalog = {"streams": [stream("deals", "Deal", "append")]}
    messages = [rec("deals", {"Name": f"Deal {i}"}) for i in range(30)]
    run = run_connector("write", config_for(sandbox.url), catalog, messages)
    assert run.returncode == 1, run.stdout[-3000:]
    (error,) = run.errors
    assert "may or may not have taken effect" in error
    assert "will not duplicate" not in error
    assert "stream 'deals' (Deal) has no matching key and creates every record received" in error


def test_a_contact_an_activation_stream_wrote_is_not_missing_from_a_classic_full_refresh(
    sandbox: SandboxHandle,
) -> None:
    """Classic and data-activation streams have writers of their own; the full-refresh mirror must
    count the contacts both wrote as present."""
    sandbox.seed([{"email": "gone@example.com", "tags": ["Airbyte"]}])
    classic = stream_entry("people", "overwrite")
    catalog = {"streams": [classic, stream("signups", "Contact", "append", ["Email"])]}
    messages = [
        rec("people", {"email": "kept@example.com"}),
        rec("signups", {"Email": "signup@example.com", "First Name": "New"}),
        *[
            {
                "type": "TRACE",
                "trace": {
                    "type": "STREAM_STATUS",
                    "emitted_at": 1,
                    "stream_status": {"stream_descriptor": {"name": name}, "status": "COMPLETE"},
                },
            }
            for name in ("people", "signups")
        ],
    ]
    config = config_for(sandbox.url, tags="Airbyte", missing_contacts="delete")
    run = run_connector("write", config, catalog, messages)
    assert run.returncode == 0, run.stdout[-3000:]
    emails = {c["email"] for c in sandbox.contacts()}
    assert emails == {"kept@example.com", "signup@example.com"}, "only the contact no stream wrote is deleted"
    assert run.summary["deleted"] == 1
