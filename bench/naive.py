"""The naive strategy the connector is compared with: what a per-record integration does.

For every record, one at a time: `POST /Contacts/saveorupdate` with the mapped fields, then
`PUT /objects/tagByName` for that contact's id. A 429 is honoured by sleeping `X-Rate-Limit-Reset`
seconds and trying again; a 5xx or a dropped connection is retried after a short pause. Nothing is
looked up, compared, collapsed or batched, and only one request is in flight.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import requests

from bench.scenarios import TAGS, wire_values

REQUEST_TIMEOUT = 30.0
MAX_ATTEMPTS = 8


@dataclass
class NaiveResult:
    records: int
    requests: int  # as the client counted them (the sandbox's count is the one reported)
    retries_429: int
    seconds: float


class NaiveClient:
    def __init__(self, url: str, headers: dict[str, str], tags: Sequence[str] = TAGS) -> None:
        self._url = url.rstrip("/")
        self._session = requests.Session()
        self._session.headers.update(headers)
        self._tags = list(tags)
        self.requests = 0
        self.retries_429 = 0

    def close(self) -> None:
        self._session.close()

    def _send(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            self.requests += 1
            try:
                response = self._session.request(
                    method, f"{self._url}{path}", timeout=REQUEST_TIMEOUT, **kwargs
                )
            except requests.ConnectionError:
                time.sleep(0.5 * attempt)
                continue
            if response.status_code == 429:
                self.retries_429 += 1
                time.sleep(float(response.headers.get("X-Rate-Limit-Reset", "1")))
                continue
            if response.status_code >= 500:
                time.sleep(0.5 * attempt)
                continue
            response.raise_for_status()
            body: dict[str, Any] = response.json()
            return body
        raise RuntimeError(f"{method} {path}: gave up after {MAX_ATTEMPTS} attempts")

    def write(self, person: dict[str, Any]) -> str:
        body = self._send("POST", "/Contacts/saveorupdate", data=wire_values(person))
        data = body.get("data") or {}
        attrs = data.get("attrs") if isinstance(data, dict) else None
        contact_id = str((attrs or data)["id"])
        self._send(
            "PUT",
            "/objects/tagByName",
            json={"objectID": 0, "ids": [int(contact_id)], "add_names": self._tags},
        )
        return contact_id


def run_naive(url: str, headers: dict[str, str], records: Sequence[dict[str, Any]]) -> NaiveResult:
    client = NaiveClient(url, headers)
    started = time.monotonic()
    try:
        for person in records:
            client.write(person)
    finally:
        client.close()
    return NaiveResult(len(records), client.requests, client.retries_429, time.monotonic() - started)
