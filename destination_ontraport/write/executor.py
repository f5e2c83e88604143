"""Carrying a plan out: the writes (several in flight), repeat-safe creates, removals and tags.

`ApiExecutor` talks to Ontraport; `DryRunExecutor` only describes what the plan would do. The
writer picks one at start (see dry_run.py) and never asks "is this a dry run?" again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from destination_ontraport.model.mapping import FieldInfo
from destination_ontraport.model.objects import ObjectType
from destination_ontraport.model.text import excerpt
from destination_ontraport.ontraport.client import RecordApi
from destination_ontraport.ontraport.errors import (
    AmbiguousWriteError,
    NotFoundError,
    RequestRejectedError,
    TransientError,
    UnexpectedAnswerError,
)
from destination_ontraport.write.dry_run import DryRun
from destination_ontraport.write.known_records import KnownRecord
from destination_ontraport.write.parallel import Workers
from destination_ontraport.write.planner import Equal, Kind, Step, TagPlan, changed_fields
from destination_ontraport.write.progress import NO_PROGRESS, ProgressSink
from destination_ontraport.write.removal import RemovalAction, Remover
from destination_ontraport.write.settings import WriterSettings

logger = logging.getLogger("airbyte")

TAG_CHUNK = 500
CREATE_ATTEMPTS = 6

FindOne = Callable[[str, Sequence[str]], KnownRecord | None]
"""(match value, fields to list) -> the record Ontraport holds with it, looked up afresh."""


@dataclass(frozen=True)
class RecordChecks:
    """How the executor looks one record up again and compares values: exactly as its writer does."""

    find_one: FindOne
    equal: Equal


class Executor(Protocol):
    def execute(self, steps: Sequence[Step]) -> None:
        """Writes and removals; results are filled into the steps."""

    def apply_tags(self, plan: TagPlan) -> int:
        """The tag calls; returns how many records are tagged (in a dry run: would be)."""


class ApiExecutor:
    """Writes one object's records. Creates are repeat-safe: a contact by email goes through
    saveorupdate (which merges), anything else is looked up again after an ambiguous failure, so a
    retry never makes a duplicate.

    Blind steps (written without a lookup, see cold_start.py) are sent while no answer of this batch
    said that a contact already existed; after the first such merge, the blind steps not yet sent are
    left `deferred` for the writer to look up (at most the requests already in flight go blind)."""

    def __init__(
        self,
        client: RecordApi,
        settings: WriterSettings,
        workers: Workers,
        checks: RecordChecks,
        remover: Remover | None = None,
        progress: ProgressSink = NO_PROGRESS,
        pause: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._obj = settings.obj
        self._key = settings.key
        self._workers = workers
        self._find_one = checks.find_one
        self._equal = checks.equal
        self._remover = remover
        self._removal = settings.removal
        self._pause = pause
        self._progress = progress
        self._merged = threading.Event()  # a blind write of this batch met an existing record

    def execute(self, steps: Sequence[Step]) -> None:
        writes = [s for s in steps if s.kind in (Kind.CREATE, Kind.UPDATE)]
        self._merged = threading.Event()
        self._progress.batch_started(len(writes))
        self._workers.map(self._write_and_tell, writes)
        remove_steps(self._obj, steps, self._remover, self._removal)

    def apply_tags(self, plan: TagPlan) -> int:
        calls = [
            (
                self._client.add_tags if adding else self._client.remove_tags,
                ids[i : i + TAG_CHUNK],
                sorted(tags),
            )
            for adding, groups in ((True, plan.add), (False, plan.remove))
            for tags, ids in groups.items()
            for i in range(0, len(ids), TAG_CHUNK)
        ]
        self._workers.map(lambda call: call[0](self._obj, call[1], call[2]), calls)
        return plan.tagged

    # --- one record --------------------------------------------------------------------------
    def _write_and_tell(self, step: Step) -> None:
        """The progress line counts each result as its request completes, not at the batch's end."""
        if step.blind and self._merged.is_set():
            step.deferred = True  # lookups pay again: the writer looks this one up first
            return
        self._write(step)
        self._progress.written(step)

    def _write(self, step: Step) -> None:
        """Runs in a worker thread; fills the step in or raises what must stop the sync."""
        planned_create = step.kind is Kind.CREATE
        try:
            if step.kind is Kind.UPDATE and step.record_id is not None:
                try:
                    self._client.update(self._obj, step.record_id, step.changed)
                    return
                except NotFoundError:
                    # Deleted since the lookup (or by another integration): create it again.
                    logger.warning(
                        f"{self._obj.name} {step.record_id} vanished before its update; creating it again."
                    )
                    step.kind, step.known, step.record_id = Kind.CREATE, None, None
            step.record_id, step.created = self._create(step.pending.fields)
            if step.blind and not step.created:
                # No lookup said what it held: every field sent is what the merge may have changed.
                self._merged.set()
                step.kind, step.changed = Kind.UPDATE, dict(step.pending.fields)
            elif not step.created and not planned_create:
                step.kind = Kind.UPDATE  # a merge into a record that existed after all
        except RequestRejectedError as exc:
            step.rejected = f"Ontraport refused the {self._obj.name.lower()}: {exc}"

    def _create(self, fields: dict[str, str]) -> tuple[str, bool]:
        key = self._key
        if key is not None and self._obj.merges_on(key):
            try:
                return self._client.save_or_update(self._obj, fields)
            except UnexpectedAnswerError as exc:
                return self._resolve_unanswered_save(key, fields, exc)
        if key is None or key.name not in fields:
            return self._client.create(self._obj, fields), True  # nothing to look an ambiguous create up by
        value = fields[key.name]
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            try:
                return self._client.create(self._obj, fields), True
            except AmbiguousWriteError as exc:
                found = self._find_one(value, ["id", key.name])
                if found is not None:
                    logger.info(f"Create of {key.name} {excerpt(value)!r} had taken effect (id {found.id}).")
                    return found.id, True
                if attempt == CREATE_ATTEMPTS:
                    break
                pause = min(2.0 ** (attempt - 1), 15.0)
                logger.warning(
                    f"Create of {key.name} {excerpt(value)!r} failed ({exc}) and did not take effect; trying "
                    f"again in {pause:g} s (attempt {attempt + 1} of {CREATE_ATTEMPTS})."
                )
                self._pause(pause)
        raise TransientError(
            f"Could not create the {self._obj.name.lower()} with {key.name} {excerpt(value)!r} after "
            f"{CREATE_ATTEMPTS} attempts; the sync stops and can be retried safely."
        )

    def _resolve_unanswered_save(
        self, key: FieldInfo, fields: dict[str, str], exc: UnexpectedAnswerError
    ) -> tuple[str, bool]:
        """saveorupdate answered something we do not know (`Save failed!`): one lookup says whether
        the record is there. Present: what still differs is sent with one PUT. Absent: one more save
        (repeat-safe); a second odd answer rejects the record with the reason."""
        value = fields[key.name]
        found = self._find_one(value, sorted({"id", key.name, *fields}))
        if found is None:
            try:
                return self._client.save_or_update(self._obj, fields)
            except UnexpectedAnswerError as again:
                raise RequestRejectedError(
                    f"{again} It is not in Ontraport (checked after the first such answer: {exc})"
                ) from None
        changed = changed_fields(fields, found.values, self._equal)
        if changed:
            self._client.update(self._obj, found.id, changed)
        logger.info(f"Save of {key.name} {excerpt(value)!r} was answered oddly; record {found.id} holds it.")
        return found.id, False


