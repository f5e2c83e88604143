"""Purchases end to end, as the Airbyte platform runs a data-activation connection: `discover` first,
then a stream configured on the `Transaction` operation it offers, synced through the platform
replica against the sandbox. Each order must be logged exactly once (one processManual per order,
ever), for its contact, with its products (each created once) and its exact total; a re-sync logs
nothing; a run killed between logging and its STATE, replayed from the last STATE, logs none twice;
and so under every sandbox variant of what Ontraport's API leaves open (a duplicate external order id
accepted or refused, a condition on external_order_id honoured or ignored).
"""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from integration_tests.harness import (
    ROOT,
    capture_path,
    config_for,
    encode,
    parse_output,
    run_on_platform,
    write_command,
    write_files,
)
from integration_tests.platform import ReplicationWorker
from integration_tests.test_data_activation import configured, discover, done, ok, rec
from ontraport_sandbox.testing import SandboxHandle

ORDERS = 60
CONTACTS = 40
LINES = 200  # 20 orders of 4 lines, 40 of 3
PRODUCTS = 15
SEEDED_CONTACTS = 10  # the first 10 buyers are in Ontraport already; the other 30 are created
PROPERTIES = ["Email", "External Order ID", "Date", "Product", "Product SKU", "Quantity", "Price"]


@dataclass(frozen=True)
class Line:
    order: str
    email: str
    product: int
    units: int

    @property
    def unit_price(self) -> Decimal:
        return Decimal(self.product * 3 + 1) + Decimal("0.99")

    @property
    def name(self) -> str:
        """The product's name in Ontraport: SKU-only products are created under their SKU."""
        return f"SKU-{self.product}" if sku_only(self.product) else f"Product {self.product}"

    def data(self, date: str) -> dict[str, Any]:
        """The record an order_lines table sends; the price in three JSON shapes (number, text, int)."""
        price: Any = float(self.unit_price) if self.product % 3 == 0 else str(self.unit_price)
        row: dict[str, Any] = {
            "Email": self.email,
            "External Order ID": self.order,
            "Date": date,
            "Quantity": self.units,
            "Price": price,
        }
        if not sku_only(self.product):
            row["Product"] = f"Product {self.product}"
        if self.product % 2 == 0 or sku_only(self.product):
            row["Product SKU"] = f"SKU-{self.product}"
        return row


def sku_only(product: int) -> bool:
    return product % 5 == 4


def email(contact: int) -> str:
    return f"buyer{contact}@example.com"


def order_lines() -> list[Line]:
    lines = []
    for n in range(ORDERS):
        for k in range(4 if n < 20 else 3):
            lines.append(
                Line(f"WOO-{1000 + n}", email(n % CONTACTS), (n * 7 + k * 4) % PRODUCTS, 1 + (n + k) % 4)
            )
    assert len(lines) == LINES
    return lines


def expected_orders(lines: list[Line]) -> dict[str, tuple[str, Decimal, list[tuple[str, int, Decimal]]]]:
    """Per external order id: (buyer's email, total, [(product name, quantity, unit price)])."""
    out: dict[str, tuple[str, Decimal, list[tuple[str, int, Decimal]]]] = {}
    for line in lines:
        buyer, total, items = out.get(line.order, (line.email, Decimal("0.00"), []))
        items.append((line.name, line.units, line.unit_price))
        out[line.order] = (buyer, total + line.units * line.unit_price, items)
    return out


def purchase_messages(stream: str, lines: list[Line], state_every: int = 7) -> list[dict[str, Any]]:
    """One record per line, a STATE every few lines (so that most land in the middle of an order)."""
    messages: list[dict[str, Any]] = []
    for i, line in enumerate(lines, start=1):
        day = 1 + int(line.order.removeprefix("WOO-")) % 28  # one date per order: its lines agree
        messages.append(rec(stream, line.data(f"2024-05-{day:02d}T12:00:00Z")))
        if i % state_every == 0:
            messages.append(state_at(stream, i))
    messages.append(state_at(stream, len(lines)))
    return messages


def state_at(stream: str, position: int) -> dict[str, Any]:
    message = done(stream)
    message["state"]["stream"]["stream_state"] = {"line": position}
    return message


