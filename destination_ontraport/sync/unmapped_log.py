"""Source fields that reach no Ontraport field: named once per stream in the log, not per record.

A classic stream's records carry whatever the source has, so a column that matches no contact field
is ordinary (INFO). A data-activation stream's record keys are the object's property names, chosen
in the connection's mapping, so one the object does not have is a mistake worth a WARN that lists
what the object does have, the closest names first.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Sequence

from destination_ontraport.account.discover import property_names
from destination_ontraport.model.mapping import MAX_UNMAPPED_LISTED, TAGS_HINT, FieldInfo, normalise
from destination_ontraport.model.objects import ADD_TAGS, RECORD_ID_PROPERTY, REMOVE_TAGS
from destination_ontraport.sync.streams import StreamRoute, StreamRoutes

logger = logging.getLogger("airbyte")


TAG_COLUMN_NAMES = frozenset({"tag", "contactcat", "taglist", "tagnames"})


def looks_like_tags(path: str) -> bool:
    """A source column that most likely holds tag names (`tags`, `Contact Tags`, `customer_tags`):
    the generic hint ("add a field_mapping entry") would lead to a mapping the writer refuses."""
    leaf = normalise(path.rsplit(".", 1)[-1])
    return leaf.endswith("tags") or leaf in TAG_COLUMN_NAMES


class UnmappedLog:
    """Checked once per batch (before each flush), so a source with data-dependent keys logs little."""

    def __init__(self, routes: StreamRoutes) -> None:
        self._routes = routes
        self._reported: dict[str, set[str]] = {}
        self._overflow_reported: set[str] = set()

    def __call__(self) -> None:
        for route in self._routes:
            self._log(route)

    def _log(self, route: StreamRoute) -> None:
        mapper = route.mapper
        seen = self._reported.setdefault(route.label, set())
        target = route.writer.obj.name.lower()
        if mapper.unmapped_count > len(seen):
            new = sorted(mapper.unmapped_paths - seen)
            seen.update(new)
            conflicts = mapper.conflicts
            tag_like = [] if route.activation else [path for path in new if looks_like_tags(path)]
            unmatched = [path for path in new if path not in conflicts and path not in tag_like]
            for path in tag_like:
                logger.info(
                    f"Stream {route.label!r}: source field {path!r} is not sent: Ontraport's tags are no "
                    f"contact field a field_mapping can write.{TAGS_HINT}"
                )
            if unmatched:
                fields = ", ".join(unmatched)
                if route.activation:
                    logger.warning(unknown_properties(route, unmatched))
                else:
                    logger.info(
                        f"Stream {route.label!r}: source field(s) {fields} match no Ontraport {target} field "
                        "and are not sent (add a field_mapping entry to send them)."
                    )
            for path in new:
                if path in conflicts:
                    logger.info(
                        f"Stream {route.label!r}: source field {path!r} is not sent: "
                        f"it matches {conflicts[path]}."
                    )
        if mapper.unmapped_overflow and route.label not in self._overflow_reported:
            self._overflow_reported.add(route.label)
            logger.info(
                f"Stream {route.label!r}: more than {MAX_UNMAPPED_LISTED:,} source fields match no Ontraport "
                f"{target} field; the others are not sent and not listed (ignore_fields acknowledges them)."
            )


def unused_field_mappings(routes: StreamRoutes) -> list[str]:
    """At the end of a sync: each `field_mapping` source that was in none of the records of the
    classic streams, named in a WARN line (the mapping switched off the automatic mapping of its
    target, so the field got no value at all). Returns those sources, for the summary."""
    classic = [route for route in routes if not route.activation]
    records = sum(route.mapper.records_mapped for route in classic)
    if not records:
        return []
    # Every classic stream has the config's mappings: a source is unused when no stream had it.
    unused = [
        {source: (targets, displaced) for source, targets, displaced in route.mapper.unused_explicit()}
        for route in classic
    ]
    found: dict[str, tuple[list[FieldInfo], str | None]] = {}
    for source, (targets, _) in unused[0].items():
        if all(source in per_stream for per_stream in unused):
            displaced = next((per_stream[source][1] for per_stream in unused if per_stream[source][1]), None)
            found[source] = (targets, displaced)
    streams = ", ".join(repr(route.label) for route in classic)
    for source, (targets, displaced) in found.items():
        fields = ", ".join(info.label for info in targets)
        instead = (
            f"; records had {displaced!r}, which would reach it automatically without this entry"
            if displaced
            else ""
        )
        logger.warning(
            f"field_mapping source '{source}' was in none of {records:,} records (stream(s) {streams}), so "
            f"{fields} got no value from it, and the mapping keeps automatic mapping off that field"
            f"{instead}. Fix the source path or remove the entry."
        )
    return list(found)


MAX_PROPERTIES_LISTED = 30
MAX_CLOSE_MATCHES = 3


def unknown_properties(route: StreamRoute, unknown: Sequence[str]) -> str:
    """`Stream 'deals' (Deal): property 'Nmae' is not a writable Deal property and is not sent (did
    you mean Name?). Deal's properties: Name, Value, ...`: the object's properties as discover offers
    them, the closest to the unknown ones first."""
    obj = route.writer.obj
    offered = list(property_names(obj))
    if obj.has_tags:
        offered += [ADD_TAGS, REMOVE_TAGS]
    if route.by_record_id:
        offered.append(RECORD_ID_PROPERTY)
    offered += [link.name for link in route.links]
    by_key = {normalise(name): name for name in offered}
    hints: list[str] = []
    closest: dict[str, None] = {}
    for name in unknown:
        near = [by_key[key] for key in difflib.get_close_matches(normalise(name), by_key, MAX_CLOSE_MATCHES)]
        closest.update(dict.fromkeys(near))
        if near:
            hints.append(f"{name!r}: did you mean {' or '.join(near)}?")
    ordered = [*closest, *(name for name in offered if name not in closest)]
    listed = ", ".join(ordered[:MAX_PROPERTIES_LISTED])
    more = len(ordered) - MAX_PROPERTIES_LISTED
    names = ", ".join(repr(name) for name in unknown)
    what = (
        f"is not a writable property of {obj.name} and is not sent"
        if len(unknown) == 1
        else f"are not writable properties of {obj.name} and are not sent"
    )
    return (
        f"Stream {route.label!r}: {names} {what}{' (' + ' '.join(hints) + ')' if hints else ''}. "
        f"{obj.name}'s properties: {listed}{f' and {more} more' if more > 0 else ''} (discover lists them; "
        "map the field to one of them)."
    )
