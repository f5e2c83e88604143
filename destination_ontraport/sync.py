"""One `write` run: the message loop, batching, STATE after flush, and the summary.

STATE has exactly one owner: a STATE message goes out only after every record that came before it
is written to Ontraport or rejected and counted (and the rejected-records file is on disk, and the
rejections are stored in the bucket, if one is configured). States that arrive while records are
pending are held and released after the next flush, so a source that sends a state after every
record does not force a lookup and a tag call per record.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteStateType,
    ConfiguredAirbyteCatalog,
    DestinationSyncMode,
)

from destination_ontraport.client import AmbiguousWriteError, OntraportClient, RequestRejectedError
from destination_ontraport.config import OntraportConfig
from destination_ontraport.dedup import LatestByCursor
from destination_ontraport.errors import ConfigProblem
from destination_ontraport.mapping import (
    MAX_UNMAPPED_LISTED,
    FieldCatalog,
    FieldInfo,
    RecordRejected,
)
from destination_ontraport.messages import (
    IgnoredItem,
    InputItem,
    InvalidItem,
    RecordItem,
    StateItem,
    StreamStatusItem,
)
from destination_ontraport.read_probe import probe_read_path
from destination_ontraport.reject_ledger import RejectLedger
from destination_ontraport.rejected_objects import open_rejected_objects
from destination_ontraport.removal import RemovalGuard, Remover, tagged_contacts_missing_from
from destination_ontraport.report import SyncReport
from destination_ontraport.state_stats import StateStats
from destination_ontraport.streams import SUPPORTED_MODES, StreamPlan, StreamPlans, build_plans
from destination_ontraport.writer import ContactWriter

logger = logging.getLogger("airbyte")

PROGRESS_SECONDS = 30.0
STATE_HOLD_SECONDS = 30.0


def make_client(config: OntraportConfig, *, quick: bool = False) -> OntraportClient:
    """`quick` is for `check`: a person is waiting, so two attempts and a 30 s timeout at most."""
    return OntraportClient(
        config.api_url,
        config.app_id,
        config.api_key.get_secret_value(),
        timeout_seconds=min(config.request_timeout_seconds, 30.0)
        if quick
        else config.request_timeout_seconds,
        max_requests_per_minute=config.max_requests_per_minute,
        window_seconds=config.rate_limit_window_seconds,
        max_in_flight=config.max_concurrent_requests,
        max_attempts=2 if quick else 8,
    )


@dataclass
class Account:
    """What the connector learns about the account before writing: its fields and the match field."""

    client: OntraportClient
    fields: FieldCatalog
    match_field: FieldInfo

    @classmethod
    def open(cls, config: OntraportConfig, *, quick: bool = False) -> Account:
        client = make_client(config, quick=quick)
        try:
            fields = FieldCatalog.from_meta(client.get_contact_fields())
            match_field = fields.require(config.match_field, "match_field")
            for entry in config.field_mapping:
                fields.require(entry.target, f"field_mapping target of {entry.source!r}")
        except BaseException:
            client.close()
            raise
        return cls(client, fields, match_field)


def resolve_tags(client: OntraportClient, names: list[str], create: bool) -> list[str]:
    """Tag names -> ids, creating missing tags (POST /Tags is not repeat-safe: re-check after doubt).

    A tag that the lookup by condition missed but Ontraport says exists (it may differ only in case,
    or the account's condition reads may need `ids=0`) is found by listing every tag."""
    if not names:
        return []
    found = client.find_tags(names)
    for name in names:
        if name in found:
            continue
        if not create:
            logger.info(f"Dry run: tag {name!r} does not exist and would be created.")
            continue
        try:
            found[name] = client.create_tag(name)
            logger.info(f"Created tag {name!r} (id {found[name]}).")
        except AmbiguousWriteError:
            found.update(client.find_tags([name]))
            if name not in found:
                found[name] = client.create_tag(name)
        except RequestRejectedError as exc:
            found.update(client.all_tags([name]))
            if name not in found:
                raise ConfigProblem(
                    f"Ontraport refused to create the tag {name!r} ({exc}) and no tag of that name (ignoring "
                    "case) is listed under GET /Tags; check the tag in Ontraport or change the tags setting."
                ) from None
            logger.info(f"Using the existing tag {name!r} (id {found[name]}).")
    return [found[n] for n in names if n in found]


class Progress:
    """A log line at least every 30 seconds on long syncs, from wherever the work is happening."""

    def __init__(self, report: SyncReport, client: OntraportClient, clock: Callable[[], float]) -> None:
        self._report, self._client, self._clock = report, client, clock
        self._last = clock()

    def tick(self) -> None:
        now = self._clock()
        if now - self._last < PROGRESS_SECONDS:
            return
        self._last = now
        c = self._report.counts
        logger.info(
            f"Progress: {c.records_read} records read; {c.created} created, {c.updated} updated, "
            f"{c.unchanged} unchanged, {c.rejected} rejected; {self._client.stats.requests} requests."
        )


@dataclass
class _StateCounter:
    """Records since the previous STATE, per stream and overall, for `destinationStats.recordCount`."""

    total: int = 0
    per_stream: dict[tuple[str | None, str], int] = field(default_factory=dict)

    def record(self, namespace: str | None, name: str) -> None:
        self.total += 1
        key = (namespace, name)
        self.per_stream[key] = self.per_stream.get(key, 0) + 1

    def take(self, message: AirbyteMessage) -> int:
        state = message.state
        if state is not None and state.type == AirbyteStateType.STREAM and state.stream is not None:
            desc = state.stream.stream_descriptor
            count = self.per_stream.pop((desc.namespace, desc.name), 0)
            if (desc.namespace, desc.name) not in self.per_stream:
                count += self.per_stream.pop((None, desc.name), 0) if desc.namespace else 0
            self.total = sum(self.per_stream.values())
            return count
        count, self.total, self.per_stream = self.total, 0, {}
        return count


class SyncRun:
    def __init__(
        self,
        config: OntraportConfig,
        catalog: ConfiguredAirbyteCatalog,
        account: Account,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._account = account
        self._client = account.client
        self._clock = clock
        self._objects = open_rejected_objects(config, catalog)
        self._rejects = RejectLedger(self._objects.add if self._objects else None)
        self._report = SyncReport(
            rejected_path=config.rejected_records_path, on_reject=self._rejects.rejected
        )
        self._plans: StreamPlans = build_plans(catalog, config, account.fields, account.match_field)
        self._check_modes()
        self._progress = Progress(self._report, self._client, clock)
        self._dedup: dict[str, LatestByCursor[tuple[str, dict[str, str], int]]] = {
            p.label: LatestByCursor() for p in self._plans.plans if p.mode == DestinationSyncMode.append_dedup
        }
        self._held: list[AirbyteMessage] = []
        self._held_since: float | None = None
        self._states = _StateCounter()
        self._reported_unmapped: dict[str, set[str]] = {}
        self._overflow_reported: set[str] = set()
        self._writer: ContactWriter | None = None
        self._guard = RemovalGuard(config.max_removals)
        self._remover: Remover | None = None
        self._tag_ids: list[str] = []
        self._statuses: dict[tuple[str | None, str], str] = {}
        self._withheld_states = 0

    def _check_modes(self) -> None:
        for plan in self._plans.plans:
            if plan.mode not in SUPPORTED_MODES:
                modes = ", ".join(m.value for m in SUPPORTED_MODES)
                raise ConfigProblem(
                    f"Stream {plan.label!r} uses destination sync mode {plan.mode.value!r}, which this "
                    f"connector does not support; choose one of: {modes}."
                )
        if not self._plans.plans:
            logger.warning("The configured catalog names no streams: every record will be rejected.")

    def run(self, items: Iterable[InputItem]) -> Iterator[AirbyteMessage]:
        started = self._clock()
        try:
            tag_ids = resolve_tags(self._client, self._config.tag_names, create=not self._config.dry_run)
            probe = probe_read_path(self._client, self._account.match_field)
            logger.info(probe.describe(self._account.match_field.name))
            self._remover = Remover(self._client, self._guard, tag_ids, dry_run=self._config.dry_run)
            self._writer = ContactWriter(
                self._client,
                self._account.fields,
                self._account.match_field,
                tag_ids,
                self._report,
                dry_run=self._config.dry_run,
                removal=None if self._config.deleted_records == "ignore" else self._config.deleted_records,
                remover=self._remover,
                case_variants=probe.ignores_case is not True,
                track_seen=self._config.missing_contacts != "keep",
                progress=self._progress.tick,
            )
            self._tag_ids = tag_ids
            for item in items:
                yield from self._handle(item)
                self._progress.tick()
            yield from self._flush()
            self._remove_missing_contacts()
        finally:
            self._finish(started)
        self._enforce_threshold()

    # --- the loop ------------------------------------------------------------------------------
    def _handle(self, item: InputItem) -> Iterator[AirbyteMessage]:
        if isinstance(item, RecordItem):
            self._on_record(item)
            if self._pending() >= self._config.batch_size:
                yield from self._flush()
        elif isinstance(item, StateItem):
            yield from self._on_state(item)
        elif isinstance(item, InvalidItem):
            self._report.counts.records_read += 1
            self._report.reject(item.position, item.stream, None, item.reason)
        elif isinstance(item, StreamStatusItem):
            self._statuses[(item.namespace, item.stream)] = item.status
        elif isinstance(item, IgnoredItem):
            self._report.counts.ignored_messages += 1
        if self._held_since is not None and self._clock() - self._held_since >= STATE_HOLD_SECONDS:
            yield from self._flush()

    def _on_record(self, item: RecordItem) -> None:
        counts = self._report.counts
        counts.records_read += 1
        self._states.record(item.namespace, item.stream)
        self._rejects.track(item)
        plan = self._plans.find(item.stream, item.namespace)
        if plan is None:
            where = f"{item.namespace}.{item.stream}" if item.namespace else item.stream
            self._report.reject(
                item.position,
                item.stream,
                None,
                f"stream {where!r} is not in the configured catalog",
                item.data,
            )
            return
        try:
            fields = plan.mapper.map(item.data)
        except RecordRejected as exc:
            self._report.reject(item.position, plan.label, None, exc.reason, item.data)
            return
        key = plan.mapper.match_key(fields)
        if plan.mode == DestinationSyncMode.soft_delete or item.data.get("_ab_cdc_deleted_at") not in (
            None,
            "",
        ):
            assert self._writer is not None
            match = self._account.match_field.name
            self._writer.add_removal(key, fields[match], item.position, plan.label)
            return
        if plan.mode == DestinationSyncMode.append_dedup:
            pk = plan.primary_key_of(item.data) or (key,)
            loser = self._dedup[plan.label].offer(pk, plan.cursor_of(item.data), (key, fields, item.position))
            if loser is not None:
                counts.superseded += 1
                self._rejects.forget(loser[2])
            return
        assert self._writer is not None
        self._writer.add(
            key, fields, item.position, plan.label, may_create=plan.mode != DestinationSyncMode.update
        )

    def _log_unmapped(self, plan: StreamPlan) -> None:
        mapper = plan.mapper
        seen = self._reported_unmapped.setdefault(plan.label, set())
        if mapper.unmapped_count > len(seen):
            new = sorted(mapper.unmapped_paths - seen)
            seen.update(new)
            conflicts = mapper.conflicts
            unmatched = [path for path in new if path not in conflicts]
            if unmatched:
                logger.info(
                    f"Stream {plan.label!r}: source field(s) {', '.join(unmatched)} match no Ontraport contact "
                    "field and are not sent (add a field_mapping entry to send them)."
                )
            for path in new:
                if path in conflicts:
                    logger.info(
                        f"Stream {plan.label!r}: source field {path!r} is not sent: it matches {conflicts[path]}."
                    )
        if mapper.unmapped_overflow and plan.label not in self._overflow_reported:
            self._overflow_reported.add(plan.label)
            logger.info(
                f"Stream {plan.label!r}: more than {MAX_UNMAPPED_LISTED:,} source fields match no Ontraport "
                "contact field; the others are not sent and not listed (ignore_fields acknowledges them)."
            )

    def _on_state(self, item: StateItem) -> Iterator[AirbyteMessage]:
        message = item.message
        self._report.counts.state_messages += 1
        if message.state is not None:
            message.state.destinationStats = StateStats(recordCount=float(self._states.take(message)))
        self._rejects.state_arrived(item.position, message)
        self._held.append(message)
        if self._pending() == 0:
            yield from self._release_states()
        elif self._held_since is None:
            self._held_since = self._clock()

    def _pending(self) -> int:
        assert self._writer is not None
        pending = self._writer.pending_records
        if self._dedup:  # per record: no generator unless a stream dedups
            pending += sum(len(d) for d in self._dedup.values())
        if self._objects is not None:  # rejections wait for the bucket as records wait for Ontraport
            pending += self._objects.buffered
        return pending

    def _flush(self) -> Iterator[AirbyteMessage]:
        assert self._writer is not None
        for plan in self._plans.plans:  # once a batch: a source with data-dependent keys logs little
            self._log_unmapped(plan)
        for label, dedup in self._dedup.items():
            for key, fields, position in dedup.drain():
                self._writer.add(key, fields, position, label)
        self._writer.flush()
        self._rejects.settled()
        yield from self._release_states()

    def _release_states(self) -> Iterator[AirbyteMessage]:
        self._report.sync_to_disk()
        if self._objects is not None:
            self._objects.store()  # raises when the bucket fails: the held states stay unreleased
        held, self._held, self._held_since = self._held, [], None
        for message in held:
            if message.state is not None and isinstance(message.state.destinationStats, StateStats):
                message.state.destinationStats.rejectedRecordCount = float(self._rejects.count_for(message))
        if self._config.dry_run:
            # A dry run wrote nothing: acknowledging its records would make the next real sync skip them.
            self._withheld_states += len(held)
            return
        yield from held

    # --- the end -------------------------------------------------------------------------------
    def _remove_missing_contacts(self) -> None:
        """Full refresh that mirrors the source: only after every overwrite stream ended complete."""
        overwrite = [p for p in self._plans.plans if p.mode == DestinationSyncMode.overwrite]
        if self._config.missing_contacts == "keep" or not overwrite or self._writer is None:
            return
        reason = self._why_not_remove(overwrite)
        if reason:
            logger.warning(f"Contacts missing from this full refresh are kept: {reason}.")
            return
        missing = tagged_contacts_missing_from(self._client, self._tag_ids, self._writer.seen_ids)
        tags = ", ".join(self._config.tag_names)
        action = self._config.missing_contacts
        verb = "deleted" if action == "delete" else "untagged"
        assert self._remover is not None
        self._remover.remove(
            missing,
            "delete" if action == "delete" else "remove_tags",
            f"tagged {tags} but not in this full refresh",
        )
        if self._config.dry_run:
            logger.info(
                f"Dry run: {len(missing)} contacts tagged {tags} are not in this sync and would be {verb}."
            )
        elif missing:
            logger.info(
                f"{len(missing)} contacts tagged {tags} were not in this full refresh and were {verb}."
            )
        if action == "delete":
            self._report.counts.deleted += len(missing)
        else:
            self._report.counts.untagged += len(missing)

    def _why_not_remove(self, overwrite: list[StreamPlan]) -> str | None:
        if len(self._tag_ids) != len(self._config.tag_names):
            return "some configured tags do not exist yet in Ontraport"
        if self._statuses:
            incomplete = [
                p.label for p in overwrite if self._statuses.get((p.namespace, p.name)) != "COMPLETE"
            ]
            if incomplete:
                return f"stream(s) {', '.join(incomplete)} did not report COMPLETE"
        labels = {p.label for p in overwrite}
        blocked = [s or "unknown stream" for s in self._report.rejected_streams if s is None or s in labels]
        if blocked:
            return (
                f"records were rejected in {', '.join(sorted(blocked))}, so their contacts cannot be told "
                "apart from contacts that left the source"
            )
        return None

    def _finish(self, started: float) -> None:
        if self._writer is not None:
            self._writer.close()
        self._report.close()
        if self._objects is not None:
            self._objects.close()
        stats = self._client.stats
        first = stats.first_request_at if stats.first_request_at is not None else started
        last = stats.last_response_at if stats.last_response_at is not None else self._clock()
        summary = self._report.summary(
            stats.requests, last - first, self._client.allowed_requests_per_minute()
        )
        if self._withheld_states:
            logger.info(
                f"Dry run: {self._withheld_states} state message(s) withheld, so that the next real sync "
                "sends these records again."
            )
        self._report.log_summary(summary, dry_run=self._config.dry_run)
        self.summary: dict[str, Any] = summary

    def _enforce_threshold(self) -> None:
        share = self._report.rejected_share()
        limit = self._config.rejected_records_threshold
        if share > limit:
            c = self._report.counts
            raise ConfigProblem(
                f"{c.rejected} of {c.records_read} records ({share:.1f}%) were rejected, more than the "
                f"rejected_records_threshold of {limit:g}%. The reasons are listed in the log above"
                + (
                    f" and in {self._config.rejected_records_path}"
                    if self._config.rejected_records_path
                    else ""
                )
                + "; fix the records or the field mapping, or raise the threshold."
            )
