"""One `write`, start to end: set-up (tags, the read-path probe, the remover), a writer per object and
key and a route per stream, the message loop (`loop.MessageLoop`), the full-refresh leftovers, and the
summary.

Each part lives in its own module; this one only puts them together, in an order the code shows:
what set-up learns is one value (`SetUp`) that the writers are built from, so nothing can read it
before it is there. A dry run is decided here, once (see `write/dry_run.py`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from airbyte_cdk.models import ConfiguredAirbyteCatalog

from destination_ontraport.account.automation_book import AutomationBook, require_configured
from destination_ontraport.account.connection import Account, contact_mapper
from destination_ontraport.account.discover import property_names
from destination_ontraport.account.read_probe import probe_read_path
from destination_ontraport.account.tag_book import TagBook
from destination_ontraport.config import OntraportConfig
from destination_ontraport.model.automations import ListRef
from destination_ontraport.model.links import LinkProperty, link_properties, links_by_field
from destination_ontraport.model.mapping import FieldInfo, RecordMapper
from destination_ontraport.model.objects import RECORD_ID_FIELD, ObjectType
from destination_ontraport.model.problems import ConfigProblem
from destination_ontraport.model.purchases import names_purchases
from destination_ontraport.ontraport.client import OntraportClient
from destination_ontraport.protocol.messages import InputItem
from destination_ontraport.rejected.bucket import RejectedObjects, open_rejected_objects
from destination_ontraport.rejected.rejections import Rejections
from destination_ontraport.rejected.settings import S3ObjectStorage
from destination_ontraport.sync.leftovers import SyncEvidence, remove_missing_contacts
from destination_ontraport.sync.loop import LoopSettings, MessageLoop
from destination_ontraport.sync.progress import Progress
from destination_ontraport.sync.purchase_route import PurchaseRoute, check_purchase_stream
from destination_ontraport.sync.report import RequestFigures, SyncReport, estimate_summary
from destination_ontraport.sync.stream_kinds import RejectedShare, classic_options_set
from destination_ontraport.sync.stream_rules import (
    CatalogStream,
    activation_object,
    catalog_streams,
    matching_key,
    supported_mode,
)
from destination_ontraport.sync.streams import STOP_AFTER_STRAYS, StreamRoute, StreamRoutes
from destination_ontraport.sync.subscription_notes import confirm_subscriptions, log_left_off
from destination_ontraport.sync.unmapped_log import UnmappedLog, unused_field_mappings
from destination_ontraport.synclog.log import (
    BucketRecordLog,
    FileRecordLog,
    NoRecordLog,
    RecordLog,
    target_location,
)
from destination_ontraport.synclog.settings import FileSyncLog, NoSyncLog
from destination_ontraport.write.dry_run import DryRun
from destination_ontraport.write.linking import LinkingWriter, LinkSettings
from destination_ontraport.write.object_writer import ObjectWriter
from destination_ontraport.write.purchases import PurchaseWriter
from destination_ontraport.write.removal import RemovalAction, RemovalGuard, Remover
from destination_ontraport.write.resolver import Resolvers
from destination_ontraport.write.settings import WriterSettings
from destination_ontraport.write.subscription_ledger import SubscriptionLedger

logger = logging.getLogger("airbyte")


@dataclass(frozen=True)
class SetUp:
    """What set-up learned before any stream is routed: the tag book (tags by name, per object type),
    the ids of the config's tags on contacts (those that exist, or were created), how the account
    compares text (the read-path probe; None: not known), and the remover every removal goes through;
    the account's campaigns and sequences by name, the config's (`lists`), and the one memory of the
    subscriptions this sync sends, shared by every writer of contacts.
    `planned_tag_ids`: the config's tags as the writers plan them: in a dry run, a tag that does not
    exist yet stands in as `new:<name>` (never sent: the client refuses any id that is not a number),
    so the estimate counts the tag calls the real sync would make. `no_contacts`: the account held
    no contact when the probe sampled it (an upsert by email then writes without lookups at once)."""

    tags: TagBook
    tag_ids: list[str]
    ignores_case: bool | None
    remover: Remover
    automations: AutomationBook
    lists: frozenset[ListRef]
    subscriptions: SubscriptionLedger
    planned_tag_ids: list[str]
    no_contacts: bool = False


PoolWriter = ObjectWriter | LinkingWriter


class WriterPool:
    """One writer per object, key and kind of stream, built from what set-up learned: a classic
    stream's removals follow `deleted_records`, an activation stream's follow its mode (`soft_delete`
    deletes), and only an activation stream rejects an update or a deletion whose key matches nothing.
    An activation writer of an object with link fields resolves linked records first (LinkingWriter);
    one purchase writer takes every Purchases stream's orders. Linked records and purchases share
    the sync's resolvers, and their writers flush after the others: a record they link to may be one
    this sync writes."""

    def __init__(
        self,
        client: OntraportClient,
        config: OntraportConfig,
        learned: SetUp,
        dry_run: DryRun | None,
        progress: Progress,
    ) -> None:
        self._client, self._config, self._learned = client, config, learned
        self._dry_run, self._progress = dry_run, progress
        self._writers: dict[tuple[int, str | None, bool], PoolWriter] = {}
        self._resolvers = Resolvers(client, learned.ignores_case)
        self._purchases: PurchaseWriter | None = None

    def writer(
        self, obj: ObjectType, key: FieldInfo | None, *, activation: bool, links: Sequence[LinkProperty] = ()
    ) -> PoolWriter:
        """`links`: the object's link properties (an activation stream's records may name them)."""
        slot = (obj.id, key.name if key is not None else None, activation)
        if slot not in self._writers:
            writer = self._new(obj, key, activation)
            if links:
                settings = LinkSettings(
                    links_by_field(links), self._config.create_linked_contacts, self._dry_run
                )
                self._writers[slot] = LinkingWriter(writer, settings, self._resolvers)
            else:
                self._writers[slot] = writer
        return self._writers[slot]

    def purchases(self, contacts: ObjectType) -> PurchaseWriter:
        if self._purchases is None:
            self._purchases = PurchaseWriter(self._client, contacts, self._resolvers, self._dry_run)
        return self._purchases

    def _new(self, obj: ObjectType, key: FieldInfo | None, activation: bool) -> ObjectWriter:
        config, learned = self._config, self._learned
        classic: RemovalAction | None = None if config.deleted_records == "ignore" else config.deleted_records
        settings = WriterSettings(
            obj,
            key,
            tag_ids=frozenset(learned.planned_tag_ids) if obj.is_contact else frozenset(),
            removal="delete" if activation else classic,
            ignores_case=learned.ignores_case,
            track_seen=obj.is_contact and config.missing_contacts != "keep",
            reject_absent=activation,
            lists=learned.lists if obj.is_contact and not activation else frozenset(),
            subscriptions=learned.subscriptions if obj.is_contact else None,
        )
        writer = ObjectWriter(
            self._client,
            settings,
            tag_ids_by_name=learned.tags.ids_by_name,
            remover=learned.remover,
            dry_run=self._dry_run,
            progress=self._progress,
        )
        if obj.is_contact and learned.no_contacts:
            writer.expect_no_records()
        return writer

    @property
    def automations(self) -> AutomationBook:
        """The account's campaigns and sequences by name (for data-activation Contact records)."""
        return self._learned.automations

    def __iter__(self) -> Iterator[PoolWriter | PurchaseWriter]:
        plain = [w for w in self._writers.values() if isinstance(w, ObjectWriter)]
        linking = [w for w in self._writers.values() if isinstance(w, LinkingWriter)]
        return iter([*plain, *linking, *([self._purchases] if self._purchases is not None else [])])

    def seen_contact_ids(self) -> set[str]:
        """Every contact any writer wrote or found, whatever its stream or key: none of them left."""
        return set().union(*(w.seen_ids for w in self._writers.values() if w.obj.is_contact))

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._resolvers.close()


