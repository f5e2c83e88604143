"""Purchases in Ontraport's terms, pure: the built-in Products (16) and Transactions (46) objects as the
connector reads and writes them, the object name a data-activation stream uses for purchases, and
the body of `POST /transaction/processManual` for one order.

Sources (docs/ontraport-api-notes.md section 13): B6 the processManual body as the SDK's
`Transactions.php` and `Models/Offer.php` build it (`contact_id`, `chargeNow: "chargeLog"`, which
records a sale without charging a card, `trans_date` in MILLISECONDS, `invoice_template: -1`, the
SDK's SUPPRESS, so no invoice goes to the buyer, `external_order_id`, and `offer.products[{id,
quantity, price: [{price}], type: "single", ...}]`); B7 the Transaction fields read back
(`external_order_id`, `contact_id`, money as "12.50"); B8 Products found by a condition on `name` or
`sku` and created with `POST /Products` (JSON `name`, `price`, `sku`).

Neither type is taken from `GET /objects/meta`: an account may not list the built-in types there
(the sandbox's `builtin_types_in_meta` plays both), so their few fields are written down here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from destination_ontraport.model.mapping import FieldCatalog, FieldInfo
from destination_ontraport.model.money import money_text, wire_amount
from destination_ontraport.model.objects import ObjectType
from destination_ontraport.model.orders import Order

PRODUCT_OBJECT_ID = 16
TRANSACTION_OBJECT_ID = 46
PURCHASES_OBJECT_NAME = "Transaction"
"""The object a data-activation stream names for purchases (discover's `object_name`)."""
_PURCHASE_NAMES = frozenset(
    {"transaction", "transactions", "purchase", "purchases", str(TRANSACTION_OBJECT_ID)}
)
LOG_ONLY = "chargeLog"  # records the sale; never `chargeNow`, which charges a card
SUPPRESS_INVOICE = -1

PRODUCTS = ObjectType(
    PRODUCT_OBJECT_ID,
    "Product",
    FieldCatalog(
        [
            FieldInfo("name", "Name", "text"),
            FieldInfo("sku", "SKU", "text"),
            FieldInfo("price", "Price", "price"),
        ]
    ),
    route="/Products",
)
ORDER_ID_FIELD = FieldInfo("external_order_id", "External Order ID", "text", editable=False, unique=True)
TRANSACTIONS = ObjectType(
    TRANSACTION_OBJECT_ID,
    PURCHASES_OBJECT_NAME,
    FieldCatalog(
        [
            ORDER_ID_FIELD,
            FieldInfo("contact_id", "Contact", "parent", editable=False, parent_object="0"),
            FieldInfo("subtotal", "Subtotal", "price", editable=False),
            FieldInfo("total", "Total", "price", editable=False),
        ]
    ),
    route="/Transactions",
)
TRANSACTION_LIST_FIELDS = ("id", "external_order_id", "contact_id", "subtotal")


def names_purchases(object_name: str) -> bool:
    """Whether a stream's `destination_object_name` means purchases (the name discover gives, its
    plural, `Purchases`, or the type id)."""
    return object_name.strip().casefold() in _PURCHASE_NAMES


def purchase_body(order: Order, contact_id: str, product_ids: Sequence[str]) -> dict[str, Any]:
    """The processManual body for one order, its lines' products in `product_ids` (same order)."""
    products = [
        {
            "id": int(product_id),
            "name": line.product or line.sku,
            "quantity": line.units,
            "price": [{"price": wire_amount(line.unit_price)}],
            "type": "single",
            "shipping": False,
            "tax": False,
        }
        for line, product_id in zip(order.lines, product_ids, strict=True)
    ]
    body: dict[str, Any] = {
        "contact_id": int(contact_id),
        "chargeNow": LOG_ONLY,
        "invoice_template": SUPPRESS_INVOICE,
        "external_order_id": order.order_id,
        "offer": {"products": products, "send_recurring_invoice": False},
    }
    if order.date_ms is not None:
        body["trans_date"] = order.date_ms
    return body


def product_fields(name: str, sku: str, price: Any) -> dict[str, str]:
    """`POST /Products` for a product a line names that the account lacks: its name (the SKU when
    the line gives none: Ontraport requires a name), its SKU, and the line's unit price as its
    price (text with two decimals, as WP Fusion posts a shop's price)."""
    fields = {"name": name or sku, "price": money_text(price)}
    if sku:
        fields["sku"] = sku
    return fields


__all__ = [
    "LOG_ONLY",
    "ORDER_ID_FIELD",
    "PRODUCTS",
    "PURCHASES_OBJECT_NAME",
    "SUPPRESS_INVOICE",
    "TRANSACTIONS",
    "TRANSACTION_LIST_FIELDS",
    "names_purchases",
    "product_fields",
    "purchase_body",
]
