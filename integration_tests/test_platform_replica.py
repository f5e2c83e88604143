"""The platform replica (`platform.py`) itself: it must send what the platform sends and refuse what the
platform refuses, or the end-to-end tests that run through it prove nothing. No connector runs here."""

from __future__ import annotations

from typing import Any

import pytest

from integration_tests.harness import catalog_of, record, state, stream_entry, stream_status
from integration_tests.platform import PlatformError, ReplicationWorker, supports_refreshes

CATALOG = catalog_of(
    stream_entry("people"),
    stream_entry("audience", "overwrite"),
    stream_entry("history", "append_dedup", primary_key=[["pk"]]),
)


def echo(message: dict[str, Any], accepted: float, rejected: float = 0.0) -> dict[str, Any]:
    """What a correct destination prints for a STATE it received."""
    out = {**message, "state": dict(message["state"])}
    out["state"]["destinationStats"] = {"recordCount": accepted, "rejectedRecordCount": rejected}
    return out


def test_metadata_says_the_connector_supports_refreshes() -> None:
    assert supports_refreshes() is True


def test_the_catalog_gets_generation_ids_and_overwrite_becomes_append() -> None:
    worker = ReplicationWorker(CATALOG, job_id=77, generations={"people": 3, "audience": 2})
    streams = {s["stream"]["name"]: s for s in worker.destination_catalog()["streams"]}
    got = {
        name: (s["destination_sync_mode"], s["generation_id"], s["minimum_generation_id"], s["sync_id"])
        for name, s in streams.items()
    }
    assert got == {
        "people": ("append", 3, 0, 77),
        "audience": ("append", 3, 3, 77),  # a full refresh: bumped, and replaces
        "history": ("append_dedup", 0, 0, 77),
    }
    without = ReplicationWorker(CATALOG, refreshes=False).destination_catalog()["streams"]
    assert [s["destination_sync_mode"] for s in without] == ["append", "overwrite", "append_dedup"]


def test_only_records_and_stamped_states_get_through_then_the_platforms_end() -> None:
    worker = ReplicationWorker(CATALOG)
    sent = worker.forward(
        [
            record("people", {"email": "a@x.io"}),
            record("people", {}),  # empty data: dropped
            "not json",
            {"type": "LOG", "log": {"level": "INFO", "message": "hi"}},
            stream_status("people", "COMPLETE"),
            state("people", 1),
            record("people", {"email": "b@x.io"}),
        ]
    )
    assert [m["type"] for m in sent] == ["RECORD", "STATE", "RECORD", "STATE", "TRACE", "TRACE", "TRACE"]
    assert sent[1]["state"]["id"] == 1 and sent[1]["state"]["sourceStats"] == {"recordCount": 1.0}
    injected = sent[3]["state"]  # MissingStateInjector: the full-refresh stream sent no STATE
    assert injected["stream"] == {"stream_descriptor": {"name": "audience"}, "stream_state": {}}
    assert injected["id"] == 2 and injected["sourceStats"] == {"recordCount": 0.0}
    assert [m["trace"]["stream_status"]["stream_descriptor"]["name"] for m in sent[4:]] == [
        "people",
        "audience",
        "history",
    ]


def test_a_source_that_failed_gets_no_injected_state_and_no_complete() -> None:
    sent = ReplicationWorker(CATALOG).forward([record("people", {"email": "a@x.io"})], source_succeeded=False)
    assert [m["type"] for m in sent] == ["RECORD"]


@pytest.mark.parametrize(
    ("message", "refusal"),
    [
        (record("ghosts", {"email": "g@x.io"}), "Missing catalog stream"),
        (record("history", {"email": "h@x.io"}), "primary keys are null"),
        ({"type": "STATE", "state": {"type": "LEGACY", "data": {}}}, "LEGACY states are deprecated"),
        (stream_status("ghosts", "COMPLETE"), "not present in the catalog"),
    ],
)
def test_what_the_platform_refuses_from_a_source_fails_the_replica_too(
    message: dict[str, Any], refusal: str
) -> None:
    with pytest.raises(PlatformError, match=refusal):
        ReplicationWorker(CATALOG).forward([message])


def forwarded() -> tuple[ReplicationWorker, list[dict[str, Any]]]:
    worker = ReplicationWorker(CATALOG)
    sent = worker.forward(
        [
            record("people", {"email": "a@x.io"}),
            record("people", {"email": "b@x.io"}),
            record("audience", {"email": "c@x.io"}),
            state("people", 1),
            record("people", {"email": "d@x.io"}),
            state("people", 2),
            state("audience", 1),
        ]
    )
    return worker, [m for m in sent if m["type"] == "STATE"]


def test_a_correct_destination_passes_with_every_checksum_equal() -> None:
    worker, states = forwarded()
    checks = worker.read_destination([echo(states[0], 1, 1), echo(states[1], 1), echo(states[2], 1)])
    assert [(c.id, c.forwarded) for c in checks] == [(1, 2), (2, 1), (3, 1)]


def without_id(message: dict[str, Any]) -> dict[str, Any]:
    out = echo(message, 2)
    del out["state"]["id"]
    return out


def with_float_id(message: dict[str, Any]) -> dict[str, Any]:
    out = echo(message, 2)
    out["state"]["id"] = 1.0
    return out


def test_a_state_that_lost_its_id_fails() -> None:
    worker, states = forwarded()
    with pytest.raises(PlatformError, match="does not contain id"):
        worker.read_destination([without_id(states[0])])
    worker, states = forwarded()
    with pytest.raises(PlatformError, match="does not contain id"):
        worker.read_destination([with_float_id(states[0])])


@pytest.mark.parametrize(
    ("accepted", "rejected"),
    [(2, 1), (1, 0), (3, 0)],  # a rejected record counted twice; dropped; another STATE's records merged
)
def test_counts_that_do_not_add_up_to_what_was_forwarded_fail(accepted: float, rejected: float) -> None:
    worker, states = forwarded()
    with pytest.raises(PlatformError, match="checksum is invalid"):
        worker.read_destination([echo(states[0], accepted, rejected)])


def test_states_out_of_order_twice_or_never_stamped_fail() -> None:
    worker, states = forwarded()
    worker.read_destination([echo(states[1], 1)])
    with pytest.raises(PlatformError, match="out of order or twice"):
        worker.read_destination([echo(states[0], 2)])
    worker, states = forwarded()
    worker.read_destination([echo(states[0], 2)])
    with pytest.raises(PlatformError, match="out of order or twice"):
        worker.read_destination([echo(states[0], 2)])
    worker, states = forwarded()
    stranger = echo(states[0], 2)
    stranger["state"]["id"] = 99
    with pytest.raises(PlatformError, match="never stamped"):
        worker.read_destination([stranger])


def test_a_global_state_answers_for_the_streams_it_lists() -> None:
    worker = ReplicationWorker(CATALOG)
    listed = [{"stream_descriptor": {"name": "people"}}, {"stream_descriptor": {"name": "audience"}}]
    global_state = {"type": "STATE", "state": {"type": "GLOBAL", "global": {"stream_states": listed}}}
    sent = worker.forward(
        [
            record("people", {"email": "a@x.io"}),
            record("audience", {"email": "b@x.io"}),
            record("history", {"pk": 1}),
            global_state,
        ]
    )
    (stamped,) = [m for m in sent if m["type"] == "STATE"]  # no injection once a GLOBAL state came
    assert stamped["state"]["sourceStats"] == {"recordCount": 2.0}
    (check,) = worker.read_destination([echo(stamped, 2)])
    assert check.forwarded == 2
