"""Linked records before any request: which link fields the meta describes (`type: "parent"` with
`parent_object`), the `<Field> (<Key>)` properties discover offers for them (and the Purchases
operation beside them), and how a stream takes those properties out of a record before mapping."""

from __future__ import annotations

from typing import Any

import pytest
from airbyte_cdk.models import DestinationSyncMode

from destination_ontraport.account.discover import discover_catalog, property_names
from destination_ontraport.model.links import link_properties
from destination_ontraport.model.mapping import FieldCatalog, RecordMapper
from destination_ontraport.model.objects import ObjectType, object_types
from destination_ontraport.model.problems import RecordRejected
from destination_ontraport.sync.stream_rules import CatalogStream
from destination_ontraport.sync.streams import StreamRoute
from destination_ontraport.sync.unmapped_log import unknown_properties
from ontraport_sandbox.meta_fixtures import default_objects_meta
from unit_tests.fakes import RecordingSink


def field(alias: str, type_: str, **extra: Any) -> dict[str, Any]:
    return {"alias": alias, "type": type_, "required": "0", "unique": "0", "editable": "1", **extra}


def types(meta: dict[str, Any] | None = None) -> dict[str, ObjectType]:
    return {obj.name: obj for obj in object_types(meta or default_objects_meta())}


def links_of(obj: ObjectType, all_types: list[ObjectType], notes: list[str] | None = None) -> list[str]:
    property_of = {info.name: prop for prop, info in property_names(obj).items()}
    return [link.name for link in link_properties(obj, all_types, property_of, notes)]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("150", "150"), (0, "0"), (" 0 ", "0"), (None, None), ("", None), ("Contact", None), (True, None)],
)
def test_a_link_fields_linked_type_is_read_from_the_meta(raw: Any, expected: str | None) -> None:
    meta = field("Primary Contact", "parent") | ({} if raw is None else {"parent_object": raw})
    info = FieldCatalog.from_meta({"primary_contact": meta}).get("primary_contact")
    assert info is not None and info.parent_object == expected


def test_the_default_account_offers_a_deals_contact_and_company_and_a_pets_owner_by_their_keys() -> None:
    found = types()
    every = list(found.values())
    assert links_of(found["Deal"], every) == ["Primary Contact (Email)", "Company (Name)"]
    assert links_of(found["Pet"], every) == ["Owner Contact (Email)"]
    assert links_of(found["Contact"], every) == [], "a contact's owner is Ontraport's own field"
    (company,) = link_properties(found["Deal"], every, {"company": "Company"})
    assert not company.unique and "several Company records share is refused" in company.describe()


def test_a_link_field_without_a_usable_linked_object_keeps_only_its_id_and_a_note_says_why() -> None:
    meta = default_objects_meta()
    meta["10001"] = {
        "name": "Course",
        "fields": {
            "f4001": field("Mentor", "parent"),  # the SDK's fixture: no parent_object
            "f4002": field("Room", "parent", parent_object="777"),  # a type the account does not list
            "f4003": field("Sibling", "parent", parent_object="10002"),  # a type without a key
            "f4004": field("Buddy", "parent", parent_object="0"),
            "f4005": field("Buddy (Email)", "text"),  # takes the link property's name
        },
    }
    meta["10002"] = {"name": "Thing", "fields": {"f5001": field("Colour", "text")}}
    notes: list[str] = []
    found = types(meta)
    assert links_of(found["Course"], list(found.values()), notes) == []
    assert len(notes) == 4
    assert "does not say of which object" in notes[0]
    assert "links to object 777, which the account's metadata does not list" in notes[1]
    assert "links to Thing, which has no unique field and no name" in notes[2]
    assert "'Buddy (Email)' is not offered: another property has that name" in notes[3]


def test_discover_offers_the_keys_beside_the_ids_where_records_are_written_not_in_soft_delete() -> None:
    ops = {
        (op.object_name, op.sync_mode.value): op
        for op in discover_catalog(default_objects_meta()).catalog.operations
    }
    for mode in ("append", "update"):
        props = ops["Deal", mode].json_schema["properties"]
        assert {"Primary Contact", "Primary Contact (Email)", "Company", "Company (Name)"} <= set(props)
        assert props["Company (Name)"]["type"] == ["null", "string"]
    assert "Owner Contact (Email)" in ops["Pet", "append_dedup"].json_schema["properties"]
    assert "Owner Contact (Email)" not in ops["Pet", "soft_delete"].json_schema["properties"]


