"""Source fields that reach no Ontraport field: named once per stream in the log, not per record."""

from __future__ import annotations

import logging

from destination_ontraport.mapping import MAX_UNMAPPED_LISTED, TAGS_HINT, normalise
from destination_ontraport.streams import StreamPlan, StreamPlans

logger = logging.getLogger("airbyte")


TAG_COLUMN_NAMES = frozenset({"tag", "contactcat", "taglist", "tagnames"})


def looks_like_tags(path: str) -> bool:
    """A source column that most likely holds tag names (`tags`, `Contact Tags`, `customer_tags`):
    the generic hint ("add a field_mapping entry") would lead to a mapping the writer refuses."""
    leaf = normalise(path.rsplit(".", 1)[-1])
    return leaf.endswith("tags") or leaf in TAG_COLUMN_NAMES


class UnmappedLog:
    """Checked once per batch (before each flush), so a source with data-dependent keys logs little."""

    def __init__(self, plans: StreamPlans) -> None:
        self._plans = plans
        self._reported: dict[str, set[str]] = {}
        self._overflow_reported: set[str] = set()

    def __call__(self) -> None:
        for plan in self._plans:
            self._log(plan)

    def _log(self, plan: StreamPlan) -> None:
        mapper = plan.mapper
        seen = self._reported.setdefault(plan.label, set())
        target = plan.writer.obj.name.lower()
        if mapper.unmapped_count > len(seen):
            new = sorted(mapper.unmapped_paths - seen)
            seen.update(new)
            conflicts = mapper.conflicts
            tag_like = [] if plan.activation else [path for path in new if looks_like_tags(path)]
            unmatched = [path for path in new if path not in conflicts and path not in tag_like]
            for path in tag_like:
                logger.info(
                    f"Stream {plan.label!r}: source field {path!r} is not sent: Ontraport's tags are no "
                    f"contact field a field_mapping can write.{TAGS_HINT}"
                )
            if unmatched:
                fields = ", ".join(unmatched)
                if plan.activation:
                    logger.info(
                        f"Stream {plan.label!r}: source field(s) {fields} match no Ontraport {target} field "
                        "and are not sent (map them to the object's fields in the connection)."
                    )
                else:
                    logger.info(
                        f"Stream {plan.label!r}: source field(s) {fields} match no Ontraport {target} field "
                        "and are not sent (add a field_mapping entry to send them)."
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
                f"{target} field; the others are not sent and not listed (ignore_fields acknowledges them)."
            )
