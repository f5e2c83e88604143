"""Lookups an upsert by email skips on an empty or mostly new account, and everything the skipped
lookups would have given: the decision itself (pure), then the writer against a fake client that
counts every call (`test_object_writer.FakeClient`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from destination_ontraport.sync.report import SyncReport
from destination_ontraport.write.batch import MappedRecord, PendingRecord
from destination_ontraport.write.cold_start import COLD_EVIDENCE, LookupSkipping
from destination_ontraport.write.object_writer import ObjectWriter
from destination_ontraport.write.settings import WriterSettings
from unit_tests.fakes import CountedWriter
from unit_tests.test_object_writer import CONTACTS, EMAIL, FakeClient, make_writer


def pending(
    key: str, value: str | None = None, *, remove: bool = False, may_create: bool = True
) -> PendingRecord:
    return PendingRecord(key, {"email": value or key}, [(1, "s")], may_create, remove=remove)


# --- the decision -----------------------------------------------------------------------------------


def test_lookups_stop_after_two_full_lookups_found_nothing_and_resume_when_one_finds_something() -> None:
    policy = LookupSkipping(True, "email")
    assert not policy.skipping
    policy.looked_up(COLD_EVIDENCE - 1, 0)
    assert not policy.skipping, "one record short of the evidence"
    policy.looked_up(1, 0)
    assert policy.skipping
    policy.looked_up(10, 1)
    assert not policy.skipping, "a lookup that found a contact: lookups pay again"
    policy.looked_up(COLD_EVIDENCE - 1, 0)
    assert not policy.skipping, "the count of missing records starts again after a find"


def test_a_merge_answer_ends_skipping() -> None:
    policy = LookupSkipping(True, "email")
    policy.start_cold()
    assert policy.skipping
    policy.merged()
    assert not policy.skipping
    policy.looked_up(COLD_EVIDENCE - 1, 0)
    assert not policy.skipping


def test_only_an_email_upsert_ever_skips() -> None:
    policy = LookupSkipping(False, "f1001")
    policy.start_cold()
    policy.looked_up(10 * COLD_EVIDENCE, 0)
    assert not policy.skipping


def test_removals_update_only_records_and_emails_not_in_lookup_form_are_always_looked_up() -> None:
    policy = LookupSkipping(True, "email")
    policy.start_cold()
    assert policy.may_skip(pending("ann@x.io"))
    assert not policy.may_skip(pending("ann@x.io", remove=True)), "a removal needs the record's id"
    assert not policy.may_skip(pending("ann@x.io", may_create=False)), "an update-only record needs it too"
    assert not policy.may_skip(pending("ann@x.io", "Ann@X.io")), "case: the lookup tries the lower-cased form"
    assert not policy.may_skip(pending("ann@x.io", " ann@x.io")), "and the trimmed one"
    proven = LookupSkipping(True, "email", case_safe=True)
    proven.start_cold()
    assert proven.may_skip(pending("ann@x.io", "Ann@X.io")), "an account proven to ignore case"
    assert policy.blind([pending("a@x.io"), pending("b@x.io", "B@x.io")]) == {"a@x.io"}


# --- the writer ------------------------------------------------------------------------------------


def record(email: str, position: int, **fields: str) -> MappedRecord:
    return MappedRecord(email.strip().lower(), {"email": email, **fields}, position, "s")


def test_an_email_upsert_stops_looking_up_after_lookups_found_nothing() -> None:
    client = FakeClient()
    writer, report = make_writer(client)
    for i in range(100):
        writer.add(record(f"p{i}@x.com", i))
    writer.flush()
    assert client.calls_to("find") == 3  # 49 + 49 + 2: nothing found
    for i in range(100, 300):
        writer.add(record(f"p{i}@x.com", i))
    writer.flush()
    assert client.calls_to("find") == 3, "no lookup once lookups kept finding nothing"
    assert client.calls_to("saveorupdate") == 300 and report.counts.created == 300
    assert client.calls_to("add_tags") == 2 and report.counts.tagged == 300


def cold_writer(client: FakeClient) -> tuple[CountedWriter, SyncReport]:
    """A writer told at set-up that the account held no contact."""
    writer, report = make_writer(client)
    writer.writer.expect_no_records()
    return writer, report


def test_an_account_that_held_no_contact_is_written_without_a_single_lookup() -> None:
    client = FakeClient()
    writer, report = cold_writer(client)
    for i in range(60):
        writer.add(record(f"p{i}@x.com", i))
    writer.flush()
    assert client.calls_to("find") == 0
    assert client.calls_to("saveorupdate") == 60 and report.counts.created == 60


def test_a_merge_answer_holds_back_the_blind_writes_not_sent_and_looks_them_up() -> None:
    """One request at a time, so that the order is the input's: `b` existed, so its saveorupdate
    merges; the records after it are looked up, and written as lookups say (no write for the
    unchanged one, only the changed field for the changed one)."""
    client = FakeClient()
    client.max_in_flight = 1
    b = client.add(email="b@x.com", firstname="B", contact_cat="*/*7*/*")
    d = client.add(email="d@x.com", firstname="Old", contact_cat="*/*7*/*")
    e = client.add(email="e@x.com", firstname="E", contact_cat="*/*7*/*")
    writer, report = cold_writer(client)
    for position, (email, name) in enumerate(
        [
            ("a@x.com", "A"),
            ("b@x.com", "B"),
            ("c@x.com", "C"),
            ("d@x.com", "New"),
            ("e@x.com", "E"),
            ("f@x.com", "F"),
        ]
    ):
        writer.add(record(email, position, firstname=name))
    writer.flush()
    saved = [fields["email"] for call, fields in client.calls if call == "saveorupdate"]
    assert saved == ["a@x.com", "b@x.com", "c@x.com", "f@x.com"], "d and e were looked up, not written blind"
    assert [arg for call, arg in client.calls if call == "find"] == [
        ["c@x.com", "d@x.com", "e@x.com", "f@x.com"]
    ]
    assert [arg for call, arg in client.calls if call == "update"] == [(d, {"firstname": "New"})]
    counts = report.counts
    assert (counts.created, counts.updated, counts.unchanged) == (3, 2, 1), "the merge of b is an update"
    tagged = [ids for call, ids in client.calls if call == "add_tags"]
    assert len(tagged) == 1 and b in tagged[0] and e not in tagged[0], "b's tags were unknown: tagged anyway"
    assert len(client.contacts) == 6
    writer.add(record("g@x.com", 9))
    writer.flush()
    assert client.calls[-3][0] == "find", "the next batch looks up again"


def test_the_tags_of_a_merged_contact_are_unknown_so_a_removal_its_record_asks_for_is_sent() -> None:
    client = FakeClient()
    held = client.add(email="old@x.com", contact_cat="*/*7*/*9*/*")
    settings = WriterSettings(CONTACTS, EMAIL, tag_ids=frozenset({"7"}))

    def tag_ids(names: Sequence[str], object_type_id: int, *, create: bool = True) -> Mapping[str, str]:
        return {"Old": "9"} if "Old" in names else {}

    writer = ObjectWriter(client, settings, tag_ids_by_name=tag_ids, pause=lambda seconds: None)
    writer.expect_no_records()
    writer.add(MappedRecord("old@x.com", {"email": "old@x.com"}, 1, "s", tags={"Old": False}))
    list(writer.flush())
    writer.close()
    assert client.calls_to("find") == 0 and client.calls_to("saveorupdate") == 1
    assert ("remove_tags", [held]) in client.calls
    assert "9" not in client.contacts[held]["contact_cat"]


def test_where_case_may_count_a_mixed_case_email_is_looked_up_and_finds_its_contact() -> None:
    """An account whose saveorupdate compares emails by case would create a second contact for
    `Ann@X.com`; the lookup (which also tries `ann@x.com`) finds the one it holds."""
    client = FakeClient()
    client.case_sensitive = True
    ann = client.add(email="ann@x.com", firstname="Ann", contact_cat="*/*7*/*")
    writer, report = cold_writer(client)
    writer.add(record("Ann@X.com", 1, firstname="Ann"))
    writer.add(record("new@x.com", 2))
    writer.flush()
    assert [arg for call, arg in client.calls if call == "find"] == [["Ann@X.com", "ann@x.com"]]
    assert [f["email"] for call, f in client.calls if call == "saveorupdate"] == ["new@x.com"]
    assert len(client.contacts) == 2 and report.counts.unchanged == 1
    assert ann in client.contacts


def test_lookups_still_settle_whether_they_need_ids_zero() -> None:
    client = FakeClient()
    client.condition_needs_ids_zero = None
    writer, _ = cold_writer(client)
    writer.add(record("first@x.com", 1))
    writer.flush()
    assert [arg for call, arg in client.calls if call == "find"] == [["first@x.com"]]


def test_contacts_written_blind_are_seen_by_a_full_refresh_and_remembered() -> None:
    client = FakeClient()
    client.max_in_flight = 1
    known = client.add(email="known@x.com", firstname="K", contact_cat="*/*7*/*")
    settings = WriterSettings(CONTACTS, EMAIL, tag_ids=frozenset({"7"}), track_seen=True)
    writer = ObjectWriter(client, settings, pause=lambda seconds: None)
    writer.expect_no_records()
    writer.add(MappedRecord("new@x.com", {"email": "new@x.com"}, 1, "s"))
    writer.add(MappedRecord("known@x.com", {"email": "known@x.com", "firstname": "K"}, 2, "s"))
    list(writer.flush())
    new = next(cid for cid, c in client.contacts.items() if c["email"] == "new@x.com")
    assert writer.seen_ids == {known, new}
    assert client.calls_to("find") == 0
    writer.add(MappedRecord("known@x.com", {"email": "known@x.com", "firstname": "K"}, 3, "s"))
    (outcome,) = list(writer.flush())
    writer.close()
    assert outcome.unchanged == 1 and client.calls_to("find") == 0, "remembered from the merge's answer"
    assert client.calls_to("saveorupdate") == 2 and client.calls_to("update") == 0
