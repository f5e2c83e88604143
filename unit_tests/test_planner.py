"""The planner is pure: these tests give it records and what a lookup found, and read the plan."""

from __future__ import annotations

from typing import Any

from destination_ontraport.write.batch import Batch, MappedRecord, PendingRecord
from destination_ontraport.write.known_records import KnownRecord
from destination_ontraport.write.planner import Kind, Step, plan_records, plan_tags, tags_after


def same_text(name: str, ours: str, theirs: Any) -> bool:
    return ours == ("" if theirs is None else str(theirs))


def pending(key: str, removal: bool = False, may_create: bool = True, **fields: str) -> PendingRecord:
    return PendingRecord(key, {"email": key, **fields}, [(1, "s")], may_create, remove=removal)


def test_new_unchanged_changed_and_update_only_records() -> None:
    known = {
        "same@x.io": KnownRecord("1", {"email": "same@x.io", "firstname": "A"}),
        "diff@x.io": KnownRecord("2", {"email": "diff@x.io", "firstname": "A", "city": "Rome"}),
    }
    batch = [
        pending("new@x.io", firstname="N"),
        pending("same@x.io", firstname="A"),
        pending("diff@x.io", firstname="B", city="Rome"),
        pending("absent@x.io", may_create=False, firstname="U"),
    ]
    steps = plan_records(batch, known, same_text, removes=True)
    assert [s.kind for s in steps] == [Kind.CREATE, Kind.UNCHANGED, Kind.UPDATE, Kind.SKIP]
    assert steps[2].changed == {"firstname": "B"}, "only what differs is sent"
    assert (steps[1].record_id, steps[2].record_id) == ("1", "2")


def test_a_typed_comparison_that_says_equal_makes_no_update() -> None:
    known = {"n@x.io": KnownRecord("3", {"email": "n@x.io", "f1002": "10.50"})}
    steps = plan_records(
        [pending("n@x.io", f1002="10.5")], known, lambda n, a, b: float(a) == float(b), removes=True
    )
    assert steps[0].kind is Kind.UNCHANGED and steps[0].changed == {}


def test_removals_act_only_on_records_found_and_only_when_removals_are_on() -> None:
    known = {"gone@x.io": KnownRecord("4", {"email": "gone@x.io"})}
    batch = [pending("gone@x.io", removal=True), pending("never@x.io", removal=True)]
    assert [s.kind for s in plan_records(batch, known, same_text, removes=True)] == [Kind.REMOVE, Kind.SKIP]
    assert [s.kind for s in plan_records(batch, known, same_text, removes=False)] == [Kind.SKIP, Kind.SKIP]


def test_collapse_merges_in_arrival_order_and_a_removal_replaces_earlier_writes() -> None:
    batch = Batch()
    batch.add(MappedRecord("a", {"email": "a", "firstname": "One", "city": "X"}, 1, "s"))
    batch.add(MappedRecord("a", {"email": "a", "firstname": "Two"}, 2, "s", tags={"VIP": True}))
    batch.add(MappedRecord("a", {"email": "a"}, 3, "s", tags={"VIP": False}))
    batch.add_removal(MappedRecord("b", {"email": "b"}, 4, "s"))
    batch.add(MappedRecord("b", {"email": "b", "firstname": "Back"}, 5, "s"))
    (a, b) = batch.take()
    assert a.fields == {"email": "a", "firstname": "Two", "city": "X"} and a.tags == {"VIP": False}
    assert not b.remove and b.fields["firstname"] == "Back" and b.sources == [(4, "s"), (5, "s")]
    assert len(batch) == 0 and batch.records == 0


def written(
    record_id: str, tags: frozenset[str] | None, asked: dict[str, bool], created: bool = False
) -> Step:
    step = Step(PendingRecord(record_id, {}, [(1, "s")], True, tags=asked), Kind.UNCHANGED, record_id)
    step.known = None if created else KnownRecord(record_id, {}, tags)
    step.created = created
    return step


def test_tags_are_planned_per_set_and_only_where_missing_or_held() -> None:
    ids = {"VIP": "5", "Old": "6"}
    steps = [
        written("1", frozenset({"7"}), {}),  # has the config tag: nothing
        written("2", frozenset(), {}),  # lacks it
        written("3", frozenset({"7", "6"}), {"VIP": True, "Old": False}),  # wants VIP, drops Old
        written("4", None, {"Old": False}),  # tags unknown: add ours, remove Old anyway
        written("5", frozenset(), {"VIP": True}, created=True),
    ]
    plan = plan_tags(steps, frozenset({"7"}), ids)
    assert plan.add == {frozenset({"7"}): ["2", "4"], frozenset({"5"}): ["3"], frozenset({"5", "7"}): ["5"]}
    assert plan.remove == {frozenset({"6"}): ["3", "4"]}
    assert plan.tagged == 4
    assert tags_after(steps[2], frozenset({"7"}), ids) == frozenset({"7", "5"})


def test_rejected_skipped_and_removed_records_get_no_tags() -> None:
    rejected = written("1", frozenset(), {})
    rejected.rejected = "refused"
    skipped = written("2", frozenset(), {})
    skipped.kind = Kind.SKIP
    assert plan_tags([rejected, skipped], frozenset({"7"}), {}).add == {}
