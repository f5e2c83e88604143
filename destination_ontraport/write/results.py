"""What a round did to each record, as the sync log shows it: one `RecordResult` per input record.

The action of a record follows from its step once the round ran: created, updated (with the labels
of the fields the write changed), unchanged, tagged (fields unchanged, tags added or taken off),
removed, or skipped (nothing to do, with the reason). Refused records are not here: the rejections'
owner logs them (with the record's stream and namespace as it resolved them).

`subscribed` is for steps that put a record on a campaign or sequence and changed nothing else: the
caller says which records a round subscribed, exactly as the tag plan says which it tagged.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from destination_ontraport.model.objects import ObjectType
from destination_ontraport.synclog.rows import Action, RecordResult
from destination_ontraport.write.executor import removes
from destination_ontraport.write.planner import Kind, Step
from destination_ontraport.write.removal import RemovalAction


def record_action(step: Step, *, tagged: bool, removed: bool, subscribed: bool = False) -> Action:
    """The action of a step that was not refused. `tagged`: a tag call of the round names its record;
    `removed`: a removal acted on it (an untag needs a configured tag to take); `subscribed`: a
    subscription of the round names it."""
    if step.kind is Kind.CREATE:
        return "created"
    if step.kind is Kind.UPDATE:
        return "updated"
    if step.kind is Kind.REMOVE:
        return "removed" if removed else "skipped"
    if step.kind is Kind.SKIP:
        return "skipped"
    if tagged:
        return "tagged"
    return "subscribed" if subscribed else "unchanged"


def skip_reason(step: Step, removal: RemovalAction | None) -> str:
    """Why a record needed nothing, in the words of the docs' sync-mode table."""
    if step.kind is Kind.REMOVE:
        return "holds none of the configured tags to take off"
    if not step.pending.remove:
        return "not in Ontraport, and this stream only updates existing records"
    if removal is None:
        return "deleted in the source; deleted_records is ignore"
    return "deleted in the source; not in Ontraport"


def record_results(
    steps: Sequence[Step],
    obj: ObjectType,
    tagged_ids: Collection[str],
    *,
    removal: RemovalAction | None,
    removal_tags: Collection[str],
    keyed: bool = True,
    subscribed_ids: Collection[str] = (),
) -> list[RecordResult]:
    """One result per input record of the round's steps that were not refused (a step collapses
    several records: each gets the step's result). `tagged_ids`: the records a tag call named;
    `removal_tags`: what an untag takes off; `keyed`: False for a stream without a matching key (its
    records have no key to show); `subscribed_ids`: the contacts a subscribe call of the round named."""
    results: list[RecordResult] = []
    for step in steps:
        if step.rejected:
            continue
        removed = step.kind is Kind.REMOVE and removal is not None and removes(step, removal, removal_tags)
        tagged = step.record_id is not None and step.record_id in tagged_ids
        subscribed = step.record_id is not None and step.record_id in subscribed_ids
        action = record_action(step, tagged=tagged, removed=removed, subscribed=subscribed)
        changed = step.pending.fields if action == "created" else step.changed if action == "updated" else {}
        labels = tuple(obj.field_label(name) for name in changed)
        reason = skip_reason(step, removal) if action == "skipped" else None
        key = step.pending.key if keyed else None
        results.extend(
            RecordResult(position, stream, key, action, step.record_id, labels, reason)
            for position, stream in step.pending.sources
        )
    return results


__all__ = ["record_action", "record_results", "skip_reason"]
