"""The Purchases operation discover offers: object `Transaction`, mode `append`, matching key
`External Order ID`, and the properties of an order (model/orders.py says how they are read).

Every account has purchases (Transactions are built in), so the operation is offered whether or not
`GET /objects/meta` lists the built-in types. Only `append`: a purchase is logged once and never
changed or deleted by the connector.
"""

from __future__ import annotations

from typing import Any

from airbyte_protocol_dataclasses.models import DestinationOperation, DestinationSyncMode

from destination_ontraport.model.orders import (
    DATE,
    EMAIL,
    EXTERNAL_ORDER_ID,
    LINES,
    MAX_ORDER_LINES,
    PRICE,
    PRODUCT,
    PRODUCT_SKU,
    QUANTITY,
)
from destination_ontraport.model.purchases import PURCHASES_OBJECT_NAME

DESCRIPTION = (
    "Purchases: each order is logged once in Ontraport (POST /transaction/processManual, recorded "
    "without charging a card, no invoice sent) with its products, for the contact with its Email (created "
    "when missing). Give an order's lines in Lines (one record per order), or one line per record with "
    "Product or Product SKU, Quantity and Price, the lines of one order one after another (an order_lines "
    "table). An External Order ID Ontraport already holds is not logged again."
)


def _line_properties() -> dict[str, Any]:
    return {
        PRODUCT: {
            "type": ["null", "string"],
            "description": "The product's name: found by name in Ontraport, or created once.",
        },
        PRODUCT_SKU: {
            "type": ["null", "string"],
            "description": "The product's SKU: finds the product when its name does not (or there is none).",
        },
        QUANTITY: {
            "type": ["null", "integer"],
            "description": "How many were bought (a whole number; 1 when absent).",
        },
        PRICE: {
            "type": ["null", "number", "string"],
            "description": (
                "The unit price, in the account's currency: a plain number with at most two decimals "
                "(the line costs Quantity x Price)."
            ),
        },
    }


def purchase_operation() -> DestinationOperation:
    line = _line_properties()
    properties: dict[str, Any] = {
        EMAIL: {
            "type": ["null", "string"],
            "description": "The buyer's email: the contact is found by it, or created (saveorupdate).",
        },
        EXTERNAL_ORDER_ID: {
            "type": ["null", "string", "integer"],
            "description": (
                "The order's id in the shop it comes from: an order Ontraport already holds is not logged "
                "again."
            ),
        },
        DATE: {
            "type": ["null", "string"],
            "format": "date-time",
            "description": "When the order was placed (Ontraport's purchase date; now when absent).",
        },
        **line,
        LINES: {
            "type": ["null", "array", "string"],
            "items": {"type": "object", "properties": line, "additionalProperties": False},
            "description": (
                f"The order's lines (at most {MAX_ORDER_LINES}), each {{{PRODUCT} or {PRODUCT_SKU}, "
                f"{QUANTITY}, {PRICE}}}, as a list or as its JSON text: one record per order."
            ),
        },
    }
    schema: dict[str, Any] = {
        "type": "object",
        "description": DESCRIPTION,
        "additionalProperties": False,
        "properties": properties,
        "required": [EMAIL],
    }
    return DestinationOperation(
        object_name=PURCHASES_OBJECT_NAME,
        sync_mode=DestinationSyncMode.append,
        json_schema=schema,
        matching_keys=[[EXTERNAL_ORDER_ID]],
    )


__all__ = ["DESCRIPTION", "purchase_operation"]
