"""The options and record properties that name campaigns and sequences: how names are read, where
the options sit in the form, which streams they reach, and what a record that names one becomes."""

from __future__ import annotations

from typing import Any

import pytest

from destination_ontraport.account.discover import discover_catalog
from destination_ontraport.config import OntraportConfig, connection_specification
from destination_ontraport.model.automations import ListKind, ListRef
from destination_ontraport.model.mapping import FieldCatalog
from destination_ontraport.model.objects import ObjectType
from destination_ontraport.model.problems import RecordRejected
from destination_ontraport.sync.record_lists import take_lists
from destination_ontraport.sync.stream_kinds import classic_options_set
from ontraport_sandbox.meta_fixtures import SANDBOX_CONTACT_FIELDS, default_objects_meta

CONTACT = ObjectType(0, "Contact", FieldCatalog.from_meta(SANDBOX_CONTACT_FIELDS))
PET = ObjectType(10000, "Pet", FieldCatalog(()))
BASE = {"app_id": "a", "api_key": "k"}


class Lists:
    """The account's lists: a name resolves to its id, any other name rejects (as the book does)."""

    def __init__(self) -> None:
        self.asked: list[tuple[ListKind, list[str]]] = []
        self.ids = {(ListKind.CAMPAIGN, "onboarding"): "1", (ListKind.SEQUENCE, "welcome"): "7"}

    def for_record(self, kind: ListKind, names: list[str], prop: str) -> frozenset[ListRef]:
        self.asked.append((kind, names))
        found = set()
        for name in names:
            list_id = self.ids.get((kind, name.casefold()))
            if list_id is None:
                raise RecordRejected(f"{prop}: Ontraport has no {kind.value} named {name!r}")
            found.add((kind, list_id))
        return frozenset(found)


def test_the_config_reads_names_as_it_reads_tags_and_puts_the_options_in_the_mapping_card() -> None:
    config = OntraportConfig.model_validate(
        {**BASE, "campaigns": " Onboarding, ,Webinar,Onboarding", "sequences": ""}
    )
    assert config.campaign_names == ["Onboarding", "Webinar"] and config.sequence_names == []
    properties = connection_specification()["properties"]
    assert properties["campaigns"]["group"] == properties["sequences"]["group"] == properties["tags"]["group"]
    assert classic_options_set(config) == ["campaigns=' Onboarding, ,Webinar,Onboarding'", "sequences=''"]


def test_a_records_properties_are_taken_out_and_resolved_removals_first() -> None:
    lists = Lists()
    record: dict[str, Any] = {
        "Email": "a@x.io",
        "Add to Campaigns": "ONBOARDING, ",
        "Remove from Campaigns": ["Onboarding"],
        "Add to Sequences": None,
        "Remove from Sequences": ["welcome"],
    }
    assert take_lists(record, CONTACT, lists) == {
        (ListKind.CAMPAIGN, "1"): True,
        (ListKind.SEQUENCE, "7"): False,
    }
    assert record == {"Email": "a@x.io"}


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (5, "is not a list of names or a comma-separated string"),
        (["Onboarding", 3], "is not a list of names or a comma-separated string"),
        ("Onbording", "Ontraport has no campaign named 'Onbording'"),
    ],
)
def test_a_record_naming_what_cannot_be_a_campaign_is_rejected_with_the_reason(
    value: Any, reason: str
) -> None:
    with pytest.raises(RecordRejected, match=reason):
        take_lists({"Add to Campaigns": value}, CONTACT, Lists())


def test_records_of_other_objects_cannot_name_campaigns_and_a_record_naming_none_reads_nothing() -> None:
    with pytest.raises(RecordRejected, match="Pet records cannot be put on campaigns or sequences"):
        take_lists({"Add to Sequences": "Welcome"}, PET, Lists())
    lists = Lists()
    assert take_lists({"Email": "a@x.io", "Add to Campaigns": ""}, CONTACT, lists) == {}
    assert lists.asked == []


def test_discover_offers_the_properties_on_contacts_in_the_modes_that_write() -> None:
    ops = {
        (op.object_name, op.sync_mode.value): op
        for op in discover_catalog(default_objects_meta()).catalog.operations
    }
    names = ["Add to Campaigns", "Remove from Campaigns", "Add to Sequences", "Remove from Sequences"]
    for mode in ("append", "append_dedup", "update"):
        schema = ops["Contact", mode].json_schema["properties"]
        assert all(schema[name]["type"] == ["null", "array", "string"] for name in names)
    assert not set(names) & set(ops["Contact", "soft_delete"].json_schema["properties"])
    assert not set(names) & set(ops["Pet", "append"].json_schema["properties"])
