"""Field metadata: the account's contact fields as `GET /Contacts/meta` reports them.

The connector maps records by field name and alias and coerces values by field type, so the
sandbox must publish a realistic field list: the standard contact fields plus one custom field of
each type the connector handles. Tests elsewhere rely on the exact custom fields below. A JSON file
given with `--meta` adds, replaces or removes fields without code changes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CONTACT_OBJECT_ID = 0
TAG_OBJECT_ID = 14

FieldDef = dict[str, Any]

KNOWN_TYPES = frozenset(
    {
        "text",
        "longtext",
        "email",
        "phone",
        "sms",
        "numeric",
        "price",
        "check",
        "country",
        "state",
        "fulldate",
        "timestamp",
        "drop",
        "list",
        "parent",
        "subscription",
        "mergefield",
        "url",
        "address",
        "image",
    }
)


def field(
    alias: str,
    type_: str,
    *,
    editable: bool = True,
    deletable: bool = False,
    options: dict[str, str] | None = None,
    parent_object: str | None = None,
) -> FieldDef:
    """Flags are strings ("0"/"1") because that is how Ontraport serialises them."""
    definition: FieldDef = {
        "alias": alias,
        "type": type_,
        "required": "0",
        "unique": "0",
        "editable": "1" if editable else "0",
        "deletable": "1" if deletable else "0",
    }
    if options is not None:
        definition["options"] = dict(options)
    if parent_object is not None:
        definition["parent_object"] = parent_object
    return definition


def standard_contact_fields() -> dict[str, FieldDef]:
    return {
        "firstname": field("First Name", "text"),
        "lastname": field("Last Name", "text"),
        "email": field("Email", "email"),
        "address": field("Address", "text"),
        "address2": field("Address 2", "text"),
        "city": field("City", "text"),
        "state": field("State", "state"),
        "zip": field("Zip Code", "text"),
        "country": field("Country", "country"),
        "birthday": field("Birthday", "fulldate"),
        "company": field("Company", "text"),
        "title": field("Job Title", "text"),
        "website": field("Website", "url"),
        "office_phone": field("Office Phone", "phone"),
        "home_phone": field("Home Phone", "phone"),
        "sms_number": field("SMS Number", "sms"),
        "fax": field("Fax", "phone"),
        "owner": field("Contact Owner", "parent", parent_object="2"),
        "bulk_mail": field("Bulk Email Status", "numeric"),
        "bulk_sms": field("Bulk SMS Status", "numeric"),
        "priority": field("Priority", "drop", options={"8": "High", "9": "Medium", "10": "Low"}),
        "spent": field("Spent", "price"),
        "grade": field("Score", "numeric"),
        "timezone": field("Timezone", "text"),
        "unique_id": field("Unique ID", "text", editable=False),
        "date": field("Date Added", "timestamp", editable=False),
        "dla": field("Date of Last Activity", "timestamp", editable=False),
        "dlm": field("Date Modified", "timestamp", editable=False),
        "contact_cat": field("Contact Tags", "subscription", editable=False),
    }


def custom_contact_fields() -> dict[str, FieldDef]:
    return {
        "f1001": field("External ID", "text"),
        "f1002": field("Lifetime Value", "numeric"),
        "f1003": field("Plan", "drop", options={"1": "Free", "2": "Pro", "3": "Enterprise"}),
        "f1004": field("Interests", "list", options={"1": "Sports", "2": "Music", "3": "Travel"}),
        "f1005": field("VIP", "check"),
        "f1006": field("Signup Date", "fulldate"),
        "f1007": field("Notes", "longtext"),
    }


def tag_fields() -> dict[str, FieldDef]:
    return {
        "tag_id": field("Tag ID", "numeric", editable=False),
        "tag_name": field("Tag Name", "text"),
        "object_type_id": field("Object Type", "numeric"),
    }


class Meta:
    """The contact schema plus the derived sets the hot paths need (so they are computed once)."""

    def __init__(self, contact_fields: dict[str, FieldDef]) -> None:
        self.contact_fields = contact_fields
        self.field_order: tuple[str, ...] = tuple(contact_fields)
        self.queryable = frozenset({"id", *contact_fields})
        self.editable = frozenset(
            name for name, spec in contact_fields.items() if str(spec.get("editable", "1")) == "1"
        )
        self.email_fields = frozenset(
            name for name, spec in contact_fields.items() if spec.get("type") == "email"
        )

    def describe(self, object_ids: list[int], by_name: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for object_id in object_ids:
            if object_id == CONTACT_OBJECT_ID:
                name, fields = "Contact", self.contact_fields
            else:
                name, fields = "Tag", tag_fields()
            key = name if by_name else str(object_id)
            out[key] = {"name": name, "fields": json.loads(json.dumps(fields))}
        return out


def build_contact_fields(overrides: dict[str, Any] | None = None) -> dict[str, FieldDef]:
    fields = {**standard_contact_fields(), **custom_contact_fields()}
    for name, spec in (overrides or {}).items():
        if spec is None:
            fields.pop(name, None)
            continue
        if not isinstance(spec, dict) or "type" not in spec:
            raise ValueError(f"meta field {name!r}: expected an object with at least 'type'")
        if spec["type"] not in KNOWN_TYPES:
            raise ValueError(f"meta field {name!r}: unknown type {spec['type']!r}")
        base = field(str(spec.get("alias", name)), str(spec["type"]))
        merged = {**base, **{key: value for key, value in spec.items() if key != "options"}}
        for flag in ("required", "unique", "editable", "deletable"):
            merged[flag] = "1" if str(merged[flag]) in ("1", "true", "True") else "0"
        if "options" in spec:
            merged["options"] = {str(key): str(value) for key, value in dict(spec["options"]).items()}
        fields[name] = merged
    return fields


def load_meta(path: str | None) -> Meta:
    """`--meta FILE` holds `{"fields": {name: definition | null}}` or the bare mapping; null
    removes a field, a known name is replaced, a new name is added."""
    if path is None:
        return Meta(build_contact_fields())
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ValueError("--meta file must hold a JSON object")
    overrides = raw.get("fields", raw)
    if not isinstance(overrides, dict):
        raise ValueError("--meta file: 'fields' must be an object")
    return Meta(build_contact_fields(overrides))
