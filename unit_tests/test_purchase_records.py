"""A purchase record, read (model/orders.py, model/money.py) and grouped into orders by its stream
(sync/purchase_route.py); the processManual body it becomes (model/purchases.py); the catalog rules
of a Purchases stream."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from airbyte_cdk.models import DestinationSyncMode

from destination_ontraport.model.money import MAX_AMOUNT, amount, quantity, wire_amount
from destination_ontraport.model.orders import MAX_ORDER_LINES, Order, order_id_of, read_order_part
from destination_ontraport.model.problems import ConfigProblem, RecordRejected
from destination_ontraport.model.purchases import names_purchases, product_fields, purchase_body
from destination_ontraport.sync.purchase_route import PurchaseRoute, check_purchase_stream
from destination_ontraport.sync.stream_rules import CatalogStream


def part(data: dict[str, Any]) -> Any:
    return read_order_part(data, order_id_of(data))


LINE = {
    "Email": "Ann@Example.com",
    "External Order ID": "A-1",
    "Product": "Mug",
    "Quantity": 2,
    "Price": 12.5,
}


# --- amounts -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(12.5, "12.50"), ("12.50", "12.50"), (3, "3.00"), ("0.1", "0.10"), (0, "0.00"), ("19.990", "19.99")],
)
def test_amounts_are_taken_exactly(value: Any, expected: str) -> None:
    assert str(amount(value, "Price")) == expected


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("$12.50", "carries a currency"),
        ("12.50 EUR", "carries a currency"),
        ("12,50", "is not an amount"),
        ("1,234.50", "is not an amount"),
        (-1, "is negative"),
        ("12.505", "more than two decimals"),
        (0.1 + 0.2, "more than two decimals"),  # 0.30000000000000004: a float's noise is not a price
        ("1e3", "is not an amount"),
        ("NaN", "is not a finite number"),
        (float("inf"), "is not a finite number"),
        (True, "is not an amount"),
        ([12], "is not an amount"),
        (str(MAX_AMOUNT + 1), "is more than"),
    ],
)
def test_an_amount_ontraport_cannot_take_exactly_is_refused_with_the_reason(value: Any, why: str) -> None:
    with pytest.raises(RecordRejected, match=why):
        amount(value, "Price")


def test_every_cent_amount_goes_out_as_a_json_number_with_exactly_its_own_digits() -> None:
    """What the SDK sends is a number; the JSON text of it must be the amount, not a neighbour."""
    for cents in [*range(0, 100_000, 7), 99_999_999_999, 12_345_678_901, 100_000_000_000 - 1]:
        value = Decimal(cents) / 100
        if value > MAX_AMOUNT:
            continue
        assert Decimal(json.dumps(wire_amount(value))) == value


@pytest.mark.parametrize(("value", "units"), [(None, 1), ("", 1), (2, 2), ("3", 3), (4.0, 4), ("5.0", 5)])
def test_quantities_are_whole_numbers_one_when_absent(value: Any, units: int) -> None:
    assert quantity(value, "Quantity") == units


@pytest.mark.parametrize("value", [0, -2, 1.5, "two", 2_000_000, True])
def test_a_quantity_that_is_no_whole_number_of_items_is_refused(value: Any) -> None:
    with pytest.raises(RecordRejected, match="whole number of items"):
        quantity(value, "Quantity")


# --- records ----------------------------------------------------------------------------------------


def test_a_line_record_reads_its_order_buyer_date_in_milliseconds_and_line() -> None:
    got = part({**LINE, "Date": "2024-05-31T12:00:00Z", "Product SKU": "M-1", "Extra": 1})
    assert (got.order_id, got.email, got.whole, got.unknown) == ("A-1", "Ann@Example.com", False, ("Extra",))
    assert got.date_ms == 1_717_156_800_000, "trans_date is in milliseconds"
    (line,) = got.lines
    assert (line.product, line.sku, line.units, line.unit_price, line.total) == (
        "Mug",
        "M-1",
        2,
        Decimal("12.50"),
        Decimal("25.00"),
    )


def test_property_names_compare_as_fields_do() -> None:
    got = part({"email": "a@x.io", "external_order_id": 7, "product_sku": "S", "PRICE": "1"})
    assert (got.order_id, got.lines[0].sku, got.lines[0].product) == ("7", "S", "")


def test_a_lines_record_is_a_whole_order_as_a_list_or_as_json_text() -> None:
    lines = [{"Product": "Mug", "Quantity": 1, "Price": 2}, {"product sku": "T", "price": "3.5"}]
    for value in (lines, json.dumps(lines)):
        got = part({"Email": "a@x.io", "External Order ID": "B", "Lines": value})
        assert got.whole and [line.total for line in got.lines] == [Decimal("2.00"), Decimal("3.50")]


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ({"Email": "a@x.io", "Product": "Mug", "Price": 1}, "no External Order ID"),
        ({**LINE, "External Order ID": "  "}, "no External Order ID"),
        ({**LINE, "External Order ID": 1.5}, "is not an order id"),
        ({**LINE, "External Order ID": True}, "is not an order id"),
        ({**LINE, "Email": "not-an-email"}, "Email: 'not-an-email' is not a valid email address"),
        ({**LINE, "Date": "someday"}, "Date: 'someday' is not a date"),
        ({"External Order ID": "A", "Email": "a@x.io"}, "no order line"),
        ({"External Order ID": "A", "Quantity": 1, "Price": 1}, "no order line"),
        ({**LINE, "Price": None}, "has no Price"),
        ({**LINE, "Lines": []}, "both Lines and Product"),
        ({"External Order ID": "A", "Lines": []}, "Lines is empty"),
        ({"External Order ID": "A", "Lines": "[oops"}, "is not a list of lines"),
        (
            {"External Order ID": "A", "Lines": [{"Product": "x", "Price": 1, "Colour": "red"}]},
            "'Colour' is no line",
        ),
        (
            {"External Order ID": "A", "Lines": [{"Price": 1}]},
            r"Lines\[0\] has no Product and no Product SKU",
        ),
        (
            {"External Order ID": "A", "Lines": [{"Product": "x", "Price": 1}] * (MAX_ORDER_LINES + 1)},
            "more than",
        ),
        ({**LINE, "Product": {"name": "Mug"}}, "Product: is an object"),
    ],
)
def test_a_record_that_cannot_be_logged_is_refused_with_the_reason(data: dict[str, Any], why: str) -> None:
    with pytest.raises(RecordRejected, match=why):
        part(data)


def test_lines_of_one_order_that_disagree_refuse_the_order() -> None:
    first = part({**LINE, "Date": "2024-05-01"})
    order = Order.start(first, 1, "s")
    order.join(part({**LINE, "Email": None}), 2, "s")
    assert order.missing() is None, "a line may leave the Email out when an earlier one gave it"
    order.join(part({**LINE, "Email": "ANN@example.com"}), 3, "s")
    assert order.missing() is None, "emails compare ignoring case"
    order.join(part({**LINE, "Email": "bob@example.com"}), 4, "s")
    assert "its lines give different Emails" in (order.missing() or "")
    other = Order.start(first, 1, "s")
    other.join(part({**LINE, "Date": "2024-05-02"}), 2, "s")
    assert "different Dates" in (other.missing() or "")


def test_the_purchase_body_logs_without_charging_without_an_invoice_in_milliseconds() -> None:
    order = Order.start(part({**LINE, "Date": "2024-05-31", "Product SKU": "M-1"}), 1, "s")
    order.join(part({**LINE, "Product": None, "Product SKU": "T-9", "Quantity": 1, "Price": "0.10"}), 2, "s")
    body = purchase_body(order, "42", ["7", "8"])
    assert json.loads(json.dumps(body)) == {
        "contact_id": 42,
        "chargeNow": "chargeLog",
        "invoice_template": -1,
        "external_order_id": "A-1",
        "trans_date": 1_717_113_600_000,
        "offer": {
            "products": [
                {"id": 7, "name": "Mug", "quantity": 2, "price": [{"price": 12.5}], "type": "single",
                 "shipping": False, "tax": False},
                {"id": 8, "name": "T-9", "quantity": 1, "price": [{"price": 0.1}], "type": "single",
                 "shipping": False, "tax": False},
            ],
            "send_recurring_invoice": False,
        },
    }  # fmt: skip
    assert "trans_date" not in purchase_body(Order.start(part(LINE), 1, "s"), "1", ["1"]), (
        "now, as Ontraport does"
    )
    assert product_fields("", "T-9", Decimal("0.10")) == {"name": "T-9", "price": "0.10", "sku": "T-9"}


@pytest.mark.parametrize(
    "name", ["Transaction", "transactions", "Purchases", "purchase", "46", " Transaction "]
)
def test_a_stream_names_purchases_by_the_name_discover_gives_or_a_synonym(name: str) -> None:
    assert names_purchases(name)
    assert not names_purchases("Deal")


def stream(mode: DestinationSyncMode, key: list[list[str]] | None = None) -> CatalogStream:
    return CatalogStream("orders", None, mode, key or [], object_name="Transaction")


def test_a_purchases_stream_appends_matched_by_its_external_order_id() -> None:
    check_purchase_stream(stream(DestinationSyncMode.append, [["External Order ID"]]))
    check_purchase_stream(stream(DestinationSyncMode.append, [["external_order_id"]]))
    check_purchase_stream(stream(DestinationSyncMode.append))
    with pytest.raises(ConfigProblem, match="logged once and never changed or deleted"):
        check_purchase_stream(stream(DestinationSyncMode.append_dedup, [["External Order ID"]]))
    with pytest.raises(ConfigProblem, match="matched by 'External Order ID'"):
        check_purchase_stream(stream(DestinationSyncMode.append, [["Email"]]))


# --- grouping by the stream route ------------------------------------------------------------------


class Orders:
    """What a PurchaseRoute hands over, kept (it stands in for the PurchaseWriter)."""

    def __init__(self) -> None:
        self.orders: list[Order] = []

    def add_order(self, order: Order) -> None:
        self.orders.append(order)


def route() -> tuple[PurchaseRoute, Orders]:
    sink = Orders()
    return PurchaseRoute(stream(DestinationSyncMode.append), sink), sink  # type: ignore[arg-type]


def line(order: str, product: str = "Mug", **extra: Any) -> dict[str, Any]:
    return {"Email": "a@x.io", "External Order ID": order, "Product": product, "Price": 1, **extra}


def test_consecutive_lines_of_one_order_are_one_order_complete_when_the_next_order_begins() -> None:
    purchases, sink = route()
    purchases.take(line("A"), 1)
    purchases.take(line("A", "Tee"), 2)
    first = purchases.open_group()
    assert sink.orders == [] and purchases.buffered == 2 and purchases.open_positions() == [1, 2]
    purchases.take(line("B"), 3)
    assert [(o.order_id, len(o.lines), o.sources) for o in sink.orders] == [
        ("A", 2, [(1, "orders"), (2, "orders")])
    ]
    assert purchases.open_group() not in (None, first), "B is another open group than A"
    purchases.stream_ended()
    assert [o.order_id for o in sink.orders] == ["A", "B"] and purchases.open_group() is None
    assert purchases.unfinished() is None


def test_a_lines_record_is_complete_at_once() -> None:
    purchases, sink = route()
    purchases.take(line("A"), 1)
    purchases.take({"Email": "a@x.io", "External Order ID": "A", "Lines": [{"Product": "x", "Price": 1}]}, 2)
    assert [(o.order_id, o.whole) for o in sink.orders] == [("A", False), ("A", True)]
    assert purchases.open_group() is None and purchases.buffered == 0


def test_a_rejected_line_refuses_the_lines_of_its_order_before_and_after_it() -> None:
    purchases, sink = route()
    purchases.take(line("A"), 1)
    with pytest.raises(RecordRejected, match="negative"):
        purchases.take(line("A", Price=-3), 2)
    purchases.take(line("A", "Tee"), 3)
    with pytest.raises(RecordRejected, match="negative"):
        purchases.take(line("B", Price=-3), 4)
    purchases.take(line("B", "Tee"), 5)
    purchases.take(line("C"), 6)
    a, b = sink.orders
    assert a.sources == [(1, "orders"), (3, "orders")] and "line at input position 2 was rejected" in (
        a.problem or ""
    )
    assert b.sources == [(5, "orders")] and "line at input position 4 was rejected" in (b.problem or "")
    assert purchases.unfinished() is not None and "'C' (1 line(s)) is not logged" in (
        purchases.unfinished() or ""
    )


def test_a_value_too_long_to_look_up_is_refused_before_it_reaches_a_url() -> None:
    purchases, _ = route()
    with pytest.raises(RecordRejected, match="too long to look up"):
        purchases.take(line("A", "x" * 5000), 1)
    with pytest.raises(RecordRejected, match=r"External Order ID: .* too long to look up"):
        purchases.take(line("y" * 5000), 2)


def test_an_order_that_never_ends_is_refused_past_its_limit_line_by_line() -> None:
    """Its lines are held (and their records kept for the rejections) until the order ends: bounded."""
    purchases, sink = route()
    for position in range(1, MAX_ORDER_LINES + 1):
        purchases.take(line("A"), position)
    for position in range(MAX_ORDER_LINES + 1, MAX_ORDER_LINES + 4):
        with pytest.raises(RecordRejected, match=f"more than the {MAX_ORDER_LINES} lines"):
            purchases.take(line("A"), position)
    assert purchases.buffered == MAX_ORDER_LINES
    purchases.stream_ended()
    (order,) = sink.orders
    assert len(order.sources) == MAX_ORDER_LINES and "more than the" in (order.missing() or "")
