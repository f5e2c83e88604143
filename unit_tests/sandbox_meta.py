"""The sandbox account's contact fields, as `GET /Contacts/meta` returns them in data["0"]["fields"].

Shared by tests that need a realistic field catalog: `FieldCatalog.from_meta(SANDBOX_CONTACT_FIELDS)`.
"""

from __future__ import annotations

from typing import Any


def _field(alias: str, type_: str, *, editable: str = "1", **extra: Any) -> dict[str, Any]:
    return {
        "alias": alias,
        "type": type_,
        "required": "0",
        "unique": "0",
        "editable": editable,
        "deletable": "0",
        **extra,
    }


SANDBOX_CONTACT_FIELDS: dict[str, dict[str, Any]] = {
    "firstname": _field("First Name", "text"),
    "lastname": _field("Last Name", "text"),
    "email": _field("Email", "email"),
    "address": _field("Address", "text"),
    "address2": _field("Address 2", "text"),
    "city": _field("City", "text"),
    "state": _field("State", "state"),
    "zip": _field("Zip Code", "text"),
    "country": _field("Country", "country"),
    "birthday": _field("Birthday", "fulldate"),
    "company": _field("Company", "text"),
    "title": _field("Job Title", "text"),
    "website": _field("Website", "url"),
    "office_phone": _field("Office Phone", "phone"),
    "home_phone": _field("Home Phone", "phone"),
    "sms_number": _field("SMS Number", "sms"),
    "fax": _field("Fax", "phone"),
    "owner": _field("Contact Owner", "parent", parent_object="2"),
    "bulk_mail": _field("Bulk Email Status", "numeric"),
    "bulk_sms": _field("Bulk SMS Status", "numeric"),
    "priority": _field("Priority", "drop", options={"8": "High", "9": "Medium", "10": "Low"}),
    "spent": _field("Spent", "price"),
    "grade": _field("Score", "numeric"),
    "timezone": _field("Timezone", "text"),
    "unique_id": _field("Unique ID", "text", editable="0"),
    "date": _field("Date Added", "timestamp", editable="0"),
    "dla": _field("Date of Last Activity", "timestamp", editable="0"),
    "dlm": _field("Date Modified", "timestamp", editable="0"),
    "contact_cat": _field("Contact Tags", "subscription", editable="0"),
    "f1001": _field("External ID", "text"),
    "f1002": _field("Lifetime Value", "numeric"),
    "f1003": _field("Plan", "drop", options={"1": "Free", "2": "Pro", "3": "Enterprise"}),
    "f1004": _field("Interests", "list", options={"1": "Sports", "2": "Music", "3": "Travel"}),
    "f1005": _field("VIP", "check"),
    "f1006": _field("Signup Date", "fulldate"),
    "f1007": _field("Notes", "longtext"),
}
