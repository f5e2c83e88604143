"""Full refresh that mirrors the source: contacts that carry the configured tags but were not in
this sync are untagged or deleted, only after every overwrite stream ended complete."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence

from airbyte_cdk.models import DestinationSyncMode

from destination_ontraport.client import RecordApi
from destination_ontraport.config import OntraportConfig
from destination_ontraport.objects import ObjectType
from destination_ontraport.removal import Remover, tagged_records_missing_from
from destination_ontraport.report import SyncReport
from destination_ontraport.streams import StreamPlan

logger = logging.getLogger("airbyte")


def remove_missing_contacts(
    client: RecordApi,
    contacts: ObjectType,
    config: OntraportConfig,
    plans: Sequence[StreamPlan],
    statuses: Mapping[tuple[str | None, str], str],
    seen_ids: Collection[str],
    tag_ids: Sequence[str],
    remover: Remover,
    report: SyncReport,
) -> None:
    overwrite = [p for p in plans if p.mode == DestinationSyncMode.overwrite and p.writer.obj.is_contact]
    if config.missing_contacts == "keep" or not overwrite:
        return
    reason = _why_not_remove(config, overwrite, statuses, tag_ids, report)
    if reason:
        logger.warning(f"Contacts missing from this full refresh are kept: {reason}.")
        return
    missing = tagged_records_missing_from(client, contacts, tag_ids, seen_ids)
    tags = ", ".join(config.tag_names)
    action = config.missing_contacts
    verb = "deleted" if action == "delete" else "untagged"
    remover.remove(
        contacts,
        missing,
        "delete" if action == "delete" else "remove_tags",
        f"tagged {tags} but not in this full refresh",
    )
    if config.dry_run:
        logger.info(
            f"Dry run: {len(missing)} contacts tagged {tags} are not in this sync and would be {verb}."
        )
    elif missing:
        logger.info(f"{len(missing)} contacts tagged {tags} were not in this full refresh and were {verb}.")
    if action == "delete":
        report.counts.deleted += len(missing)
    else:
        report.counts.untagged += len(missing)


def _why_not_remove(
    config: OntraportConfig,
    overwrite: Sequence[StreamPlan],
    statuses: Mapping[tuple[str | None, str], str],
    tag_ids: Sequence[str],
    report: SyncReport,
) -> str | None:
    if len(tag_ids) != len(config.tag_names):
        return "some configured tags do not exist yet in Ontraport"
    if statuses:
        incomplete = [p.label for p in overwrite if statuses.get((p.namespace, p.name)) != "COMPLETE"]
        if incomplete:
            return f"stream(s) {', '.join(incomplete)} did not report COMPLETE"
    labels = {p.label for p in overwrite}
    blocked = [s or "unknown stream" for s in report.rejected_streams if s is None or s in labels]
    if blocked:
        return (
            f"records were rejected in {', '.join(sorted(blocked))}, so their contacts cannot be told "
            "apart from contacts that left the source"
        )
    return None
