"""A purchase record, read: the order it belongs to, its buyer, its date and its lines. Pure.

A warehouse holds orders in one of two shapes, and a Purchases stream takes both:
- one record per order, its lines in `Lines` (a list of {Product or Product SKU, Quantity, Price},
  or that list as JSON text): the record is the whole order;
- one record per order line (an order_lines table): `Product` or `Product SKU`, `Quantity`, `Price`
  at the top, and the lines of one order one after another (the stream route groups them, see
  sync/purchase_route.py).

`Price` is the unit price; a line costs Quantity x Price (see money.py); Quantity defaults to 1.
`Email` names the buyer (the contact is found, or created, by it); a line may leave `Email` and
`Date` out when an earlier line of its order gave them, and lines that disagree refuse the order.
Property names compare normalised (`external_order_id` reaches `External Order ID`), as fields do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson

from destination_ontraport.model.coercion import CoercionError, coerce_date, coerce_email, coerce_text, quote
from destination_ontraport.model.mapping import normalise
from destination_ontraport.model.money import amount, line_total, quantity
from destination_ontraport.model.problems import RecordRejected

EMAIL = "Email"
EXTERNAL_ORDER_ID = "External Order ID"
DATE = "Date"
PRODUCT = "Product"
PRODUCT_SKU = "Product SKU"
QUANTITY = "Quantity"
PRICE = "Price"
LINES = "Lines"
LINE_PROPERTIES = (PRODUCT, PRODUCT_SKU, QUANTITY, PRICE)
ORDER_PROPERTIES = (EMAIL, EXTERNAL_ORDER_ID, DATE, *LINE_PROPERTIES, LINES)
MAX_ORDER_LINES = 500
"""Lines one order may have: an order is held in memory until its last line (and one request
carries it), so a stream whose order id never changes must not grow without bound."""

_BY_KEY = {normalise(name): name for name in ORDER_PROPERTIES}
_LINE_KEYS = {normalise(name): name for name in LINE_PROPERTIES}


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One product of an order: found by name, else by SKU (at least one is set)."""

    product: str
    sku: str
    units: int
    unit_price: Decimal
    total: Decimal

    @property
    def label(self) -> str:
        return self.product or f"SKU {self.sku}"


@dataclass(frozen=True)
class OrderPart:
    """What one record says about its order. `whole`: a `Lines` record, the whole order."""

    order_id: str
    email: str
    date_ms: int | None
    lines: tuple[OrderLine, ...]
    whole: bool
    unknown: tuple[str, ...] = ()  # property names that are no purchase property (not sent)


def order_id_of(data: Mapping[str, Any]) -> str:
    """The record's External Order ID as text; RecordRejected when it has none."""
    raw = _get(data, EXTERNAL_ORDER_ID)
    if isinstance(raw, bool | list | dict) or (isinstance(raw, float) and not raw.is_integer()):
        raise RecordRejected(f"{EXTERNAL_ORDER_ID} {quote(raw)} is not an order id (text or a whole number)")
    text = "" if raw is None else str(int(raw)) if isinstance(raw, float) else str(raw).strip()
    if not text:
        raise RecordRejected(
            f"no {EXTERNAL_ORDER_ID}: it is what keeps an order from being logged twice, so a purchase "
            "needs one"
        )
    return text


def read_order_part(data: Mapping[str, Any], order_id: str) -> OrderPart:
    """The record as part of order `order_id`; RecordRejected with the reason when it cannot be logged."""
    props: dict[str, Any] = {}
    unknown: list[str] = []
    for key, value in data.items():
        name = _BY_KEY.get(normalise(key))
        if name is None:
            unknown.append(key)
        elif value is not None and value != "":
            props[name] = value
    email = _email(props.get(EMAIL))
    date_ms = _date_ms(props.get(DATE))
    top = [name for name in LINE_PROPERTIES if name in props]
    if LINES in props:
        if top:
            raise RecordRejected(
                f"the record has both {LINES} and {', '.join(top)}: give an order's lines in {LINES}, or one "
                "line per record, not both"
            )
        lines = _lines(props[LINES])
        return OrderPart(order_id, email, date_ms, lines, whole=True, unknown=tuple(unknown))
    if PRODUCT not in props and PRODUCT_SKU not in props:
        raise RecordRejected(
            f"no order line: give {PRODUCT} (or {PRODUCT_SKU}), {QUANTITY} and {PRICE}, or the "
            f"order's {LINES}"
        )
    line = _line(props, "")
    return OrderPart(order_id, email, date_ms, (line,), whole=False, unknown=tuple(unknown))


def _get(data: Mapping[str, Any], name: str) -> Any:
    if name in data:
        return data[name]
    wanted = normalise(name)
    return next((value for key, value in data.items() if normalise(key) == wanted), None)


def _email(value: Any) -> str:
    if value is None:
        return ""
    try:
        return coerce_email(value)
    except CoercionError as exc:
        raise RecordRejected(f"{EMAIL}: {exc.problem}") from None


def _date_ms(value: Any) -> int | None:
    """`trans_date` is in MILLISECONDS (notes 13 B6), every other Ontraport date in seconds."""
    if value is None:
        return None
    try:
        seconds = coerce_date(value)
    except CoercionError as exc:
        raise RecordRejected(f"{DATE}: {exc.problem}") from None
    return None if seconds is None else int(seconds) * 1000


