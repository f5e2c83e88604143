"""`discover`: the catalog built from `GET /objects/meta?format=byId` data (pure), its protocol shape,
and its agreement with the writer (every offered property reaches its field the way a record key
does; every matching key is a key the writer accepts)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any, cast

import pytest
import requests_mock
from airbyte_cdk.models import DestinationSyncMode
from airbyte_protocol_dataclasses.models import AirbyteMessage as ProtocolMessage
from airbyte_protocol_dataclasses.models import DestinationCatalog, DestinationOperation
from serpyco_rs import Serializer

from destination_ontraport.account.discover import (
    CATALOG_SERIALIZER,
    RESERVED_PROPERTIES,
    NothingToDiscoverError,
    discover_catalog,
    read_catalog,
)
from destination_ontraport.config import OntraportConfig
from destination_ontraport.destination import DestinationOntraport
from destination_ontraport.model.links import link_properties
from destination_ontraport.model.mapping import RecordMapper
from destination_ontraport.model.objects import (
    ADD_TAGS,
    RECORD_ID_PROPERTY,
    REMOVE_TAGS,
    ObjectType,
    object_types,
)
from destination_ontraport.sync.stream_rules import matching_key
from ontraport_sandbox.meta_fixtures import SANDBOX_CONTACT_FIELDS, default_objects_meta

MODES = ["append", "append_dedup", "update", "soft_delete"]


def _field(
    alias: str, type_: str, *, unique: bool = False, editable: bool = True, **extra: Any
) -> dict[str, Any]:
    return {
        "alias": alias,
        "type": type_,
        "required": "0",
        "unique": "1" if unique else "0",
        "editable": "1" if editable else "0",
        **extra,
    }


BASE_FIELDS = {  # what every non-contact record carries (see ontraport_sandbox/standard_objects.py)
    "owner": _field("Owner", "parent"),
    "unique_id": _field("Unique ID", "text", editable=False),
    "date": _field("Date Added", "timestamp", editable=False),
    "dlm": _field("Date Modified", "timestamp", editable=False),
}
TAG_LIST = {"contact_cat": _field("Tags", "subscription", editable=False)}
DEAL = {
    "name": "Deal",
    "fields": {
        "name": _field("Name", "text"),
        "value": _field("Value", "price"),
        "sales_stage": _field("Sales Stage", "drop", options={"1": "Closed - Lost", "2": "Closed - Won"}),
        "weighted_value": _field("Weighted Value", "price", editable=False),
        **BASE_FIELDS,
        **TAG_LIST,
    },
}
PET = {
    "name": "Pet",
    "fields": {
        "f2001": _field("Pet ID", "text", unique=True),
        "f2002": _field("Pet Name", "text"),
        "f2003": _field("Species", "drop", options={"1": "Dog", "2": "Cat"}),
        "f2008": _field("Traits", "list", options={"1": "Friendly", "2": "Shy"}),
        **BASE_FIELDS,
        **TAG_LIST,
    },
}
COURSE = {  # a custom object without tags and without a unique field
    "name": "Course",
    "fields": {"f4001": _field("Course Code", "text"), "f4002": _field("Starts", "fulldate"), **BASE_FIELDS},
}


def meta(**objects: dict[str, Any]) -> dict[str, Any]:
    """An `/objects/meta?format=byId` answer: contacts, tags (never written), and `objects` by id."""
    out: dict[str, Any] = {
        "0": {"name": "Contact", "fields": SANDBOX_CONTACT_FIELDS},
        "14": {"name": "Tag", "fields": {"tag_name": _field("Tag Name", "text")}},
    }
    out.update({key.removeprefix("o"): value for key, value in objects.items()})
    return out


def operations(data: dict[str, Any]) -> dict[tuple[str, str], DestinationOperation]:
    return {(op.object_name, op.sync_mode.value): op for op in discover_catalog(data).catalog.operations}


def props(op: DestinationOperation) -> dict[str, Any]:
    properties: dict[str, Any] = op.json_schema["properties"]
    return properties


# --- objects and modes ------------------------------------------------------------------------------


def test_contacts_offer_every_mode_keyed_on_email() -> None:
    ops = operations(meta())
    assert [mode for name, mode in ops if name == "Contact"] == MODES
    assert ops["Contact", "append"].matching_keys == [["Email"]], "optional: create or update by it"
    assert ops["Contact", "append_dedup"].matching_keys == [["Email"]]
    assert ops["Contact", "update"].matching_keys == [["Email"], ["id"]]
    assert ops["Contact", "soft_delete"].matching_keys == [["Email"], ["id"]]
    dedup = props(ops["Contact", "append_dedup"])
    assert dedup["Email"]["type"] == ["null", "string"]
    assert dedup["Email"]["description"].startswith("Ontraport field email (Email), type email")
    assert {"First Name", "Lifetime Value", "Interests", ADD_TAGS, REMOVE_TAGS} <= set(dedup)


def test_a_custom_object_with_a_unique_field_is_upserted_on_it() -> None:
    ops = operations(meta(o10000=PET))
    assert [mode for name, mode in ops if name == "Pet"] == MODES
    assert ops["Pet", "append_dedup"].matching_keys == [["Pet ID"]]
    assert ops["Pet", "update"].matching_keys == [["Pet ID"], ["id"]]
    assert "Ontraport keeps it unique" in props(ops["Pet", "append"])["Pet ID"]["description"]


def test_objects_without_a_unique_field_have_no_upsert_and_a_note_says_why() -> None:
    found = discover_catalog(meta(o149=DEAL, o10001=COURSE))
    modes = {(op.object_name, op.sync_mode.value) for op in found.catalog.operations}
    for name in ("Deal", "Course"):
        assert {(name, "append"), (name, "update"), (name, "soft_delete")} <= modes
        assert (name, "append_dedup") not in modes
    assert len(found.notes) == 2
    keys = {(op.object_name, op.sync_mode.value): op.matching_keys for op in found.catalog.operations}
    assert keys["Deal", "append"] == [], "no unique field: append creates every row"
    deal_note = next(note for note in found.notes if note.startswith("Deal (object 149)"))
    assert "no append_dedup operation" in deal_note
    assert "Ontraport keeps unique" in deal_note
    ops = operations(meta(o149=DEAL))
    assert ops["Deal", "update"].matching_keys == [["id"]]
    assert ops["Deal", "soft_delete"].matching_keys == [["id"]]


def test_objects_are_contacts_the_writable_standard_ones_and_custom_ones_in_id_order() -> None:
    data = meta(o10000=PET, o149=DEAL, o150={"name": "Company", "fields": {"name": _field("Name", "text")}})
    data["16"] = {"name": "Product", "fields": {"name": _field("Name", "text")}}  # not writable here
    names = list(dict.fromkeys(op.object_name for op in discover_catalog(data).catalog.operations))
    assert names == ["Contact", "Transaction", "Deal", "Company", "Pet"], "purchases sit at their type id, 46"


def test_append_offers_only_unique_keys_and_soft_delete_only_its_keys() -> None:
    ops = operations(meta(o10000=PET))
    assert ops["Pet", "append"].matching_keys == [["Pet ID"]]
    assert RECORD_ID_PROPERTY not in props(ops["Pet", "append"])
    assert RECORD_ID_PROPERTY not in props(ops["Pet", "append_dedup"])
    assert props(ops["Pet", "update"])[RECORD_ID_PROPERTY]["type"] == "integer"
    assert set(props(ops["Pet", "soft_delete"])) == {"Pet ID", RECORD_ID_PROPERTY}
    assert set(props(ops["Contact", "soft_delete"])) == {"Email", RECORD_ID_PROPERTY}


def test_schemas_are_flat_closed_objects_so_the_ui_refuses_unknown_fields() -> None:
    for op in discover_catalog(meta(o149=DEAL, o10000=PET, o10001=COURSE)).catalog.operations:
        schema = op.json_schema
        assert schema["type"] == "object"
        assert schema["additionalProperties"] is False, f"{op.object_name} {op.sync_mode.value} is open"
        if op.object_name != "Transaction":  # a purchase requires its buyer's Email
            assert "required" not in schema, "no field of these objects is marked required"
        for prop in schema["properties"].values():
            assert prop.get("type") not in ("object", ["null", "object"])
            assert prop["description"]


def test_fields_the_meta_marks_required_are_required_in_the_operations_that_create() -> None:
    deal_fields: dict[str, Any] = cast(dict[str, Any], DEAL["fields"])
    deal = {**DEAL, "fields": {**deal_fields, "name": _field("Name", "text") | {"required": "1"}}}
    pet_base: dict[str, Any] = cast(dict[str, Any], PET["fields"])
    pet_fields = {**pet_base, "f2002": _field("Pet Name", "text") | {"required": "1"},
                  "f2001": _field("Pet ID", "text", unique=True) | {"required": "1"}}  # fmt: skip
    ops = operations(meta(o149=deal, o10000={**PET, "fields": pet_fields}))
    for mode in ("append",):
        assert ops["Deal", mode].json_schema["required"] == ["Name"]
    for mode in ("append", "append_dedup"):
        # the matching key is chosen apart in the UI: required lists only the other fields
        assert ops["Pet", mode].json_schema["required"] == ["Pet Name"]
    for mode in ("update", "soft_delete"):
        assert "required" not in ops["Deal", mode].json_schema, "an update or delete needs only its key"
        assert "required" not in ops["Pet", mode].json_schema
    assert props(ops["Deal", "append"])["Name"]["description"].endswith(
        "Ontraport requires it on new records."
    )
    assert "required" not in ops["Contact", "append"].json_schema


def test_a_required_field_that_cannot_be_written_is_not_required() -> None:
    """A read-only field the meta marks required is not offered, so it cannot be required either."""
    deal_fields: dict[str, Any] = cast(dict[str, Any], DEAL["fields"])
    fields = {
        **deal_fields,
        "weighted_value": _field("Weighted Value", "price", editable=False) | {"required": "1"},
    }
    ops = operations(meta(o149={**DEAL, "fields": fields}))
    assert "required" not in ops["Deal", "append"].json_schema


# --- property names ---------------------------------------------------------------------------------


def test_aliases_that_clash_or_take_reserved_names_fall_back_to_api_names() -> None:
    odd = {
        "name": "Odd",
        "fields": {
            "f3001": _field("Notes", "text"),
            "f3002": _field("notes", "longtext"),  # the same alias once normalised
            "f3003": _field("ID", "text"),
            "f3004": _field("Add Tags", "text"),
            "f3005": _field("remove_tags", "text"),
            "f3006": _field("f3007", "text"),  # an alias that is another field's name
            "f3007": _field("Colour", "text"),
            "f3008": _field("Code", "text", unique=True),
        },
    }
    append = props(operations(meta(o10002=odd))["Odd", "append"])
    assert list(append) == ["f3001", "f3002", "f3003", "f3004", "f3005", "f3006", "Colour", "Code"]
    assert append["f3001"]["description"] == "Ontraport field f3001 (Notes), type text."


def test_a_shared_alias_sends_both_fields_by_api_name_keys_included() -> None:
    data = meta()
    extra = {"f1010": _field("Email", "text"), "f1011": _field("zip", "text")}
    data["0"] = {"name": "Contact", "fields": {**SANDBOX_CONTACT_FIELDS, **extra}}
    ops = operations(data)
    append = props(ops["Contact", "append"])
    assert {"email", "f1010", "Zip Code", "f1011"} <= set(append)  # f1011's alias names the field `zip`
    assert "Email" not in append
    assert "zip" not in append
    assert ops["Contact", "append_dedup"].matching_keys == [["email"]]


def test_read_only_and_system_fields_are_not_offered() -> None:
    append = props(operations(meta(o149=DEAL))["Deal", "append"])
    for hidden in ("Owner", "owner", "Unique ID", "Date Added", "Tags", "Weighted Value"):
        assert hidden not in append
    contact = props(operations(meta())["Contact", "append"])
    assert "Contact Owner" not in contact
    assert "Contact Tags" not in contact


def test_tag_properties_only_where_the_object_has_tags() -> None:
    ops = operations(meta(o10000=PET, o10001=COURSE))
    for mode in ("append", "append_dedup", "update"):
        tags = props(ops["Pet", mode])[ADD_TAGS]
        assert tags["type"] == ["null", "array", "string"]
        assert tags["items"] == {"type": "string"}
        assert "missing tags are created" in tags["description"]
        assert REMOVE_TAGS in props(ops["Contact", mode])
    for mode in ("append", "update"):
        assert ADD_TAGS not in props(ops["Course", mode])
        assert REMOVE_TAGS not in props(ops["Course", mode])
    assert ADD_TAGS not in props(ops["Pet", "soft_delete"])


# --- types ------------------------------------------------------------------------------------------


def test_ontraport_field_types_become_json_schema_types() -> None:
    kinds = ["text", "longtext", "email", "phone", "sms", "url", "state", "country", "address", "numeric",
             "price", "check", "fulldate", "timestamp", "drop", "list", "parent", "image"]  # fmt: skip
    fields = {f"f{5000 + i}": _field(f"T {kind}", kind) for i, kind in enumerate(kinds)}
    fields["f5014"]["options"] = {"1": "Small", "2": "Large"}
    fields["f5015"]["options"] = {"7": "Red", "8": "Blue"}
    append = props(operations(meta(o10003={"name": "Types", "fields": fields}))["Types", "append"])
    string = ["null", "string"]
    expected = {kind: {"type": string} for kind in kinds[:9]} | {
        "numeric": {"type": ["null", "number"]},
        "price": {"type": ["null", "number"]},
        "check": {"type": ["null", "boolean"]},
        "fulldate": {"type": string, "format": "date"},
        "timestamp": {"type": string, "format": "date-time"},
        "drop": {"type": string},
        "list": {"type": ["null", "array", "string"], "items": {"type": "string"}},
        "parent": {"type": ["null", "integer"]},
        "image": {"type": string},  # any type not known: text
    }
    for kind, schema in expected.items():
        got = dict(append[f"T {kind}"])
        description = got.pop("description")
        assert got == schema, kind
        assert f", type {kind}" in description
    assert "by label or option id; options: Small (1), Large (2)" in append["T drop"]["description"]
    assert "options: Red (7), Blue (8)" in append["T list"]["description"]
    assert "id of the linked record" in append["T parent"]["description"]


def test_long_option_lists_are_cut_in_the_description() -> None:
    options = {str(i): f"Option {i}" for i in range(1, 131)}
    fields = {"f6001": _field("Big", "drop", options=options)}
    description = props(operations(meta(o10004={"name": "Big", "fields": fields}))["Big", "append"])["Big"][
        "description"
    ]
    assert "Option 50 (50) and 80 more" in description
    assert "Option 51 (51)" not in description


# --- the protocol and the writer --------------------------------------------------------------------


def test_the_catalog_parses_with_the_protocol_dataclasses() -> None:
    found = discover_catalog(default_objects_meta())
    message = json.loads(json.dumps(found.message()))
    assert message["type"] == "DESTINATION_CATALOG"
    parsed = Serializer(ProtocolMessage, omit_none=True).load(message)  # validates as it loads
    assert parsed.destination_catalog == found.catalog
    assert Serializer(DestinationCatalog).load(message["destination_catalog"]) == found.catalog
    assert CATALOG_SERIALIZER.dump(parsed.destination_catalog) == message["destination_catalog"]


def test_the_catalog_parses_with_the_protocols_pydantic_model() -> None:
    models = pytest.importorskip("airbyte_protocol.models")  # airbyte-protocol-models, when installed
    found = discover_catalog(default_objects_meta())
    parsed = models.AirbyteMessage.parse_obj(found.message())
    assert len(parsed.destination_catalog.operations) == len(found.catalog.operations)


def test_every_matching_key_names_properties_of_its_schema_and_is_a_key_the_writer_takes() -> None:
    data = default_objects_meta()
    types = {obj.name: obj for obj in object_types(data)}
    ops = discover_catalog(data).catalog.operations
    assert ops
    for op in ops:
        if op.object_name == "Transaction":  # its own rule: test_purchases.py
            continue
        obj = types[op.object_name]
        for key in op.matching_keys or []:
            assert len(key) == 1, "the writer takes single-property keys"
            assert key[0] in props(op), f"{op.object_name} {op.sync_mode.value}: {key} not in the schema"
            # the very rule a sync applies to the stream's primary key (raises for a key it refuses)
            assert matching_key("s", obj, [key], DestinationSyncMode(op.sync_mode.value)) is not None
        if op.sync_mode.value in ("append_dedup", "update", "soft_delete"):
            assert op.matching_keys, f"{op.object_name} {op.sync_mode.value} needs a key"


_SAMPLE_BY_KIND = {"integer": 7, "number": 2.5, "boolean": True}  # looked for in this order
_SAMPLE_BY_FORMAT = {"date": "2024-05-31", "date-time": "2024-05-31T14:30:00Z"}


def _sample(schema: dict[str, Any], description: str) -> Any:
    """A value the writer takes for a property: an option of a list or drop-down, else by type."""
    kinds = schema["type"]
    if "array" in kinds:
        return [_first_option(description)]
    if "by label or option id" in description:
        return _first_option(description)
    return _scalar_sample(kinds, schema.get("format"), description)


def _first_option(description: str) -> str:
    return description.split("options: ")[1].split(" (", maxsplit=1)[0]


def _scalar_sample(kinds: list[str], fmt: str | None, description: str) -> Any:
    for kind, sample in _SAMPLE_BY_KIND.items():
        if kind in kinds:
            return sample
    if fmt in _SAMPLE_BY_FORMAT:
        return _SAMPLE_BY_FORMAT[fmt]
    return "a@example.com" if "type email" in description else "some text"


@pytest.mark.parametrize("object_name", ["Contact", "Deal", "Company", "Pet"])
def test_every_offered_field_reaches_its_field_through_the_writers_mapping(object_name: str) -> None:
    data = default_objects_meta()
    obj: ObjectType = next(obj for obj in object_types(data) if obj.name == object_name)
    op = operations(data)[object_name, "update"]
    aliases = {info.name: info.alias for info in obj.fields}
    linked = {link.name for link in link_properties(obj, object_types(data), aliases)}
    record = {
        prop: _sample(schema, schema["description"])
        for prop, schema in props(op).items()
        if prop not in RESERVED_PROPERTIES and prop not in linked
    }  # the writer's own (`id`, tags, campaigns and sequences); a linked record's key is taken out
    # before mapping: test_linked_records.py
    mapper = RecordMapper(obj.fields, None, auto_mapping=True)  # as SyncJob maps activation streams
    mapped = mapper.map(record)
    assert mapper.unmapped_paths == set()
    names = {prop: schema["description"].split()[2] for prop, schema in props(op).items()}
    for prop in record:
        assert names[prop] in mapped, f"{object_name}: {prop!r} did not reach {names[prop]}"
    assert len(mapped) == len(record)


# --- reading the account, and the command -----------------------------------------------------------


@pytest.fixture
def api() -> Iterator[requests_mock.Mocker]:
    with requests_mock.Mocker() as mock:
        mock.get(
            "https://api.test/1/Contacts/meta",
            json={"code": 0, "data": {"0": {"name": "Contact", "fields": SANDBOX_CONTACT_FIELDS}}},
        )
        yield mock


CONFIG = {"app_id": "app", "api_key": "Key-unit-secret-123", "api_url": "https://api.test/1"}


def test_read_catalog_reads_the_object_meta_once(api: requests_mock.Mocker) -> None:
    api.get("https://api.test/1/objects/meta", json={"code": 0, "data": meta(o10000=PET)})
    found = read_catalog(OntraportConfig.model_validate(CONFIG))
    assert [op.object_name for op in found.catalog.operations].count("Pet") == 4
    meta_reads = [r for r in api.request_history if r.path == "/1/objects/meta"]
    assert len(meta_reads) == 1
    assert meta_reads[0].qs == {"format": ["byid"]}


def test_an_account_with_nothing_writable_fails_discover_plainly(api: requests_mock.Mocker) -> None:
    api.get(
        "https://api.test/1/objects/meta", json={"code": 0, "data": {"14": {"name": "Tag", "fields": {}}}}
    )
    with pytest.raises(NothingToDiscoverError, match="lists no object this connector can write"):
        read_catalog(OntraportConfig.model_validate(CONFIG))


def test_discover_command_is_parsed_with_its_config() -> None:
    parsed = DestinationOntraport().parse_args(["discover", "--config", "c.json"])
    assert (parsed.command, parsed.config) == ("discover", "c.json")
    with pytest.raises(SystemExit):
        DestinationOntraport().parse_args(["discover"])


def test_an_invalid_config_gives_a_trace_and_a_failed_status_with_checks_message() -> None:
    config = {"api_key": "Key-unit-secret-123"}
    lines = list(DestinationOntraport().discover(config))
    assert [line["type"] for line in lines] == ["TRACE", "CONNECTION_STATUS"]
    check = DestinationOntraport().check(logging.getLogger("test"), config)
    assert lines[1]["connectionStatus"] == {"status": "FAILED", "message": check.message}
    error = lines[0]["trace"]["error"]
    assert error["message"] == check.message == "Invalid configuration: app_id: Field required"
    assert error["failure_type"] == "config_error"
    assert "stack_trace" not in error
    assert "Key-unit-secret-123" not in json.dumps(lines)
