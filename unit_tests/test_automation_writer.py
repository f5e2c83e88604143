"""The writer with campaigns and sequences: what each batch costs, and never a contact twice.

The in-memory client of test_object_writer.py keeps each contact's `updateCampaign` and
`updateSequence` as Ontraport does, and records every call.
"""

from __future__ import annotations

from destination_ontraport.model.automations import ListKind, ListRef
from destination_ontraport.ontraport.errors import AmbiguousWriteError
from destination_ontraport.sync.report import SyncReport
from destination_ontraport.write.batch import MappedRecord
from destination_ontraport.write.dry_run import DryRun
from destination_ontraport.write.object_writer import ObjectWriter
from destination_ontraport.write.removal import RemovalGuard, Remover
from destination_ontraport.write.settings import WriterSettings
from destination_ontraport.write.subscriber import processed
from destination_ontraport.write.subscription_ledger import SubscriptionLedger
from unit_tests.fakes import CountedWriter
from unit_tests.test_object_writer import CONTACTS, EMAIL, FakeClient

ONBOARDING: ListRef = (ListKind.CAMPAIGN, "1")
WELCOME: ListRef = (ListKind.SEQUENCE, "7")


def writer_for(
    client: FakeClient,
    lists: frozenset[ListRef] = frozenset({ONBOARDING, WELCOME}),
    *,
    ledger: SubscriptionLedger | None = None,
    dry_run: DryRun | None = None,
    remover: Remover | None = None,
) -> tuple[CountedWriter, SyncReport]:
    report = SyncReport()
    settings = WriterSettings(
        CONTACTS,
        EMAIL,
        lists=lists,
        subscriptions=ledger,
        removal="remove_tags" if remover else None,
        tag_ids=frozenset({"9"}) if remover else frozenset(),
    )
    writer = ObjectWriter(client, settings, remover=remover, dry_run=dry_run, pause=lambda seconds: None)
    return CountedWriter(writer, report), report


def add(writer: CountedWriter, email: str, **extra: str) -> None:
    writer.add(MappedRecord(email, {"email": email, **extra}, 1, "s"))


def subscribe_calls(client: FakeClient) -> list[tuple[str, list[str], list[str]]]:
    return [call for name, call in client.calls if name == "subscribe"]


def test_one_subscribe_call_per_set_of_lists_per_500_contacts_and_only_where_needed() -> None:
    client = FakeClient()
    client.add(email="on-it@x.io", updateCampaign="*/*1*/*", updateSequence="*/*7*/*")
    writer, report = writer_for(client)
    for i in range(1200):
        add(writer, f"p{i}@x.io")
    add(writer, "on-it@x.io")
    writer.flush()
    calls = subscribe_calls(client)
    assert sorted((kind, len(ids)) for kind, _, ids in calls) == [
        ("campaign", 200),
        ("campaign", 500),
        ("campaign", 500),
        ("sequence", 200),
        ("sequence", 500),
        ("sequence", 500),
    ]
    assert all("1" not in ids for _, _, ids in calls), "the contact already on both is left alone"
    assert report.counts.subscribed == 2400 and report.counts.subscriptions_left_off == 0


def test_a_contact_that_comes_again_is_not_subscribed_again_even_when_ontraport_has_not_caught_up() -> None:
    """Ontraport may process subscriptions later: the second batch (and a second writer sharing the
    sync's ledger) must not trust a read that does not show them yet."""
    client = FakeClient()
    ledger = SubscriptionLedger()
    first, _ = writer_for(client, ledger=ledger)
    add(first, "a@x.io")
    first.flush()
    for contact in client.contacts.values():  # as if not processed yet
        contact["updateCampaign"] = contact["updateSequence"] = ""
    add(first, "a@x.io", firstname="Again")
    first.flush()
    other, _ = writer_for(client, frozenset({ONBOARDING}), ledger=ledger)  # another stream's writer
    add(other, "a@x.io", lastname="Other")
    other.flush()
    assert len(subscribe_calls(client)) == 2  # the first batch's campaign and sequence calls only


def test_when_lookups_do_not_return_membership_only_created_contacts_are_subscribed() -> None:
    client = FakeClient()
    client.lists_memberships = False
    client.add(email="old@x.io")
    writer, report = writer_for(client)
    add(writer, "old@x.io", firstname="O")
    add(writer, "new@x.io")
    writer.flush()
    assert {tuple(ids) for _, _, ids in subscribe_calls(client)} == {("2",)}
    assert report.counts.subscriptions_left_off == 1 and report.counts.subscribed == 2
    add(writer, "old@x.io", firstname="P")  # known unreadable now: no lookup for membership
    writer.flush()
    assert len(subscribe_calls(client)) == 2
    assert report.counts.subscriptions_left_off == 1, "a contact left off is counted once a sync"


def test_a_subscribe_without_an_answer_is_not_sent_again_and_is_counted() -> None:
    client = FakeClient()
    client.subscribe_failures = [AmbiguousWriteError("no answer")]
    ledger = SubscriptionLedger()
    writer, report = writer_for(client, frozenset({ONBOARDING}), ledger=ledger)
    add(writer, "a@x.io")
    writer.flush()
    for contact in client.contacts.values():
        contact["updateCampaign"] = ""  # it did not show (yet)
    add(writer, "a@x.io", firstname="Again")
    writer.flush()
    assert len(subscribe_calls(client)) == 1
    assert report.counts.subscriptions_unconfirmed == 1 and report.counts.subscribed == 1


def test_a_dry_run_counts_subscriptions_once_and_sends_none() -> None:
    client = FakeClient()
    client.add(email="old@x.io")
    writer, report = writer_for(client, dry_run=DryRun())
    add(writer, "old@x.io", firstname="O")
    add(writer, "new@x.io")
    writer.flush()
    add(writer, "old@x.io", firstname="Q")
    writer.flush()
    assert subscribe_calls(client) == [] and client.calls_to("saveorupdate") == 0
    assert report.counts.subscribed == 4  # two each, the second batch's repeat not counted again


def test_removing_a_contact_as_deleted_in_the_source_also_takes_it_off_the_configured_lists() -> None:
    client = FakeClient()
    gone = client.add(email="gone@x.io", contact_cat="*/*9*/*", updateCampaign="*/*1*/*")
    remover = Remover(client, RemovalGuard(10), ["9"], lists={ONBOARDING, WELCOME})
    writer, report = writer_for(client, remover=remover)
    writer.add_removal(MappedRecord("gone@x.io", {"email": "gone@x.io"}, 1, "s"))
    writer.flush()
    assert [call for name, call in client.calls if name == "unsubscribe"] == [
        ("campaign", ["1"], [gone]),
        ("sequence", ["7"], [gone]),
    ]
    assert client.contacts[gone]["updateCampaign"] == "" and report.counts.unsubscribed == 2


def test_the_end_of_a_sync_reads_one_subscribed_contact_back() -> None:
    client = FakeClient()
    ledger = SubscriptionLedger()
    assert processed(client, ledger) is None and client.calls_to("read_contact") == 0
    writer, _ = writer_for(client, ledger=ledger)
    add(writer, "a@x.io")
    writer.flush()
    assert processed(client, ledger) is True
    (contact,) = client.contacts.values()
    contact["updateSequence"] = ""  # Ontraport has not carried the sequence out yet
    assert processed(client, ledger) is False
    assert client.calls_to("read_contact") == 2