def _lines(value: Any) -> tuple[OrderLine, ...]:
    items = value
    if isinstance(value, str):
        try:
            items = orjson.loads(value)
        except orjson.JSONDecodeError:
            items = None
    if not isinstance(items, list) or not all(isinstance(item, Mapping) for item in items):
        raise RecordRejected(
            f"{LINES} {quote(value)} is not a list of lines ({{{', '.join(LINE_PROPERTIES)}}} each, or that "
            "list as JSON text)"
        )
    if not items:
        raise RecordRejected(f"{LINES} is empty: an order needs at least one line")
    if len(items) > MAX_ORDER_LINES:
        raise RecordRejected(
            f"{LINES} has {len(items):,} lines, more than the {MAX_ORDER_LINES} an order may have"
        )
    lines = []
    for index, item in enumerate(items):
        props: dict[str, Any] = {}
        for key, entry in item.items():
            name = _LINE_KEYS.get(normalise(str(key)))
            if name is None:
                raise RecordRejected(
                    f"{LINES}[{index}]: {quote(str(key))} is no line property (a line takes "
                    f"{', '.join(LINE_PROPERTIES)})"
                )
            if entry is not None and entry != "":
                props[name] = entry
        lines.append(_line(props, f"{LINES}[{index}] "))
    return tuple(lines)


def _line(props: Mapping[str, Any], where: str) -> OrderLine:
    product = _text(props.get(PRODUCT), where + PRODUCT)
    sku = _text(props.get(PRODUCT_SKU), where + PRODUCT_SKU)
    if not product and not sku:
        raise RecordRejected(
            f"{where}has no {PRODUCT} and no {PRODUCT_SKU}: a line names its product by one of them"
        )
    if PRICE not in props:
        raise RecordRejected(
            f"{where}has no {PRICE} (the unit price): the order's total must be the source's"
        )
    units = quantity(props.get(QUANTITY), where + QUANTITY)
    unit_price = amount(props[PRICE], where + PRICE)
    return OrderLine(product, sku, units, unit_price, line_total(units, unit_price, f"{where}line"))


def _text(value: Any, what: str) -> str:
    if value is None:
        return ""
    try:
        return coerce_text(value)
    except CoercionError as exc:
        raise RecordRejected(f"{what}: {exc.problem}") from None


@dataclass
class Order:
    """An order as the stream gave it: its parts' lines, and the input records they came from.
    `problem`: why the whole order is refused (a line of it was rejected, its lines disagree)."""

    order_id: str
    email: str
    date_ms: int | None
    whole: bool
    lines: list[OrderLine] = field(default_factory=list)
    sources: list[tuple[int, str]] = field(default_factory=list)  # (input position, stream)
    problem: str | None = None

    @classmethod
    def start(cls, part: OrderPart, position: int, stream: str) -> Order:
        order = cls(part.order_id, part.email, part.date_ms, part.whole)
        order.join(part, position, stream)
        return order

    def join(self, part: OrderPart, position: int, stream: str) -> None:
        """Adds a record's lines; the order is refused when its records disagree or it grows too long."""
        self.sources.append((position, stream))
        self.lines.extend(part.lines)
        self.email = self._agreed(self.email, part.email, EMAIL, position)
        if part.date_ms is not None and self.date_ms not in (None, part.date_ms):
            self.fail(f"its lines give different {DATE}s (line at input position {position})")
        self.date_ms = self.date_ms if self.date_ms is not None else part.date_ms
        if len(self.lines) > MAX_ORDER_LINES:
            self.fail(f"it has more than the {MAX_ORDER_LINES} lines an order may have")

    def _agreed(self, held: str, given: str, what: str, position: int) -> str:
        if held and given and held.casefold() != given.casefold():
            self.fail(
                f"its lines give different {what}s ({held!r} and {given!r}, at input position {position})"
            )
        return held or given

    def fail(self, why: str) -> None:
        """The first reason wins: it is the one the records are refused with."""
        if self.problem is None:
            self.problem = f"order {self.order_id!r} is not logged: {why}"

    def refuse_line(self, position: int, reason: str) -> None:
        """A record of this order was rejected (its reason is its own): the rest of the order is refused."""
        self.fail(f"its line at input position {position} was rejected ({reason})")

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal("0.00"))

    def missing(self) -> str | None:
        """Why the order cannot be logged as it stands, else None."""
        if self.problem is not None:
            return self.problem
        if not self.email:
            return (
                f"order {self.order_id!r} is not logged: no {EMAIL} (a purchase belongs to a contact, "
                "found or created by email)"
            )
        return None


__all__ = [
    "DATE",
    "EMAIL",
    "EXTERNAL_ORDER_ID",
    "LINES",
    "LINE_PROPERTIES",
    "MAX_ORDER_LINES",
    "ORDER_PROPERTIES",
    "PRICE",
    "PRODUCT",
    "PRODUCT_SKU",
    "QUANTITY",
    "Order",
    "OrderLine",
    "OrderPart",
    "order_id_of",
    "read_order_part",
]
