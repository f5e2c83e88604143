"""The pure part of a write: (pending records, what the lookup found) -> what to do with each.

No I/O and no state: the same inputs always give the same plan, so the decisions that make a sync
request-frugal (unchanged -> nothing, changed -> only the changed fields, tags only where missing)
are unit-tested directly. The executor carries a plan out; the dry run only describes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from destination_ontraport.write.batch import PendingRecord
from destination_ontraport.write.known_records import KnownRecord

Equal = Callable[[str, str, Any], bool]
"""(field name, our wire value, what Ontraport holds) -> whether writing would change nothing."""


class Kind(Enum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    SKIP = "skip"  # nothing to do: an update-only record not in Ontraport, a removal of an absent one
    REMOVE = "remove"


@dataclass(slots=True)
class Step:
    """One record's planned action; the executor fills in the result (`record_id` of a create,
    `created`, `rejected`) and may change `kind` (an update whose record vanished becomes a create).

    `blind`: planned without a lookup (see cold_start.py): a create by saveorupdate whose answer says
    whether the record existed; a merge makes it an update of every field sent. `deferred`: a blind
    step the executor did not send because an earlier merge showed that lookups pay again: the writer
    looks it up and plans it anew."""

    pending: PendingRecord
    kind: Kind
    record_id: str | None = None
    known: KnownRecord | None = None
    changed: dict[str, str] = field(default_factory=dict)
    created: bool = False
    rejected: str | None = None
    blind: bool = False
    deferred: bool = False

    @property
    def written(self) -> bool:
        """The record exists in Ontraport as the records say (tags are still to come)."""
        return (
            self.rejected is None and self.record_id is not None and self.kind not in (Kind.SKIP, Kind.REMOVE)
        )


def plan_records(
    batch: Sequence[PendingRecord], known: Mapping[str, KnownRecord], equal: Equal, *, removes: bool
) -> list[Step]:
    """`removes`: whether a removal is acted on at all (`deleted_records: ignore` skips them)."""
    return [_plan(pending, known.get(pending.key), equal, removes) for pending in batch]


def _plan(pending: PendingRecord, record: KnownRecord | None, equal: Equal, removes: bool) -> Step:
    if pending.remove:
        if record is None or not removes:
            return Step(pending, Kind.SKIP)
        return Step(pending, Kind.REMOVE, record.id, record)
    if record is None:
        return Step(pending, Kind.CREATE if pending.may_create else Kind.SKIP)
    held = record.values
    if pending.fields.items() <= held.items():  # every value identical: one C-level check
        return Step(pending, Kind.UNCHANGED, record.id, record)
    changed = changed_fields(pending.fields, held, equal)
    return Step(pending, Kind.UPDATE if changed else Kind.UNCHANGED, record.id, record, changed)


def changed_fields(fields: Mapping[str, str], held: Mapping[str, Any], equal: Equal) -> dict[str, str]:
    """The fields whose value Ontraport does not hold already: all that an update needs to send."""
    return {
        name: value
        for name, value in fields.items()
        # identical strings first: most values of a re-sync are, and the typed comparison costs more
        if held.get(name) != value and not equal(name, value, held.get(name))
    }


@dataclass
class TagPlan:
    """Tag calls: per set of tag ids, the records to add them to (or take them from).
    `tagged_once_created`: records planned for creation but not created (a dry run's), which would
    get tags once they have an id; carrying a plan out leaves none. `once_created`: the same records
    per set of tags they would get (the dry run's estimate counts the tag calls they would need)."""

    add: dict[frozenset[str], list[str]] = field(default_factory=dict)
    remove: dict[frozenset[str], list[str]] = field(default_factory=dict)
    tagged_once_created: int = 0
    once_created: dict[frozenset[str], int] = field(default_factory=dict)

    def touches(self) -> set[str]:
        """The ids of the records a tag call adds tags to or takes tags from."""
        return {record for groups in (self.add, self.remove) for ids in groups.values() for record in ids}

    @property
    def tagged(self) -> int:
        return sum(len(ids) for ids in self.add.values())


def plan_tags(steps: Iterable[Step], always: frozenset[str], tag_id: Mapping[str, str]) -> TagPlan:
    """After the writes: each written record gets the tags it lacks (`always`, the config's, plus
    those its records asked for) and loses those its records asked to remove, where it holds them.
    Tags unknown (not listed by the read) count as lacking and as held: tagging is idempotent.
    Records that want the same set share a call, so a batch costs one call per set of tags."""
    plan = TagPlan()
    for step in steps:
        if step.kind is Kind.CREATE and step.record_id is None and step.rejected is None:
            if always or any(step.pending.tags.values()):
                plan.tagged_once_created += 1
                wanted, _ = _asked(step, always, tag_id)
                plan.once_created[wanted] = plan.once_created.get(wanted, 0) + 1
            continue
        if not step.written or step.record_id is None:
            continue
        wanted, unwanted = _asked(step, always, tag_id)
        held = _held(step)
        missing = frozenset(wanted - held) if held is not None else wanted
        present = frozenset(unwanted & held) if held is not None else unwanted
        if missing:
            plan.add.setdefault(missing, []).append(step.record_id)
        if present:
            plan.remove.setdefault(present, []).append(step.record_id)
    return plan


def tags_after(step: Step, always: frozenset[str], tag_id: Mapping[str, str]) -> frozenset[str] | None:
    """What a written record holds once its tag plan ran (None: still unknown: it holds ours, and
    perhaps others that a later removal must not take for absent)."""
    held = _held(step)
    if held is None:
        return None
    wanted, unwanted = _asked(step, always, tag_id)
    return frozenset((held | wanted) - unwanted)


def _asked(
    step: Step, always: frozenset[str], tag_id: Mapping[str, str]
) -> tuple[frozenset[str], frozenset[str]]:
    asked = step.pending.tags
    unwanted = frozenset(tag_id[name] for name, add in asked.items() if not add and name in tag_id)
    wanted = (always | {tag_id[name] for name, add in asked.items() if add and name in tag_id}) - unwanted
    return frozenset(wanted), unwanted


def _held(step: Step) -> frozenset[str] | None:
    """The tags the record holds before the plan: none when this sync created it; unknown (None)
    when no read listed them, or when saveorupdate merged into a record no lookup had found."""
    if step.created:
        return frozenset()
    if step.known is None:
        return None if step.record_id is not None else frozenset()
    return step.known.tag_ids
