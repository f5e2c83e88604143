"""Batches of one object's records -> the fewest Ontraport requests that leave them as the records say.

Per flush: collapse (done on add), bulk lookup of the records not already known, plan (pure, see
`planner.py`), execute (writes, removals), then one tag call per set of tags per 500 records, then
one subscribe call per set of campaigns (or sequences) per 500 contacts (`subscription_plan.py`). The
writer returns what it did (`WriteOutcome`) and changes nothing else of the sync: the message loop
counts the outcome in and alone emits STATE.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol

from destination_ontraport.model.automations import ListKind
from destination_ontraport.model.coercion import record_id
from destination_ontraport.model.mapping import case_unsettled, key_normaliser, values_equal
from destination_ontraport.model.objects import RECORD_ID_FIELD
from destination_ontraport.model.system_fields import TAG_FIELD
from destination_ontraport.model.text import excerpt
from destination_ontraport.ontraport.client import RecordApi, pages
from destination_ontraport.write.batch import Batch, MappedRecord, PendingRecord
from destination_ontraport.write.cold_start import LookupSkipping
from destination_ontraport.write.dry_run import DryRun
from destination_ontraport.write.estimate import RequestEstimate, round_requests, split_blind, tag_calls
from destination_ontraport.write.executor import ApiExecutor, DryRunExecutor, Executor, RecordChecks, removes
from destination_ontraport.write.known_records import KnownRecord, KnownRecords, row_lists, row_tag_ids
from destination_ontraport.write.outcome import RefusedRecord, WriteOutcome
from destination_ontraport.write.parallel import Workers
from destination_ontraport.write.planner import Kind, Step, TagPlan, plan_records, plan_tags, tags_after
from destination_ontraport.write.progress import NO_PROGRESS, ProgressSink
from destination_ontraport.write.removal import Remover
from destination_ontraport.write.results import record_results
from destination_ontraport.write.settings import WriterSettings
from destination_ontraport.write.subscriber import ApiSubscriber, DryRunSubscriber, Subscriber
from destination_ontraport.write.subscription_ledger import SubscriptionLedger
from destination_ontraport.write.subscription_plan import lists_after, plan_subscriptions

logger = logging.getLogger("airbyte")

PLANNED_ID = "new"
"""A dry run's stand-in id for a record the real sync would create (never sent: a dry run sends no
write, and the client refuses any id that is not a number)."""


class TagIdsByName(Protocol):
    """(tag names, object type id) -> {name: tag id}; missing tags are created only with `create`
    (see TagBook.ids_by_name)."""

    def __call__(
        self, names: Sequence[str], object_type_id: int, *, create: bool = True
    ) -> Mapping[str, str]: ...


class ObjectWriter:
    """Writes the records of one object type, matched by one key field (see WriterSettings).
    `tag_ids_by_name` resolves the tags records ask for; `remover` takes records away; `dry_run`
    (None in a real sync) makes the writer describe its plans instead of carrying them out."""

    def __init__(
        self,
        client: RecordApi,
        settings: WriterSettings,
        *,
        tag_ids_by_name: TagIdsByName | None = None,
        remover: Remover | None = None,
        dry_run: DryRun | None = None,
        progress: ProgressSink = NO_PROGRESS,
        pause: Callable[[float], None] = time.sleep,
    ) -> None:
        key, ignores_case = settings.key, settings.ignores_case
        self._client = client
        self.obj = settings.obj
        self.key = key
        self._normalise_key = key_normaliser(key, ignores_case) if key is not None else str.strip
        self._always = settings.tag_ids  # the config's tags, added to every record written
        self._tag_ids_by_name = tag_ids_by_name
        self._removal = settings.removal
        self._remover = remover
        # Also look emails up as lower-cased, unless Ontraport proved to compare them ignoring case:
        # on an account that compares by case, `Ann@x.io` would not find a stored `ann@x.io`.
        self._case_variants = ignores_case is not True and key is not None and key.type == "email"
        self._track_seen = settings.track_seen
        self._reject_absent = settings.reject_absent
        self.seen_ids: set[str] = set()  # every record this sync wrote or found unchanged
        self._batch = Batch(str.casefold if case_unsettled(key, ignores_case) else None)
        self._workers = Workers(client.max_in_flight, progress.tick)
        self._lists = settings.lists  # the config's campaigns and sequences, for every record written
        self._unreadable: set[ListKind] = set()  # kinds whose membership the lookups proved not to return
        ledger = settings.subscriptions if settings.subscriptions is not None else SubscriptionLedger()
        self._ledger = ledger
        self._executor: Executor
        self._subscriber: Subscriber
        # Lookups an upsert by email may skip (cold_start.py); a dry run asks the same, to estimate.
        merges = key is not None and settings.obj.merges_on(key)
        self._skipping = LookupSkipping(merges, self.key_name, case_safe=ignores_case is True)
        self._estimate: DryRun | None = dry_run  # a dry run estimates what the real sync would spend
        self._estimate_settled = False  # the estimate counted the lookup that settles `ids=0`
        # A dry run remembers what the real sync would know after each batch (a record it would have
        # created included, under PLANNED_ID): a record repeated in a later batch is then planned,
        # and its requests estimated, as the real sync would plan it.
        self._known = KnownRecords()
        if dry_run is None:
            checks = RecordChecks(self._find_one, self._equal)
            self._executor = ApiExecutor(client, settings, self._workers, checks, remover, progress, pause)
            self._subscriber = ApiSubscriber(client, self._workers, ledger)
        else:
            self._executor = DryRunExecutor(settings, dry_run, remover)
            self._subscriber = DryRunSubscriber(ledger)

    @property
    def pending_records(self) -> int:
        return self._batch.records

    def match_key(self, fields: Mapping[str, str]) -> str:
        """The identity of the record these mapped fields name: its key field's value, compared as
        this writer's lookups compare it (see key_normaliser). Every stream keys its records by it."""
        return self._normalise_key(fields.get(self.key.name) or "") if self.key is not None else ""

    def add(self, record: MappedRecord) -> None:
        self._batch.add(record)

    def add_removal(self, record: MappedRecord) -> None:
        self._batch.add_removal(record)

    def close(self) -> None:
        self._workers.close()

    def flush(self) -> Iterator[WriteOutcome]:
        """Write everything pending, round by round (see Batch), yielding what each round did: the
        caller counts it in and runs this to its end. Raises (after in-flight requests settle) on a
        failure that must stop the sync; the caller then emits no STATE for these records."""
        while batch := self._batch.take():
            yield self._write_round(batch)

    def _write_round(self, batch: Sequence[PendingRecord]) -> WriteOutcome:
        known, missing = self._remembered(batch)
        # A contact written blind that turns out to exist has no read of its campaigns and sequences:
        # the subscription plan leaves it off them (never twice; subscription_plan.held_lists).
        blind = self._skipping.blind(missing)
        looked = [pending for pending in missing if pending.key not in blind]
        # A dry run looks every record up (it must say what each would become) and counts the lookups
        # the real sync would make; a real sync looks up only the records it does not write blind.
        known.update(self._fetch(missing if self._estimate is not None else looked))
        self._skipping.looked_up(len(looked), sum(1 for pending in looked if pending.key in known))
        steps = plan_records(batch, known, self._equal, removes=self._removal is not None)
        if blind:
            for step in steps:
                step.blind = step.pending.key in blind
        if self._reject_absent:
            self._reject_missing(steps)
        self._executor.execute(steps)
        if self._estimate is None:
            steps = self._write_deferred(steps)
        tag_id = self._record_tag_ids(steps)
        tag_plan = plan_tags(steps, self._always, tag_id)
        outcome = WriteOutcome(tagged=self._executor.apply_tags(tag_plan))
        subscribed = self._subscribe(steps, outcome)
        if self._estimate is not None:
            outcome.requests = self._estimate_round(steps, looked, tag_plan)
        for step in steps:
            self._count(step, outcome)
            self._remember(step, tag_id)
        outcome.results = record_results(
            steps,
            self.obj,
            tag_plan.touches(),
            removal=self._removal,
            removal_tags=self._always,
            keyed=self.key is not None,
            subscribed_ids=subscribed,
        )
        self._settle_read_mode(steps)
        return outcome

    # --- records written without a lookup ------------------------------------------------------
    def expect_no_records(self) -> None:
        """Set-up found no record of this object type in the account: nothing can be found yet, so an
        upsert by email writes without looking up from the first batch on (see cold_start.py)."""
        self._skipping.start_cold()

    def _write_deferred(self, steps: list[Step]) -> list[Step]:
        """After a blind write merged into an existing record: back to lookups, and the blind steps
        the executor held back are looked up, planned and written now."""
        if any(step.blind and step.kind is Kind.UPDATE and not step.deferred for step in steps):
            self._skipping.merged()
        deferred = [step.pending for step in steps if step.deferred]
        if not deferred:
            return steps
        known = self._fetch(deferred)
        self._skipping.looked_up(len(deferred), len(known))
        planned = plan_records(deferred, known, self._equal, removes=self._removal is not None)
        again = {step.pending.key: step for step in planned}
        self._executor.execute(list(again.values()))
        return [again.get(step.pending.key, step) if step.deferred else step for step in steps]

    def _estimate_round(
        self, steps: Sequence[Step], looked: Sequence[PendingRecord], plan: TagPlan
    ) -> RequestEstimate:
        """A dry run's round, as the real sync would spend it: its lookups (not the blind records'),
        a blind write that meets an existing record and the lookups of the blind records after it
        (split_blind), the lookup that settles `ids=0`, and one tag call per set per 500 records."""
        merge, deferred = split_blind(steps)
        lookups = self._lookup_requests(looked)
        if merge is not None:
            self._skipping.merged()
            lookups += self._lookup_requests([step.pending for step in deferred])
            self._skipping.looked_up(len(deferred), sum(1 for step in deferred if step.known is not None))
        if self._settles_read_mode(steps) and not self._estimate_settled:
            self._estimate_settled = True
            lookups += 1
        return round_requests(steps, merge, lookups=lookups, tags=tag_calls(plan))

    # --- lookup ------------------------------------------------------------------------------
    def _remembered(
        self, batch: Sequence[PendingRecord]
    ) -> tuple[dict[str, KnownRecord], list[PendingRecord]]:
        """(what this sync already knows of the batch's records, the records to look up): a record
        whose fields are all known needs no lookup; a keyless record none at all."""
        known: dict[str, KnownRecord] = {}
        missing: list[PendingRecord] = []
        for pending in batch:
            cached = self._known.get(pending.key)
            if (
                cached is not None
                and all(name in cached.values for name in pending.fields)
                and self._lists_needed(pending) <= cached.lists.keys()
            ):
                known[pending.key] = cached
            elif self.key is not None:
                missing.append(pending)
        return known, missing

    def _lookup_plan(self, missing: Sequence[PendingRecord]) -> tuple[list[list[str]], list[str]]:
        """(the values of each lookup request, the fields they list): pure, sends nothing. The fields
        include the membership fields of the campaigns and sequences the records need."""
        extra = [*self._tag_field(), *(kind.field for kind in self._kinds_needed(missing))]
        list_fields = sorted({"id", self.key_name, *extra}.union(*(p.fields for p in missing)))
        if self.key is RECORD_ID_FIELD:
            return self._client.lookup_chunks(
                self.obj, "id", [p.key for p in missing], list_fields
            ), list_fields
        values: dict[str, None] = {}
        for pending in missing:
            values[pending.fields[self.key_name]] = None
            if self._case_variants:
                values[pending.key] = None  # the lower-cased form, when it differs
        return self._client.lookup_chunks(self.obj, self.key_name, list(values), list_fields), list_fields

    def _lookup_requests(self, missing: Sequence[PendingRecord]) -> int:
        return len(self._lookup_plan(missing)[0]) if missing and self.key is not None else 0

    def _fetch(self, missing: Sequence[PendingRecord]) -> dict[str, KnownRecord]:
        """The records Ontraport holds for `missing`, by match key, in bulk lookups."""
        if not missing:
            return {}
        chunks, list_fields = self._lookup_plan(missing)
        if self.key is RECORD_ID_FIELD:
            found_rows = self._workers.map(
                lambda ids: self._client.find_by_ids(self.obj, ids, list_fields), chunks
            )
        else:
            found_rows = self._workers.map(lambda c: self._find_all(c, list_fields), chunks)
        found: dict[str, KnownRecord] = {}
        for rows in found_rows:
            for row in rows:
                self._learn(found, row)
        self._note_unreadable(self._kinds_needed(missing), found_rows)
        folded = _fold(found)
        known: dict[str, KnownRecord] = {}
        for pending in missing:
            record = found.get(pending.key) or _only(folded.get(pending.key.casefold()))
            if record is not None:
                known[pending.key] = record
        return known

    def _kinds_needed(self, missing: Sequence[PendingRecord]) -> set[ListKind]:
        return set().union(*(self._lists_needed(p) for p in missing))

    def _lists_needed(self, pending: PendingRecord) -> set[ListKind]:
        """The kinds of list whose membership a lookup of this record must read: those its records
        or the config put it on or take it off, except kinds the lookups proved not to return."""
        kinds = {kind for kind, _ in self._lists} | {kind for kind, _ in pending.lists}
        return kinds - self._unreadable

    def _note_unreadable(self, kinds: set[ListKind], found_rows: Sequence[Sequence[dict[str, Any]]]) -> None:
        """A row without a membership field that its lookup listed: this account's collection reads
        do not return it (§13 A1, A2), as they may leave out `contact_cat`. Said once per kind."""
        for kind in kinds:
            if any(kind.field not in row for rows in found_rows for row in rows):
                self._unreadable.add(kind)
                logger.warning(
                    f"Ontraport's lookups do not say which {kind.plural} a contact is on (the field "
                    f"{kind.field} was asked for and not returned). So that no contact is ever subscribed "
                    f"twice, only contacts this sync creates are put on {kind.plural}; existing contacts are "
                    "left off, counted, and named in the summary (subscriptions_left_off)."
                )

    @property
    def key_name(self) -> str:
        return self.key.name if self.key is not None else "id"

    def _tag_field(self) -> list[str]:
        return [TAG_FIELD] if self.obj.has_tags else []

    def _find_all(self, values: Sequence[str], list_fields: Sequence[str]) -> list[dict[str, Any]]:
        """All records matching the values; pages on only when Ontraport holds duplicates."""
        return list(
            pages(lambda start: self._client.find(self.obj, self.key_name, values, list_fields, start=start))
        )

    def _learn(self, known: dict[str, KnownRecord], row: dict[str, Any]) -> None:
        raw = row.get(self.key_name)
        if raw is None:
            return
        key = self._normalise_key(raw if isinstance(raw, str) else str(raw))
        if not key:
            return
        record = KnownRecord(str(row.get("id")), row, row_tag_ids(row), row_lists(row))
        other = known.get(key)
        if other is not None:
            # Ontraport allows duplicates; saveorupdate merges into the oldest, so do we.
            logger.warning(
                f"Ontraport holds more than one {self.obj.name} with {self.key_name} {excerpt(key)!r} "
                f"(ids {other.id} and {record.id}); updating the oldest."
            )
            if _id_order(other.id) <= _id_order(record.id):
                return
        known[key] = record

    def _find_one(self, value: str, list_fields: Sequence[str]) -> KnownRecord | None:
        """The record with this match value: the same rule as a bulk lookup (exact key, else the one
        row equal ignoring case), the oldest among duplicates."""
        found: dict[str, KnownRecord] = {}
        for row in self._find_all(list(dict.fromkeys([value, self._normalise_key(value)])), list_fields):
            self._learn(found, row)
        key = self._normalise_key(value)
        return found.get(key) or _only(_fold(found).get(key.casefold()))

    def _equal(self, name: str, ours: str, theirs: Any) -> bool:
        if self.key is not None and name == self.key.name and isinstance(theirs, str):
            # the record was found by this value (ignoring case where Ontraport does): same identity
            return self._normalise_key(ours).casefold() == self._normalise_key(theirs).casefold()
        info = self.obj.fields.get(name)
        if info is None:
            return ours == ("" if theirs is None else str(theirs))
        return values_equal(info, ours, theirs)

    def _settle_read_mode(self, steps: Sequence[Step]) -> None:
        """Whether lookups by condition need `ids=0` is learned from an answer that must contain a
        record: when no lookup found one yet (an empty account), one lookup of a record this sync
        just created settles it before the next batch relies on lookups (a dry run creates none)."""
        if not self._settles_read_mode(steps):
            return
        created = next((s for s in steps if s.created and s.record_id), None)
        if created is not None:
            self._client.find(self.obj, self.key_name, [created.pending.fields[self.key_name]], ["id"])

    def _settles_read_mode(self, steps: Sequence[Step]) -> bool:
        """Whether this round ends with the lookup that settles `ids=0` (a dry run: would)."""
        if self._client.condition_needs_ids_zero is not None or self.key in (None, RECORD_ID_FIELD):
            return False
        return any(step.kind is Kind.CREATE and not step.rejected for step in steps)

    def _reject_missing(self, steps: Sequence[Step]) -> None:
        """`no Deal with id 42`, `no Contact with Email 'ann@x.io' to delete`: the record's own value
        (the match key is compared trimmed and, for emails, lower-cased)."""
        for step in steps:
            if step.kind is not Kind.SKIP or step.rejected:
                continue
            pending = step.pending
            if self.key is RECORD_ID_FIELD or self.key is None:
                which = f"id {pending.key}"
            else:
                which = f"{self.key.alias} {excerpt(pending.fields.get(self.key.name, pending.key))!r}"
            step.rejected = (
                f"no {self.obj.name} with {which} to delete"
                if pending.remove
                else f"no {self.obj.name} with {which}: update changes existing records and creates none"
            )

    # --- campaigns and sequences ------------------------------------------------------------
    def _subscribe(self, steps: Sequence[Step], outcome: WriteOutcome) -> frozenset[str]:
        """One call per set of campaigns (or sequences) per 500 contacts that need it, never a
        contact twice (see subscription_plan.py); counted into the round's outcome. Returns the ids
        of the contacts put on one (the sync log's `subscribed`)."""
        if not self._lists and not any(step.pending.lists for step in steps):
            return frozenset()
        plan = plan_subscriptions(steps, self._lists, self._ledger.done)
        counts = self._subscriber.apply(plan)
        outcome.subscribed += counts.subscribed
        outcome.unsubscribed += counts.unsubscribed
        outcome.subscriptions_left_off += counts.left_off
        outcome.subscriptions_unconfirmed += counts.unconfirmed
        return frozenset(contact for contacts in plan.add.values() for contact in contacts)

    # --- tags and bookkeeping ----------------------------------------------------------------
    def _record_tag_ids(self, steps: Sequence[Step]) -> Mapping[str, str]:
        """The ids of the tags the batch's records name: those to add are created when missing, those
        only to remove are looked up (a missing one is held by nobody, and is never created)."""
        asked = [
            step.pending.tags
            for step in steps
            if step.written or (step.kind is Kind.CREATE and step.rejected is None)  # a dry run's: would be
        ]
        adding = {name for tags in asked for name, add in tags.items() if add}
        removing = {name for tags in asked for name, add in tags.items() if not add} - adding
        if self._tag_ids_by_name is None or not adding | removing:
            return {}
        found = dict(self._tag_ids_by_name(sorted(adding), self.obj.id)) if adding else {}
        if removing:
            found.update(self._tag_ids_by_name(sorted(removing), self.obj.id, create=False))
        return found

    def _remember(self, step: Step, tag_id: Mapping[str, str]) -> None:
        if step.kind is Kind.REMOVE:
            self._known.forget(step.pending.key)
            return
        record_id = step.record_id
        if record_id is None and step.kind is Kind.CREATE and self._estimate is not None:
            record_id = PLANNED_ID  # a dry run's create: the real sync would know it from here on
        if step.rejected or record_id is None:
            return
        if self._track_seen and step.record_id is not None:
            self.seen_ids.add(step.record_id)
        before = step.known
        if (
            before is not None
            and step.kind is Kind.UNCHANGED
            and not step.pending.tags
            and not step.pending.lists
            and not self._lists
            and self._always <= (before.tag_ids or frozenset())
        ):
            self._known.put(step.pending.key, before)  # nothing new to learn: no copy
            return
        values = dict(before.values) if before else {}
        values.update(step.pending.fields)
        tags = tags_after(step, self._always, tag_id)
        self._known.put(
            step.pending.key, KnownRecord(record_id, values, tags, lists_after(step, self._lists))
        )

    def _names(self, step: Step) -> tuple[int, str, str] | None:
        """The Ontraport record a refused record names (removals of leftovers spare it): the record
        the lookup found, else its key; None for a keyless write."""
        if step.known is not None:
            return (self.obj.id, RECORD_ID_FIELD.name, step.known.id)
        if self.key is None:
            return None
        return (self.obj.id, self.key.name, step.pending.key)

    def _count(self, step: Step, outcome: WriteOutcome) -> None:
        if step.rejected:
            names = self._names(step)
            outcome.refused.extend(
                RefusedRecord(position, stream, step.pending.key, step.rejected, names)
                for position, stream in step.pending.sources
            )
        elif step.kind is Kind.CREATE:
            outcome.created += 1
        elif step.kind is Kind.UPDATE:
            outcome.updated += 1
        elif step.kind is Kind.UNCHANGED:
            outcome.unchanged += 1
        elif step.kind is Kind.REMOVE:
            if self._removal == "delete":
                outcome.deleted += 1
            elif removes(step, "remove_tags", self._always):
                outcome.untagged += 1
                outcome.unsubscribed += self._remover.unsubscriptions(self.obj, 1) if self._remover else 0
        else:
            outcome.skipped += 1


def _fold(found: dict[str, KnownRecord]) -> dict[str, list[KnownRecord]]:
    """Records by match key ignoring case, for values that differ from the stored one only in case."""
    folded: dict[str, list[KnownRecord]] = {}
    for key, record in found.items():
        folded.setdefault(key.casefold(), []).append(record)
    return folded


def _only(candidates: list[KnownRecord] | None) -> KnownRecord | None:
    """The one candidate; several records that differ only in case are not guessed between."""
    return candidates[0] if candidates and len(candidates) == 1 else None


def _id_order(raw_id: str) -> tuple[int, str]:
    """Oldest first: by the number of an id Ontraport gave (any other text after every number)."""
    number = record_id(raw_id)
    return (int(number), "") if number is not None else (1 << 62, raw_id)
