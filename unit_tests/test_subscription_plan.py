"""The pure subscription plan: who is put on which campaigns and sequences, in how few calls, and
never a contact twice (write/subscription_plan.py)."""

from __future__ import annotations

from destination_ontraport.model.automations import ListKind, ListRef, list_ids
from destination_ontraport.write.batch import PendingRecord
from destination_ontraport.write.known_records import KnownRecord, row_lists
from destination_ontraport.write.planner import Kind, Step
from destination_ontraport.write.subscription_ledger import SubscriptionLedger
from destination_ontraport.write.subscription_plan import lists_after, plan_subscriptions

C, S = ListKind.CAMPAIGN, ListKind.SEQUENCE
ONBOARDING: ListRef = (C, "1")
WEBINAR: ListRef = (C, "2")
WELCOME: ListRef = (S, "7")
UNTOUCHED = SubscriptionLedger().done


def step(
    contact_id: str | None,
    kind: Kind = Kind.UPDATE,
    *,
    lists: dict[ListKind, frozenset[str]] | None = None,
    known: bool = True,
    created: bool = False,
    asks: dict[ListRef, bool] | None = None,
) -> Step:
    pending = PendingRecord(f"{contact_id}@x.io", {}, [(1, "s")], True, lists=dict(asks or {}))
    record = KnownRecord(contact_id or "", {}, frozenset(), dict(lists or {})) if known else None
    return Step(pending, kind, contact_id, record, created=created)


def test_contacts_that_want_the_same_lists_share_one_call_per_kind() -> None:
    steps = [step(str(i), lists={C: frozenset(), S: frozenset()}) for i in range(1, 4)]
    plan = plan_subscriptions(steps, frozenset({ONBOARDING, WELCOME}), UNTOUCHED)
    assert plan.add == {(C, frozenset({"1"})): ["1", "2", "3"], (S, frozenset({"7"})): ["1", "2", "3"]}
    assert plan.subscriptions == 6 and plan.remove == {} and plan.left_off == []


def test_a_contact_already_on_a_list_is_not_subscribed_to_it_again() -> None:
    on_it = step("1", lists={C: frozenset({"1"}), S: frozenset()})
    plan = plan_subscriptions([on_it], frozenset({ONBOARDING, WEBINAR, WELCOME}), UNTOUCHED)
    assert plan.add == {(C, frozenset({"2"})): ["1"], (S, frozenset({"7"})): ["1"]}


def test_what_this_sync_already_did_wins_over_a_stale_read() -> None:
    ledger = SubscriptionLedger()
    ledger.note({ONBOARDING}, ["1"], added=True)  # subscribed earlier in this sync, not processed yet
    ledger.note({WEBINAR}, ["1"], added=False)  # taken off earlier in this sync, the read still has it
    stale = step("1", lists={C: frozenset({"2"})}, asks={WEBINAR: True})
    plan = plan_subscriptions([stale], frozenset({ONBOARDING}), ledger.done)
    assert plan.add == {(C, frozenset({"2"})): ["1"]}  # Onboarding not again; Webinar is off by now


def test_unknown_membership_subscribes_only_contacts_this_sync_created() -> None:
    created = step("1", Kind.CREATE, known=False, created=True)
    existing = step("2", lists={})  # the lookup did not return the fields
    merged = step("3", Kind.CREATE, known=False)  # a create that merged into a contact the lookup missed
    plan = plan_subscriptions([created, existing, merged], frozenset({ONBOARDING, WELCOME}), UNTOUCHED)
    assert plan.add == {(C, frozenset({"1"})): ["1"], (S, frozenset({"7"})): ["1"]}
    assert plan.left_off == ["2", "3"]


def test_taking_off_goes_where_the_contact_is_on_it_or_might_be() -> None:
    on_it = step("1", lists={C: frozenset({"1"})}, asks={ONBOARDING: False})
    off_it = step("2", lists={C: frozenset()}, asks={ONBOARDING: False})
    unknown = step("3", lists={}, asks={ONBOARDING: False})
    plan = plan_subscriptions([on_it, off_it, unknown], frozenset(), UNTOUCHED)
    assert plan.remove == {(C, frozenset({"1"})): ["1", "3"]} and plan.unsubscriptions == 2


def test_a_record_that_removes_a_list_the_config_adds_is_taken_off_it() -> None:
    both = step("1", lists={C: frozenset({"1"})}, asks={ONBOARDING: False})
    plan = plan_subscriptions([both], frozenset({ONBOARDING}), UNTOUCHED)
    assert plan.add == {} and plan.remove == {(C, frozenset({"1"})): ["1"]}


def test_rejected_skipped_and_removed_records_get_no_call_and_a_dry_runs_creates_are_counted() -> None:
    rejected = step("1", lists={C: frozenset()})
    rejected.rejected = "refused"
    skipped = step(None, Kind.SKIP, known=False)
    removed = step("3", Kind.REMOVE, lists={C: frozenset()})
    would_create = step(None, Kind.CREATE, known=False)
    plan = plan_subscriptions([rejected, skipped, removed, would_create], frozenset({ONBOARDING}), UNTOUCHED)
    assert plan.add == {} and plan.remove == {}
    assert plan.subscribed_once_created == 1


def test_lists_after_keeps_what_is_known_and_leaves_unknown_kinds_unknown() -> None:
    found = step("1", lists={C: frozenset({"2"})}, asks={WELCOME: True, WEBINAR: False})
    assert lists_after(found, frozenset({ONBOARDING})) == {C: frozenset({"1"})}
    created = step("2", Kind.CREATE, known=False, created=True)
    assert lists_after(created, frozenset({ONBOARDING, WELCOME})) == {
        C: frozenset({"1"}),
        S: frozenset({"7"}),
    }


def test_membership_fields_parse_as_ontraport_writes_them_and_a_missing_one_is_not_known() -> None:
    assert list_ids("*/*3*/*5*/*") == {"3", "5"} and list_ids("5") == {"5"}
    assert list_ids("") == frozenset() and list_ids("*/**/*") == frozenset() and list_ids(None) == frozenset()
    assert row_lists({"id": "1", "updateCampaign": "*/*3*/*"}) == {C: frozenset({"3"})}
    assert row_lists({"id": "1"}) == {}
