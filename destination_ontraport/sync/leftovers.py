"""Full refresh that mirrors the source: contacts that carry the configured tags but were not in this
sync are untagged or deleted (`missing_contacts`).

Which streams mirror: classic contact streams that replace what is there (`overwrite`, or
`append`/`append_dedup` with `minimum_generation_id == generation_id > 0`, which is how a platform
that supports refreshes sends an overwrite: `stream_rules.CatalogStream.replaces`). Data-activation
streams never do.

When: only after every mirroring stream received a STREAM_STATUS COMPLETE. The Airbyte platform
forwards no status of the source's (`worker/ReplicationTask.kt`) and sends one COMPLETE per stream at
the end only when the source succeeded (`tracker/StreamStatusCompletionTracker.kt`); PyAirbyte sends
them too. Without it the source may have stopped half way, and every contact it did not read yet
would look like one that left.

Who: every tagged contact that no writer of contacts wrote or found in this sync (whatever its stream
or key), except those a rejected record names (its key is known: that contact is still in the source,
only this version of it was refused). A rejected record of a mirroring stream that names no contact
blocks every removal: its contact cannot be told apart from one that left the source.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from destination_ontraport.config import OntraportConfig
from destination_ontraport.model.mapping import key_normaliser
from destination_ontraport.model.objects import RECORD_ID_FIELD, ObjectType
from destination_ontraport.model.text import excerpt
from destination_ontraport.rejected.rejections import Rejections
from destination_ontraport.sync.streams import StreamRoute
from destination_ontraport.synclog.rows import RecordResult
from destination_ontraport.write.dry_run import DryRun
from destination_ontraport.write.outcome import WriteOutcome
from destination_ontraport.write.removal import Remover

logger = logging.getLogger("airbyte")

NAMED_IN_LOG = 5  # contacts named (by email) in the log line of a removal, and dry-run examples
EMAIL = "email"

Row = Mapping[str, object]


def mirroring(routes: Sequence[StreamRoute]) -> list[StreamRoute]:
    """The classic contact streams whose full refresh replaces what is there."""
    return [p for p in routes if p.replaces and not p.activation and p.writer.obj.is_contact]


@dataclass(frozen=True)
class SyncEvidence:
    """What a sync saw that decides which tagged contacts left the source: its streams (which of
    them mirror), the STREAM_STATUS each ended with, every contact a writer wrote or found, and its
    rejections (the contacts rejected records name, the streams with rejected records that name none)."""

    routes: Sequence[StreamRoute]
    statuses: Mapping[tuple[str | None, str], str]
    seen_ids: Collection[str]
    rejections: Rejections


def remove_missing_contacts(
    remover: Remover,
    contacts: ObjectType,
    config: OntraportConfig,
    evidence: SyncEvidence,
    dry_run: DryRun | None = None,
) -> WriteOutcome:
    """Untags or deletes (`missing_contacts`) through `remover`, whose tags are the config's; returns
    how many (in a dry run: would be, with examples in `dry_run`)."""
    outcome = WriteOutcome()
    mirrors = mirroring(evidence.routes)
    if config.missing_contacts == "keep" or not mirrors:
        return outcome
    tag_ids = remover.tag_ids
    reason = _why_not_remove(config, mirrors, evidence, tag_ids)
    if reason:
        logger.warning(f"Contacts missing from this full refresh are kept: {reason}.")
        return outcome
    spared = _spared(contacts, evidence.rejections)
    shown = [EMAIL] if contacts.fields.get(EMAIL) is not None else []
    rows = remover.tagged_records_missing_from(
        contacts, evidence.seen_ids, list(dict.fromkeys([*shown, *spared.fields]))
    )
    missing = [row for row in rows if not spared.names(row)]
    kept = [row for row in rows if spared.names(row)]
    if kept:
        logger.info(
            f"{len(kept)} tagged contact(s) not in this full refresh are kept because a rejected record "
            f"names them: {_sample(kept)}. The rest of the full refresh's removals go ahead."
        )
    tags = ", ".join(config.tag_names)
    action = config.missing_contacts
    verb = "deleted" if action == "delete" else "untagged"
    if action != "delete" and remover.lists:
        verb += " and taken off the configured campaigns and sequences"
    ids = [str(row["id"]) for row in missing]
    remover.remove(
        contacts,
        ids,
        "delete" if action == "delete" else "remove_tags",
        f"tagged {tags} but not in this full refresh",
    )
    if dry_run is not None:
        logger.info(
            f"Dry run: {len(missing)} contacts tagged {tags} are not in this sync and would be {verb}"
            + (f": {_sample(missing)}." if missing else ".")
        )
        would = "delete" if action == "delete" else "untag"
        dry_run.examples.extend(
            f"would {would} {_name(row)} (id {row['id']}): tagged {tags}, not in this full refresh"
            for row in missing[:NAMED_IN_LOG]
        )
    elif missing:
        logger.info(
            f"{len(missing)} contacts tagged {tags} were not in this full refresh and were {verb}: "
            f"{_sample(missing)}."
        )
    if action == "delete":
        outcome.deleted = len(missing)
    else:
        outcome.untagged = len(missing)
        outcome.unsubscribed = remover.unsubscriptions(contacts, len(missing))
    streams = ", ".join(route.label for route in mirrors)
    why = f"tagged {tags} but not in this full refresh ({verb})"
    outcome.results = [
        RecordResult(None, streams, _email(row), "removed", str(row["id"]), reason=why) for row in missing
    ]
    return outcome


def _why_not_remove(
    config: OntraportConfig, mirrors: Sequence[StreamRoute], evidence: SyncEvidence, tag_ids: Sequence[str]
) -> str | None:
    if len(tag_ids) != len(config.tag_names):
        return "some configured tags do not exist yet in Ontraport"
    statuses = evidence.statuses
    incomplete = [p.label for p in mirrors if statuses.get((p.namespace or None, p.name)) != "COMPLETE"]
    if incomplete:
        return (
            f"stream(s) {', '.join(incomplete)} received no STREAM_STATUS COMPLETE, so the source may not "
            "have sent all its records (Airbyte sends COMPLETE only after the source succeeded; input "
            "run by hand must end with a COMPLETE trace for each such stream)"
        )
    labels = {p.label for p in mirrors}
    blocked = {
        stream: lines
        for stream, lines in evidence.rejections.unkeyed.items()
        if stream is None or stream in labels
    }
    if blocked:
        where = "; ".join(
            f"{stream or 'lines that are no record'} (line {', '.join(str(n) for n in lines)})"
            for stream, lines in sorted(blocked.items(), key=lambda item: item[0] or "")
        )
        return (
            f"records without a usable match key were rejected in {where}, so their contacts cannot be "
            "told apart from contacts that left the source"
        )
    return None


class _Spared:
    """The contacts rejected records name: (key field, comparable value) pairs, compared on a row of
    the tag listing as a lookup compares them (emails trimmed and ignoring case)."""

    def __init__(
        self, pairs: Collection[tuple[str, str]], normalise: Mapping[str, Callable[[str], str]]
    ) -> None:
        self._pairs = frozenset((name, normalise[name](value).casefold()) for name, value in pairs)
        self._normalise = normalise
        self.fields = sorted({name for name, _ in pairs} - {RECORD_ID_FIELD.name})

    def names(self, row: Row) -> bool:
        for name, normalise in self._normalise.items():
            value = row.get(name)
            if isinstance(value, str | int) and (name, normalise(str(value)).casefold()) in self._pairs:
                return True
        return False


def _spared(contacts: ObjectType, rejections: Rejections) -> _Spared:
    pairs = [(name, value) for object_id, name, value in rejections.spared if object_id == contacts.id]
    normalise: dict[str, Callable[[str], str]] = {}
    for name, _ in pairs:
        info = contacts.fields.get(name)
        normalise[name] = key_normaliser(info) if info is not None else str.strip
    return _Spared(pairs, normalise)


def _email(row: Row) -> str | None:
    """The sync log's key of a leftover: its email as emails compare (trimmed, lower-cased)."""
    email = row.get(EMAIL)
    return email.strip().lower() or None if isinstance(email, str) else None


def _name(row: Row) -> str:
    email = row.get(EMAIL)
    return excerpt(str(email), 60) if isinstance(email, str) and email.strip() else f"contact {row['id']}"


def _sample(rows: Sequence[Row]) -> str:
    names = ", ".join(_name(row) for row in rows[:NAMED_IN_LOG])
    return names + (f" and {len(rows) - NAMED_IN_LOG} more" if len(rows) > NAMED_IN_LOG else "")
