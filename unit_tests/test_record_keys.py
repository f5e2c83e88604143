"""Which records are the same record: the key of deduplication (append_dedup), of a batch and of a
lookup must agree, or records are merged into strangers or written twice.

The stream's plan takes records as the platform sends them and hands them to a real ObjectWriter;
the in-memory client of test_object_writer.py plays the account (comparing text by case or not).
"""

from __future__ import annotations

from typing import Any

import pytest
from airbyte_cdk.models import DestinationSyncMode

from destination_ontraport.model.mapping import (
    FieldCatalog,
    FieldInfo,
    RecordMapper,
    key_normaliser,
)
from destination_ontraport.model.objects import RECORD_ID_FIELD, ObjectType
from destination_ontraport.model.problems import RecordRejected
from destination_ontraport.sync.report import SyncReport
from destination_ontraport.sync.stream_rules import CatalogStream
from destination_ontraport.sync.streams import StreamRoute
from destination_ontraport.write.batch import MappedRecord
from destination_ontraport.write.object_writer import ObjectWriter
from destination_ontraport.write.settings import WriterSettings
from ontraport_sandbox.meta_fixtures import SANDBOX_CONTACT_FIELDS
from unit_tests.fakes import CountedWriter
from unit_tests.test_object_writer import FakeClient

CONTACTS = ObjectType(0, "Contact", FieldCatalog.from_meta(SANDBOX_CONTACT_FIELDS))
EMAIL = CONTACTS.fields.require("email", "test")
PETS = ObjectType(
    10000,
    "Pet",
    FieldCatalog.from_meta(
        {
            "f2001": {"alias": "Pet ID", "type": "text", "unique": "1"},
            "f2002": {"alias": "Pet Name", "type": "text"},
        }
    ),
)
PET_ID = PETS.fields.require("Pet ID", "test")


def writer_for(
    client: FakeClient, obj: ObjectType, key: FieldInfo | None, ignores_case: bool | None = None
) -> tuple[CountedWriter, SyncReport]:
    report = SyncReport()
    settings = WriterSettings(obj, key, ignores_case=ignores_case)
    writer = ObjectWriter(client, settings, pause=lambda _: None)
    return CountedWriter(writer, report), report


def plan_for(
    writer: CountedWriter,
    mode: DestinationSyncMode,
    primary_key: list[list[str]],
    cursor: list[str],
    *,
    activation: bool,
    match: FieldInfo | None,
) -> StreamRoute:
    mapper = RecordMapper(writer.obj.fields, match, auto_mapping=True)
    return StreamRoute(
        CatalogStream("s", None, mode, primary_key, cursor),
        mapper,
        writer,
        activation=activation,
        by_record_id=match is None and writer.key is RECORD_ID_FIELD,
    )


def feed(plan: StreamRoute, records: list[dict[str, Any]]) -> tuple[list[int], list[str]]:
    """(positions superseded, rejection reasons), then drain and flush as the sync loop does."""
    superseded: list[int] = []
    reasons: list[str] = []
    for position, data in enumerate(records, start=1):
        try:
            loser = plan.take(data, position)
        except RecordRejected as exc:
            reasons.append(exc.reason)
            continue
        if loser is not None:
            superseded.append(loser)
    plan.drain()
    assert isinstance(plan.writer, CountedWriter)
    plan.writer.flush()
    return superseded, reasons


# --- item 1: a missing primary key is no key ------------------------------------------------------


def test_records_without_their_primary_key_are_rejected_never_merged_into_one() -> None:
    client = FakeClient()
    writer, report = writer_for(client, CONTACTS, EMAIL)
    plan = plan_for(writer, DestinationSyncMode.append_dedup, [["id"]], [], activation=False, match=EMAIL)
    records: list[dict[str, Any]] = [{"email": f"p{n}@x.io", "first_name": f"P{n}"} for n in range(20)]
    records += [{"email": "null@x.io", "id": None}]
    superseded, reasons = feed(plan, records)
    assert superseded == [], "no record was merged into another one"
    assert len(reasons) == 21 and all("primary key id" in reason for reason in reasons), reasons[:2]
    assert client.contacts == {} and report.counts.created == 0


def test_a_composite_key_null_in_one_part_is_still_a_key_and_nulls_in_that_part_are_equal() -> None:
    """As Airbyte's own warehouse destinations dedup: PARTITION BY treats nulls as equal, and only a
    key null in every part counts as missing."""
    client = FakeClient()
    writer, _ = writer_for(client, CONTACTS, EMAIL)
    pk = [["org"], ["user"]]
    plan = plan_for(writer, DestinationSyncMode.append_dedup, pk, ["at"], activation=False, match=EMAIL)
    superseded, reasons = feed(
        plan,
        [
            {"org": 1, "user": None, "at": 2, "email": "new@x.io"},
            {"org": 1, "at": 1, "email": "old@x.io"},
            {"org": None, "user": None, "at": 3, "email": "nobody@x.io"},
        ],
    )
    assert superseded == [2] and len(reasons) == 1 and "primary key org, user" in reasons[0]
    assert [c["email"] for c in client.contacts.values()] == ["new@x.io"]


# --- item 2: a data-activation key names a destination property -----------------------------------


@pytest.mark.parametrize("pk", [[["email"]], [["Email"]], [["EMAIL"]]])
def test_an_activation_key_resolves_as_matching_resolves_field_names(pk: list[list[str]]) -> None:
    client = FakeClient()
    writer, report = writer_for(client, CONTACTS, EMAIL)
    plan = plan_for(writer, DestinationSyncMode.append_dedup, pk, [], activation=True, match=EMAIL)
    superseded, reasons = feed(plan, [{"Email": f"p{n}@x.io"} for n in range(5)])
    assert (superseded, reasons) == ([], [])
    assert report.counts.created == 5


