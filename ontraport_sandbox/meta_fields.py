"""Field definitions: the `fields` of one object type as `GET /objects/meta` reports them.

The connector maps records by field name and alias and coerces values by field type, so the
sandbox must publish realistic fields: the standard contact fields plus one custom field of each
type the connector handles. Tests elsewhere rely on the exact custom fields below. The same
override rules (add, replace, `null` removes) apply to contacts and to every other object type
declared with `--meta`, so that a test can shape any object without code changes.
"""

from __future__ import annotations

from typing import Any

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
FLAGS = ("required", "unique", "editable", "deletable")


def field(
    alias: str,
    type_: str,
    *,
    editable: bool = True,
    deletable: bool = False,
    unique: bool = False,
    options: dict[str, str] | None = None,
    parent_object: str | None = None,
) -> FieldDef:
    """Flags are strings ("0"/"1") because that is how Ontraport serialises them."""
    definition: FieldDef = {
        "alias": alias,
        "type": type_,
        "required": "0",
        "unique": "1" if unique else "0",
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


def tag_list_field(alias: str = "Tags") -> FieldDef:
    """The `*/*1*/*2*/*` list of tag ids a record carries (read-only: tags change through the tag
    endpoints)."""
    return field(alias, "subscription", editable=False)


def apply_overrides(
    fields: dict[str, FieldDef], overrides: dict[str, Any], where: str
) -> dict[str, FieldDef]:
    """A new name adds a field, a known name replaces it, `null` removes it. Flags default to "0"
    except `editable` ("1") and are normalised to "0"/"1" strings; an explicit `"editable": null`
    stays null (the SDK's mocked meta has it on a `parent` field, notes 13 C10) and the field is
    writable. A `parent` field may omit `parent_object`, as the same fixture's custom-object side
    does."""
    out = dict(fields)
    for name, spec in overrides.items():
        if spec is None:
            out.pop(name, None)
            continue
        if not isinstance(spec, dict) or "type" not in spec:
            raise ValueError(f"{where} field {name!r}: expected an object with at least 'type'")
        if spec["type"] not in KNOWN_TYPES:
            raise ValueError(f"{where} field {name!r}: unknown type {spec['type']!r}")
        base = field(str(spec.get("alias", name)), str(spec["type"]))
        merged = {**base, **{key: value for key, value in spec.items() if key != "options"}}
        for flag in FLAGS:
            if flag == "editable" and "editable" in spec and spec["editable"] is None:
                continue  # published as null, as the SDK's meta fixture shows for a parent field
            merged[flag] = "1" if str(merged[flag]) in ("1", "true", "True") else "0"
        if "options" in spec:
            if not isinstance(spec["options"], dict):
                raise ValueError(f"{where} field {name!r}: options must be an object")
            merged["options"] = {str(key): str(value) for key, value in spec["options"].items()}
        out[name] = merged
    return out