def purchases_stream(sandbox: SandboxHandle, name: str = "order_lines") -> dict[str, Any]:
    ops = discover(sandbox)
    assert ("Transaction", "update") not in ops, "purchases are logged, never changed: append only"
    return configured(name, ops[("Transaction", "append")], ["External Order ID"], PROPERTIES)


def check_logged_once(sandbox: SandboxHandle, lines: list[Line]) -> None:
    """Every order once, for its buyer, with its lines and its exact total; each product once."""
    expected = expected_orders(lines)
    transactions = sandbox.transactions()
    counts = Counter(t["external_order_id"] for t in transactions)
    assert counts == Counter(dict.fromkeys(expected, 1)), "each order logged exactly once"
    contacts = {c["id"]: c["email"] for c in sandbox.contacts()}
    assert len(contacts) == CONTACTS and len(set(contacts.values())) == CONTACTS, "each buyer once"
    products = {p["id"]: p for p in sandbox.products()}
    names = Counter(p["name"] for p in products.values())
    assert len(names) == PRODUCTS and set(names.values()) == {1}, f"each product created once: {names}"
    for transaction in transactions:
        buyer, total, items = expected[transaction["external_order_id"]]
        assert contacts[transaction["contact_id"]] == buyer
        assert Decimal(transaction["total"]) == total, transaction
        assert transaction["template_id"] == "-1", "the invoice is suppressed"
        got = [
            (products[str(line["product_id"])]["name"], line["quantity"], Decimal(line["unit_price"]))
            for line in transaction["lines"]
        ]
        assert got == items, transaction["external_order_id"]
    stats = sandbox.stats()
    assert stats["invoices_sent"] == 0 and stats["duplicate_orders"] == 0


@pytest.fixture
def buyers(sandbox: SandboxHandle) -> SandboxHandle:
    sandbox.seed([{"email": email(n), "firstname": f"Buyer{n}"} for n in range(SEEDED_CONTACTS)])
    return sandbox


@pytest.mark.parametrize("duplicate", ["accept", "reject"])
@pytest.mark.parametrize("condition", ["filtered", "ignored"])
def test_200_lines_of_60_orders_are_logged_once_each_and_a_resync_logs_nothing(
    buyers: SandboxHandle, duplicate: str, condition: str
) -> None:
    sandbox = buyers
    sandbox.configure(duplicate_external_order_id=duplicate, transaction_condition=condition)
    catalog = {"streams": [purchases_stream(sandbox)]}
    lines = order_lines()
    messages = purchase_messages("order_lines", lines)
    config = config_for(sandbox.url, batch_size=50)

    first = ok(run_on_platform(config, catalog, messages))
    check_logged_once(sandbox, lines)
    stats = sandbox.stats()
    assert stats["process_manual"] == ORDERS
    assert stats["by_route"].get("POST /1/Products") == PRODUCTS
    assert stats["by_route"].get("POST /1/Contacts/saveorupdate") == CONTACTS - SEEDED_CONTACTS
    assert first.summary["created"] == ORDERS and first.summary["rejected"] == 0
    assert sum(check.record_count for check in first.checks) == LINES, "every line accepted"
    assert any("Purchases: " in line and "order(s) logged" in line for line in first.logs)

    second = ok(run_on_platform(config, catalog, messages))
    after = sandbox.stats()
    assert after["process_manual"] == ORDERS, "a re-sync sends no processManual"
    assert after["write_requests"] == stats["write_requests"], f"a re-sync wrote: {after['by_route']}"
    assert (second.summary["created"], second.summary["unchanged"]) == (0, ORDERS)
    check_logged_once(sandbox, lines)
    if condition == "ignored":
        assert any("does not narrow transactions by that condition" in line for line in second.logs)


def test_orders_in_one_record_each_with_their_lines_are_logged_like_order_lines(
    sandbox: SandboxHandle,
) -> None:
    ops = discover(sandbox)
    stream = configured(
        "orders",
        ops[("Transaction", "append")],
        ["External Order ID"],
        ["Email", "External Order ID", "Lines"],
    )
    lines = order_lines()
    by_order: dict[str, list[Line]] = {}
    for line in lines:
        by_order.setdefault(line.order, []).append(line)
    messages = []
    for n, (order, items) in enumerate(by_order.items()):
        rows = [
            {
                k: v
                for k, v in line.data("2024-05-01").items()
                if k not in ("Email", "External Order ID", "Date")
            }
            for line in items
        ]
        data: dict[str, Any] = {"Email": items[0].email, "External Order ID": order, "Lines": rows}
        if n % 2:
            data["Lines"] = json.dumps(rows)  # a warehouse's JSON column, as text
        messages.append(rec("orders", data))
    messages.append(done("orders"))
    run = ok(run_on_platform(config_for(sandbox.url), {"streams": [stream]}, messages))
    assert run.summary["created"] == ORDERS
    check_logged_once(sandbox, lines)


