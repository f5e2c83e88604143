"""Many clients at once: latency that blocks no one, a consistent store, large seeds and indexes."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from ontraport_sandbox.testing import SandboxHandle
from ontraport_sandbox.tests.support import TIMEOUT, Api, clause, criteria, wait_for_slow_fault

# ---------------------------------------------------------------------------------------------
# concurrency and scale
# ---------------------------------------------------------------------------------------------


def test_latency_is_applied_without_blocking_other_requests(sandbox: SandboxHandle) -> None:
    sandbox.configure(latency_ms=400)
    clients = [Api(sandbox) for _ in range(8)]
    try:
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda c: c.get("/Contacts/getInfo").status_code, clients))
        elapsed = time.monotonic() - started
    finally:
        for client in clients:
            client.close()
    assert statuses == [200] * 8
    assert elapsed >= 0.4
    assert elapsed < 8 * 0.4 * 0.75, "requests were served one after another"
    assert sandbox.stats()["peak_in_flight"] > 1


def test_a_slow_response_does_not_hold_up_others(sandbox: SandboxHandle) -> None:
    sandbox.configure(fault_rate_slow=1, slow_seconds=2.0)
    slow_client, fast_client = Api(sandbox), Api(sandbox)
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(slow_client.get, "/Contacts")
            wait_for_slow_fault(sandbox, time.monotonic() + 1.5)
            sandbox.configure(fault_rate_slow=0)
            started = time.monotonic()
            assert fast_client.get("/Contacts").status_code == 200
            assert time.monotonic() - started < 1.5
            assert not pending.done()
            assert pending.result(timeout=TIMEOUT).status_code == 200
    finally:
        slow_client.close()
        fast_client.close()


def test_store_stays_consistent_under_concurrent_writes(sandbox: SandboxHandle) -> None:
    emails = [f"c{i}@example.com" for i in range(20)]

    def worker(offset: int) -> list[int]:
        client = Api(sandbox)
        statuses = []
        try:
            for n in range(40):
                email = emails[(offset + n) % len(emails)]
                data = {"email": email.upper() if n % 2 else email, "lastname": f"w{offset}"}
                statuses.append(client.request("POST", "/Contacts/saveorupdate", data=data).status_code)
                statuses.append(
                    client.request("POST", "/Contacts", data={"firstname": f"dup{offset}"}).status_code
                )
        finally:
            client.close()
        return statuses

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = [status for statuses in pool.map(worker, range(6)) for status in statuses]
    assert set(results) == {200}
    contacts = sandbox.contacts()
    assert len(contacts) == 20 + 6 * 40
    assert len({c["id"] for c in contacts}) == len(contacts)
    assert sorted(c["email"].lower() for c in contacts if c["email"]) == sorted(emails)
    assert len({c["unique_id"] for c in contacts}) == len(contacts)


def test_large_seed_and_indexed_lookups_stay_correct(api: Api, sandbox: SandboxHandle) -> None:
    sandbox.seed([{"email": f"big{i}@example.com", "f1001": f"X{i}"} for i in range(20_000)])
    wanted = [f"BIG{i}@example.com" for i in range(0, 20_000, 400)]
    found = api.ok(
        "GET", "/Contacts", params={"condition": criteria(clause("email", "IN", wanted)), "listFields": "id"}
    )
    assert [int(c["id"]) for c in found["data"]] == [i + 1 for i in range(0, 20_000, 400)]
    # an index built on first use follows later writes
    assert api.ok("GET", "/Contacts", params={"condition": "f1001='X5'", "listFields": "id"})["data"] == [
        {"id": "6"}
    ]
    api.ok("PUT", "/Contacts", data={"id": 6, "f1001": "moved"})
    assert api.ok("GET", "/Contacts", params={"condition": "f1001='X5'"})["data"] == []
    assert api.ok("GET", "/Contacts", params={"condition": "f1001='MOVED'", "listFields": "id"})["data"] == [
        {"id": "6"}
    ]
    api.ok("DELETE", "/Contacts", params={"ids": "6"})
    assert api.ok("GET", "/Contacts", params={"condition": "f1001='moved'"})["data"] == []
    assert api.ok("GET", "/Contacts/getInfo")["data"]["count"] == "19999"