class SyncJob:
    """One `write` of an opened account: `run` yields the STATE messages to emit, then removes the
    leftovers of a full refresh, logs the summary and enforces the rejection threshold. The report
    (`self.report`) holds the counts; the rejections have their own owner."""

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
        self._dry_run = DryRun() if config.dry_run else None  # the one place a dry run is decided
        bucket = self._bucket()
        self._rejections = Rejections(config.rejected_records_path, bucket)
        self.report = SyncReport(self._rejections, sync_log=self._sync_log(bucket))
        self._progress = Progress(self.report, lambda: self._client.stats.requests, clock)
        self._writers: WriterPool | None = None
        self._routes: StreamRoutes | None = None
        self._keyless: list[tuple[str, str]] = []  # (stream, object) of streams that create every record

    def run(self, items: Iterable[InputItem]) -> Iterator[dict[str, Any]]:
        started = self._clock()
        loop: MessageLoop | None = None
        try:
            learned = self._set_up()
            writers = self._writers = WriterPool(
                self._client, self._config, learned, self._dry_run, self._progress
            )
            routes = self._routes = self._route_streams(writers)
            settings = LoopSettings(self._config.batch_size, withhold_states=self._dry_run is not None)
            set_up_requests = self._client.stats.requests
            loop = MessageLoop(
                routes,
                list(writers),
                self.report,
                settings,
                before_flush=UnmappedLog(routes),
                progress=self._progress,
                clock=self._clock,
            )
            yield from loop.run(items)
            for route in routes:
                if (unfinished := route.unfinished()) is not None:
                    logger.warning(unfinished)
            evidence = SyncEvidence(
                routes.routes, loop.statuses, writers.seen_contact_ids(), self._rejections
            )
            contacts = self._account.contacts
            before_leftovers = self._client.stats.requests
            self.report.add(
                remove_missing_contacts(learned.remover, contacts, self._config, evidence, self._dry_run)
            )
            self.report.sync_log.store()  # the leftovers' rows: no STATE comes after them
            if self._dry_run is None:
                self.report.counts.subscriptions_processed = confirm_subscriptions(
                    self._client, learned.subscriptions
                )
            else:
                leftover_reads = self._client.stats.requests - before_leftovers
                self._estimate_fixed_costs(learned, set_up_requests, leftover_reads)
        finally:
            self._finish(started, loop)
        self._enforce_threshold(routes)

    def _estimate_fixed_costs(self, learned: SetUp, set_up_requests: int, leftover_reads: int) -> None:
        """A dry run's estimate, beyond what each writer's round counted: the set-up (every request
        before the first record: a real sync sends the same reads, plus one request per tag it
        creates) and the removals (what the remover would send, and the reads that found leftovers)."""
        estimate = self.report.estimate
        estimate.set_up += set_up_requests + learned.tags.would_create
        estimate.removals += learned.remover.planned_requests + leftover_reads

    # --- set-up ------------------------------------------------------------------------------
    def _bucket(self) -> RejectedObjects | None:
        """The rejected-records bucket of `object_storage_config`, if one is set; a dry run, which
        writes nothing anywhere, opens none."""
        settings = self._config.object_storage_config
        if not isinstance(settings, S3ObjectStorage):
            return None
        if self._dry_run is not None:
            logger.info("Dry run: rejected records are listed in the log, not stored in the bucket.")
            return None
        return open_rejected_objects(settings, self._catalog)

    def _sync_log(self, bucket: RejectedObjects | None) -> RecordLog:
        """The sync log `sync_log` names (in the rejected-records bucket, it shares its target and part
        numbers); none in a dry run, which writes nothing anywhere."""
        settings = self._config.sync_log
        if isinstance(settings, NoSyncLog):
            return NoRecordLog()
        if self._dry_run is not None:
            logger.info("Dry run: the sync log is not written (its rows would say what a real sync did).")
            return NoRecordLog()
        if isinstance(settings, FileSyncLog):
            logger.info(f"The sync log goes to {settings.path} (one row per record).")
            return FileRecordLog(settings.path)
        assert bucket is not None, "the config refuses a bucket sync log without a bucket"
        logger.info(f"The sync log goes to {target_location(bucket.target)} (one row per record).")
        return BucketRecordLog(bucket.target)

    def _set_up(self) -> SetUp:
        """The config's tags (created when missing, except in a dry run), the read-path probe, and the
        remover (which sends nothing in a dry run): requests, in this order, before any record."""
        config, client = self._config, self._client
        tags = TagBook(client, create=self._dry_run is None)
        contact_tags = tags.ids_by_name(config.tag_names, self._account.contacts.id)
        tag_ids = [contact_tags[n] for n in config.tag_names if n in contact_tags]
        automations = AutomationBook(client)
        lists = require_configured(automations, config.campaign_names, config.sequence_names)
        probe = probe_read_path(client, self._account.match_field)
        logger.info(probe.describe(self._account.match_field.name))
        guard = RemovalGuard(config.max_removals)
        remover = Remover(client, guard, tag_ids, sends=self._dry_run is None, lists=lists)
        planned = tag_ids + [f"new:{n}" for n in config.tag_names if n not in contact_tags]
        no_contacts = client.holds_no_records(self._account.contacts)
        return SetUp(
            tags,
            tag_ids,
            probe.ignores_case,
            remover,
            automations,
            lists,
            SubscriptionLedger(),
            planned,
            no_contacts,
        )

    def _route_streams(self, writers: WriterPool) -> StreamRoutes:
        strays = None if self._config.rejected_records_threshold == 100 else STOP_AFTER_STRAYS
        routes = StreamRoutes(
            [self._route_stream(s, writers) for s in catalog_streams(self._catalog)], stop_after_strays=strays
        )
        if not routes.routes:
            logger.warning("The configured catalog names no streams: every record will be rejected.")
        self._note_unused_classic_options(routes)
        self._keyless = [(route.label, route.writer.obj.name) for route in routes if route.keyless]
        return routes

    def _route_stream(self, stream: CatalogStream, writers: WriterPool) -> StreamRoute:
        supported_mode(stream)
        if stream.object_name:
            return self._activation_route(stream, writers)
        mapper = contact_mapper(self._config, self._account.fields, self._account.match_field)
        writer = writers.writer(self._account.contacts, self._account.match_field, activation=False)
        return StreamRoute(stream, mapper, writer)

    def _activation_route(self, stream: CatalogStream, writers: WriterPool) -> StreamRoute:
        if names_purchases(stream.object_name or ""):
            check_purchase_stream(stream)
            return PurchaseRoute(stream, writers.purchases(self._account.contacts))
        objects = self._account.objects()
        obj = activation_object(stream, objects)
        key = matching_key(stream.label, obj, stream.primary_key, stream.mode)
        by_id = key is RECORD_ID_FIELD
        # The connection's mapping renamed the fields already: no classic mapping option applies.
        mapper = RecordMapper(obj.fields, None if by_id else key, auto_mapping=True)
        links = link_properties(obj, objects, {info.name: prop for prop, info in property_names(obj).items()})
        writer = writers.writer(obj, key, activation=True, links=links)
        route = StreamRoute(
            stream,
            mapper,
            writer,
            activation=True,
            by_record_id=by_id,
            keyless=key is None,
            lists=writers.automations,
            links=links,
        )
        if stream.replaces:
            logger.warning(
                f"Stream {stream.label!r} is a refresh that replaces what it wrote before (generation "
                f"{stream.replacing_generation}), but a data-activation stream removes nothing: "
                f"{obj.name} records missing from it are kept. Send soft_delete records to remove records."
            )
        return route

    def _note_unused_classic_options(self, routes: StreamRoutes) -> None:
        if not routes.routes or not all(route.activation for route in routes):
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
    def _finish(self, started: float, loop: MessageLoop | None) -> None:
        if self._writers is not None:
            self._writers.close()
        self._rejections.close()
        self.report.sync_log.close()
        stats = self._client.stats
        first = stats.first_request_at if stats.first_request_at is not None else started
        last = stats.last_response_at if stats.last_response_at is not None else self._clock()
        figures = RequestFigures(
            stats.requests,
            last - first,
            self._client.allowed_requests_per_minute(),
            measured=stats.windows.rate(last),
            window_seconds=self._config.rate_limit_window_seconds,
            retries=stats.retries,
            rate_limited=stats.rate_limited,
        )
        unused = unused_field_mappings(self._routes) if self._routes is not None else []
        log_left_off(self.report.counts, self._dry_run is not None)
        summary = self.report.summary(figures, unused)
        if self._dry_run is not None:
            summary.update(estimate_summary(self.report.estimate, figures.allowed_per_minute))
        if loop is not None and loop.withheld_states:
            logger.info(
                f"Dry run: {loop.withheld_states} state message(s) withheld, so that the next real sync "
                "sends these records again."
            )
        self.report.log_summary(summary, self._dry_run)

    def _enforce_threshold(self, routes: StreamRoutes) -> None:
        """The default threshold guards classic streams; one the config sets guards every stream."""
        activation = [route for route in routes if route.activation]
        labels = {route.label for route in activation}
        rejections = self._rejections
        share = RejectedShare(
            read=self.report.counts.records_read,
            rejected=rejections.count,
            activation_read=sum(route.records_taken for route in activation),
            activation_rejected=sum(n for label, n in rejections.by_stream.items() if label in labels),
        )
        path = self._config.rejected_records_path
        frequent = "; ".join(
            f"{group.count:,} like {group.first_reason}" for group in rejections.reasons.most_common(3)
        )
        message = share.message(
            self._config.rejected_records_threshold, f" and in {path}" if path else "", frequent
        )
        if message is not None:
            raise ConfigProblem(message)