def test_a_state_in_the_middle_of_an_order_comes_out_only_once_the_order_is_logged(
    sandbox: SandboxHandle,
) -> None:
    catalog = {"streams": [purchases_stream(sandbox)]}
    lines = order_lines()[:11]  # orders of 4, 4 and 3 lines
    messages = purchase_messages("order_lines", lines, state_every=2)
    seen: list[tuple[int, int]] = []

    def at_state(state: dict[str, Any]) -> None:
        seen.append((state["stream"]["stream_state"]["line"], len(sandbox.transactions())))

    run = ok(run_on_platform(config_for(sandbox.url, batch_size=1), catalog, messages, on_state=at_state))
    assert [line for line, _ in seen] == [2, 4, 6, 8, 10, 11]
    # a STATE after line N goes out only once the order holding line N is logged: lines 1-4 are
    # order 1, 5-8 order 2, 9-11 order 3
    assert seen == [(2, 1), (4, 1), (6, 2), (8, 2), (10, 3), (11, 3)], seen
    assert [check.forwarded for check in run.checks] == [2, 2, 2, 2, 2, 1]


def test_without_the_streams_complete_the_last_order_is_not_logged_and_its_state_not_sent(
    sandbox: SandboxHandle,
) -> None:
    """A source that failed sends no COMPLETE: its last order may lack lines, so it waits for the
    next sync (which resends it from the last STATE that came out)."""
    catalog = {"streams": [purchases_stream(sandbox)]}
    lines = order_lines()[:11]
    messages = purchase_messages("order_lines", lines, state_every=4)  # STATEs after lines 4, 8, 11
    run = run_on_platform(config_for(sandbox.url), catalog, messages, source_succeeded=False)
    assert run.returncode == 0, run.stdout[-3000:]
    assert sorted(t["external_order_id"] for t in sandbox.transactions()) == ["WOO-1000", "WOO-1001"]
    assert [state["stream"]["stream_state"]["line"] for state in run.states] == [4, 8]
    assert any("is not logged: the input ended without the stream's COMPLETE" in line for line in run.logs)


def test_a_rejected_line_refuses_its_whole_order_and_every_line_is_counted(sandbox: SandboxHandle) -> None:
    catalog = {"streams": [purchases_stream(sandbox)]}
    good = order_lines()[:8]  # two orders of four lines
    messages = [rec("order_lines", line.data("2024-05-01")) for line in good]
    messages[1]["record"]["data"]["Price"] = "12,50 EUR"  # the first order's second line
    messages += [
        rec(
            "order_lines",
            {"Email": "x@example.com", "External Order ID": "W-9", "Product": "Mug", "Price": -1},
        ),
        rec("order_lines", {"Email": "x@example.com", "Product": "Mug", "Price": 1}),  # no order id
        rec("order_lines", {"External Order ID": "W-10", "Product": "Mug", "Price": "1.005"}),
        done("order_lines"),
    ]
    # batches of 2: the refused order's lines are flushed over before the order is complete
    run = ok(run_on_platform(config_for(sandbox.url, batch_size=2), catalog, messages))
    assert [t["external_order_id"] for t in sandbox.transactions()] == ["WOO-1001"]
    assert run.summary["rejected"] == 7 and run.summary["created"] == 1
    assert [(c.forwarded, c.record_count, c.rejected_count) for c in run.checks] == [(11, 4.0, 7.0)]
    text = "\n".join(run.logs)
    assert "Price '12,50 EUR' carries a currency" in text
    assert "order 'WOO-1000' is not logged: its line at input position" in text
    assert "Price -1 is negative" in text
    assert "no External Order ID" in text
    assert "Price '1.005' has more than two decimals" in text


# --- a crash between logging and STATE --------------------------------------------------------------


