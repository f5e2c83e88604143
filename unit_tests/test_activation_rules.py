"""What a data-activation stream does differently from a classic one, unit by unit: an update or a
deletion that matches nothing is a rejected record with its reason; the default rejection threshold
is for classic streams only; classic options do not reach activation streams; a property the object
does not have is a WARN naming the object's properties; a malformed catalog names the stream and
the field; a failure's re-run advice is true for streams without a key."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from airbyte_cdk.models import DestinationSyncMode, FailureType

from destination_ontraport.config import OntraportConfig, connection_specification
from destination_ontraport.failures import as_traced
from destination_ontraport.model.mapping import FieldCatalog, FieldInfo, RecordMapper
from destination_ontraport.model.objects import RECORD_ID_FIELD, ObjectType
from destination_ontraport.ontraport.errors import AmbiguousWriteError, TransientError
from destination_ontraport.protocol.catalog import CatalogError, catalog_problems, load_configured_catalog
from destination_ontraport.sync.stream_kinds import RejectedShare, classic_options_set
from destination_ontraport.sync.stream_rules import CatalogStream
from destination_ontraport.sync.streams import StreamRoute, StreamRoutes
from destination_ontraport.sync.unmapped_log import UnmappedLog
from destination_ontraport.write.batch import MappedRecord
from destination_ontraport.write.removal import RemovalGuard
from unit_tests.fakes import RecordingSink
from unit_tests.test_object_writer import CONTACTS, EMAIL, FakeClient, make_writer

DEAL = ObjectType(
    149,
    "Deal",
    FieldCatalog.from_meta(
        {
            "name": {"alias": "Name", "type": "text"},
            "value": {"alias": "Value", "type": "price"},
            "sales_stage": {"alias": "Sales Stage", "type": "drop", "options": {"1": "Won"}},
            "weighted_value": {"alias": "Weighted Value", "type": "price", "editable": "0"},
            "contact_cat": {"alias": "Tags", "type": "subscription", "editable": "0"},
        }
    ),
)


# --- an update or a deletion that matches nothing --------------------------------------------------


def test_an_activation_update_of_an_unknown_id_is_rejected_with_its_reason() -> None:
    client = FakeClient()
    known = client.add(email="k@x.com", firstname="Old")
    writer, report = make_writer(client, match=RECORD_ID_FIELD, tags=(), reject_absent=True)
    writer.add(MappedRecord(known, {"firstname": "New"}, 1, "deals", may_create=False))
    writer.add(MappedRecord("42", {"firstname": "Nobody"}, 2, "deals", may_create=False))
    writer.flush()
    assert client.contacts[known]["firstname"] == "New"
    assert (report.counts.updated, report.counts.skipped, report.rejections.count) == (1, 0, 1)
    (rejection,) = report.rejections.listed
    assert (rejection.position, rejection.stream) == (2, "deals")
    assert rejection.reason.startswith("no Contact with id 42: update changes existing records")
    assert client.calls_to("create") == client.calls_to("saveorupdate") == 0


def test_an_activation_soft_delete_of_an_unknown_key_is_rejected_and_the_known_one_deleted() -> None:
    client = FakeClient()
    gone = client.add(email="gone@x.com")
    writer, report = make_writer(
        client, tags=(), removal="delete", guard=RemovalGuard(10), reject_absent=True
    )
    writer.add_removal(MappedRecord("gone@x.com", {"email": "gone@x.com"}, 1, "people"))
    writer.add_removal(MappedRecord("never@x.com", {"email": "Never@X.com"}, 2, "people"))
    writer.flush()
    assert gone not in client.contacts
    assert (report.counts.deleted, report.counts.skipped, report.rejections.count) == (1, 0, 1)
    assert report.rejections.listed[0].reason == "no Contact with Email 'Never@X.com' to delete"


def test_a_classic_stream_still_counts_them_as_skipped() -> None:
    client = FakeClient()
    writer, report = make_writer(client, removal="delete", guard=RemovalGuard(10))
    writer.add(MappedRecord("new@x.com", {"email": "new@x.com"}, 1, "people", may_create=False))
    writer.add_removal(MappedRecord("never@x.com", {"email": "never@x.com"}, 2, "people"))
    writer.flush()
    assert (report.counts.skipped, report.rejections.count) == (2, 0)


def test_an_update_that_meets_a_create_for_the_same_key_creates_and_is_not_rejected() -> None:
    client = FakeClient()
    writer, report = make_writer(client, tags=(), reject_absent=True)
    writer.add(MappedRecord("both@x.com", {"email": "both@x.com"}, 1, "fixes", may_create=False))
    writer.add(MappedRecord("both@x.com", {"email": "both@x.com", "firstname": "B"}, 2, "people"))
    writer.flush()
    assert (report.counts.created, report.rejections.count) == (1, 0)


# --- the rejection threshold of each kind of stream -------------------------------------------------


def test_the_default_threshold_guards_classic_records_only() -> None:
    all_activation = RejectedShare(read=10, rejected=9, activation_read=10, activation_rejected=9)
    assert all_activation.message(None, "") is None, "an activation sync with rejections succeeds"
    mixed = RejectedShare(read=30, rejected=12, activation_read=10, activation_rejected=9)
    message = mixed.message(None, "")
    assert message is not None
    assert message.startswith("3 of 20 records of classic streams (15.0%) were rejected")
    assert "the rejected_records_threshold of 10% (the default, which applies to classic streams" in message
    assert RejectedShare(30, 10, 10, 9).message(None, "") is None  # 1 of 20 classic: 5%


def test_a_threshold_the_user_set_guards_every_stream_even_at_ten() -> None:
    share = RejectedShare(read=10, rejected=2, activation_read=10, activation_rejected=2)
    message = share.message(10.0, " and in rejected.jsonl")
    assert message is not None and message.startswith("2 of 10 records (20.0%) were rejected")
    assert "the rejected_records_threshold of 10%" in message and "rejected.jsonl" in message
    assert share.message(20.0, "") is None


def test_the_threshold_has_no_default_in_the_spec_so_the_form_leaves_it_unset() -> None:
    spec = connection_specification()["properties"]["rejected_records_threshold"]
    assert "default" not in spec, "the form would save the default, and every config would set it"
    assert OntraportConfig.model_validate({"app_id": "a", "api_key": "k"}).rejected_records_threshold is None
    explicit = OntraportConfig.model_validate(
        {"app_id": "a", "api_key": "k", "rejected_records_threshold": 10}
    )
    assert explicit.rejected_records_threshold == 10


# --- classic options ---------------------------------------------------------------------------------


def test_classic_options_set_names_only_values_other_than_the_default() -> None:
    form_defaults = {"match_field": "email", "deleted_records": "delete", "missing_contacts": "keep",
                     "auto_mapping": True, "field_mapping": [], "ignore_fields": []}  # fmt: skip
    base = {"app_id": "a", "api_key": "k", "tags": "T"}
    assert classic_options_set(OntraportConfig.model_validate({**base, **form_defaults})) == []
    changed = OntraportConfig.model_validate(
        {**base, "deleted_records": "ignore", "field_mapping": [{"source": "ltv", "target": "Value"}]}
    )
    assert classic_options_set(changed) == ["field_mapping=[('ltv', 'Value')]", "deleted_records='ignore'"]


def _plan(obj: ObjectType, key: FieldInfo | None, *, activation: bool, by_id: bool = False) -> StreamRoute:
    mapper = RecordMapper(obj.fields, None if by_id else key, auto_mapping=True)
    return StreamRoute(
        CatalogStream("s", None, DestinationSyncMode.append, [], []),
        mapper,
        RecordingSink(obj, key),
        activation=activation,
        by_record_id=by_id,
        keyless=key is None,
    )


def test_a_cdc_deletion_marker_deletes_in_a_classic_stream_and_is_no_instruction_to_an_activation_one() -> (
    None
):
    deleted = {"email": "a@x.com", "_ab_cdc_deleted_at": "2024-01-01T00:00:00Z"}
    classic = _plan(CONTACTS, EMAIL, activation=False)
    classic.take(deleted, 1)
    activation = _plan(CONTACTS, EMAIL, activation=True)
    activation.take({"Email": "a@x.com", "_ab_cdc_deleted_at": "2024-01-01T00:00:00Z"}, 1)
    assert isinstance(classic.writer, RecordingSink) and isinstance(activation.writer, RecordingSink)
    assert (classic.writer.removals, classic.writer.writes) == (["a@x.com"], [])
    assert activation.writer.removals == [] and activation.writer.writes == [
        ("a@x.com", {"email": "a@x.com"})
    ]


# --- a property the object does not have ---------------------------------------------------------------


def test_a_property_the_object_does_not_have_is_a_warning_naming_its_properties_closest_first(
    caplog: pytest.LogCaptureFixture,
) -> None:
    plan = _plan(DEAL, None, activation=True)
    plan.take({"Nmae": "Big deal", "Value": 10, "Weighted Value": 3}, 1)
    with caplog.at_level(logging.INFO, logger="airbyte"):
        UnmappedLog(StreamRoutes([plan]))()
    (line,) = [r for r in caplog.records if "'Nmae'" in r.getMessage()]
    assert line.levelno == logging.WARNING
    text = line.getMessage()
    assert "'Nmae', 'Weighted Value' are not writable properties of Deal and are not sent" in text
    assert "'Nmae': did you mean Name?" in text
    assert "Deal's properties: Name, Value, Sales Stage" in text, "the closest first, then the rest"
    assert "Add Tags, Remove Tags" in text


def test_a_classic_streams_unmatched_source_field_stays_an_info(caplog: pytest.LogCaptureFixture) -> None:
    plan = _plan(CONTACTS, EMAIL, activation=False)
    plan.take({"email": "a@x.com", "shoe_size": 42}, 1)
    with caplog.at_level(logging.INFO, logger="airbyte"):
        UnmappedLog(StreamRoutes([plan]))()
    (line,) = [r for r in caplog.records if "shoe_size" in r.getMessage()]
    assert line.levelno == logging.INFO


# --- a malformed catalog -----------------------------------------------------------------------------------


def _entry(**extra: Any) -> dict[str, Any]:
    return {
        "stream": {
            "name": "deals",
            "json_schema": {"type": "object"},
            "supported_sync_modes": ["incremental"],
        },
        "sync_mode": "incremental",
        "destination_sync_mode": "append",
        **extra,
    }


def test_a_malformed_catalog_names_every_stream_and_field_that_is_wrong(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"streams": [
        _entry(destination_object_name=10000, primary_key="Email"),
        {**_entry(destination_sync_mode="upsert"), "stream": {"name": "pets", "json_schema": {}}},
    ]}))  # fmt: skip
    with pytest.raises(CatalogError) as caught:
        load_configured_catalog(str(path))
    message = str(caught.value)
    assert (
        "stream 'deals': destination_object_name must be the Ontraport object's name as a string" in message
    )
    assert "got 10000 (a number)" in message
    assert "stream 'deals': primary_key must be a list of field paths" in message and '[["Email"]]' in message
    assert "stream 'pets': destination_sync_mode must be one of append, overwrite" in message
    traced = as_traced(caught.value)
    assert traced.failure_type == FailureType.config_error and traced.message == message


def test_what_the_parser_refuses_is_reported_with_the_streams_name(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    entry = _entry()
    del entry["stream"]["json_schema"]
    path.write_text(json.dumps({"streams": [entry]}))
    with pytest.raises(
        CatalogError, match=r"stream 'deals': stream/json_schema: \"json_schema\" is a required"
    ):
        load_configured_catalog(str(path))
    path.write_text("{not json")
    with pytest.raises(CatalogError, match="is not valid JSON"):
        load_configured_catalog(str(path))
    assert catalog_problems([]) == ['it must be a JSON object with a "streams" list']
    assert (
        catalog_problems({"streams": [_entry(primary_key=[["Email"]], destination_object_name="Deal")]}) == []
    )


# --- what a failed sync says about running it again ------------------------------------------------


def test_a_failure_promises_no_duplicates_only_where_that_is_true() -> None:
    lost = AmbiguousWriteError("POST /objects failed: no answer; it may or may not have taken effect.")
    keyed = as_traced(lost)
    assert keyed.failure_type == FailureType.transient_error
    assert keyed.message is not None and keyed.message.endswith("will not duplicate contacts.")
    keyless = as_traced(lost, ["'deals' (Deal)"]).message
    assert keyless is not None and "will not duplicate" not in keyless
    assert "stream 'deals' (Deal) has no matching key and creates every record received" in keyless
    assert "created again" in keyless
    two = as_traced(TransientError("gave up"), ["'a' (Deal)", "'b' (Company)"]).message
    assert two is not None and "streams 'a' (Deal), 'b' (Company) have no matching key and create" in two
