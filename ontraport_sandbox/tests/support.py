"""What the sandbox's own tests share: its credentials and default settings, a client like the
connector's, criteria builders and seeders of realistic records."""

from __future__ import annotations

import json
import time
from typing import Any

import requests

from ontraport_sandbox.switches import CHOICES
from ontraport_sandbox.testing import SandboxHandle

APP_ID = "sandbox-test-app"
API_KEY = "sandbox-test-key"
TIMEOUT = 10
AUTH_FAILED = "Your App ID and API Key do not authenticate."
DEFAULTS: dict[str, Any] = {
    "app_id": APP_ID,
    "rate_limit": 10_000,
    "window_seconds": 60,
    "latency_ms": 0,
    "fault_rate_5xx": 0,
    "fault_rate_drop": 0,
    "fault_rate_slow": 0,
    "slow_seconds": 5,
    "fault_phase": "before",
    "invalid_email_status": 422,
    "not_found_status": 404,
    "rate_limit_body": None,
    "seed": 1,
    "save_failed_rate": 0,
    "save_failed_status": 200,
    "delete_overreach": 0,
    "max_request_line": 8190,
    # every behaviour switch at its default, so that no test sees another's switch
    **{choice.name: choice.default for choice in CHOICES},
}


class Api:
    """A keep-alive session with the sandbox's credentials, like the connector's client."""

    def __init__(self, sandbox: SandboxHandle) -> None:
        self.sandbox = sandbox
        self.session = requests.Session()
        self.session.headers.update(sandbox.headers)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        return self.session.request(method, self.sandbox.url + path, **kwargs)

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.request("GET", path, params=params)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """The decoded envelope of a request that must succeed."""
        response = self.request(method, path, **kwargs)
        assert response.status_code == 200, (response.status_code, response.text)
        body = response.json()
        assert body["code"] == 0
        return body

    def close(self) -> None:
        self.session.close()


def criteria(*parts: Any) -> str:
    return json.dumps(list(parts))


def clause(field: str, op: str, value: Any) -> dict[str, Any]:
    if op in ("IN", "NOT IN"):
        return {"field": {"field": field}, "op": op, "value": {"list": [{"value": v} for v in value]}}
    if op in ("IS", "IS NOT"):
        return {"field": {"field": field}, "op": op, "value": "NULL"}
    return {"field": {"field": field}, "op": op, "value": {"value": value}}


def seed_people(sandbox: SandboxHandle, count: int = 8) -> list[int]:
    return sandbox.seed(
        [
            {
                "email": f"p{i}@example.com",
                "firstname": ["Ann", "Bob", "Cy", "Dee"][i % 4],
                "grade": str(i),
                "f1001": f"ext-{i}" if i % 2 == 0 else "",
                "company": "Acme" if i < 3 else "Other",
            }
            for i in range(count)
        ]
    )


def wait_for_slow_fault(sandbox: SandboxHandle, deadline: float) -> None:
    """Until the server has drawn the slow fault, i.e. the request is being held back."""
    while sandbox.stats()["faults"]["slow"] == 0:
        assert time.monotonic() < deadline, "the slow request never reached the server"
        time.sleep(0.02)


# Object types other than contacts in the default schema, and a name field of each.
PET, DEAL, COMPANY = 10000, 149, 150
OBJECT_TYPES = [PET, DEAL, COMPANY]
SAMPLE: dict[int, dict[str, str]] = {
    PET: {"f2001": "P-1", "f2002": "Rex", "f2003": "1", "f2005": "12"},
    DEAL: {"name": "Big deal", "value": "1000", "sales_stage": "4"},
    COMPANY: {"name": "Acme", "industry": "Tools", "employee_count": "12"},
}
NAME = {PET: "f2002", DEAL: "name", COMPANY: "name"}


def seed_things(sandbox: SandboxHandle, object_id: int, count: int = 6, **extra: Any) -> list[int]:
    """Records named n0..n<count-1>; the first three are "Alpha", the rest "Beta" in a second field."""
    second = {PET: "f2001", DEAL: "value", COMPANY: "industry"}[object_id]
    return sandbox.seed_objects(
        object_id,
        [
            {NAME[object_id]: f"n{i}", second: "Alpha" if i < 3 else "Beta", **extra}
            if object_id != DEAL
            else {"name": f"n{i}", "value": str(100 * i), "sales_stage": "1" if i < 3 else "2", **extra}
            for i in range(count)
        ],
    )
