"""A field_mapping whose source is in no record switches the automatic mapping of its target off:
the mapper says which ones were never seen, and what would have reached the target (issue 22,
item 14)."""

from __future__ import annotations

import logging

import pytest
from airbyte_cdk.models import DestinationSyncMode

from destination_ontraport.model.mapping import FieldCatalog, RecordMapper
from destination_ontraport.model.objects import ObjectType
from destination_ontraport.sync.stream_rules import CatalogStream
from destination_ontraport.sync.streams import StreamRoute, StreamRoutes
from destination_ontraport.sync.unmapped_log import unused_field_mappings
from ontraport_sandbox.meta_fixtures import SANDBOX_CONTACT_FIELDS
from unit_tests.fakes import RecordingSink

CATALOG = FieldCatalog.from_meta(SANDBOX_CONTACT_FIELDS)
EMAIL = CATALOG.require("email", "test")
MAPPING = [("ltv", "Lifetime Value"), ("address.town", "city")]


def plan(name: str) -> StreamRoute:
    mapper = RecordMapper(CATALOG, EMAIL, MAPPING)
    return StreamRoute(
        CatalogStream(name, None, DestinationSyncMode.append, [], []),
        mapper,
        RecordingSink(ObjectType(0, "Contact", CATALOG), EMAIL),
    )


def test_the_mapper_names_sources_never_seen_and_what_gave_way_to_them() -> None:
    mapper = RecordMapper(CATALOG, EMAIL, MAPPING)
    mapper.map({"email": "a@x.io", "lifetime_value": 3, "address": {"town": None}})
    unused = [
        (source, [t.name for t in targets], displaced)
        for source, targets, displaced in mapper.unused_explicit()
    ]
    assert unused == [("ltv", ["f1002"], "lifetime_value")], "a null value still counts as present"
    assert mapper.records_mapped == 1


def test_unused_across_classic_streams_is_unused_in_every_one(caplog: pytest.LogCaptureFixture) -> None:
    people, buyers = plan("people"), plan("buyers")
    people.mapper.map({"email": "a@x.io"})
    buyers.mapper.map({"email": "b@x.io", "address": {"town": "Oslo"}})
    with caplog.at_level(logging.WARNING, logger="airbyte"):
        assert unused_field_mappings(StreamRoutes([people, buyers])) == ["ltv"]
    assert [r.getMessage() for r in caplog.records] == [
        "field_mapping source 'ltv' was in none of 2 records (stream(s) 'people', 'buyers'), so Lifetime "
        "Value (f1002) got no value from it, and the mapping keeps automatic mapping off that field. Fix "
        "the source path or remove the entry."
    ]


def test_no_records_no_warning() -> None:
    assert unused_field_mappings(StreamRoutes([plan("people")])) == []
