"""Request statistics, the evidence benchmarks and tests read back.

Benchmarks compute requests per record and the achieved request rate from these counters, and
tests check that nothing dangerous (a delete-everything, a subscription of everyone, a DELETE with
a body) happened, so every /1/ request is counted, faulted and refused ones included. What a
client cannot see from an answer ("The subscription is now being processed.") is counted too:
new subscriptions, restarts of contacts already subscribed, transactions logged, invoices sent.
"""

from __future__ import annotations

import threading
import time
from typing import Any


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._total = 0
            self._by_route: dict[str, int] = {}
            self._by_status: dict[str, int] = {}
            self._status_429 = 0
            self._status_4xx = 0
            self._status_5xx = 0
            self._dropped = 0
            self._writes = 0
            self._reads = 0
            self._delete_all = 0
            self._overreach_deleted = 0
            self._faults = {"5xx": 0, "drop": 0, "slow": 0, "save_failed": 0}
            self._in_flight = 0
            self._peak_in_flight = 0
            self._first: float | None = None
            self._last: float | None = None
            self._delete_with_body = 0
            self._subscribe_all = 0
            self._tag_all = 0
            self._subscriptions: dict[str, int] = {}  # "campaign:3" -> new memberships
            self._unsubscriptions: dict[str, int] = {}
            self._restarts: dict[str, int] = {}
            self._process_manual = 0
            self._invoices_sent = 0
            self._duplicate_orders = 0

    def begin(self, method: str, path: str) -> None:
        now = time.time()
        route = f"{method} {path}"
        with self._lock:
            self._total += 1
            self._by_route[route] = self._by_route.get(route, 0) + 1
            if method == "GET":
                self._reads += 1
            else:
                self._writes += 1
            self._in_flight += 1
            self._peak_in_flight = max(self._peak_in_flight, self._in_flight)
            if self._first is None:
                self._first = now
            self._last = now

    def end(self, status: int | None) -> None:
        """`None` is a connection closed without a response."""
        with self._lock:
            self._in_flight -= 1
            if status is None:
                self._dropped += 1
                key = "dropped"
            else:
                key = str(status)
                if status == 429:
                    self._status_429 += 1
                if 400 <= status < 500:
                    self._status_4xx += 1
                elif status >= 500:
                    self._status_5xx += 1
            self._by_status[key] = self._by_status.get(key, 0) + 1

    def fault(self, kind: str) -> None:
        with self._lock:
            self._faults[kind] = self._faults.get(kind, 0) + 1

    def delete_all(self) -> None:
        with self._lock:
            self._delete_all += 1

    def delete_with_body(self) -> None:
        """A DELETE that carried a body (the SDK never sends one but for tagByName's JSON)."""
        with self._lock:
            self._delete_with_body += 1

    def tag_all(self) -> None:
        """A tag action that acted on every record of its type (`ids=0`, `performAll`)."""
        with self._lock:
            self._tag_all += 1

    def subscribe_all(self) -> None:
        """A subscribe/unsubscribe refused because it named no explicit contact ids."""
        with self._lock:
            self._subscribe_all += 1

    @staticmethod
    def _bump(counter: dict[str, int], list_type: str, list_id: int) -> None:
        key = f"{list_type}:{list_id}"
        counter[key] = counter.get(key, 0) + 1

    def subscribed(self, list_type: str, list_id: int) -> None:
        with self._lock:
            self._bump(self._subscriptions, list_type, list_id)

    def unsubscribed(self, list_type: str, list_id: int) -> None:
        with self._lock:
            self._bump(self._unsubscriptions, list_type, list_id)

    def restarted(self, list_type: str, list_id: int) -> None:
        with self._lock:
            self._bump(self._restarts, list_type, list_id)

    def transaction_logged(self, invoice_sent: bool, duplicate: bool) -> None:
        with self._lock:
            self._process_manual += 1
            self._invoices_sent += int(invoice_sent)
            self._duplicate_orders += int(duplicate)

    def overreach(self, extra: int) -> None:
        """Records deleted beyond the named ids by the `delete_overreach` switch."""
        with self._lock:
            self._overreach_deleted += extra

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total_requests": self._total,
                "by_route": dict(sorted(self._by_route.items())),
                "by_status": dict(sorted(self._by_status.items())),
                "status_429": self._status_429,
                "status_4xx": self._status_4xx,
                "status_5xx": self._status_5xx,
                "dropped": self._dropped,
                "write_requests": self._writes,
                "read_requests": self._reads,
                "delete_all": self._delete_all,
                "overreach_deleted": self._overreach_deleted,
                "faults": dict(self._faults),
                "in_flight": self._in_flight,
                "peak_in_flight": self._peak_in_flight,
                "first_request_at": self._first,
                "last_request_at": self._last,
                "cpu_seconds": time.process_time(),
                "delete_with_body": self._delete_with_body,
                "subscribe_all": self._subscribe_all,
                "tag_all": self._tag_all,
                "subscriptions": sum(self._subscriptions.values()),
                "subscriptions_by_list": dict(sorted(self._subscriptions.items())),
                "unsubscriptions": sum(self._unsubscriptions.values()),
                "unsubscriptions_by_list": dict(sorted(self._unsubscriptions.items())),
                "restarts": sum(self._restarts.values()),
                "restarts_by_list": dict(sorted(self._restarts.items())),
                "process_manual": self._process_manual,
                "invoices_sent": self._invoices_sent,
                "duplicate_orders": self._duplicate_orders,
            }
