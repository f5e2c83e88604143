"""The pure part of campaigns and sequences: (the batch's written records, what they hold) -> the
subscribe and unsubscribe calls, the fewest that leave every contact on exactly what it asks for.

Like tags (`planner.plan_tags`), after the writes: contacts that want the same set of campaigns (or
sequences) share one call. Unlike tags, subscribing is not harmless twice: whether subscribing a
contact already on a campaign restarts it (and sends its messages again) is not settled (§13 A5).
So "never twice" wins over "always subscribed" wherever the two disagree:

- a contact whose read says it is on the list is not subscribed to it;
- a contact this sync already subscribed (the ledger, shared by every writer) is not subscribed
  again, whatever a read says (Ontraport may not have processed it yet);
- a contact whose membership is not known (the read did not return the field) is subscribed only
  when this sync created it (a new contact is on nothing); an existing one is left off and counted,
  so that the log and the summary can say so;
- taking a contact off a list it is not on changes nothing, so an unknown membership is taken off.

No I/O, no state: `done` is a read of what this sync already sent. Unit-tested directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from destination_ontraport.model.automations import ListKind, ListRef
from destination_ontraport.write.planner import Kind, Step

Done = Callable[[ListRef, str], bool | None]
"""(list, contact id) -> True: this sync put the contact on it, False: took it off, None: untouched."""

Group = tuple[ListKind, frozenset[str]]
"""One call's lists: a kind and its list ids."""


@dataclass
class SubscriptionPlan:
    """Calls per set of lists: the contacts to put on them (`add`) or take off (`remove`).
    `left_off`: existing contacts not subscribed because their membership could not be read;
    `subscribed_once_created`: subscriptions a dry run's creates would get once they have an id
    (carrying a plan out leaves none)."""

    add: dict[Group, list[str]] = field(default_factory=dict)
    remove: dict[Group, list[str]] = field(default_factory=dict)
    left_off: list[str] = field(default_factory=list)
    subscribed_once_created: int = 0

    @property
    def subscriptions(self) -> int:
        """Subscriptions the calls make: one per contact and list."""
        return sum(len(lists) * len(ids) for (_, lists), ids in self.add.items())

    @property
    def unsubscriptions(self) -> int:
        return sum(len(lists) * len(ids) for (_, lists), ids in self.remove.items())


def plan_subscriptions(steps: Iterable[Step], always: frozenset[ListRef], done: Done) -> SubscriptionPlan:
    """`always`: the lists every written contact is put on (the config's `campaigns` and
    `sequences`); a record's own asks (`Add to Campaigns`, ...) come on top, its removals win."""
    plan = SubscriptionPlan()
    for step in steps:
        wanted, unwanted = asked(step, always)
        if not wanted and not unwanted:
            continue
        if step.kind is Kind.CREATE and step.record_id is None and step.rejected is None:
            plan.subscribed_once_created += len(wanted)  # a dry run's create: on nothing yet
            continue
        if not step.written or step.record_id is None:
            continue
        _plan_one(plan, step, step.record_id, (wanted, unwanted), done)
    return plan


def _plan_one(
    plan: SubscriptionPlan,
    step: Step,
    contact_id: str,
    asks: tuple[frozenset[ListRef], frozenset[ListRef]],
    done: Done,
) -> None:
    wanted, unwanted = asks
    adding: dict[ListKind, set[str]] = {}
    removing: dict[ListKind, set[str]] = {}
    left = False
    for ref in wanted:
        already = done(ref, contact_id)
        held = held_lists(step, ref[0])
        if already is True or (already is None and held is not None and ref[1] in held):
            continue
        if already is None and held is None:
            left = True
            continue
        adding.setdefault(ref[0], set()).add(ref[1])
    for ref in unwanted:
        already = done(ref, contact_id)
        held = held_lists(step, ref[0])
        if already is False or (already is None and held is not None and ref[1] not in held):
            continue
        removing.setdefault(ref[0], set()).add(ref[1])
    for kind, ids in adding.items():
        plan.add.setdefault((kind, frozenset(ids)), []).append(contact_id)
    for kind, ids in removing.items():
        plan.remove.setdefault((kind, frozenset(ids)), []).append(contact_id)
    if left:
        plan.left_off.append(contact_id)


def asked(step: Step, always: frozenset[ListRef]) -> tuple[frozenset[ListRef], frozenset[ListRef]]:
    """(the lists the contact should be on, those it should be off), from `always` and its records."""
    lists = step.pending.lists
    unwanted = frozenset(ref for ref, add in lists.items() if not add)
    wanted = (always | {ref for ref, add in lists.items() if add}) - unwanted
    return frozenset(wanted), unwanted


def held_lists(step: Step, kind: ListKind) -> frozenset[str] | None:
    """The list ids of `kind` the contact is on as far as the writes know: none for a contact this
    sync created, what the lookup read for a found one, None when the read did not say (or the
    contact was found by a create that merged, with no read to go by)."""
    if step.created:
        return frozenset()
    if step.known is None:
        return None
    return step.known.lists.get(kind)


def lists_after(step: Step, always: frozenset[ListRef]) -> dict[ListKind, frozenset[str]]:
    """What a written contact is on once its plan ran, per kind known (for the writer's memory of
    records; an unknown kind stays unknown: the ledger still knows what this sync did)."""
    wanted, unwanted = asked(step, always)
    after: dict[ListKind, frozenset[str]] = {}
    for kind in ListKind:
        held = held_lists(step, kind)
        if held is None:
            continue
        add = {list_id for ref_kind, list_id in wanted if ref_kind is kind}
        drop = {list_id for ref_kind, list_id in unwanted if ref_kind is kind}
        after[kind] = frozenset((held | add) - drop)
    return after


__all__ = ["Done", "SubscriptionPlan", "asked", "held_lists", "lists_after", "plan_subscriptions"]
