"""The admin endpoints (`/__sandbox/...`): seeding, reset, stats, config validated as a whole."""

from __future__ import annotations

import time

import pytest

from ontraport_sandbox.testing import SandboxError, SandboxHandle
from ontraport_sandbox.tests.support import DEFAULTS, Api

# ---------------------------------------------------------------------------------------------
# admin endpoints
# ---------------------------------------------------------------------------------------------


def test_seed_contacts_with_ids_tags_and_any_field(api: Api, sandbox: SandboxHandle) -> None:
    ids = sandbox.seed(
        [
            {"id": 500, "email": "five@example.com", "dlm": "1000", "tags": ["Seeded"], "unknown": "dropped"},
            {"id": 100, "email": "one@example.com", "unique_id": "SEEDED1"},
            {"email": "auto@example.com"},
        ]
    )
    assert ids == [500, 100, 501]
    contacts = sandbox.contacts()
    assert [c["id"] for c in contacts] == ["100", "500", "501"], "kept in id order"
    assert contacts[1]["dlm"] == "1000"
    assert contacts[1]["tags"] == ["Seeded"]
    assert contacts[0]["unique_id"] == "SEEDED1"
    assert "unknown" not in contacts[1]
    assert api.ok("POST", "/Contacts", data={"email": "next@example.com"})["data"]["id"] == "502"
    with pytest.raises(SandboxError):
        sandbox.seed([{"id": 100}])
    assert sandbox.stats()["total_requests"] == 1


def test_reset_empties_store_stats_and_rate_windows(api: Api, sandbox: SandboxHandle) -> None:
    sandbox.configure(rate_limit=2)
    sandbox.seed([{"email": "x@example.com", "tags": ["T"]}])
    api.get("/Contacts")
    api.get("/Contacts")
    assert api.get("/Contacts").status_code == 429
    sandbox.reset()
    assert sandbox.contacts() == []
    assert sandbox.tags() == []
    stats = sandbox.stats()
    assert (stats["total_requests"], stats["first_request_at"], stats["by_route"]) == (0, None, {})
    assert api.get("/Contacts").status_code == 200
    assert sandbox.config()["rate_limit"] == 2, "configuration survives a reset"


def test_stats_shape(api: Api, sandbox: SandboxHandle) -> None:
    before = time.time()
    api.get("/Contacts")
    api.request("POST", "/Contacts", data={"email": "s@example.com"})
    api.request("DELETE", "/Contact", params={"id": 77})
    stats = sandbox.stats()
    for key in (
        "total_requests",
        "by_route",
        "status_429",
        "status_4xx",
        "status_5xx",
        "write_requests",
        "read_requests",
        "delete_all",
        "peak_in_flight",
        "first_request_at",
        "last_request_at",
    ):
        assert key in stats
    assert stats["total_requests"] == 3
    assert stats["by_route"] == {"GET /1/Contacts": 1, "POST /1/Contacts": 1, "DELETE /1/Contact": 1}
    assert (stats["read_requests"], stats["write_requests"]) == (1, 2)
    assert (stats["status_4xx"], stats["status_5xx"]) == (1, 0)
    assert stats["by_status"] == {"200": 2, "404": 1}
    assert before <= stats["first_request_at"] <= stats["last_request_at"] <= time.time()


def test_config_rejects_bad_values_as_a_whole(sandbox: SandboxHandle) -> None:
    for bad in (
        {"nonsense": 1},
        {"fault_phase": "sometimes"},
        {"fault_rate_5xx": 1.5},
        {"fault_rate_5xx": 0.6, "fault_rate_drop": 0.6},
        {"latency_ms": "9-1"},
        {"rate_limit": 0},
        {"rate_limit": 5, "window_seconds": -1},
    ):
        with pytest.raises(SandboxError):
            sandbox.configure(**bad)
    assert sandbox.config()["rate_limit"] == DEFAULTS["rate_limit"]
    assert sandbox.configure(latency_ms="5-9")["latency_ms"] == "5-9"