class DryRunExecutor:
    """Describes the plan (the first ten creates, updates with their changes, removals) and sends
    nothing; removals still count against the guard, so a dry run says when a sync would stop."""

    def __init__(self, settings: WriterSettings, dry_run: DryRun, remover: Remover | None = None) -> None:
        self._obj = settings.obj
        self._dry_run = dry_run
        self._remover = remover
        self._removal = settings.removal

    def execute(self, steps: Sequence[Step]) -> None:
        remove_steps(self._obj, steps, self._remover, self._removal)
        for step in steps:
            self._describe(step)

    def apply_tags(self, plan: TagPlan) -> int:
        """Nothing to send. Records it would create have no id to plan tags for: they count too."""
        return plan.tagged + plan.tagged_once_created

    def _describe(self, step: Step) -> None:
        if self._dry_run.described_enough or step.kind not in (Kind.CREATE, Kind.UPDATE, Kind.REMOVE):
            return
        key = excerpt(step.pending.key, 60)
        what = key if self._obj.is_contact else f"{self._obj.name.lower()} {key}"
        if step.kind is Kind.REMOVE:
            verb = "delete" if self._removal == "delete" else "untag"
            self._dry_run.examples.append(f"would {verb} {what} (id {step.record_id}): deleted in the source")
        elif step.kind is Kind.CREATE:
            self._dry_run.examples.append(f"would create {what} with {len(step.pending.fields)} fields")
        else:
            before = step.known.values if step.known else {}
            changes = ", ".join(
                f"{self._label(name)}: {excerpt(str(before.get(name, '')), 30)!r} -> {excerpt(value, 30)!r}"
                for name, value in list(step.changed.items())[:3]
            )
            self._dry_run.examples.append(f"would update {what} (id {step.record_id}): {changes}")

    def _label(self, name: str) -> str:
        return self._obj.field_label(name)


def remove_steps(
    obj: ObjectType, steps: Sequence[Step], remover: Remover | None, removal: RemovalAction | None
) -> None:
    """The batch's removals in bulk, through the remover (which counts them against the guard, and in
    a dry run sends nothing)."""
    if remover is None or removal is None:
        return
    ids = [
        s.record_id
        for s in steps
        if s.kind is Kind.REMOVE and s.record_id and removes(s, removal, remover.tag_ids)
    ]
    if ids:
        remover.remove(obj, ids, removal, "records marked deleted in the source")


def removes(step: Step, removal: RemovalAction, tag_ids: Collection[str]) -> bool:
    """Untagging acts only on records that hold a configured tag (or whose tags are unknown)."""
    if removal != "remove_tags":
        return True
    held = step.known.tag_ids if step.known else frozenset()
    return held is None or not held.isdisjoint(tag_ids)
