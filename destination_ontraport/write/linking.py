"""Linked records: a lookup stage before an object's writer plans.

A data-activation record may name the record it links to by that record's key (`Primary Contact
(Email)`, `Company (Name)`, see model/links.py) instead of Ontraport's internal id. `LinkingWriter`
holds a writer's records until its flush, resolves every key its records name in bulk (one share of
a lookup per distinct value per sync: `resolver.Resolvers`), puts the ids into the link fields, and
hands the records on, in arrival order, to the object's writer, which then plans and writes them as
any other: so a link that did not change costs no write on a re-sync. A key that names no record
rejects its record with the reason (`Primary Contact (Email): no Contact with Email 'x@y.io'`),
unless the linked object is Contacts and the connector's `create_linked_contacts` option is on: the
contact is then created (saveorupdate with its email: repeat-safe) and linked.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from destination_ontraport.model.links import LinkProperty
from destination_ontraport.model.mapping import FieldInfo
from destination_ontraport.model.objects import ObjectType
from destination_ontraport.model.text import excerpt
from destination_ontraport.write.batch import MappedRecord
from destination_ontraport.write.dry_run import DryRun
from destination_ontraport.write.object_writer import ObjectWriter
from destination_ontraport.write.outcome import RefusedRecord, WriteOutcome
from destination_ontraport.write.resolver import KeyResolver, Resolved, Resolvers

logger = logging.getLogger("airbyte")

CREATE_OPTION = "create_linked_contacts"


@dataclass(frozen=True)
class LinkSettings:
    """The links an object's records may name (by link field name), whether a contact a link names by
    email is created when missing, and the dry run (None in a real sync: it creates nothing)."""

    links: Mapping[str, LinkProperty]
    create_contacts: bool = False
    dry_run: DryRun | None = None


class LinkingWriter:
    """An object's writer with the link stage in front (see the module docstring)."""

    def __init__(self, inner: ObjectWriter, settings: LinkSettings, resolvers: Resolvers) -> None:
        self._inner = inner
        self._settings = settings
        self._resolvers = resolvers
        self._held: list[tuple[MappedRecord, bool]] = []  # (record, is a removal), in arrival order
        self.obj: ObjectType = inner.obj
        self.key: FieldInfo | None = inner.key

    @property
    def seen_ids(self) -> set[str]:
        return self._inner.seen_ids

    @property
    def pending_records(self) -> int:
        return len(self._held) + self._inner.pending_records

    def match_key(self, fields: Mapping[str, str]) -> str:
        return self._inner.match_key(fields)

    def add(self, record: MappedRecord) -> None:
        self._held.append((record, False))

    def add_removal(self, record: MappedRecord) -> None:
        self._held.append((record, True))  # held too: it must stay after the writes before it

    def close(self) -> None:
        self._inner.close()

    def flush(self) -> Iterator[WriteOutcome]:
        """Links first, then the object's own rounds (see ObjectWriter.flush)."""
        if self._held:
            held, self._held = self._held, []
            refused = self._resolve([record for record, removal in held if not removal and record.links])
            if refused:
                yield WriteOutcome(refused=list(refused.values()))
            for record, removal in held:
                if removal:
                    self._inner.add_removal(record)
                elif record.position not in refused:
                    self._inner.add(record)
        yield from self._inner.flush()

    def _resolve(self, records: list[MappedRecord]) -> dict[int, RefusedRecord]:
        """Sets each record's link fields to the ids its keys name; returns the records refused, by
        input position."""
        if not records:
            return {}
        wanted: dict[str, list[str]] = {}
        for record in records:
            for name, value in (record.links or {}).items():
                wanted.setdefault(name, []).append(value)
        found = {name: self._look_up(self._settings.links[name], values) for name, values in wanted.items()}
        refused: dict[int, RefusedRecord] = {}
        for record in records:
            for name, value in (record.links or {}).items():
                link = self._settings.links[name]
                resolver, resolved = found[name]
                wanted_key = resolver.normalise(value)
                record_id = resolved.ids.get(wanted_key)
                if record_id is not None:
                    record.fields[name] = record_id
                elif not (self._creates(link) and self._settings.dry_run is not None):
                    reason = resolved.refused.get(wanted_key) or self._not_found(link, value)
                    refused.setdefault(record.position, self._refusal(record, f"{link.name}: {reason}"))
        return refused

    def _look_up(self, link: LinkProperty, values: list[str]) -> tuple[KeyResolver, Resolved]:
        resolver = self._resolvers.of(link.target, link.key, oldest_of_several=link.unique)
        resolved = resolver.resolve(values)
        if self._creates(link):
            self._create_missing(link, resolver, resolved, values)
        return resolver, resolved

    def _creates(self, link: LinkProperty) -> bool:
        return self._settings.create_contacts and link.target.is_contact and link.key.name == "email"

    def _create_missing(
        self, link: LinkProperty, resolver: KeyResolver, resolved: Resolved, values: list[str]
    ) -> None:
        missing: dict[str, dict[str, str]] = {}
        for value in values:
            wanted = resolver.normalise(value)
            if wanted and wanted not in resolved.ids and wanted not in resolved.refused:
                missing.setdefault(wanted, {link.key.name: value.strip()})
        if not missing:
            return
        dry_run = self._settings.dry_run
        if dry_run is not None:
            for fields in missing.values():
                if not dry_run.described_enough:
                    dry_run.examples.append(
                        f"would create contact {excerpt(fields[link.key.name], 60)} ({link.name})"
                    )
            return
        created = resolver.create(missing)
        resolved.ids.update(created.ids)
        resolved.refused.update(created.refused)
        if created.made:
            logger.info(
                f"{self.obj.name} records linked to {created.made} contact(s) that did not exist, created "
                f"with their email ({CREATE_OPTION})."
            )

    def _not_found(self, link: LinkProperty, value: str) -> str:
        hint = (
            " (the create_linked_contacts option creates missing contacts)"
            if link.target.is_contact and link.key.name == "email"
            else ""
        )
        return f"no {link.target.name} with {link.key.alias} {excerpt(value)!r}{hint}"

    def _refusal(self, record: MappedRecord, reason: str) -> RefusedRecord:
        names = (self.obj.id, self.key.name, record.key) if self.key is not None else None
        return RefusedRecord(record.position, record.stream, record.key, reason, names)


__all__ = ["CREATE_OPTION", "LinkSettings", "LinkingWriter"]
