"""Amounts of a purchase, exact: decimals, never float arithmetic.

Ontraport keeps money to the cent and shows it as text with two decimals ("12.50",
docs/ontraport-api-notes.md 13 B7), in the account's one currency. So a price is taken only when
Ontraport can hold exactly what the source says: a plain decimal number (a JSON number or a string
of digits with a dot), not negative, at most two decimals (a sub-cent price would be rounded there,
and the total would no longer be the source's), and at most MAX_AMOUNT. A price that carries a
currency sign or code is refused with the reason: the API takes no currency, and the connector
converts none. A line costs quantity x unit price, computed in Decimal.

The request carries a price as a JSON number, as the SDK's Offer model sends it. Every amount taken
here has at most 11 significant digits, so the shortest text of its float (what the JSON encoder
writes) is exactly its decimal text: `wire_amount` checks that it is.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from destination_ontraport.model.coercion import quote
from destination_ontraport.model.problems import RecordRejected

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999.99")
MAX_QUANTITY = 1_000_000
_PLAIN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)
_CURRENCY = re.compile(r"[$€£¥₹¤]|\b[A-Za-z]{3}\b")
_MONEY_HINT = "a plain number with at most two decimals and a dot, e.g. 12.50, in the account's currency"


def amount(value: Any, what: str) -> Decimal:
    """A price as Ontraport can keep it exactly, or RecordRejected saying why not."""
    number = _decimal(value, what)
    if number < 0:
        raise RecordRejected(f"{what} {quote(value)} is negative: a purchase takes amounts of 0 or more")
    if number != number.quantize(CENT):
        raise RecordRejected(
            f"{what} {quote(value)} has more than two decimals: Ontraport keeps amounts to the cent, so "
            "the total would not be the source's"
        )
    if number > MAX_AMOUNT:
        raise RecordRejected(
            f"{what} {quote(value)} is more than {MAX_AMOUNT:,}, the most this connector logs"
        )
    return number.quantize(CENT)


def _decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, bool) or value is None or isinstance(value, list | dict):
        raise RecordRejected(f"{what} {quote(value)} is not an amount ({_MONEY_HINT})")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RecordRejected(f"{what} {quote(value)} is not a finite number")
        return Decimal(repr(value))
    text = str(value).strip()
    if not _PLAIN.fullmatch(text):
        if text.lstrip("+-").lower() in ("nan", "inf", "infinity"):
            raise RecordRejected(f"{what} {quote(value)} is not a finite number")
        if _CURRENCY.search(text):
            raise RecordRejected(
                f"{what} {quote(value)} carries a currency: Ontraport records purchases in the account's "
                f"currency and the connector converts none ({_MONEY_HINT})"
            )
        raise RecordRejected(f"{what} {quote(value)} is not an amount ({_MONEY_HINT})")
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid literals
        raise RecordRejected(f"{what} {quote(value)} is not an amount ({_MONEY_HINT})") from None


def quantity(value: Any, what: str) -> int:
    """A line's quantity: a whole number from 1 to MAX_QUANTITY (Ontraport refuses an empty one);
    absent or null means 1."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 1
    try:
        number = _decimal(value, what)
    except RecordRejected:
        raise RecordRejected(f"{what} {quote(value)} is not a whole number of items") from None
    if number != number.to_integral_value() or not 1 <= number <= MAX_QUANTITY:
        raise RecordRejected(
            f"{what} {quote(value)} is not a whole number of items from 1 to {MAX_QUANTITY:,}"
        )
    return int(number)


def line_total(units: int, unit_price: Decimal, what: str) -> Decimal:
    total = units * unit_price
    if total > MAX_AMOUNT:
        raise RecordRejected(
            f"{what}: {units} x {unit_price} is more than {MAX_AMOUNT:,}, the most this connector logs"
        )
    return total


def wire_amount(value: Decimal) -> float:
    """The JSON number for an amount: a float whose shortest text is the amount's own (checked)."""
    number = float(value)
    if Decimal(repr(number)) != value:  # pragma: no cover - MAX_AMOUNT keeps every amount exact
        raise ValueError(f"{value} cannot be sent exactly as a JSON number")
    return number


def money_text(value: Decimal) -> str:
    """`12.50`: as Ontraport shows money."""
    return str(value.quantize(CENT))


__all__ = [
    "CENT",
    "MAX_AMOUNT",
    "MAX_QUANTITY",
    "amount",
    "line_total",
    "money_text",
    "quantity",
    "wire_amount",
]
