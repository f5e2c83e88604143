"""Purchases: products (object 16), `POST /transaction/processManual`, and the transactions it
logs (object 46).

Evidence, by section of `docs/ontraport-api-notes.md` section 13:
- B6: processManual takes JSON `contact_id`, `chargeNow` ("chargeLog" records without charging;
  "chargeNow" charges through `gateway_id`), `trans_date` in MILLISECONDS, `invoice_template` (-1
  suppresses the invoice), `external_order_id` and `offer`; it answers `data.invoice_id`, a JSON
  number; an unknown contact gives the plain text `Invalid Contact ID`.
- B7: a transaction's fields (money as "1.00" strings, `date` in seconds).
- B8: `POST /Products` (JSON, `name` required) answers `data.id`.
- B9: whether a duplicate `external_order_id` is refused is unsettled (switch).
The sandbox never charges a card: `chargeNow: "chargeNow"` is always an error here.
"""

from __future__ import annotations

import time
from typing import Any

from . import api_records as records
from .api_common import envelope, records_of
from .app import Sandbox
from .builtin_objects import PRODUCT_OBJECT_ID, TRANSACTION_OBJECT_ID
from .errors import ApiError
from .meta import ObjectType
from .money import money_text, parse_offer
from .params import Params, as_str, has, intval

CHARGE_LOG = "chargeLog"
CHARGE_NOW = "chargeNow"
SUPPRESS_INVOICE = -1
DEFAULT_INVOICE_TEMPLATE = 1
INVOICE_ID_OFFSET = 5000  # `invoice_id=different`: the invoice number is the transaction id + this
PAID = "1"


def builtin_kind(app: Sandbox, object_id: int) -> ObjectType:
    """A built-in type (a meta document may have removed it, like any type)."""
    kind = app.meta.get(object_id)
    if kind is None:
        raise ApiError(400, f"Invalid objectID {object_id}")
    return kind


# ---------------------------------------------------------------------------------------------
# products
# ---------------------------------------------------------------------------------------------


def create_product(app: Sandbox, params: Params) -> dict[str, Any]:
    """`POST /Products`. With an `id`, the `product_post_id` switch decides: 'create' ignores it
    (the SDK strips `id` from creates, so no source shows what it does), 'update' updates that
    product when it exists (WP Fusion posts the id of a product it already has)."""
    kind = builtin_kind(app, PRODUCT_OBJECT_ID)
    if app.settings.product_post_id == "update" and has(params, "id"):
        product_id = intval(params["id"])
        fields = records.writable_fields(app, kind, params)
        store = records_of(app, kind)
        with store.lock:
            if store.get(product_id) is not None:
                store.update(product_id, fields)
                return envelope(app, {**fields, "id": str(product_id)})
    return records.create(app, params, kind)


# ---------------------------------------------------------------------------------------------
# processManual
# ---------------------------------------------------------------------------------------------


def _charge_mode(params: Params) -> None:
    if not has(params, "chargeNow"):
        raise ApiError(400, "Missing required parameter: chargeNow")
    mode = as_str(params["chargeNow"]).strip()
    if mode == CHARGE_LOG:
        return
    if mode == CHARGE_NOW:
        if not has(params, "gateway_id"):
            raise ApiError(400, "Missing required parameter: gateway_id")
        raise ApiError(400, "The sandbox never charges a card: log the sale with chargeNow=chargeLog")
    raise ApiError(400, f"Invalid chargeNow: {mode}")


def _contact(app: Sandbox, params: Params) -> dict[str, str]:
    """The contact the sale belongs to; missing or unknown is the plain `Invalid Contact ID`
    with the `invalid_contact_status` switch's status (notes 13 B6, D12: the body is seen, the
    status is not)."""
    contact_id = intval(params.get("contact_id", 0))
    contact = records_of(app, app.meta.contact).get(contact_id) if contact_id > 0 else None
    if contact is None:
        raise ApiError(int(app.settings.invalid_contact_status), "Invalid Contact ID")
    return contact


def _date_seconds(params: Params) -> str:
    """`trans_date` is epoch MILLISECONDS (notes 13 B6); the stored `date` is seconds. Absent or
    not positive: now."""
    millis = intval(params.get("trans_date", 0))
    if millis <= 0:
        return str(int(time.time()))
    return str(millis // 1000)


def _invoice_sent(app: Sandbox, params: Params) -> tuple[str, bool]:
    """(template id, whether an invoice goes out): -1 suppresses (the SDK's SUPPRESS); 0 follows
    the `invoice_template_zero` switch (WP Fusion sends 0); absent is the default template 1."""
    template = (
        intval(params["invoice_template"]) if has(params, "invoice_template") else DEFAULT_INVOICE_TEMPLATE
    )
    if template == SUPPRESS_INVOICE:
        return str(template), False
    if template == 0:
        return "0", app.settings.invoice_template_zero == "sends"
    return str(template), True


def process_manual(app: Sandbox, params: Params) -> dict[str, Any]:
    _charge_mode(params)
    contact = _contact(app, params)
    products = records_of(app, builtin_kind(app, PRODUCT_OBJECT_ID))
    transactions = records_of(app, builtin_kind(app, TRANSACTION_OBJECT_ID))

    def product_price(product_id: int) -> str | None:
        product = products.get(product_id)
        return None if product is None else product.get("price", "")

    offer = parse_offer(params.get("offer"), product_price, app.settings.shipping_shape == "array")
    external = as_str(params.get("external_order_id", "")).strip()
    template, invoice = _invoice_sent(app, params)
    with app.store.lock:
        duplicate = bool(external) and bool(transactions.ids_by_value("external_order_id", external))
        if duplicate and app.settings.duplicate_external_order_id == "reject":
            raise ApiError(400, f"A transaction with external_order_id {external} already exists")
        name = " ".join(part for part in (contact.get("firstname"), contact.get("lastname")) if part)
        record = transactions.create(
            {
                "hidden": "0",
                "status": PAID,
                "contact_id": contact["id"],
                "gateway_id": "0",
                "date": _date_seconds(params),
                "template_id": template,
                "subtotal": money_text(offer.subtotal),
                "tax": "0.00",
                "shipping": money_text(offer.shipping),
                "total": money_text(offer.total),
                "external_order_id": external,
                "contact_name": name,
                "offer_data": offer.as_json(),
            }
        )
    app.stats.transaction_logged(invoice, duplicate)
    transaction_id = int(record["id"])
    if app.settings.invoice_id == "different":
        transaction_id += INVOICE_ID_OFFSET
    return envelope(app, {"invoice_id": transaction_id})
