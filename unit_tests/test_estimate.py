"""A dry run's estimate of the real sync's requests: the arithmetic (tag calls, blind writes that
meet an existing record, the sentence with its time), the removals the remover would send, and a
writer's dry-run rounds against a fake client whose real run is counted the same way."""

from __future__ import annotations

from destination_ontraport.write.batch import MappedRecord, PendingRecord
from destination_ontraport.write.dry_run import DryRun
from destination_ontraport.write.estimate import (
    RequestEstimate,
    duration,
    round_requests,
    split_blind,
    tag_calls,
)
from destination_ontraport.write.known_records import KnownRecord
from destination_ontraport.write.planner import Kind, Step, TagPlan
from destination_ontraport.write.removal import RemovalGuard, Remover
from unit_tests.test_object_writer import CONTACTS, FakeClient, make_writer


def step(key: str, kind: Kind, *, blind: bool = False, known: bool = False) -> Step:
    pending = PendingRecord(key, {"email": key}, [(1, "s")], True)
    record = KnownRecord("1", {"email": key}) if known else None
    return Step(pending, kind, known=record, blind=blind)


def test_the_sentence_gives_the_total_its_time_at_the_allowed_rate_and_each_action() -> None:
    estimate = RequestEstimate(set_up=6, lookups=105, creates=4_959, tag_calls=10)
    assert estimate.total == 5_080
    assert estimate.describe(180.0) == (
        "about 5,080 requests: 28 minutes at 180 a minute "
        "(lookups 105, creates 4,959, updates 0, tag calls 10, removals 0, set-up 6)"
    )
    assert estimate.as_dict(180.0)["minutes"] == 28.2
    assert (duration(0.4), duration(1.2), duration(150)) == ("under a minute", "1 minute", "2.5 hours")


def test_tag_calls_are_one_per_set_of_tags_per_500_records_created_ones_included() -> None:
    a, b = frozenset({"1"}), frozenset({"1", "2"})
    plan = TagPlan(
        add={a: [str(i) for i in range(600)], b: ["1"]},
        remove={a: ["5"]},
        once_created={a: 500, frozenset({"3"}): 1},
    )
    assert tag_calls(plan) == 3 + 1 + 1 + 1  # a: 1,100 records; b; the created set; one removal


def test_blind_writes_until_the_first_existing_record_then_the_rest_are_looked_up() -> None:
    steps = [
        step("a", Kind.CREATE, blind=True),
        step("b", Kind.UNCHANGED, blind=True, known=True),  # saveorupdate would merge it: 1 update
        step("c", Kind.CREATE, blind=True),  # held back, looked up, created
        step("d", Kind.UNCHANGED, blind=True, known=True),  # held back, looked up: no write
        step("e", Kind.UPDATE, known=True),  # looked up as usual
    ]
    merge, deferred = split_blind(steps)
    assert merge is steps[1] and deferred == steps[2:4]
    estimate = round_requests(steps, merge, lookups=2, tags=1)
    assert (estimate.lookups, estimate.creates, estimate.updates, estimate.tag_calls) == (2, 2, 2, 1)
    assert split_blind(steps[:1]) == (None, [])


def test_a_dry_run_counts_what_its_remover_would_send() -> None:
    remover = Remover(FakeClient(), RemovalGuard(10_000), ["7"], sends=False)
    remover.remove(CONTACTS, [str(i) for i in range(1, 451)], "delete", "test")
    assert remover.planned_requests == 3 + 2, "three chunks of 200, and the counts around the first delete"
    remover.remove(CONTACTS, ["9"], "delete", "test")
    remover.remove(CONTACTS, ["9"], "remove_tags", "test")
    assert remover.planned_requests == 7


def run_both(existing: list[str], records: list[str]) -> tuple[int, int]:
    """(the dry run's estimate of the rounds, the requests the real writer then sends), on the same
    fake account, one request at a time (so that a merge holds back the same records)."""
    totals = []
    for dry in (True, False):
        client = FakeClient()
        client.max_in_flight = 1
        for email in existing:
            client.add(email=email, firstname="Same", contact_cat="*/*7*/*")
        writer, report = make_writer(client, dry_run=DryRun() if dry else None)
        writer.writer.expect_no_records()
        for position, email in enumerate(records):
            writer.add(MappedRecord(email, {"email": email, "firstname": "Same"}, position, "s"))
            if position % 100 == 99:
                writer.flush()
        writer.flush()
        writer.close()
        totals.append(report.estimate.total if dry else len(client.calls))
    return totals[0], totals[1]


def test_the_writers_estimate_is_what_the_real_writer_sends() -> None:
    new = [f"n{i}@x.com" for i in range(250)]
    assert run_both([], new) == (250 + 3, 250 + 3), "a create each, and a tag call per round of 100"
    old = [f"o{i}@x.com" for i in range(120)]
    mixed = [*new[:50], *old, *new[50:]]
    estimated, sent = run_both(old, mixed)
    assert estimated == sent


def test_a_record_repeated_in_a_later_batch_is_estimated_as_the_real_sync_writes_it() -> None:
    """The real sync knows, in a later batch, the contact it created in an earlier one: no lookup and
    no write for an unchanged repeat; the dry run plans the repeat against what it would have created."""
    first = [f"r{i}@x.com" for i in range(150)]
    assert run_both([], [*first, *first]) == (150 + 2, 150 + 2)
