"""A data-activation Contact record's campaigns and sequences: `Add to Campaigns`, `Remove from
Campaigns`, `Add to Sequences`, `Remove from Sequences`.

Each takes names as a list or one comma-separated string, compared with the account's names trimmed
and ignoring case (`account/automation_book.py`). A name the account does not have (or has twice)
rejects the record with the reason, before anything of it is written: a record half applied would
leave the contact written and its automation silently missing. Records of other objects cannot be on
campaigns: a record of theirs that names one is rejected too.
"""

from __future__ import annotations

from typing import Any, Protocol

from destination_ontraport.model.automations import AUTOMATION_PROPERTIES, ListKind, ListRef
from destination_ontraport.model.objects import ObjectType
from destination_ontraport.model.problems import RecordRejected
from destination_ontraport.model.text import excerpt


class ListResolver(Protocol):
    """Names -> the account's lists (`AutomationBook.for_record`): RecordRejected when one names none."""

    def for_record(self, kind: ListKind, names: list[str], prop: str) -> frozenset[ListRef]: ...


def take_lists(record: dict[str, Any], obj: ObjectType, resolver: ListResolver | None) -> dict[ListRef, bool]:
    """Pops the four properties off `record`; {list: True to subscribe, False to unsubscribe}. A list
    named under both, for one record, is subscribed (as `Add Tags` wins over `Remove Tags`)."""
    asked = {prop: _names(record.pop(prop, None), prop) for prop in AUTOMATION_PROPERTIES}
    if not any(asked.values()):
        return {}
    named = ", ".join(prop for prop, names in asked.items() if names)
    if not obj.is_contact:
        raise RecordRejected(
            f"{obj.name} records cannot be put on campaigns or sequences in Ontraport ({named})"
        )
    if resolver is None:
        raise RecordRejected(f"campaigns and sequences ({named}) are not available for this stream")
    lists: dict[ListRef, bool] = {}
    for kind in ListKind:
        for ref in resolver.for_record(kind, asked[kind.remove_property], kind.remove_property):
            lists[ref] = False
        for ref in resolver.for_record(kind, asked[kind.add_property], kind.add_property):
            lists[ref] = True
    return lists


def _names(value: Any, prop: str) -> list[str]:
    """A list of names or one comma-separated string (null and "" name none)."""
    if value is None or value == "":
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise RecordRejected(
            f"{prop}: {excerpt(str(value), 60)!r} is not a list of names or a comma-separated string"
        )
    return [item.strip() for item in items if item.strip()]


__all__ = ["ListResolver", "take_lists"]
