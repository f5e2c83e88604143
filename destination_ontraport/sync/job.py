"""One `write`, start to end: set-up (tags, the read-path probe, a writer per object and key), the
message loop (`sync.SyncRun`), the full-refresh leftovers, and the summary.

Each part lives in its own module; this one only puts them together in order.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from airbyte_cdk.models import ConfiguredAirbyteCatalog, DestinationSyncMode

from destination_ontraport.account.connection import Account, contact_mapper
from destination_ontraport.account.read_probe import probe_read_path
from destination_ontraport.account.tag_book import TagBook
from destination_ontraport.config import OntraportConfig
from destination_ontraport.model.mapping import FieldInfo, RecordMapper
from destination_ontraport.model.objects import RECORD_ID_FIELD, RECORD_ID_PROPERTY, ObjectType, find_object
from destination_ontraport.model.problems import ConfigProblem
from destination_ontraport.protocol.messages import InputItem, stream_label
from destination_ontraport.rejected.bucket import RejectedObjects, open_rejected_objects
from destination_ontraport.rejected.ledger import RejectLedger
from destination_ontraport.rejected.settings import S3ObjectStorage
from destination_ontraport.sync.leftovers import remove_missing_contacts
from destination_ontraport.sync.loop import SyncRun
from destination_ontraport.sync.progress import Progress
from destination_ontraport.sync.report import SyncReport
from destination_ontraport.sync.stream_kinds import RejectedShare, classic_options_set
from destination_ontraport.sync.streams import (
    STOP_AFTER_STRAYS,
    SUPPORTED_MODES,
    StreamPlan,
    StreamPlans,
    replaces_existing,
    stream_keys,
)
from destination_ontraport.sync.unmapped_log import UnmappedLog, unused_field_mappings
from destination_ontraport.write.object_writer import ObjectWriter
from destination_ontraport.write.removal import RemovalAction, RemovalGuard, Remover

logger = logging.getLogger("airbyte")

KEYED_MODES = (DestinationSyncMode.append_dedup, DestinationSyncMode.update, DestinationSyncMode.soft_delete)


class WriteRun:
    def __init__(
        self,
        config: OntraportConfig,
        catalog: ConfiguredAirbyteCatalog,
        account: Account,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._catalog = catalog
        self._account = account
        self._client = account.client
        self._clock = clock
        self._objects: RejectedObjects | None = self._bucket()
        self._ledger = RejectLedger(self._objects.add if self._objects else None)
        self._rejected_by_stream: dict[str | None, int] = {}
        self.report = SyncReport(rejected_path=config.rejected_records_path, on_reject=self._count_rejection)
        self._progress = Progress(self.report, lambda: self._client.stats.requests, clock)
        self._writers: dict[tuple[int, str | None, bool], ObjectWriter] = {}
        self._plans: StreamPlans | None = None
        self._keyless: list[tuple[str, str]] = []  # (stream, object) of streams that create every record
        self.summary: dict[str, Any] = {}

    def run(self, items: Iterable[InputItem]) -> Iterator[dict[str, Any]]:
        started = self._clock()
        sync: SyncRun | None = None
        try:
            tags = TagBook(self._client, create=not self._config.dry_run)
            contact_tags = tags.ids(self._config.tag_names, self._account.contacts.id)
            self._tag_ids = [contact_tags[n] for n in self._config.tag_names if n in contact_tags]
            probe = probe_read_path(self._client, self._account.match_field)
            logger.info(probe.describe(self._account.match_field.name))
            self._ignores_case = probe.ignores_case
            self._tags = tags
            self._remover = Remover(
                self._client,
                RemovalGuard(self._config.max_removals),
                self._tag_ids,
                dry_run=self._config.dry_run,
            )
            plans = self._plans = StreamPlans(
                [self._plan(*keys) for keys in stream_keys(self._catalog)],
                stop_after_strays=None
                if self._config.rejected_records_threshold == 100
                else STOP_AFTER_STRAYS,
            )
            if not plans.plans:
                logger.warning("The configured catalog names no streams: every record will be rejected.")
            self._note_unused_classic_options(plans)
            self._keyless = [(plan.label, plan.writer.obj.name) for plan in plans if plan.keyless]
            sync = SyncRun(
                plans,
                list(self._writers.values()),
                self.report,
                batch_size=self._config.batch_size,
                withhold_states=self._config.dry_run,
                before_flush=UnmappedLog(plans),
                tick=self._progress.tick,
                clock=self._clock,
                ledger=self._ledger,
                objects=self._objects,
            )
            yield from sync.run(items)
            # Every contact any writer wrote or found, whatever its stream or key: none of them left.
            seen = set().union(*(w.seen_ids for w in self._writers.values() if w.obj.is_contact))
            remove_missing_contacts(
                self._client,
                self._account.contacts,
                self._config,
                plans.plans,
                sync.statuses,
                seen,
                self._tag_ids,
                self._remover,
                self.report,
            )
        finally:
            self._finish(started, sync)
        self._enforce_threshold(plans)

    # --- set-up ------------------------------------------------------------------------------
    def _bucket(self) -> RejectedObjects | None:
        """The rejected-records bucket of `object_storage_config`, if one is set; a dry run, which
        writes nothing anywhere, opens none."""
        settings = self._config.object_storage_config
        if not isinstance(settings, S3ObjectStorage):
            return None
        if self._config.dry_run:
            logger.info("Dry run: rejected records are listed in the log, not stored in the bucket.")
            return None
        return open_rejected_objects(settings, self._catalog)

    def _plan(
        self, configured: Any, primary_key: list[list[str]], cursor: list[str], mode: DestinationSyncMode
    ) -> StreamPlan:
        stream = configured.stream
        label = stream_label(stream.namespace, stream.name)
        if mode not in SUPPORTED_MODES:
            modes = ", ".join(m.value for m in SUPPORTED_MODES)
            raise ConfigProblem(
                f"Stream {label!r} uses destination sync mode {mode.value!r}, which this connector does "
                f"not support; choose one of: {modes}."
            )
        object_name = getattr(configured, "destination_object_name", None)
        if object_name:
            plan = self._activation_plan(label, configured, object_name, primary_key, cursor, mode)
            if replaces_existing(configured, mode):
                logger.warning(
                    f"Stream {label!r} is a refresh that replaces what it wrote before (generation "
                    f"{configured.generation_id}), but a data-activation stream removes nothing: "
                    f"{plan.writer.obj.name} records missing from it are kept. Send soft_delete records "
                    "to remove records."
                )
            return plan
        mapper = contact_mapper(self._config, self._account.fields, self._account.match_field)
        writer = self._writer(self._account.contacts, self._account.match_field, activation=False)
        return StreamPlan(
            stream.name,
            stream.namespace,
            mode,
            mapper,
            writer,
            primary_key,
            cursor,
            replaces=replaces_existing(configured, mode),
        )

    def _activation_plan(
        self,
        label: str,
        configured: Any,
        object_name: str,
        primary_key: list[list[str]],
        cursor: list[str],
        mode: DestinationSyncMode,
    ) -> StreamPlan:
        stream = configured.stream
        if mode == DestinationSyncMode.overwrite:
            raise ConfigProblem(
                f"Stream {label!r} writes {object_name!r} in overwrite, which data activation does not "
                "offer (discover lists append, append_dedup, update and soft_delete): a data-activation "
                "stream never removes the records it did not name. Choose append or append_dedup, and "
                "send soft_delete records to remove records."
            )
        objects = self._account.objects()
        obj = find_object(objects, object_name)
        if obj is None:
            names = ", ".join(o.name for o in objects)
            raise ConfigProblem(
                f"Stream {label!r} writes to {object_name!r}, which this Ontraport account does not have "
                f"(its objects: {names}). Run discover again and pick one of them."
            )
        key = self._activation_key(label, obj, primary_key, mode)
        by_id = key is RECORD_ID_FIELD
        # The connection's mapping renamed the fields already: no classic mapping option applies.
        mapper = RecordMapper(obj.fields, None if by_id else key, auto_mapping=True)
        writer = self._writer(obj, key, activation=True)
        return StreamPlan(
            stream.name,
            stream.namespace,
            mode,
            mapper,
            writer,
            primary_key,
            cursor,
            activation=True,
            by_record_id=by_id,
            keyless=key is None,
        )

    def _activation_key(
        self, label: str, obj: ObjectType, primary_key: list[list[str]], mode: DestinationSyncMode
    ) -> FieldInfo | None:
        """The matching key the user chose (the stream's primary key, one top-level property)."""
        if not primary_key:
            if mode in KEYED_MODES:
                raise ConfigProblem(
                    f"Stream {label!r} ({mode.value} to {obj.name}) needs a matching key; choose one in the "
                    "mapping (discover lists the candidates)."
                )
            return None
        if len(primary_key) != 1 or len(primary_key[0]) != 1:
            raise ConfigProblem(
                f"Stream {label!r}: the matching key must be one top-level property, got {primary_key}."
            )
        prop = primary_key[0][0]
        if prop == RECORD_ID_PROPERTY:
            if mode in (DestinationSyncMode.append, DestinationSyncMode.append_dedup):
                raise ConfigProblem(
                    f"Stream {label!r}: {mode.value} creates records, and Ontraport gives new records their "
                    f"own id: match on a unique field instead, or use update to change records by id."
                )
            return RECORD_ID_FIELD
        info = obj.fields.resolve(prop)
        if info is None or info not in obj.unique_fields():
            keys = ", ".join([RECORD_ID_PROPERTY, *(f.alias for f in obj.unique_fields())])
            raise ConfigProblem(
                f"Stream {label!r}: {prop!r} is not a key of {obj.name} that Ontraport keeps unique "
                f"(the keys are: {keys})."
            )
        return info

    def _writer(self, obj: ObjectType, key: FieldInfo | None, *, activation: bool) -> ObjectWriter:
        """One writer per object, key and kind of stream: a classic stream's removals follow
        `deleted_records`, an activation stream's follow its mode (`soft_delete` deletes), and only
        an activation stream rejects an update or a deletion whose key matches nothing."""
        slot = (obj.id, key.name if key is not None else None, activation)
        if slot in self._writers:
            return self._writers[slot]
        config = self._config
        classic: RemovalAction | None = None if config.deleted_records == "ignore" else config.deleted_records
        removal: RemovalAction | None = "delete" if activation else classic
        writer = ObjectWriter(
            self._client,
            obj,
            key,
            self.report,
            tag_ids=self._tag_ids if obj.is_contact else (),
            tag_names=self._tags.ids,
            dry_run=config.dry_run,
            removal=removal,
            remover=self._remover,
            ignores_case=self._ignores_case,
            track_seen=obj.is_contact and config.missing_contacts != "keep",
            reject_absent=activation,
            progress=self._progress,
        )
        self._writers[slot] = writer
        return writer

    def _note_unused_classic_options(self, plans: StreamPlans) -> None:
        if not plans.plans or not all(plan.activation for plan in plans):
            return
        unused = classic_options_set(self._config)
        if unused:
            logger.info(
                f"Options for classic contact streams are set ({', '.join(unused)}) but every stream of this "
                "catalog is a data-activation stream, which follows its mode and the connection's mapping: "
                "they change nothing in this sync."
            )

    @property
    def keyless_streams(self) -> list[str]:
        """`'deals' (Deal)` for each stream that creates every record it receives (append without a
        matching key): re-sending its records creates them again."""
        return [f"{label!r} ({obj})" for label, obj in self._keyless]

    # --- the end -----------------------------------------------------------------------------
    def _finish(self, started: float, sync: SyncRun | None) -> None:
        for writer in self._writers.values():
            writer.close()
        self.report.close()
        if self._objects is not None:
            self._objects.close()
        stats = self._client.stats
        first = stats.first_request_at if stats.first_request_at is not None else started
        last = stats.last_response_at if stats.last_response_at is not None else self._clock()
        summary = self.report.summary(
            stats.requests,
            last - first,
            self._client.allowed_requests_per_minute(),
            measured=stats.windows.rate(last),
            window_seconds=self._config.rate_limit_window_seconds,
            retries=stats.retries,
            rate_limited=stats.rate_limited,
            unused_field_mappings=unused_field_mappings(self._plans) if self._plans is not None else [],
        )
        if sync is not None and sync.withheld_states:
            logger.info(
                f"Dry run: {sync.withheld_states} state message(s) withheld, so that the next real sync "
                "sends these records again."
            )
        self.report.log_summary(summary, dry_run=self._config.dry_run)
        self.summary = summary

    def _enforce_threshold(self, plans: StreamPlans) -> None:
        """The default threshold guards classic streams; one the config sets guards every stream."""
        activation = [plan for plan in plans if plan.activation]
        labels = {plan.label for plan in activation}
        counts = self.report.counts
        share = RejectedShare(
            read=counts.records_read,
            rejected=counts.rejected,
            activation_read=sum(plan.records_taken for plan in activation),
            activation_rejected=sum(n for label, n in self._rejected_by_stream.items() if label in labels),
        )
        path = self._config.rejected_records_path
        frequent = "; ".join(
            f"{group.count:,} like {group.first_reason}" for group in self.report.reasons.most_common(3)
        )
        message = share.message(
            self._config.rejected_records_threshold, f" and in {path}" if path else "", frequent
        )
        if message is not None:
            raise ConfigProblem(message)

    def _count_rejection(
        self, position: int, stream: str | None, key: str | None, reason: str, record: Any
    ) -> None:
        """The report's hook for every rejection: counted per stream (for the threshold of each kind
        of stream), then handed to the ledger (which STATE counts it, the bucket)."""
        self._rejected_by_stream[stream] = self._rejected_by_stream.get(stream, 0) + 1
        self._ledger.rejected(position, stream, key, reason, record)
