"""The catalog's rules, called directly (sync/stream_rules.py): which modes a stream may use, which
object a data-activation stream writes, and which matching key it may name."""

from __future__ import annotations

from typing import Any

import pytest
from airbyte_cdk.models import ConfiguredAirbyteCatalogSerializer, DestinationSyncMode

from destination_ontraport.model.mapping import FieldCatalog
from destination_ontraport.model.objects import RECORD_ID_FIELD, ObjectType
from destination_ontraport.model.problems import ConfigProblem
from destination_ontraport.sync.stream_rules import (
    CatalogStream,
    activation_object,
    catalog_streams,
    matching_key,
    supported_mode,
)

PETS = ObjectType(
    10000,
    "Pet",
    FieldCatalog.from_meta(
        {
            "f2001": {"alias": "Pet ID", "type": "text", "unique": "1"},
            "f2002": {"alias": "Pet Name", "type": "text"},
            "owner": {"alias": "Owner", "type": "numeric", "unique": "1"},
        }
    ),
)
DEALS = ObjectType(149, "Deal", FieldCatalog.from_meta({"name": {"alias": "Name", "type": "text"}}))
CONTACTS = ObjectType(0, "Contact", FieldCatalog.from_meta({"email": {"alias": "Email", "type": "email"}}))
Mode = DestinationSyncMode


@pytest.mark.parametrize("spelling", ["Pet ID", "pet_id", "PETID", "f2001"])
def test_a_unique_field_is_a_key_by_any_spelling_a_record_key_reaches_it_by(spelling: str) -> None:
    for mode in (Mode.append, Mode.append_dedup, Mode.update, Mode.soft_delete):
        assert matching_key("pets", PETS, [[spelling]], mode) == PETS.fields.get("f2001")


def test_a_contacts_email_is_a_key_whatever_the_meta_says() -> None:
    assert matching_key("people", CONTACTS, [["Email"]], Mode.append_dedup) == CONTACTS.fields.get("email")


@pytest.mark.parametrize("mode", [Mode.update, Mode.soft_delete])
def test_the_record_id_is_a_key_for_the_modes_that_change_existing_records(mode: Mode) -> None:
    assert matching_key("deals", DEALS, [["id"]], mode) is RECORD_ID_FIELD


@pytest.mark.parametrize("mode", [Mode.append, Mode.append_dedup])
def test_the_record_id_is_no_key_for_the_modes_that_create(mode: Mode) -> None:
    with pytest.raises(ConfigProblem, match="Ontraport gives new records their own id"):
        matching_key("deals", DEALS, [["id"]], mode)


def test_append_without_a_key_creates_every_record() -> None:
    assert matching_key("deals", DEALS, [], Mode.append) is None


@pytest.mark.parametrize("mode", [Mode.append_dedup, Mode.update, Mode.soft_delete])
def test_the_modes_that_find_records_need_a_key(mode: Mode) -> None:
    with pytest.raises(ConfigProblem, match=rf"'deals' \({mode.value} to Deal\) needs a matching key"):
        matching_key("deals", DEALS, [], mode)


@pytest.mark.parametrize("key", [[["a"], ["b"]], [["address", "city"]]])
def test_a_key_is_one_top_level_property(key: list[list[str]]) -> None:
    with pytest.raises(ConfigProblem, match="must be one top-level property"):
        matching_key("pets", PETS, key, Mode.append_dedup)


@pytest.mark.parametrize("prop", ["Pet Name", "Nothing", "owner"])
def test_a_field_ontraport_does_not_keep_unique_is_no_key_and_the_message_lists_the_keys(prop: str) -> None:
    """`owner` is Ontraport's own field (model/system_fields.py), even where the meta marks it unique."""
    with pytest.raises(ConfigProblem, match=r"the keys are: id, Pet ID\)"):
        matching_key("pets", PETS, [[prop]], Mode.update)


def test_a_classic_stream_may_use_every_mode_of_the_protocol() -> None:
    for mode in Mode:
        supported_mode(CatalogStream("people", None, mode))


def test_overwrite_is_for_classic_streams_only() -> None:
    supported_mode(CatalogStream("people", None, Mode.overwrite))
    with pytest.raises(ConfigProblem, match="in overwrite, which data activation does not offer"):
        supported_mode(CatalogStream("pets", None, Mode.overwrite, object_name="Pet"))


def test_an_activation_stream_names_an_object_of_the_account() -> None:
    assert activation_object(CatalogStream("p", None, Mode.append, object_name="pets"), [PETS]) is PETS
    with pytest.raises(ConfigProblem, match=r"does not have \(its objects: Pet\)"):
        activation_object(CatalogStream("d", None, Mode.append, object_name="Deal"), [PETS])


def _catalog(**entry: Any) -> Any:
    stream = {"name": "people", "json_schema": {}, "supported_sync_modes": ["full_refresh"]}
    entry.setdefault("destination_sync_mode", "append")
    return ConfiguredAirbyteCatalogSerializer.load(
        {"streams": [{"stream": {**stream, **entry.pop("stream", {})}, "sync_mode": "full_refresh", **entry}]}
    )


def test_a_catalog_stream_takes_the_sources_keys_unless_the_catalog_chooses_its_own() -> None:
    source_keys = {"source_defined_primary_key": [["id"]], "default_cursor_field": ["at"], "namespace": "crm"}
    (stream,) = catalog_streams(_catalog(stream=source_keys))
    assert stream == CatalogStream("people", "crm", Mode.append, [["id"]], ["at"])
    assert stream.label == "crm.people"
    (chosen,) = catalog_streams(
        _catalog(
            stream=source_keys, primary_key=[["email"]], cursor_field=["seq"], destination_sync_mode="update"
        )
    )
    assert (chosen.primary_key, chosen.cursor, chosen.mode) == ([["email"]], ["seq"], Mode.update)


def test_a_refresh_that_removes_records_replaces_and_one_that_keeps_them_does_not() -> None:
    replacing = {"destination_sync_mode": "append", "generation_id": 3, "minimum_generation_id": 3}
    keeping = {"destination_sync_mode": "append", "generation_id": 3, "minimum_generation_id": 0}
    assert [s.replaces for s in catalog_streams(_catalog(**replacing))] == [True]
    assert [s.replaces for s in catalog_streams(_catalog(**keeping))] == [False]
    assert catalog_streams(_catalog(**replacing))[0].replacing_generation == 3
    assert [s.replaces for s in catalog_streams(_catalog(destination_sync_mode="overwrite"))] == [True]
