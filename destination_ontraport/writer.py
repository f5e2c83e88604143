"""Batches of contacts -> the fewest Ontraport requests that leave them as the records say.

Per flush: collapse (done on add), bulk lookup of the contacts not already known, diff, one write
per changed or new contact (several in flight), then one tag call per 500 contacts that still lack
a configured tag. The writer only reports what is done; the destination alone emits STATE.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Literal

from destination_ontraport.client import (
    PAGE_SIZE,
    AmbiguousWriteError,
    NotFoundError,
    OntraportClient,
    RequestRejectedError,
    TransientError,
    UnexpectedAnswerError,
)
from destination_ontraport.known_contacts import KnownContact, KnownContacts, row_tag_ids
from destination_ontraport.mapping import FieldCatalog, FieldInfo, key_normaliser, values_equal
from destination_ontraport.messages import excerpt
from destination_ontraport.removal import RemovalAction, Remover
from destination_ontraport.report import SyncReport

logger = logging.getLogger("airbyte")

TAG_CHUNK = 500
CREATE_ATTEMPTS = 6
DRY_RUN_EXAMPLES = 10
PROGRESS_POLL_SECONDS = 5.0

Action = Literal["create", "update", "unchanged", "skip", "remove"]


@dataclass(slots=True)
class PendingContact:
    """All records of one batch that hit the same contact, merged in arrival order."""

    key: str
    fields: dict[str, str]
    sources: list[tuple[int, str]]  # (input line, stream)
    may_create: bool  # False when every record came from an `update`-mode stream
    remove: bool = False  # the last record said the contact is gone (CDC delete, soft_delete)


@dataclass(slots=True)
class Outcome:
    pending: PendingContact
    action: Action
    contact_id: str | None = None
    created: bool = False
    rejected_reason: str | None = None
    known: KnownContact | None = None
    changed: dict[str, str] = field(default_factory=dict)


class ContactWriter:
    def __init__(
        self,
        client: OntraportClient,
        catalog: FieldCatalog,
        match_field: FieldInfo,
        tag_ids: Sequence[str],
        report: SyncReport,
        *,
        dry_run: bool = False,
        removal: RemovalAction | None = None,
        remover: Remover | None = None,
        case_variants: bool = True,
        track_seen: bool = False,
        progress: Callable[[], None] = lambda: None,
        known_capacity: int = 50_000,
        pause: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._catalog = catalog
        self._match = match_field
        self._normalise_key = key_normaliser(match_field)  # the rule the mapper's match keys follow
        self._tag_ids = tuple(tag_ids)
        self._tag_set = frozenset(self._tag_ids)
        self._report = report
        self._dry_run = dry_run
        self._progress = progress
        self._pause = pause
        self._known = KnownContacts(known_capacity)
        self._pending: dict[str, PendingContact] = {}
        self._pending_records = 0
        self._executor = ThreadPoolExecutor(max_workers=client.max_in_flight, thread_name_prefix="ontraport")
        self._field_info: dict[str, FieldInfo | None] = {}
        self._removal = removal
        self._remover = remover
        # Also look emails up as lower-cased, unless Ontraport proved to compare them ignoring case:
        # on an account that compares by case, `Ann@x.io` would not find a stored `ann@x.io`.
        self._case_variants = case_variants
        self._track_seen = track_seen  # only a full refresh that removes leftovers needs it (memory)
        self.seen_ids: set[str] = set()  # every contact this sync wrote or found unchanged

    @property
    def pending_records(self) -> int:
        return self._pending_records

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def add(
        self,
        key: str,
        fields: dict[str, str],
        position: int,
        stream: str,
        *,
        may_create: bool = True,
    ) -> None:
        """Collapse: a later record for the same contact overrides the earlier one's fields.
        The writer takes `fields` over (and may change it): the caller passes a dict of its own."""
        self._pending_records += 1
        pending = self._pending.get(key)
        if pending is None or pending.remove:
            # A write after a removal in the same batch: the contact stays, with the later fields.
            sources = [*pending.sources, (position, stream)] if pending else [(position, stream)]
            self._pending[key] = PendingContact(key, fields, sources, may_create)  # fields: ours now
            return
        pending.fields.update(fields)
        pending.sources.append((position, stream))
        pending.may_create = pending.may_create or may_create

    def add_removal(self, key: str, match_value: str, position: int, stream: str) -> None:
        """The contact is gone from the source: whatever earlier records of this batch said is moot."""
        self._pending_records += 1
        pending = self._pending.get(key)
        sources = [*pending.sources, (position, stream)] if pending else [(position, stream)]
        self._pending[key] = PendingContact(key, {self._match.name: match_value}, sources, False, remove=True)

    def flush(self) -> None:
        """Write everything pending. Raises (after in-flight requests settle) on a failure that must
        stop the sync; the caller then emits no STATE for these records."""
        if not self._pending:
            return
        batch = list(self._pending.values())
        self._pending = {}
        self._pending_records = 0
        known = self._look_up(batch)
        outcomes = self._apply(batch, known)
        self._tag(outcomes)
        self._remember(outcomes)
        self._settle_read_mode(outcomes)

    # --- lookup ------------------------------------------------------------------------------
    def _look_up(self, batch: Sequence[PendingContact]) -> dict[str, KnownContact]:
        known: dict[str, KnownContact] = {}
        missing: list[PendingContact] = []
        for pending in batch:
            cached = self._known.get(pending.key)
            if cached is not None and all(name in cached.values for name in pending.fields):
                known[pending.key] = cached
            else:
                missing.append(pending)
        if not missing:
            return known
        list_fields = sorted({"id", "contact_cat", self._match.name}.union(*(p.fields for p in missing)))
        values: dict[str, None] = {}
        for pending in missing:
            values[pending.fields[self._match.name]] = None
            if self._case_variants and self._match.type == "email":
                values[pending.key] = None  # the lower-cased form, when it differs
        chunks = self._client.lookup_chunks(self._match.name, list(values), list_fields)
        futures = [self._executor.submit(self._find_all, c, list_fields) for c in chunks]
        found: dict[str, KnownContact] = {}
        for rows in self._results(futures):
            for row in rows:
                self._learn(found, row)
        folded = _fold(found)
        for pending in missing:
            contact = found.get(pending.key) or _only(folded.get(pending.key.casefold()))
            if contact is not None:
                known[pending.key] = contact
        return known

    def _find_all(self, values: Sequence[str], list_fields: Sequence[str]) -> list[dict[str, Any]]:
        """All contacts matching the values; pages on only when Ontraport holds duplicates."""
        rows: list[dict[str, Any]] = []
        while True:
            page = self._client.find_contacts(self._match.name, values, list_fields, start=len(rows))
            rows.extend(page)
            if len(page) < PAGE_SIZE:
                return rows

    def _learn(self, known: dict[str, KnownContact], row: dict[str, Any]) -> None:
        raw = row.get(self._match.name)
        if raw is None:
            return
        key = self._normalise_key(raw if isinstance(raw, str) else str(raw))
        if not key:
            return
        contact = KnownContact(str(row.get("id")), row, row_tag_ids(row))
        other = known.get(key)
        if other is not None:
            # Ontraport allows duplicates; saveorupdate merges into the oldest, so do we.
            logger.warning(
                f"Ontraport holds more than one contact with {self._match.name} {excerpt(key)!r} "
                f"(ids {other.id} and {contact.id}); updating the oldest."
            )
            if _id_order(other.id) <= _id_order(contact.id):
                return
        known[key] = contact

    def _settle_read_mode(self, outcomes: Sequence[Outcome]) -> None:
        """Whether lookups by condition need `ids=0` is learned from an answer that must contain a
        contact: when no lookup found one yet (an empty account), one lookup of a contact this sync
        just created settles it before the next batch relies on lookups."""
        if self._client.condition_needs_ids_zero is not None or self._dry_run:
            return
        created = next((o for o in outcomes if o.created and o.contact_id), None)
        if created is not None:
            self._client.find_contacts(self._match.name, [created.pending.fields[self._match.name]], ["id"])

    # --- diff and write ----------------------------------------------------------------------
    def _apply(self, batch: Sequence[PendingContact], known: dict[str, KnownContact]) -> list[Outcome]:
        planned = [self._plan(p, known.get(p.key)) for p in batch]
        if self._dry_run:
            self._remove([o for o in planned if o.action == "remove"])
            for outcome in planned:
                self._count(outcome)
                self._describe(outcome)
            return planned
        futures: list[Future[Outcome]] = []
        done: list[Outcome] = []
        for outcome in planned:
            if outcome.action in ("create", "update"):
                futures.append(self._executor.submit(self._write, outcome))
            else:
                done.append(outcome)
        done.extend(self._results(futures))
        self._remove([o for o in done if o.action == "remove"])
        for outcome in done:
            self._count(outcome)
        return done

    def _remove(self, outcomes: Sequence[Outcome]) -> None:
        if not outcomes or self._removal is None or self._remover is None:
            return
        ids = [o.contact_id for o in outcomes if o.contact_id and self._removes(o)]
        self._remover.remove(ids, self._removal, "records marked deleted in the source")

    def _removes(self, outcome: Outcome) -> bool:
        """Untagging acts only on contacts that hold a configured tag (or whose tags are unknown)."""
        if self._removal != "remove_tags":
            return True
        tags = outcome.known.tag_ids if outcome.known else frozenset()
        return tags is None or bool(self._tag_set & tags)

    def _plan(self, pending: PendingContact, contact: KnownContact | None) -> Outcome:
        if pending.remove:
            if contact is None or self._removal is None:
                return Outcome(pending, "skip")
            return Outcome(pending, "remove", contact_id=contact.id, known=contact)
        if contact is None:
            action: Action = "create" if pending.may_create else "skip"
            return Outcome(pending, action)
        held = contact.values
        if pending.fields.items() <= held.items():  # every value identical: one C-level check
            return Outcome(pending, "unchanged", contact_id=contact.id, known=contact)
        changed = {
            name: value
            for name, value in pending.fields.items()
            # identical strings first: most values of a re-sync are, and the typed comparison costs more
            if held.get(name) != value and not self._equal(name, value, held.get(name))
        }
        action = "update" if changed else "unchanged"
        return Outcome(pending, action, contact_id=contact.id, known=contact, changed=changed)

    def _equal(self, name: str, ours: str, theirs: Any) -> bool:
        if name == self._match.name and isinstance(theirs, str):
            # the contact was found by this value (ignoring case where Ontraport does): same identity
            return self._normalise_key(ours).casefold() == self._normalise_key(theirs).casefold()
        if name not in self._field_info:
            self._field_info[name] = self._catalog.resolve(name)
        info = self._field_info[name]
        if info is None:
            return ours == ("" if theirs is None else str(theirs))
        return values_equal(info, ours, theirs)

    def _write(self, outcome: Outcome) -> Outcome:
        """Runs in a worker thread; returns the outcome or raises what must stop the sync."""
        planned_create = outcome.action == "create"
        try:
            if outcome.action == "update" and outcome.contact_id is not None:
                try:
                    self._client.update_contact(outcome.contact_id, outcome.changed)
                    return outcome
                except NotFoundError:
                    # Deleted since the lookup (or by another integration): create it again.
                    logger.warning(
                        f"Contact {outcome.contact_id} vanished before its update; creating it again."
                    )
                    outcome.action, outcome.known, outcome.contact_id = "create", None, None
            outcome.contact_id, outcome.created = self._create(outcome.pending.fields)
            if not outcome.created and not planned_create:
                # A planned create that merges was created by our own earlier, unanswered attempt.
                outcome.action = "update"
            return outcome
        except RequestRejectedError as exc:
            outcome.rejected_reason = f"Ontraport refused the contact: {exc}"
            return outcome

    def _create(self, fields: dict[str, str]) -> tuple[str, bool]:
        """New contact. By email, saveorupdate is repeat-safe. By any other field, POST can duplicate,
        so an ambiguous failure is resolved by looking the contact up before trying again."""
        if self._match.type == "email":
            try:
                return self._client.save_or_update_contact(fields)
            except UnexpectedAnswerError as exc:
                return self._resolve_unanswered_save(fields, exc)
        value = fields[self._match.name]
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            try:
                return self._client.create_contact(fields), True
            except AmbiguousWriteError as exc:
                found = self._find_one(value)
                if found is not None:
                    logger.info(
                        f"Create of {self._match.name} {excerpt(value)!r} had taken effect (id {found})."
                    )
                    return found, True
                if attempt == CREATE_ATTEMPTS:
                    break
                pause = min(2.0 ** (attempt - 1), 15.0)
                logger.warning(
                    f"Create of {self._match.name} {excerpt(value)!r} failed ({exc}) and did not take "
                    f"effect; trying again in {pause:g} s (attempt {attempt + 1} of {CREATE_ATTEMPTS})."
                )
                self._pause(pause)
        raise TransientError(
            f"Could not create the contact with {self._match.name} {excerpt(value)!r} after "
            f"{CREATE_ATTEMPTS} attempts; the sync stops and can be retried safely."
        )

    def _resolve_unanswered_save(
        self, fields: dict[str, str], exc: UnexpectedAnswerError
    ) -> tuple[str, bool]:
        """saveorupdate answered something we do not know (`Save failed!`): one lookup says whether
        the contact is there. Present: what still differs is sent with one PUT. Absent: one more
        save (repeat-safe by email); a second odd answer rejects the record with the reason."""
        value = fields[self._match.name]
        found = self._find_contact(value, sorted({"id", self._match.name, *fields}))
        if found is None:
            try:
                return self._client.save_or_update_contact(fields)
            except UnexpectedAnswerError as again:
                raise RequestRejectedError(
                    f"{again} The contact is not in Ontraport (checked after the first such answer: {exc})"
                ) from None
        changed = {
            name: ours
            for name, ours in fields.items()
            if found.values.get(name) != ours and not self._equal(name, ours, found.values.get(name))
        }
        if changed:
            self._client.update_contact(found.id, changed)
        logger.info(
            f"Save of {self._match.name} {excerpt(value)!r} was answered oddly; contact {found.id} holds it."
        )
        return found.id, False

    def _find_one(self, value: str) -> str | None:
        found = self._find_contact(value, ["id", self._match.name])
        return found.id if found else None

    def _find_contact(self, value: str, list_fields: Sequence[str]) -> KnownContact | None:
        """The contact with this match value: the same rule as a bulk lookup (exact key, else the
        one row equal ignoring case), the oldest among duplicates."""
        found: dict[str, KnownContact] = {}
        values = list(dict.fromkeys([value, self._normalise_key(value)]))
        for row in self._find_all(values, list_fields):
            self._learn(found, row)
        key = self._normalise_key(value)
        return found.get(key) or _only(_fold(found).get(key.casefold()))

    # --- tags and bookkeeping ----------------------------------------------------------------
    def _needs_tags(self, outcome: Outcome) -> bool:
        if not self._tag_ids or outcome.rejected_reason or outcome.action in ("skip", "remove"):
            return False
        if outcome.known is None or outcome.known.tag_ids is None:
            return True
        return not self._tag_set <= outcome.known.tag_ids

    def _tag(self, outcomes: Iterable[Outcome]) -> None:
        ids = [o.contact_id for o in outcomes if o.contact_id and self._needs_tags(o)]
        if not self._dry_run:
            chunks = [ids[i : i + TAG_CHUNK] for i in range(0, len(ids), TAG_CHUNK)]
            futures = [self._executor.submit(self._client.add_tags, c, self._tag_ids) for c in chunks]
            list(self._results(futures))
        self._report.counts.tagged += len(ids)
        if self._dry_run:
            dry_new = [o for o in outcomes if o.contact_id is None and self._needs_tags(o)]
            self._report.counts.tagged += len(dry_new)

    def _remember(self, outcomes: Iterable[Outcome]) -> None:
        for outcome in outcomes:
            if outcome.action == "remove":
                self._known.forget(outcome.pending.key)
                continue
            if outcome.rejected_reason or outcome.contact_id is None:
                continue
            if self._track_seen:
                self.seen_ids.add(outcome.contact_id)
            if self._dry_run:
                continue
            before = outcome.known
            if before is not None and outcome.action == "unchanged" and not self._needs_tags(outcome):
                self._known.put(outcome.pending.key, before)  # nothing new to learn: no copy
                continue
            values = dict(before.values) if before else {}
            values.update(outcome.pending.fields)
            # only the configured tags are ever asked about, and the contact now holds them all
            tags = (before.tag_ids if before and before.tag_ids is not None else frozenset()) | self._tag_set
            self._known.put(outcome.pending.key, KnownContact(outcome.contact_id, values, tags))

    def _count(self, outcome: Outcome) -> None:
        counts = self._report.counts
        if outcome.rejected_reason:
            for position, stream in outcome.pending.sources:
                self._report.reject(position, stream, outcome.pending.key, outcome.rejected_reason)
        elif outcome.action == "create":
            counts.created += 1
        elif outcome.action == "update":
            counts.updated += 1
        elif outcome.action == "unchanged":
            counts.unchanged += 1
        elif outcome.action == "remove":
            if self._removal == "delete":
                counts.deleted += 1
            elif self._removes(outcome):
                counts.untagged += 1
        else:
            counts.skipped += 1

    def _describe(self, outcome: Outcome) -> None:
        examples = self._report.dry_run_examples
        if len(examples) >= DRY_RUN_EXAMPLES or outcome.action not in ("create", "update", "remove"):
            return
        key = excerpt(outcome.pending.key, 60)
        if outcome.action == "remove":
            verb = "delete" if self._removal == "delete" else "untag"
            examples.append(f"would {verb} {key} (id {outcome.contact_id}): deleted in the source")
            return
        if outcome.action == "create":
            examples.append(f"would create {key} with {len(outcome.pending.fields)} fields")
            return
        before = outcome.known.values if outcome.known else {}
        changes = ", ".join(
            f"{name}: {excerpt(str(before.get(name, '')), 30)!r} -> {excerpt(value, 30)!r}"
            for name, value in list(outcome.changed.items())[:3]
        )
        examples.append(f"would update {key} (id {outcome.contact_id}): {changes}")

    def _results(self, futures: Sequence[Future[Any]]) -> Iterable[Any]:
        """Every result (in no particular order); the first failure is raised only after every future
        settled, so no request is left running behind an error."""
        results: list[Any] = []
        failure: BaseException | None = None
        remaining: set[Future[Any]] = set(futures)
        while remaining:
            # the wait gives up after the timeout even when nothing finished (a slow answer, a paced
            # wait); waiting again then keeps the progress line coming on long syncs
            done, remaining = wait(remaining, timeout=PROGRESS_POLL_SECONDS)
            self._progress()
            for future in done:
                exc = future.exception()
                if exc is not None:
                    failure = failure or exc
                else:
                    results.append(future.result())
        if failure is not None:
            raise failure
        return results


def _fold(found: dict[str, KnownContact]) -> dict[str, list[KnownContact]]:
    """Contacts by match key ignoring case, for values that differ from the stored one only in case."""
    folded: dict[str, list[KnownContact]] = {}
    for key, contact in found.items():
        folded.setdefault(key.casefold(), []).append(contact)
    return folded


def _only(candidates: list[KnownContact] | None) -> KnownContact | None:
    """The one candidate; several contacts that differ only in case are not guessed between."""
    return candidates[0] if candidates and len(candidates) == 1 else None


def _id_order(contact_id: str) -> tuple[int, str]:
    return (int(contact_id), "") if contact_id.isdigit() else (1 << 62, contact_id)
