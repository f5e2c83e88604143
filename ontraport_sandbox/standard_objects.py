"""The object types a default sandbox serves besides contacts and tags, and the fields every
non-contact object type shares.

The connector's data activation writes any object the account has, so the sandbox must publish
more than contacts. Which objects the generic `/objects` routes can create and update is taken
from the api-evangelist data model (Ontraport's "accessible objects" table: full CRUD for Contact
0, Rule 6, Note 12, Tag 14, Product 16, Deal 149, Company 150, Calendar Event 160 and custom
objects >= 10000). Deal 149 and Company 150 are not in the SDK's `ObjectType.php`; their ids and
fields come from the .NET client (`ApiObjectTypes.cs`, `ApiDeal.cs`, `ApiCompany.cs`), whose
`ApiCustomObjectBase` gives Deals, Companies and custom objects the same base fields, the tag
list `contact_cat` and the tag and saveorupdate calls. Field types and options not stated there
are assumptions, listed in README.md.
"""

from __future__ import annotations

from typing import Any

from .meta_fields import FieldDef, field

DEAL_OBJECT_ID = 149
COMPANY_OBJECT_ID = 150
CUSTOM_OBJECT_MIN_ID = 10000
DEFAULT_CUSTOM_OBJECT_ID = 10000


def base_object_fields() -> dict[str, FieldDef]:
    """What every non-contact record carries: owner, the read-only ids and dates."""
    return {
        "owner": field("Owner", "parent", parent_object="2"),
        "unique_id": field("Unique ID", "text", editable=False),
        "date": field("Date Added", "timestamp", editable=False),
        "dla": field("Date of Last Activity", "timestamp", editable=False),
        "dlm": field("Date Modified", "timestamp", editable=False),
    }


def deal_fields() -> dict[str, FieldDef]:
    return {
        "name": field("Name", "text"),
        "value": field("Value", "price"),
        "expected_close_date": field("Expected Close Date", "fulldate"),
        "expected_win_percent": field("Expected Win Percent", "numeric"),
        "primary_contact": field("Primary Contact", "parent", parent_object="0"),
        "company": field("Company", "parent", parent_object=str(COMPANY_OBJECT_ID)),
        "weighted_value": field("Weighted Value", "price", editable=False),
        "sales_stage": field(
            "Sales Stage",
            "drop",
            options={
                "1": "Closed - Lost",
                "2": "Closed - Won",
                "3": "Committed",
                "4": "Consideration",
                "5": "Demo Scheduled",
                "6": "Qualified Lead",
                "7": "New Prospect",
            },
        ),
        "actual_close_date": field("Actual Close Date", "fulldate"),
        "expected_close_timeframe": field(
            "Expected Close Timeframe",
            "drop",
            options={"1": "This month", "2": "This quarter", "3": "This year"},
        ),
        "deal_size": field("Deal Size", "drop", options={"1": "Small", "2": "Medium", "3": "Large"}),
        "recent_activity": field("Recent Activity", "timestamp", editable=False),
    }


def company_fields() -> dict[str, FieldDef]:
    return {
        "name": field("Name", "text"),
        "phone": field("Phone", "phone"),
        "industry": field("Industry", "text"),
        "description": field("Description", "longtext"),
        "annual_revenue": field("Annual Revenue", "numeric"),
        "employee_count": field("Employee Count", "numeric"),
        "facebook_page": field("Facebook Page", "url"),
        "instagram_name": field("Instagram Name", "text"),
        "address": field("Address", "text"),
        "city": field("City", "text"),
        "state": field("State", "state"),
        "zipcode": field("Zip Code", "text"),
    }


def pet_fields() -> dict[str, FieldDef]:
    """A custom object with one field of each kind a writer meets, and one unique field, so that
    saveorupdate has something to merge on."""
    return {
        "f2001": field("Pet ID", "text", unique=True),
        "f2002": field("Pet Name", "text"),
        "f2003": field("Species", "drop", options={"1": "Dog", "2": "Cat", "3": "Other"}),
        "f2004": field("Birth Date", "fulldate"),
        "f2005": field("Weight", "numeric"),
        "f2006": field("Vet Email", "email"),
        "f2007": field("Vaccinated", "check"),
        "f2008": field("Traits", "list", options={"1": "Friendly", "2": "Shy", "3": "Playful"}),
        "f2009": field("Owner Contact", "parent", parent_object="0"),
    }


def default_objects() -> dict[int, dict[str, Any]]:
    """Object type id -> the seed definition (`name`, `plural`, `tags`, `fields`), in the shape
    `--meta` takes under `objects`."""
    return {
        DEAL_OBJECT_ID: {"name": "Deal", "plural": "Deals", "tags": True, "fields": deal_fields()},
        COMPANY_OBJECT_ID: {
            "name": "Company",
            "plural": "Companies",
            "tags": True,
            "fields": company_fields(),
        },
        DEFAULT_CUSTOM_OBJECT_ID: {"name": "Pet", "plural": "Pets", "tags": True, "fields": pet_fields()},
    }