def run_killed_after(
    sandbox: SandboxHandle, catalog: dict[str, Any], source: list[dict[str, Any]], logged: int
) -> list[dict[str, Any]]:
    """`main.py write` with what the platform sends for `source`, SIGKILLed as soon as the sandbox
    holds `logged` transactions; returns the STATEs it printed before it died."""
    worker = ReplicationWorker(catalog)
    config = config_for(sandbox.url, batch_size=5, max_concurrent_requests=2)
    work = write_files(config, worker.destination_catalog(), encode(worker.forward(source)))
    with (
        (work / "input.jsonl").open("rb") as stdin,
        subprocess.Popen(
            write_command(work), stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT
        ) as proc,
    ):
        deadline = time.monotonic() + 60
        while (
            sandbox.stats()["process_manual"] < logged and proc.poll() is None and time.monotonic() < deadline
        ):
            time.sleep(0.005)
        proc.kill()
        assert proc.stdout is not None
        out = proc.stdout.read().decode("utf-8", errors="replace")
    with capture_path().open("a", encoding="utf-8") as sink:
        sink.write(out)
    return [m["state"] for m in parse_output(out) if m.get("type") == "STATE"]


@pytest.mark.parametrize("kill_at", [5, 23, 41])
def test_a_run_killed_after_some_orders_and_replayed_from_its_last_state_logs_none_twice(
    buyers: SandboxHandle, kill_at: int
) -> None:
    sandbox = buyers
    sandbox.configure(latency_ms="5-15", seed=kill_at)
    catalog = {"streams": [purchases_stream(sandbox)]}
    lines = order_lines()
    # A STATE every 30 lines and batches of 5: orders are logged well before the STATE that covers them.
    source = purchase_messages("order_lines", lines, state_every=30)
    states = run_killed_after(sandbox, catalog, source, kill_at)
    assert sandbox.stats()["process_manual"] >= kill_at, "killed after some orders were logged"
    resume = 0
    if states:
        last = states[-1]["stream"]["stream_state"]["line"]
        resume = 1 + next(
            i
            for i, m in enumerate(source)
            if m["type"] == "STATE" and m["state"]["stream"]["stream_state"]["line"] == last
        )
    acknowledged = sum(1 for m in source[:resume] if m["type"] == "RECORD")
    logged_lines = sum(len(t["lines"]) for t in sandbox.transactions())
    assert acknowledged < logged_lines < LINES, "the kill fell between logging some orders and their STATE"

    replay = ok(run_on_platform(config_for(sandbox.url), catalog, source[resume:]))
    check_logged_once(sandbox, lines)
    assert sandbox.stats()["process_manual"] == ORDERS, "no order logged twice"
    assert replay.summary["unchanged"] >= 1, "the replay found orders the killed run had logged"


def test_a_dry_run_reads_only_and_says_which_orders_it_would_log(buyers: SandboxHandle) -> None:
    sandbox = buyers
    catalog = {"streams": [purchases_stream(sandbox)]}
    messages = purchase_messages("order_lines", order_lines()[:11])
    run = run_on_platform(config_for(sandbox.url, dry_run=True), catalog, messages)
    assert run.returncode == 0, run.stdout[-3000:]
    stats = sandbox.stats()
    assert stats["write_requests"] == 0 and stats["process_manual"] == 0, stats["by_route"]
    assert run.summary["created"] == 3
    assert any("would log order WOO-1000 for buyer0@example.com: 4 line(s)" in line for line in run.logs), (
        run.logs
    )


def test_purchases_work_whether_or_not_the_meta_lists_the_built_in_types(sandbox: SandboxHandle) -> None:
    """An account may list Products (16) and Transactions (46) in `GET /objects/meta` or not: discover
    offers Purchases once either way, and the write finds its way without them."""
    sandbox.configure(builtin_types_in_meta="listed")
    ops = discover(sandbox)
    assert sum(1 for name, _ in ops if name == "Transaction") == 1
    assert not any(name == "Product" for name, _ in ops)
    stream = configured("order_lines", ops[("Transaction", "append")], ["External Order ID"], PROPERTIES)
    lines = order_lines()[:11]
    ok(
        run_on_platform(
            config_for(sandbox.url), {"streams": [stream]}, purchase_messages("order_lines", lines)
        )
    )
    assert sorted(t["external_order_id"] for t in sandbox.transactions()) == [
        "WOO-1000",
        "WOO-1001",
        "WOO-1002",
    ]
