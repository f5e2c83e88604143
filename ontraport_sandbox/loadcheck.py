"""`python -m ontraport_sandbox.loadcheck`: how many requests per second the sandbox serves.

A benchmark of the connector is only meaningful if the sandbox is never its bottleneck, so this
measures the sandbox alone under the connector's request mix (bulk look-ups by `email IN [...]`,
updates, saveorupdates) against 10,000 contacts, over keep-alive connections from a few threads.
It reports the wall-clock rate seen by the clients and the server's own CPU time per request,
which is the figure that holds whatever else the machine is doing. No assertions: it only reports.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import threading
import time
from typing import Any
from urllib.parse import urlencode

from .testing import SandboxHandle, running_sandbox


def _contacts(count: int) -> list[dict[str, Any]]:
    return [
        {"email": f"user{i}@example.com", "firstname": f"First{i}", "lastname": f"Last{i}", "f1001": f"x{i}"}
        for i in range(count)
    ]


def _requests(count: int, contacts: int, seed: int) -> list[tuple[str, str, str | None]]:
    """The mix, prepared up front so that building it is not timed: half look-ups of 50 emails,
    a quarter updates, a quarter saveorupdates (half of them new contacts)."""
    rng = random.Random(seed)
    out: list[tuple[str, str, str | None]] = []
    for n in range(count):
        kind = n % 4
        if kind in (0, 1):
            emails = [f"user{rng.randrange(contacts)}@example.com" for _ in range(50)]
            condition = json.dumps(
                [{"field": {"field": "email"}, "op": "IN", "value": {"list": [{"value": e} for e in emails]}}]
            )
            fields = "id,email,firstname,lastname"
            query = urlencode({"condition": condition, "listFields": fields, "range": 50})
            out.append(("GET", f"/1/Contacts?{query}", None))
        elif kind == 2:
            body = urlencode({"id": rng.randrange(1, contacts + 1), "lastname": f"L{n}"})
            out.append(("PUT", "/1/Contacts", body))
        else:
            i = rng.randrange(contacts * 2)
            body = urlencode({"email": f"user{i}@example.com", "firstname": f"F{n}"})
            out.append(("POST", "/1/Contacts/saveorupdate", body))
    return out


def _worker(
    sandbox: SandboxHandle,
    jobs: list[tuple[str, str, str | None]],
    statuses: dict[int, int],
    lock: threading.Lock,
) -> None:
    connection = http.client.HTTPConnection(sandbox.host, sandbox.port, timeout=30)
    headers = {**sandbox.headers, "Content-Type": "application/x-www-form-urlencoded"}
    seen: dict[int, int] = {}
    try:
        for method, path, body in jobs:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            seen[response.status] = seen.get(response.status, 0) + 1
    finally:
        connection.close()
    with lock:
        for status, n in seen.items():
            statuses[status] = statuses.get(status, 0) + n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ontraport_sandbox.loadcheck")
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=3_000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    jobs = _requests(args.requests, args.contacts, args.seed)
    with running_sandbox(rate_limit=10**9, seed=args.seed) as sandbox:
        started = time.perf_counter()
        sandbox.seed(_contacts(args.contacts))
        seeded = time.perf_counter() - started
        before = sandbox.stats()["cpu_seconds"]
        statuses: dict[int, int] = {}
        lock = threading.Lock()
        threads = [
            threading.Thread(target=_worker, args=(sandbox, jobs[i :: args.threads], statuses, lock))
            for i in range(args.threads)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        stats = sandbox.stats()
    cpu = stats["cpu_seconds"] - before
    print(f"seeded {args.contacts} contacts in {seeded:.2f} s")
    print(f"{args.requests} requests ({args.threads} threads, keep-alive) in {elapsed:.2f} s")
    print(f"  client-observed rate : {args.requests / elapsed:,.0f} requests/s")
    print(f"  server CPU           : {cpu:.2f} s ({cpu / args.requests * 1000:.3f} ms per request)")
    print(f"  server capacity      : {args.requests / cpu:,.0f} requests per CPU second")
    print(f"  statuses             : {dict(sorted(statuses.items()))}")
    print(f"  peak in flight       : {stats['peak_in_flight']}")
    return 0 if set(statuses) == {200} else 1


if __name__ == "__main__":
    raise SystemExit(main())
