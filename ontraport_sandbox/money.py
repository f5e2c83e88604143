"""Money and offers for `POST /transaction/processManual`: exact decimals, never floats.

Ontraport shows money as strings with two decimals ("1.00", notes 13 B7), so the sandbox keeps
every amount as a `Decimal` rounded to the cent (half up) and writes it back with two decimals. A
unit price is rounded to the cent before it is multiplied, as a price column with two decimals
would keep it; a line costs quantity x unit price, and the total is the sum of the lines plus
shipping. A client that sends sub-cent prices therefore sees a total it did not compute, which a
test comparing totals notices.

The offer shape follows notes 13 B6: `offer.products[{id, quantity, price: [{price, ...}], ...}]`.
A product without `price` takes the product's own price (WP Fusion: "let Ontraport calculate the
price"); an empty quantity is an error ("Ontraport will throw an error for empty quantity").
`shipping` is an object (the SDK's model) or an array (the SDK's test, .NET); the
`shipping_shape` switch decides whether an object is accepted. Taxes are not modelled (ignored).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .errors import ApiError
from .params import as_str, intval

CENT = Decimal("0.01")


def to_money(value: Any, what: str) -> Decimal:
    """A JSON number or a numeric string, rounded to the cent; anything else (or a negative or
    non-finite amount) is 400."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ApiError(400, f"Invalid {what}")
    text = repr(value) if isinstance(value, float) else str(value).strip()
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise ApiError(400, f"Invalid {what}") from exc
    if not amount.is_finite() or amount < 0:
        raise ApiError(400, f"Invalid {what}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def money_text(amount: Decimal) -> str:
    return str(amount.quantize(CENT, rounding=ROUND_HALF_UP))


def sum_money(values: Iterable[str]) -> Decimal:
    total = Decimal("0.00")
    for value in values:
        try:
            total += Decimal(value or "0")
        except InvalidOperation:
            continue
    return total


def money_number(amount: Decimal) -> int | float:
    """getInfo's `sums` are JSON numbers in the SDK's fixture (`"sums":{"total":1}`)."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)


@dataclass(frozen=True)
class Line:
    product_id: int
    quantity: int
    unit_price: Decimal

    @property
    def total(self) -> Decimal:
        return self.quantity * self.unit_price

    def as_json(self) -> dict[str, Any]:
        return {
            "product_id": self.product_id,
            "quantity": self.quantity,
            "unit_price": money_text(self.unit_price),
            "total": money_text(self.total),
        }


@dataclass(frozen=True)
class Offer:
    lines: tuple[Line, ...]
    shipping: Decimal

    @property
    def subtotal(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.shipping

    def as_json(self) -> str:
        """The transaction's `offer_data` (.NET: a JSON string of the offer)."""
        return json.dumps(
            {"products": [line.as_json() for line in self.lines], "shipping": money_text(self.shipping)},
            separators=(",", ":"),
        )


def _quantity(product: dict[str, Any], index: int) -> int:
    raw = product.get("quantity")
    if raw is None or as_str(raw).strip() == "":
        raise ApiError(400, f"Missing required parameter: offer.products[{index}].quantity")
    text = repr(raw) if isinstance(raw, float) else as_str(raw).strip()
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ApiError(400, f"Invalid quantity for offer.products[{index}]") from exc
    if not number.is_finite() or number <= 0 or number != number.to_integral_value():
        raise ApiError(400, f"Invalid quantity for offer.products[{index}]")
    return int(number)


def _unit_price(product: dict[str, Any], index: int, own_price: str) -> Decimal:
    prices = product.get("price")
    if prices is None or prices in ([], ""):
        return to_money(own_price or "0", f"price of product {product.get('id')}")
    if not isinstance(prices, list) or not isinstance(prices[0], dict) or "price" not in prices[0]:
        raise ApiError(400, f"Invalid price for offer.products[{index}]")
    return to_money(prices[0]["price"], f"price for offer.products[{index}]")


def _shipping(offer: dict[str, Any], array_only: bool) -> Decimal:
    shipping = offer.get("shipping")
    if shipping is None or shipping in ([], ""):
        return Decimal("0.00")
    if isinstance(shipping, dict):
        if array_only:
            raise ApiError(400, "Invalid shipping")
        shipping = [shipping]
    if not isinstance(shipping, list) or not all(isinstance(item, dict) for item in shipping):
        raise ApiError(400, "Invalid shipping")
    return sum((to_money(item.get("price", 0), "shipping price") for item in shipping), Decimal("0.00"))


def parse_offer(raw: Any, product_price: Callable[[int], str | None], array_only_shipping: bool) -> Offer:
    """`product_price(id)` is the product's own price, or None when there is no such product."""
    offer = raw
    if isinstance(raw, str):  # a JSON object inside a form field
        try:
            offer = json.loads(raw)
        except ValueError:
            offer = None
    if not isinstance(offer, dict):
        raise ApiError(400, "Missing required parameter: offer")
    products = offer.get("products")
    if not isinstance(products, list) or not products:
        raise ApiError(400, "Missing required parameter: offer.products")
    lines: list[Line] = []
    for index, product in enumerate(products):
        if not isinstance(product, dict):
            raise ApiError(400, f"Invalid offer.products[{index}]")
        product_id = intval(product.get("id"))
        own_price = product_price(product_id) if product_id > 0 else None
        if own_price is None:
            raise ApiError(400, f"Invalid Product ID {as_str(product.get('id'))}")
        quantity = _quantity(product, index)
        lines.append(Line(product_id, quantity, _unit_price(product, index, own_price)))
    return Offer(tuple(lines), _shipping(offer, array_only_shipping))
