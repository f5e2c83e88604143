"""Injected faults: 5xx, dropped connections, slow answers, before or after the write lands."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import requests

from ontraport_sandbox.testing import SandboxHandle
from ontraport_sandbox.tests.support import APP_ID, TIMEOUT, Api, wait_for_slow_fault

# ---------------------------------------------------------------------------------------------
# faults
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("phase", ["before", "after"])
def test_5xx_fault(api: Api, sandbox: SandboxHandle, phase: str) -> None:
    sandbox.configure(fault_rate_5xx=1, fault_phase=phase)
    response = api.request("POST", "/Contacts", data={"email": "f@example.com"})
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "text/html;charset=UTF-8"
    assert "X-Rate-Limit-Remaining" in response.headers
    assert len(sandbox.contacts()) == (1 if phase == "after" else 0)
    stats = sandbox.stats()
    assert (stats["status_5xx"], stats["faults"]["5xx"]) == (1, 1)


@pytest.mark.parametrize("phase", ["before", "after"])
def test_drop_fault_closes_the_connection_without_a_response(
    api: Api, sandbox: SandboxHandle, phase: str
) -> None:
    sandbox.configure(fault_rate_drop=1, fault_phase=phase)
    with pytest.raises(requests.ConnectionError):
        api.request("POST", "/Contacts", data={"email": "f@example.com"})
    assert len(sandbox.contacts()) == (1 if phase == "after" else 0)
    sandbox.configure(fault_rate_drop=0)
    assert api.request("GET", "/Contacts").status_code == 200, "the session recovers on a new connection"
    stats = sandbox.stats()
    assert (stats["dropped"], stats["faults"]["drop"], stats["total_requests"]) == (1, 1, 2)


@pytest.mark.parametrize("phase", ["before", "after"])
def test_slow_fault_delays_and_the_phase_decides_when_the_write_lands(
    api: Api, sandbox: SandboxHandle, phase: str
) -> None:
    sandbox.configure(fault_rate_slow=1, slow_seconds=1.0, fault_phase=phase)
    result: dict[str, Any] = {}

    def call() -> None:
        started = time.monotonic()
        result["response"] = api.request("POST", "/Contacts", data={"email": "slow@example.com"})
        result["elapsed"] = time.monotonic() - started

    worker = threading.Thread(target=call)
    worker.start()
    deadline = time.monotonic() + 0.8  # well inside the 1 s the response is held back
    wait_for_slow_fault(sandbox, deadline)
    if phase == "after":
        while not sandbox.contacts() and time.monotonic() < deadline:
            time.sleep(0.02)
    visible_while_pending = len(sandbox.contacts())
    worker.join(timeout=TIMEOUT)
    assert result["response"].status_code == 200
    assert result["elapsed"] >= 1.0
    assert visible_while_pending == (1 if phase == "after" else 0)
    assert len(sandbox.contacts()) == 1
    assert sandbox.stats()["faults"]["slow"] == 1


def test_random_phase_mixes_both_and_is_reproducible_with_a_seed(api: Api, sandbox: SandboxHandle) -> None:
    def run() -> list[int]:
        sandbox.reset()
        sandbox.configure(fault_rate_5xx=1, fault_phase="random", seed=42)
        applied = []
        for i in range(24):
            assert api.request("POST", "/Contacts", data={"email": f"r{i}@example.com"}).status_code == 500
            applied.append(len(sandbox.contacts()))
        return applied

    first = run()
    assert 0 < first[-1] < 24, "some faults hit before the write and some after"
    assert run() == first


def test_fault_rates_are_probabilities(api: Api, sandbox: SandboxHandle) -> None:
    sandbox.configure(fault_rate_5xx=0.5, seed=7)
    statuses = [api.get("/Contacts/getInfo").status_code for _ in range(60)]
    assert 10 < statuses.count(500) < 50
    assert statuses.count(500) + statuses.count(200) == 60


def test_faults_spare_auth_failures_429s_and_admin_but_count_in_the_window(
    api: Api, sandbox: SandboxHandle
) -> None:
    sandbox.configure(fault_rate_5xx=1, rate_limit=3)
    bad_auth = requests.get(f"{sandbox.url}/Contacts", headers={"Api-Appid": APP_ID}, timeout=TIMEOUT)
    assert bad_auth.status_code == 401
    assert [api.get("/Contacts").status_code for _ in range(4)] == [500, 500, 500, 429]
    assert sandbox.stats()["faults"]["5xx"] == 3