@pytest.mark.parametrize(
    ("newer", "older"), [("Ann@x.io", "ann@x.io"), (" Zed@X.io", "zed@x.io"), ("bob@x.io", "BOB@X.IO ")]
)
def test_an_activation_key_compares_emails_as_matching_does_and_keeps_the_newer(
    newer: str, older: str
) -> None:
    client = FakeClient()
    writer, _ = writer_for(client, CONTACTS, EMAIL)
    plan = plan_for(
        writer, DestinationSyncMode.append_dedup, [["Email"]], ["seq"], activation=True, match=EMAIL
    )
    superseded, _ = feed(
        plan,
        [
            {"Email": newer, "First Name": "Newer", "seq": 2},
            {"Email": older, "First Name": "Older", "seq": 1},
        ],
    )
    assert superseded == [2]
    assert [c["firstname"] for c in client.contacts.values()] == ["Newer"]


# --- item 5: case variants of a key, in one batch and across batches ------------------------------


def pets_written(ignores_case: bool | None, sensitive_account: bool, *, one_batch: bool) -> list[str]:
    client = FakeClient()
    client.case_sensitive = sensitive_account
    writer, _ = writer_for(client, PETS, PET_ID, ignores_case)
    for n, value in enumerate(["ABC-1", "abc-1"], start=1):
        writer.add(
            MappedRecord(
                writer.match_key({"f2001": value}), {"f2001": value, "f2002": f"Name {n}"}, n, "pets"
            )
        )
        if not one_batch:
            writer.flush()
    writer.flush()
    return sorted(f"{c['f2001']}={c['f2002']}" for c in client.contacts.values())


@pytest.mark.parametrize(
    ("ignores_case", "sensitive_account"),
    [(True, False), (False, True), (None, False), (None, True)],
    ids=["known-insensitive", "known-sensitive", "unknown-on-insensitive", "unknown-on-sensitive"],
)
def test_case_variants_of_a_key_end_the_same_in_one_batch_as_in_two(
    ignores_case: bool | None, sensitive_account: bool
) -> None:
    in_two = pets_written(ignores_case, sensitive_account, one_batch=False)
    in_one = pets_written(ignores_case, sensitive_account, one_batch=True)
    if sensitive_account:
        assert in_one == in_two == ["ABC-1=Name 1", "abc-1=Name 2"], (
            "two records: the account tells them apart"
        )
    else:
        # one record with the later values (which spelling of the key it keeps is the account's business)
        assert [r.casefold() for r in in_one] == [r.casefold() for r in in_two] == ["abc-1=name 2"]


def test_the_key_rule_follows_the_account() -> None:
    assert key_normaliser(EMAIL, None)(" Ann@X.io ") == "ann@x.io"
    assert key_normaliser(EMAIL, False)(" Ann@X.io ") == "ann@x.io", "emails ignore case everywhere"
    assert key_normaliser(PET_ID, True)(" ABC-1 ") == "abc-1"
    assert key_normaliser(PET_ID, False)(" ABC-1 ") == "ABC-1"
    assert key_normaliser(PET_ID, None)(" ABC-1 ") == "ABC-1"


# --- item 12: an id that only looks like digits ---------------------------------------------------


@pytest.mark.parametrize("bad", ["²", "\uff11\uff12", "٣", "1e3", 1.5, "0", "9" * 5000])
def test_an_update_by_id_with_an_id_that_is_not_one_rejects_that_record_only(bad: Any) -> None:
    client = FakeClient()
    existing = client.add(f2001="P-1", f2002="Old")
    writer, report = writer_for(client, PETS, RECORD_ID_FIELD)
    plan = plan_for(writer, DestinationSyncMode.update, [["id"]], [], activation=True, match=None)
    _, reasons = feed(plan, [{"id": bad, "Pet Name": "X"}, {"id": existing, "Pet Name": "New"}])
    assert len(reasons) == 1 and "no valid Pet id in 'id'" in reasons[0]
    assert client.contacts[existing]["f2002"] == "New" and report.counts.updated == 1


# --- a key or tag name too long to look up ------------------------------------------------------


def test_a_key_or_tag_name_too_long_to_look_up_rejects_its_record_not_the_sync() -> None:
    """A lookup goes in the URL; a value that cannot fit in a request line a server accepts would fail
    the lookup (414) on every retry and block the sync, so its record is rejected instead."""
    client = FakeClient()
    writer, report = writer_for(client, PETS, PET_ID)
    plan = plan_for(writer, DestinationSyncMode.append, [["Pet ID"]], [], activation=True, match=PET_ID)
    _, reasons = feed(
        plan,
        [
            {"Pet ID": "x" * 4500, "Pet Name": "Long"},
            {"Pet ID": "é" * 700},
            {"Pet ID": "P-1", "Pet Name": "Ok"},
        ],
    )
    assert len(reasons) == 2 and all("too long to look up" in r and "matching key" in r for r in reasons)
    assert [c["f2001"] for c in client.contacts.values()] == ["P-1"] and report.counts.created == 1
    contacts, _ = writer_for(FakeClient(), CONTACTS, EMAIL)
    tagged = plan_for(contacts, DestinationSyncMode.append, [["Email"]], [], activation=True, match=EMAIL)
    _, reasons = feed(tagged, [{"Email": "a@x.io", "Add Tags": ["t" * 4500]}])
    assert len(reasons) == 1 and "a tag name in Add Tags" in reasons[0]