@pytest.mark.parametrize("listed", [False, True])
def test_purchases_are_offered_once_append_only_keyed_by_external_order_id(listed: bool) -> None:
    """Whether or not the account's meta lists the built-in Products (16) and Transactions (46)."""
    meta = default_objects_meta()
    if listed:
        meta["16"] = {"name": "Product", "fields": {"name": field("Name", "text")}}
        meta["46"] = {"name": "Transaction", "fields": {"total": field("Total", "price")}}
    ops = discover_catalog(meta).catalog.operations
    purchases = [op for op in ops if op.object_name == "Transaction"]
    assert [op.sync_mode.value for op in purchases] == ["append"]
    (op,) = purchases
    assert op.matching_keys == [["External Order ID"]]
    schema = op.json_schema
    assert schema["additionalProperties"] is False and schema["required"] == ["Email"]
    assert list(schema["properties"]) == [
        "Email", "External Order ID", "Date", "Product", "Product SKU", "Quantity", "Price", "Lines",
    ]  # fmt: skip
    assert schema["description"].startswith("Purchases:")
    names = list(dict.fromkeys(o.object_name for o in ops))
    assert names.index("Contact") < names.index("Transaction") < names.index("Deal")
    assert "Product" not in names


def deal_route() -> tuple[StreamRoute, RecordingSink]:
    found = types()
    deal = found["Deal"]
    property_of = {info.name: prop for prop, info in property_names(deal).items()}
    links = link_properties(deal, list(found.values()), property_of)
    sink = RecordingSink(deal, None)
    stream = CatalogStream("deals", None, DestinationSyncMode.append, object_name="Deal")
    mapper = RecordMapper(deal.fields, None, auto_mapping=True)
    return StreamRoute(stream, mapper, sink, activation=True, keyless=True, links=links), sink


class LinkSink(RecordingSink):
    """Keeps the links of each record too."""

    def __init__(self, sink: RecordingSink) -> None:
        super().__init__(sink.obj, sink.key)
        self.links: list[dict[str, str]] = []

    def add(self, record: Any) -> None:
        super().add(record)
        self.links.append(dict(record.links or {}))


def test_a_stream_takes_the_keys_out_before_mapping_and_hands_them_to_its_writer() -> None:
    route, plain = deal_route()
    sink = LinkSink(plain)
    route.writer = sink
    route.take(
        {"Name": "D", "primary contact (email)": " Ann@X.io ", "Company (Name)": "Acme", "Value": 3}, 1
    )
    route.take({"Name": "E", "Primary Contact (Email)": None, "Company (Name)": ""}, 2)
    assert sink.writes == [("#1", {"name": "D", "value": "3"}), ("#2", {"name": "E"})]
    assert sink.links == [{"primary_contact": "Ann@X.io", "company": "Acme"}, {}]
    assert route.mapper.unmapped_paths == set(), "nothing is reported as an unknown property"


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (
            {"Primary Contact (Email)": "nope"},
            "Primary Contact \\(Email\\): 'nope' is not a valid email address",
        ),
        (
            {"Primary Contact (Email)": "a@x.io", "Primary Contact": 4},
            "gives both Primary Contact \\(Email\\)",
        ),
        ({"Company (Name)": "x" * 5000}, "Company \\(Name\\): .* too long to look up"),
        ({"Company (Name)": {"name": "Acme"}}, "Company \\(Name\\): is an object"),
    ],
)
def test_a_key_that_cannot_be_looked_up_rejects_its_record(data: dict[str, Any], why: str) -> None:
    route, _ = deal_route()
    with pytest.raises(RecordRejected, match=why):
        route.take({"Name": "D", **data}, 1)


def test_the_warning_for_an_unknown_property_names_the_link_properties_too() -> None:
    route, _ = deal_route()
    text = unknown_properties(route, ["Primary Contact Email"])
    assert "did you mean Primary Contact (Email) or Primary Contact?" in text
    assert text.endswith(
        "Add Tags, Remove Tags, Company (Name) (discover lists them; map the field to one of them)."
    )
