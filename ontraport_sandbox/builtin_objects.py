"""The built-in object types behind automations and purchases: sequences (5), products (16),
transactions (46) and Campaign Builder campaigns (140).

They are record types like any other (conditions, listFields, paging and getInfo come from the same
code), but an account does not manage them the way it manages contacts or custom objects:
campaigns, sequences and transactions are read-only through the generic routes (Ontraport's object
table grants only GET on 140 and 46, and the notes advise never to write sequences), transactions
are only made by `POST /transaction/processManual`, and none of them is listed by
`GET /objects/meta` without `objectID` unless the `builtin_types_in_meta` switch says so (the
connector's discover would otherwise offer them as objects to write). Sources, by section of
`docs/ontraport-api-notes.md` section 13:

- A4: campaign fields (`id`, `name`, `date`, `dlm`, `object_type_id`, `pause`, `deleted`, and the
  list columns `state`, `subs`, `subs_ever`, `element_num`, `todos`); a list without `listFields`
  returns only `id` and `name`. Sequences: `drip_id`, `name`, `pause`, `subscriber_count`.
- B7: the transaction fields (money as strings like "1.00", `date` in seconds) plus .NET's
  `offer_data`; getInfo's list columns `status`, `total`, `contact_name`, `date`.
- B8: product fields (.NET `ApiProduct`; `owner` is commented out there, so products have none).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field

from .meta_fields import FieldDef, field

SEQUENCE_OBJECT_ID = 5
PRODUCT_OBJECT_ID = 16
TRANSACTION_OBJECT_ID = 46
CAMPAIGN_OBJECT_ID = 140
BUILTIN_OBJECT_IDS = (SEQUENCE_OBJECT_ID, PRODUCT_OBJECT_ID, TRANSACTION_OBJECT_ID, CAMPAIGN_OBJECT_ID)
AUTOMATION_OBJECT_IDS = frozenset({SEQUENCE_OBJECT_ID, CAMPAIGN_OBJECT_ID})

TRANSACTION_STATUSES = {
    "0": "Unpaid",
    "1": "Paid",
    "2": "Refunded",
    "3": "Partially Refunded",
    "4": "Void",
    "5": "Declined",
    "6": "Written Off",
    "7": "Pending",
}  # .NET `ApiTransaction` status values (notes 13 B7)


@dataclass(frozen=True)
class Traits:
    """How an object type differs from a plain record type (all off for contacts, Deals,
    Companies and custom objects)."""

    hidden: bool = False  # left out of the all-types meta, the admin schema and stats["objects"]
    read_only: bool = False  # the generic create/update/delete/saveorupdate routes refuse it
    id_field: str | None = None  # a field that always holds the record's id (`drip_id`)
    default_list_fields: tuple[str, ...] = ()  # what a list without `listFields` returns
    info_list_fields: tuple[str, ...] = ()  # getInfo's `listFields`
    create_requires: tuple[str, ...] = ()  # fields a create must give (a product's `name`)
    defaults: dict[str, str] = dataclass_field(default_factory=dict)  # values of a new record


def _read_only(alias: str, type_: str, parent_object: str | None = None) -> FieldDef:
    return field(alias, type_, editable=False, parent_object=parent_object)


def sequence_fields() -> dict[str, FieldDef]:
    return {
        "drip_id": _read_only("Sequence ID", "numeric"),
        "name": field("Name", "text"),
        "pause": field("Paused", "check"),
        "subscriber_count": _read_only("Subscribers", "numeric"),
    }


def campaign_fields() -> dict[str, FieldDef]:
    return {
        "name": field("Name", "text"),
        "date": _read_only("Date Added", "timestamp"),
        "dlm": _read_only("Date Modified", "timestamp"),
        "object_type_id": field("Object Type", "numeric"),
        "pause": field("Paused", "check"),
        "deleted": field("Deleted", "check"),
        "state": field("State", "text"),
        "subs": _read_only("Subscribers", "numeric"),
        "subs_ever": _read_only("Subscribers Ever", "numeric"),
        "element_num": _read_only("Elements", "numeric"),
        "todos": _read_only("To-dos", "numeric"),
    }


def product_fields() -> dict[str, FieldDef]:
    return {
        "name": field("Name", "text"),
        "price": field("Price", "price"),
        "sku": field("SKU", "text"),
        "external_id": field("External ID", "text"),
        "description": field("Description", "longtext"),
        "product_group": field("Product Group", "numeric"),
        "taxable": field("Taxable", "check"),
        "deleted": _read_only("Deleted", "check"),
        "total_income": _read_only("Total Income", "price"),
        "total_purchases": _read_only("Total Purchases", "numeric"),
        "date": _read_only("Date Added", "timestamp"),
        "dlm": _read_only("Date Modified", "timestamp"),
    }


def transaction_fields() -> dict[str, FieldDef]:
    numeric = ("hidden", "order_id", "form_id", "lp_id", "cc_id", "gateway_id", "template_id", "oprid")
    out: dict[str, FieldDef] = {}
    for name in (
        "hidden",
        "status",
        "contact_id",
        "order_id",
        "form_id",
        "lp_id",
        "cc_id",
        "gateway_id",
        "date",
        "template_id",
        "subtotal",
        "tax",
        "shipping",
        "total",
        "zip",
        "city",
        "state",
        "county",
        "tax_city",
        "tax_state",
        "tax_county",
        "external_order_id",
        "oprid",
        "last_recharge_date",
        "recharge_attempts",
        "recharge",
        "contact_name",
        "offer_data",
    ):
        alias = name.replace("_", " ").title()
        if name in numeric or name == "recharge_attempts":
            out[name] = _read_only(alias, "numeric")
        elif name == "status":
            out[name] = field("Status", "drop", editable=False, options=TRANSACTION_STATUSES)
        elif name == "contact_id":
            out[name] = _read_only("Contact", "parent", parent_object="0")
        elif name in ("date", "last_recharge_date"):
            out[name] = _read_only(alias, "timestamp")
        elif name in ("subtotal", "tax", "shipping", "total"):
            out[name] = _read_only(alias, "price")
        elif name == "recharge":
            out[name] = _read_only(alias, "check")
        elif name == "offer_data":
            out[name] = _read_only("Offer Data", "longtext")
        else:
            out[name] = _read_only(alias, "text")
    return out


@dataclass(frozen=True)
class BuiltinType:
    object_id: int
    name: str
    plural: str
    fields: dict[str, FieldDef]
    traits: Traits


def builtin_types() -> list[BuiltinType]:
    """The four built-in types of a default sandbox (a meta document may reshape or remove them)."""
    return [
        BuiltinType(
            SEQUENCE_OBJECT_ID,
            "Sequence",
            "Sequences",
            sequence_fields(),
            Traits(
                hidden=True,
                read_only=True,
                id_field="drip_id",
                defaults={"pause": "0", "subscriber_count": "0"},
            ),
        ),
        BuiltinType(
            PRODUCT_OBJECT_ID,
            "Product",
            "Products",
            product_fields(),
            Traits(
                hidden=True,
                create_requires=("name",),
                info_list_fields=("name", "price", "total_purchases", "total_income", "date"),
                defaults={
                    "price": "0.00",
                    "taxable": "0",
                    "deleted": "0",
                    "total_income": "0.00",
                    "total_purchases": "0",
                },
            ),
        ),
        BuiltinType(
            TRANSACTION_OBJECT_ID,
            "Transaction",
            "Transactions",
            transaction_fields(),
            Traits(
                hidden=True,
                read_only=True,
                info_list_fields=("status", "total", "contact_name", "date"),
            ),
        ),
        BuiltinType(
            CAMPAIGN_OBJECT_ID,
            "Campaign",
            "Campaigns",
            campaign_fields(),
            Traits(
                hidden=True,
                read_only=True,
                default_list_fields=("id", "name"),
                info_list_fields=(
                    "name",
                    "state",
                    "date",
                    "dlm",
                    "subs",
                    "subs_ever",
                    "element_num",
                    "todos",
                ),
                defaults={
                    "object_type_id": "0",
                    "pause": "0",
                    "deleted": "0",
                    "subs": "0",
                    "subs_ever": "0",
                    "element_num": "0",
                    "todos": "0",
                },
            ),
        ),
    ]
