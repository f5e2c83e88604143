"""The data-activation scenarios' inputs and checks (issue 20): purchases and linked deals.

A scenario of one of these kinds (`Scenario.kind`, see scenarios.py) writes through a data-activation
stream, as the Airbyte platform sends one: the catalog names the object (`destination_object_name`)
and the records carry discover's property names; the input ends with the stream's COMPLETE (an
order is logged once its last line is known to have arrived).

- `orders`, `order_lines`, `orders_resync`: `size` orders of 3 or 4 lines (one order in three has
  4), bought by `size / 2` buyers (two orders each; the first half already in Ontraport), of
  `size / 12` products (none in Ontraport). `orders` sends one record per order with its `Lines`,
  `order_lines` one record per line, `orders_resync` the order lines again after an unmeasured sync
  logged them.
- `deals`, `deals_linked`: `size` deals, keyless `append` (each creates a deal); `deals_linked`
  also names each deal's contact by email and its company by name (`size / 10` contacts and
  `size / 40` companies, all in Ontraport), `deals` does not.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bench.scenarios import STATE_EVERY, Scenario
from ontraport_sandbox.testing import SandboxHandle

STREAM = "activation"
COMPANY = 150
DEAL = 149


def _lines(size: int) -> list[dict[str, Any]]:
    products = max(size // 12, 1)
    lines = []
    for n in range(size):
        for k in range(4 if n % 3 == 0 else 3):
            product = (n * 7 + k * 5) % products
            lines.append(
                {
                    "Email": f"buyer{n % max(size // 2, 1)}@example.com",
                    "External Order ID": f"B-{n}",
                    "Date": f"2024-06-{1 + n % 28:02d}",
                    "Product": f"Bench product {product}",
                    "Quantity": 1 + (n + k) % 3,
                    "Price": str(Decimal(product * 4 + 5) + Decimal("0.95")),
                }
            )
    return lines


def _orders(size: int) -> list[dict[str, Any]]:
    orders: dict[str, dict[str, Any]] = {}
    for line in _lines(size):
        order = orders.setdefault(
            line["External Order ID"],
            {key: line[key] for key in ("Email", "External Order ID", "Date")} | {"Lines": []},
        )
        order["Lines"].append({key: line[key] for key in ("Product", "Quantity", "Price")})
    return list(orders.values())


def _deals(size: int, linked: bool) -> list[dict[str, Any]]:
    contacts, companies = max(size // 10, 1), max(size // 40, 1)
    deals = []
    for n in range(size):
        deal: dict[str, Any] = {"Name": f"Bench deal {n}", "Value": 100 + n}
        if linked:
            deal["Primary Contact (Email)"] = f"owner{n % contacts}@example.com"
            deal["Company (Name)"] = f"Bench company {n % companies}"
        deals.append(deal)
    return deals


def records(scenario: Scenario, quick: bool) -> list[dict[str, Any]]:
    size = scenario.size(quick)
    if scenario.kind == "orders":
        return _orders(size)
    if scenario.kind in ("order_lines", "orders_resync"):
        return _lines(size)
    return _deals(size, linked=scenario.kind == "deals_linked")


def catalog(scenario: Scenario) -> dict[str, Any]:
    purchases = scenario.kind.startswith("order")
    entry: dict[str, Any] = {
        "stream": {
            "name": STREAM,
            "json_schema": {"type": "object"},
            "supported_sync_modes": ["incremental"],
        },
        "sync_mode": "incremental",
        "destination_sync_mode": "append",
        "destination_object_name": "Transaction" if purchases else "Deal",
    }
    if purchases:
        entry["primary_key"] = [["External Order ID"]]
    return {"streams": [entry]}


def messages(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """RECORDs with a STATE every 500 and at the end, then the stream's COMPLETE."""
    out: list[dict[str, Any]] = []
    for n, data in enumerate(rows, start=1):
        out.append(
            {"type": "RECORD", "record": {"stream": STREAM, "data": data, "emitted_at": 1_717_200_000_000}}
        )
        if n % STATE_EVERY == 0 or n == len(rows):
            state = {"stream_descriptor": {"name": STREAM}, "stream_state": {"position": n}}
            out.append({"type": "STATE", "state": {"type": "STREAM", "stream": state}})
    status = {"stream_descriptor": {"name": STREAM}, "status": "COMPLETE"}
    out.append(
        {"type": "TRACE", "trace": {"type": "STREAM_STATUS", "emitted_at": 0, "stream_status": status}}
    )
    return out


def seed(sandbox: SandboxHandle, scenario: Scenario, quick: bool) -> None:
    """What the account holds before the measured sync (after a reset)."""
    size = scenario.size(quick)
    if scenario.kind.startswith("order"):
        sandbox.seed([{"email": f"buyer{n}@example.com"} for n in range(max(size // 2, 1) // 2)])
    else:
        sandbox.seed([{"email": f"owner{n}@example.com"} for n in range(max(size // 10, 1))])
        sandbox.seed_objects(COMPANY, [{"name": f"Bench company {n}"} for n in range(max(size // 40, 1))])


def expected_records(scenario: Scenario, quick: bool) -> int:
    """Records the sync creates: orders logged (none on a re-sync), or deals."""
    size = scenario.size(quick)
    return 0 if scenario.kind == "orders_resync" else size


def sanity(sandbox: SandboxHandle, scenario: Scenario, quick: bool, summary: dict[str, Any]) -> list[str]:
    """What must hold for the run to measure what the scenario claims."""
    problems = []
    size = scenario.size(quick)
    if summary.get("rejected") != 0:
        problems.append(f"summary rejected = {summary.get('rejected')}, expected 0")
    if summary.get("created") != expected_records(scenario, quick):
        problems.append(
            f"summary created = {summary.get('created')}, expected {expected_records(scenario, quick)}"
        )
    if scenario.kind.startswith("order"):
        logged = sandbox.transactions()
        if len(logged) != size or len({t["external_order_id"] for t in logged}) != size:
            problems.append(f"the sandbox holds {len(logged)} transactions, expected {size}, each once")
        lines = _lines(size)
        totals: dict[str, Decimal] = {}
        for line in lines:
            total = totals.get(line["External Order ID"], Decimal("0.00"))
            totals[line["External Order ID"]] = total + line["Quantity"] * Decimal(line["Price"])
        wrong = [
            t["external_order_id"]
            for t in logged
            if Decimal(t["total"]) != totals.get(t["external_order_id"])
        ]
        if wrong:
            problems.append(f"{len(wrong)} transactions with a wrong total (first: {wrong[0]})")
        if len(sandbox.products()) != max(size // 12, 1):
            problems.append(f"{len(sandbox.products())} products, expected {max(size // 12, 1)}")
    else:
        deals = sandbox.objects(DEAL)
        if len(deals) != size:
            problems.append(f"the sandbox holds {len(deals)} deals, expected {size}")
        if scenario.kind == "deals_linked" and any(
            not d["primary_contact"] or not d["company"] for d in deals
        ):
            problems.append("a deal lacks its contact or company")
    return problems


__all__ = ["catalog", "expected_records", "messages", "records", "sanity", "seed"]
