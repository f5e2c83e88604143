"""The writer's request-minimal path on small inputs: collapse, lookup, diff, writes, tags, removals.

A small in-memory stand-in for the client records every call, so each test can say exactly which
requests a batch costs; end-to-end behaviour against the sandbox lives in integration_tests/.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from destination_ontraport.model.automations import ListKind
from destination_ontraport.model.mapping import FieldCatalog
from destination_ontraport.model.objects import ObjectType
from destination_ontraport.model.problems import ConfigProblem
from destination_ontraport.ontraport.client import RecordApi
from destination_ontraport.ontraport.errors import (
    AmbiguousWriteError,
    NotFoundError,
    RequestRejectedError,
    UnexpectedAnswerError,
)
from destination_ontraport.sync.report import SyncReport
from destination_ontraport.write.batch import MappedRecord
from destination_ontraport.write.dry_run import DryRun
from destination_ontraport.write.object_writer import ObjectWriter
from destination_ontraport.write.removal import RemovalAction, RemovalGuard, Remover
from destination_ontraport.write.settings import WriterSettings
from ontraport_sandbox.meta_fixtures import SANDBOX_CONTACT_FIELDS
from unit_tests.fakes import CountedWriter

CATALOG = FieldCatalog.from_meta(SANDBOX_CONTACT_FIELDS)
CONTACTS = ObjectType(0, "Contact", CATALOG)
EMAIL = CATALOG.require("email", "test")
EXTERNAL = CATALOG.require("External ID", "test")


class FakeClient:
    """Just enough of OntraportClient (the RecordApi surface), thread-safe, logging calls by name."""

    max_in_flight = 4
    condition_needs_ids_zero: bool | None = False

    def __init__(self) -> None:
        self.contacts: dict[str, dict[str, str]] = {}
        self.calls: list[tuple[str, Any]] = []
        self.lock = threading.Lock()
        self.store_lock = threading.RLock()  # saves from several worker threads: one id each
        self.fail_create: list[Exception] = []  # raised by create, in order
        self.create_takes_effect_before_failing = True
        self.reject_emails: set[str] = set()
        self.vanished: set[str] = set()
        self.case_sensitive = False  # how the fake compares lookup values
        self.lists_contact_cat = True  # whether lookup rows carry contact_cat
        self.odd_saves = 0  # saveorupdate answers `Save failed!` this many times
        self.odd_saves_apply = False  # ... after saving (or without saving)
        self.lists_memberships = True  # whether lookup rows carry updateCampaign / updateSequence
        self.subscribe_failures: list[Exception] = []  # raised by subscribe, in order (after applying)

    def _log(self, name: str, arg: Any) -> None:
        with self.lock:
            self.calls.append((name, arg))

    def calls_to(self, name: str) -> int:
        return sum(1 for call, _ in self.calls if call == name)

    def add(self, **fields: str) -> str:
        with self.store_lock:
            new_id = str(len(self.contacts) + 1)
            self.contacts[new_id] = {
                "id": new_id,
                "contact_cat": "",
                "updateCampaign": "",
                "updateSequence": "",
                **fields,
            }
            return new_id

    def lookup_chunks(
        self, obj: ObjectType, field_name: str, values: Sequence[str], list_fields: Sequence[str]
    ) -> list[list[str]]:
        return [list(values[i : i + 49]) for i in range(0, len(values), 49)]

    def count(self, obj: ObjectType, condition: str | None = None) -> int:
        return len(self.contacts)

    def _rows(self, rows: list[dict[str, str]]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = [dict(row) for row in rows]
        for row in out:
            if not self.lists_contact_cat:
                row.pop("contact_cat")
            if not self.lists_memberships:
                row.pop("updateCampaign", None)
                row.pop("updateSequence", None)
        return out

    def find(
        self,
        obj: ObjectType,
        field_name: str,
        values: Sequence[str],
        list_fields: Sequence[str],
        *,
        start: int = 0,
    ) -> list[dict[str, Any]]:
        self._log("find", list(values))
        fold = (lambda v: v) if self.case_sensitive else str.lower
        wanted = {fold(v) for v in values}
        rows = [c for c in self.contacts.values() if fold(c.get(field_name, "")) in wanted]
        return self._rows(rows)[start : start + 50]

    def find_by_ids(
        self, obj: ObjectType, ids: Sequence[str], list_fields: Sequence[str]
    ) -> list[dict[str, Any]]:
        self._log("find_by_ids", list(ids))
        return self._rows([self.contacts[i] for i in ids if i in self.contacts])

    def records_with_tag(
        self, obj: ObjectType, tag_id: str, list_fields: Sequence[str], start: int
    ) -> list[dict[str, Any]]:
        tagged = [c for c in self.contacts.values() if f"*/*{tag_id}*/*" in c.get("contact_cat", "")]
        return self._rows(tagged)[start : start + 50]

    def save_or_update(self, obj: ObjectType, fields: Mapping[str, str]) -> tuple[str, bool]:
        self._log("saveorupdate", dict(fields))
        if self.odd_saves:
            self.odd_saves -= 1
            if self.odd_saves_apply:
                self.add(**fields)
            raise UnexpectedAnswerError(
                "Ontraport answered POST /Contacts/saveorupdate with HTTP 200 (Save failed!)"
            )
        if fields.get("email") in self.reject_emails:
            raise RequestRejectedError("Invalid email address", status=422)
        with self.store_lock:  # find and create in one step, as Ontraport's merge does
            for contact in self.contacts.values():
                if contact.get("email") == fields.get("email"):
                    contact.update(fields)
                    return contact["id"], False
            return self.add(**fields), True

    def create(self, obj: ObjectType, fields: Mapping[str, str]) -> str:
        self._log("create", dict(fields))
        if self.fail_create:
            error = self.fail_create.pop(0)
            if self.create_takes_effect_before_failing:
                self.add(**fields)
            raise error
        return self.add(**fields)

    def update(self, obj: ObjectType, record_id: str, fields: Mapping[str, str]) -> None:
        self._log("update", (record_id, dict(fields)))
        if record_id in self.vanished:
            raise NotFoundError("Object not found", status=404)
        self.contacts[record_id].update(fields)

    def add_tags(self, obj: ObjectType, ids: Sequence[str], tag_ids: Sequence[str]) -> None:
        self._log("add_tags", list(ids))
        for cid in ids:
            present = {t for t in self.contacts[cid]["contact_cat"].split("*/*") if t}
            self.contacts[cid]["contact_cat"] = "*/*" + "*/*".join(sorted(present | set(tag_ids))) + "*/*"

    def remove_tags(self, obj: ObjectType, ids: Sequence[str], tag_ids: Sequence[str]) -> None:
        self._log("remove_tags", list(ids))
        for cid in ids:
            present = {t for t in self.contacts[cid]["contact_cat"].split("*/*") if t}
            kept = sorted(present - set(tag_ids))
            self.contacts[cid]["contact_cat"] = "*/*" + "*/*".join(kept) + "*/*" if kept else ""

    def delete(self, obj: ObjectType, ids: Sequence[str]) -> None:
        self._log("delete", list(ids))
        for cid in ids:
            self.contacts.pop(cid, None)

    def _change_lists(self, kind: ListKind, list_ids: Sequence[str], ids: Sequence[str], add: bool) -> None:
        for cid in ids:
            present = {t for t in self.contacts[cid][kind.field].split("*/*") if t}
            after = sorted(present | set(list_ids) if add else present - set(list_ids))
            self.contacts[cid][kind.field] = "*/*" + "*/*".join(after) + "*/*" if after else ""

    def subscribe(self, kind: ListKind, list_ids: Sequence[str], contact_ids: Sequence[str]) -> None:
        self._log("subscribe", (kind.value, list(list_ids), list(contact_ids)))
        self._change_lists(kind, list_ids, contact_ids, True)
        if self.subscribe_failures:
            raise self.subscribe_failures.pop(0)

    def unsubscribe(self, kind: ListKind, list_ids: Sequence[str], contact_ids: Sequence[str]) -> None:
        self._log("unsubscribe", (kind.value, list(list_ids), list(contact_ids)))
        self._change_lists(kind, list_ids, contact_ids, False)

    def read_contact(self, contact_id: str) -> dict[str, Any]:
        self._log("read_contact", contact_id)
        return dict(self.contacts[contact_id])


def make_writer(
    client: FakeClient,
    match: Any = EMAIL,
    tags: Sequence[str] = ("7",),
    *,
    removal: RemovalAction | None = None,
    guard: RemovalGuard | None = None,
    dry_run: DryRun | None = None,
    reject_absent: bool = False,
) -> tuple[CountedWriter, SyncReport]:
    report = SyncReport()
    settings = WriterSettings(
        CONTACTS, match, tag_ids=frozenset(tags), removal=removal, reject_absent=reject_absent
    )
    remover = Remover(client, guard, list(tags)) if guard is not None else None
    writer = ObjectWriter(client, settings, remover=remover, dry_run=dry_run, pause=lambda seconds: None)
    return CountedWriter(writer, report), report


def test_the_fake_client_is_a_record_api() -> None:
    api: RecordApi = FakeClient()  # mypy checks the fake against the real surface
    assert api.max_in_flight == 4


def test_records_for_one_contact_collapse_into_one_write_with_later_fields_winning() -> None:
    client = FakeClient()
    writer, report = make_writer(client)
    writer.add(MappedRecord("a@x.com", {"email": "a@x.com", "firstname": "One", "company": "Early"}, 1, "s"))
    writer.add(MappedRecord("a@x.com", {"email": "a@x.com", "firstname": "Two"}, 2, "s"))
    writer.flush()
    assert client.calls_to("saveorupdate") == 1
    (contact,) = client.contacts.values()
    assert (contact["firstname"], contact["company"]) == ("Two", "Early")
    assert report.counts.created == 1


def test_a_batch_costs_one_lookup_per_49_contacts_one_write_each_and_one_tag_call() -> None:
    client = FakeClient()
    writer, report = make_writer(client)
    for i in range(100):
        writer.add(MappedRecord(f"p{i}@x.com", {"email": f"p{i}@x.com", "firstname": "P"}, i, "s"))
    writer.flush()
    assert client.calls_to("find") == 3  # 49 + 49 + 2
    assert client.calls_to("saveorupdate") == 100
    assert client.calls_to("add_tags") == 1
    assert report.counts.tagged == 100


def test_unchanged_contacts_cost_no_write_and_changed_ones_send_only_changed_fields() -> None:
    client = FakeClient()
    same = client.add(email="same@x.com", firstname="S", lastname="L", contact_cat="*/*7*/*")
    diff = client.add(email="diff@x.com", firstname="Old", lastname="L", contact_cat="*/*7*/*")
    writer, report = make_writer(client)
    writer.add(MappedRecord("same@x.com", {"email": "same@x.com", "firstname": "S", "lastname": "L"}, 1, "s"))
    writer.add(
        MappedRecord("diff@x.com", {"email": "diff@x.com", "firstname": "New", "lastname": "L"}, 2, "s")
    )
    writer.flush()
    assert [c for c in client.calls if c[0] == "update"] == [("update", (diff, {"firstname": "New"}))]
    assert client.calls_to("saveorupdate") == 0 and client.calls_to("add_tags") == 0
    assert (report.counts.unchanged, report.counts.updated) == (1, 1)
    assert same in client.contacts


def test_numeric_and_case_differences_that_ontraport_would_not_see_are_not_changes() -> None:
    client = FakeClient()
    client.add(email="Mixed@X.com", f1002="10.00", contact_cat="*/*7*/*")
    writer, report = make_writer(client)
    writer.add(MappedRecord("mixed@x.com", {"email": "mixed@x.com", "f1002": "10"}, 1, "s"))
    writer.flush()
    assert report.counts.unchanged == 1
    assert client.calls_to("update") == 0


def test_only_contacts_lacking_a_tag_are_tagged() -> None:
    client = FakeClient()
    client.add(email="has@x.com", contact_cat="*/*7*/*8*/*")
    lacks = client.add(email="lacks@x.com", contact_cat="*/*7*/*")
    writer, report = make_writer(client, tags=("7", "8"))
    writer.add(MappedRecord("has@x.com", {"email": "has@x.com"}, 1, "s"))
    writer.add(MappedRecord("lacks@x.com", {"email": "lacks@x.com"}, 2, "s"))
    writer.flush()
    assert [c for c in client.calls if c[0] == "add_tags"] == [("add_tags", [lacks])]
    assert report.counts.tagged == 1


def test_a_contact_written_in_one_batch_is_remembered_in_the_next() -> None:
    client = FakeClient()
    writer, _report = make_writer(client)
    writer.add(MappedRecord("r@x.com", {"email": "r@x.com", "firstname": "R"}, 1, "s"))
    writer.flush()
    lookups = client.calls_to("find")
    writer.add(MappedRecord("r@x.com", {"email": "r@x.com", "firstname": "R"}, 2, "s"))
    writer.flush()
    assert client.calls_to("find") == lookups, "no second lookup"
    assert client.calls_to("saveorupdate") == 1 and client.calls_to("update") == 0
    writer.add(MappedRecord("r@x.com", {"email": "r@x.com", "firstname": "Changed"}, 3, "s"))
    writer.flush()
    assert client.calls_to("update") == 1 and client.calls_to("find") == lookups


def test_a_flush_returns_what_it_did_and_counts_nothing_itself() -> None:
    """The writer knows no report: each round of a flush is a WriteOutcome the message loop counts in
    (counts per action; each refused record with its line, stream, key and the record it names)."""
    client = FakeClient()
    client.reject_emails.add("bad@x.com")
    client.add(email="same@x.com", contact_cat="*/*7*/*")
    settings = WriterSettings(CONTACTS, EMAIL, tag_ids=frozenset({"7"}))
    writer = ObjectWriter(client, settings, pause=lambda seconds: None)
    writer.add(MappedRecord("bad@x.com", {"email": "bad@x.com"}, 4, "people"))
    writer.add(MappedRecord("same@x.com", {"email": "same@x.com"}, 5, "people"))
    writer.add(MappedRecord("new@x.com", {"email": "new@x.com"}, 6, "people"))
    (outcome,) = list(writer.flush())
    writer.close()
    assert (outcome.created, outcome.unchanged, outcome.tagged, outcome.skipped) == (1, 1, 1, 0)
    (refused,) = outcome.refused
    assert (refused.position, refused.stream, refused.key, refused.names) == (
        4,
        "people",
        "bad@x.com",
        (CONTACTS.id, "email", "bad@x.com"),
    )
    assert "Invalid email address" in refused.reason


def test_a_refused_contact_is_rejected_for_every_record_that_made_it() -> None:
    client = FakeClient()
    client.reject_emails.add("bad@x.com")
    writer, report = make_writer(client)
    writer.add(MappedRecord("bad@x.com", {"email": "bad@x.com"}, 4, "s"))
    writer.add(MappedRecord("bad@x.com", {"email": "bad@x.com", "firstname": "B"}, 9, "s"))
    writer.add(MappedRecord("ok@x.com", {"email": "ok@x.com"}, 5, "s"))
    writer.flush()
    assert report.rejections.count == 2
    assert [r.position for r in report.rejections.listed] == [4, 9]
    assert "Invalid email address" in report.rejections.listed[0].reason
    assert report.counts.created == 1
    assert client.calls_to("add_tags") == 1 and client.calls[-1][1] == ["1"], (
        "the refused contact is not tagged"
    )


def test_a_contact_deleted_since_the_lookup_is_created_again() -> None:
    client = FakeClient()
    gone = client.add(email="gone@x.com", firstname="Old", contact_cat="*/*7*/*")
    client.vanished.add(gone)
    writer, report = make_writer(client)
    writer.add(MappedRecord("gone@x.com", {"email": "gone@x.com", "firstname": "New"}, 1, "s"))
    writer.flush()
    assert client.calls_to("update") == 1 and client.calls_to("saveorupdate") == 1
    assert report.counts.updated == 1  # saveorupdate merged into the still-present record


def test_custom_match_field_creates_by_lookup_then_post() -> None:
    client = FakeClient()
    writer, report = make_writer(client, match=EXTERNAL)
    writer.add(MappedRecord("X-1", {"f1001": "X-1", "firstname": "A"}, 1, "s"))
    writer.flush()
    assert client.calls_to("create") == 1 and client.calls_to("saveorupdate") == 0
    assert report.counts.created == 1


def test_an_ambiguous_create_that_took_effect_is_found_not_repeated() -> None:
    client = FakeClient()
    client.fail_create = [AmbiguousWriteError("connection dropped")]
    writer, report = make_writer(client, match=EXTERNAL)
    writer.add(MappedRecord("X-2", {"f1001": "X-2", "firstname": "A"}, 1, "s"))
    writer.flush()
    assert client.calls_to("create") == 1, "the lookup found it: no second POST"
    assert len(client.contacts) == 1
    assert report.counts.created == 1


def test_an_ambiguous_create_that_did_not_take_effect_is_retried_once() -> None:
    client = FakeClient()
    client.fail_create = [AmbiguousWriteError("read timeout")]
    client.create_takes_effect_before_failing = False
    writer, _ = make_writer(client, match=EXTERNAL)
    writer.add(MappedRecord("X-3", {"f1001": "X-3"}, 1, "s"))
    writer.flush()
    assert client.calls_to("create") == 2
    assert len(client.contacts) == 1


def test_duplicates_in_ontraport_page_on_and_update_the_oldest() -> None:
    client = FakeClient()
    for _ in range(51):
        client.add(email="dup@x.com", firstname="D", contact_cat="*/*7*/*")
    writer, _ = make_writer(client)
    writer.add(MappedRecord("dup@x.com", {"email": "dup@x.com", "firstname": "E"}, 1, "s"))
    writer.flush()
    assert client.calls_to("find") == 2, "a full page of 50 for one value means more may hide"
    assert [c for c in client.calls if c[0] == "update"] == [("update", ("1", {"firstname": "E"}))]


def test_update_only_streams_skip_new_contacts() -> None:
    client = FakeClient()
    writer, report = make_writer(client)
    writer.add(MappedRecord("new@x.com", {"email": "new@x.com"}, 1, "s", may_create=False))
    writer.flush()
    assert client.calls_to("saveorupdate") == 0 and report.counts.skipped == 1


def test_removals_are_one_bulk_call_with_the_ids_found() -> None:
    client = FakeClient()
    a = client.add(email="a@x.com")
    b = client.add(email="b@x.com")
    writer, report = make_writer(client, removal="delete", guard=RemovalGuard(10))
    writer.add_removal(MappedRecord("a@x.com", {"email": "a@x.com"}, 1, "s"))
    writer.add_removal(MappedRecord("b@x.com", {"email": "b@x.com"}, 2, "s"))
    writer.add_removal(MappedRecord("never@x.com", {"email": "never@x.com"}, 3, "s"))
    writer.flush()
    assert [c for c in client.calls if c[0] == "delete"] == [("delete", [a, b])]
    assert (report.counts.deleted, report.counts.skipped) == (2, 1)


def test_the_guard_refuses_a_removal_over_the_limit_before_sending_it() -> None:
    client = FakeClient()
    client.add(email="a@x.com")
    client.add(email="b@x.com")
    writer, _ = make_writer(client, removal="delete", guard=RemovalGuard(1))
    writer.add_removal(MappedRecord("a@x.com", {"email": "a@x.com"}, 1, "s"))
    writer.add_removal(MappedRecord("b@x.com", {"email": "b@x.com"}, 2, "s"))
    with pytest.raises(ConfigProblem, match="more than max_removals"):
        writer.flush()
    assert client.calls_to("delete") == 0 and len(client.contacts) == 2


def test_a_write_after_a_removal_in_the_same_batch_keeps_the_contact() -> None:
    client = FakeClient()
    client.add(email="back@x.com", firstname="Old", contact_cat="*/*7*/*")
    writer, _report = make_writer(client, removal="delete", guard=RemovalGuard(10))
    writer.add_removal(MappedRecord("back@x.com", {"email": "back@x.com"}, 1, "s"))
    writer.add(MappedRecord("back@x.com", {"email": "back@x.com", "firstname": "Back"}, 2, "s"))
    writer.flush()
    assert client.calls_to("delete") == 0
    assert next(iter(client.contacts.values()))["firstname"] == "Back"


def test_dry_run_sends_only_lookups_and_describes_changes() -> None:
    client = FakeClient()
    client.add(email="c@x.com", firstname="Before", contact_cat="*/*7*/*")
    dry_run = DryRun()
    writer, report = make_writer(client, dry_run=dry_run)
    writer.add(MappedRecord("c@x.com", {"email": "c@x.com", "firstname": "After"}, 1, "s"))
    writer.add(MappedRecord("n@x.com", {"email": "n@x.com"}, 2, "s"))
    writer.flush()
    assert {name for name, _ in client.calls} == {"find"}
    assert (report.counts.updated, report.counts.created, report.counts.tagged) == (1, 1, 1)
    assert any("'Before' -> 'After'" in line for line in dry_run.examples)


def test_a_failing_write_is_raised_after_the_other_writes_settle() -> None:
    client = FakeClient()
    writer, _ = make_writer(client, match=EXTERNAL)
    client.fail_create = [RuntimeError("boom")]
    client.create_takes_effect_before_failing = False
    for i in range(5):
        writer.add(MappedRecord(f"K{i}", {"f1001": f"K{i}"}, i, "s"))
    with pytest.raises(RuntimeError, match="boom"):
        writer.flush()
    assert client.calls_to("create") == 5, "no write is abandoned half way"
    assert client.calls_to("add_tags") == 0, "a failed batch is not tagged or acknowledged"


# --- behaviours no source settles ---------------------------------------------------------------
def test_a_custom_match_value_that_differs_only_in_case_updates_the_contact_not_a_duplicate() -> None:
    """A case-insensitive Ontraport returns `abc-1` for a lookup of `ABC-1`: that row is the contact."""
    client = FakeClient()
    client.add(f1001="abc-1", firstname="Old", contact_cat="*/*7*/*")
    writer, report = make_writer(client, match=EXTERNAL)
    writer.add(MappedRecord("ABC-1", {"f1001": "ABC-1", "firstname": "New"}, 1, "s"))
    writer.flush()
    assert client.calls_to("create") == 0 and len(client.contacts) == 1
    assert report.counts.updated == 1


def test_an_exact_match_wins_over_one_that_differs_only_in_case() -> None:
    client = FakeClient()
    client.add(f1001="abc-1", firstname="Lower")
    exact = client.add(f1001="ABC-1", firstname="Upper")
    writer, _ = make_writer(client, match=EXTERNAL, tags=())
    writer.add(MappedRecord("ABC-1", {"f1001": "ABC-1", "firstname": "New"}, 1, "s"))
    writer.flush()
    assert [c for c in client.calls if c[0] == "update"] == [("update", (exact, {"firstname": "New"}))]


def test_on_a_case_sensitive_account_an_email_is_also_looked_up_lower_cased() -> None:
    client = FakeClient()
    client.case_sensitive = True
    stored = client.add(email="ann@x.com", firstname="Ann", contact_cat="*/*7*/*")
    writer, report = make_writer(client)
    writer.add(MappedRecord("ann@x.com", {"email": "Ann@X.com", "firstname": "Ann"}, 1, "s"))
    writer.flush()
    assert client.calls[0] == ("find", ["Ann@X.com", "ann@x.com"])
    assert client.calls_to("saveorupdate") == 0 and report.counts.unchanged == 1
    assert list(client.contacts) == [stored]


def test_without_contact_cat_in_lookups_every_contact_found_is_tagged_and_untagged() -> None:
    """Tags unknown is not "no tags": tagging is idempotent, so unknown means send the call."""
    client = FakeClient()
    client.lists_contact_cat = False
    a = client.add(email="a@x.com", contact_cat="*/*7*/*")
    writer, report = make_writer(client)
    writer.add(MappedRecord("a@x.com", {"email": "a@x.com"}, 1, "s"))
    writer.flush()
    assert client.calls[-1] == ("add_tags", [a]) and report.counts.unchanged == 1
    remover, _ = make_writer(client, removal="remove_tags", guard=RemovalGuard(10))
    remover.add_removal(MappedRecord("a@x.com", {"email": "a@x.com"}, 2, "s"))
    remover.flush()
    assert client.calls[-1] == ("remove_tags", [a])


@pytest.mark.parametrize("saved_before_answer", [True, False])
def test_save_failed_is_resolved_by_one_lookup_not_retried(saved_before_answer: bool) -> None:
    client = FakeClient()
    client.odd_saves = 1
    client.odd_saves_apply = saved_before_answer
    writer, report = make_writer(client, tags=())
    writer.add(MappedRecord("n@x.com", {"email": "n@x.com", "firstname": "New"}, 1, "s"))
    writer.flush()
    assert len(client.contacts) == 1 and report.rejections.count == 0
    expected_saves = 1 if saved_before_answer else 2
    assert client.calls_to("saveorupdate") == expected_saves and client.calls_to("find") == 2


def test_save_failed_twice_rejects_the_record_with_the_reason_and_the_sync_goes_on() -> None:
    client = FakeClient()
    client.odd_saves = 2
    writer, report = make_writer(client, tags=())
    writer.add(MappedRecord("n@x.com", {"email": "n@x.com"}, 1, "s"))
    writer.add(MappedRecord("ok@x.com", {"email": "ok@x.com"}, 2, "s"))
    writer.flush()
    assert report.rejections.count == 1 and report.counts.created == 1
    assert "Save failed!" in report.rejections.listed[0].reason
