"""Which options reach which kind of stream, and the rejection threshold of each kind.

A classic stream turns any source's records into contacts, shaped by the config: `match_field`,
`field_mapping`, `auto_mapping`, `ignore_fields`, `deleted_records` (CDC deletes),
`missing_contacts` (the full-refresh mirror), `campaigns` and `sequences` (every contact written put
on them; a data-activation Contact record names its own). A data-activation stream
(`destination_object_name`) was shaped in the Airbyte UI: its object, mode, matching key and field
mapping come with the catalog, and it follows its mode (a `soft_delete` stream deletes, whatever
`deleted_records` says). The config options that reach both: the credentials, `tags` (added to every
contact written), `dry_run`, the limits and `max_removals` (a safety guard for every removal), and
the rejected-records storage.

Rejections: Airbyte's data-activation destinations report records the CRM refused and the sync
succeeds (the platform shows them and links the bucket). So the default threshold (10%) protects
classic streams only, where a broken mapping must not pass unnoticed; a threshold the user set,
even to 10, applies to every stream.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from destination_ontraport.config import OntraportConfig

DEFAULT_REJECTED_THRESHOLD = 10.0
CLASSIC_DEFAULTS: Mapping[str, Any] = {
    "match_field": "email",
    "field_mapping": [],
    "auto_mapping": True,
    "ignore_fields": [],
    "deleted_records": "delete",
    "missing_contacts": "keep",
    "campaigns": None,
    "sequences": None,
}
"""Options that shape classic contact streams only, with the value that changes nothing."""


def classic_options_set(config: OntraportConfig) -> list[str]:
    """`name=value` of each classic-only option that differs from its default (the Airbyte form
    saves defaults too, so "present in the config" would name them all)."""
    found = []
    for name, default in CLASSIC_DEFAULTS.items():
        value = getattr(config, name)
        if name == "field_mapping":
            value = [(entry.source, entry.target) for entry in value]
        if value != default:
            found.append(f"{name}={value!r}")
    return found


@dataclass(frozen=True)
class RejectedShare:
    """Records read and rejected, per kind of stream. Records of no configured stream and input
    lines that are no record count as classic: they are what a broken source sends."""

    read: int
    rejected: int
    activation_read: int
    activation_rejected: int

    def message(self, explicit: float | None, where: str, frequent: str = "") -> str | None:
        """The configuration error's text when the rejections pass the threshold, else None.
        `explicit`: the threshold the config sets (None: the default, for classic streams only);
        `frequent`: the most frequent reasons, named in the message."""
        if explicit is not None:
            read, rejected, limit = self.read, self.rejected, explicit
            scope, why = "records", ""
        else:
            read = self.read - self.activation_read
            rejected = self.rejected - self.activation_rejected
            limit = DEFAULT_REJECTED_THRESHOLD
            scope = "records of classic streams" if self.activation_read else "records"
            why = (
                " (the default, which applies to classic streams; a threshold you set applies to "
                "data-activation streams too)"
            )
        share = 100.0 * rejected / read if read > 0 else 0.0
        if share <= limit:
            return None
        return (
            f"{rejected} of {read} {scope} ({share:.1f}%) were rejected, "
            "more than the rejected_records_threshold "
            f"of {limit:g}%{why}.{f' Most often: {frequent}.' if frequent else ''} The reasons are listed in "
            f"the log above{where}; fix what they name (the records, the field mapping or the connection's "
            "streams), or raise the threshold."
        )


__all__ = ["CLASSIC_DEFAULTS", "DEFAULT_REJECTED_THRESHOLD", "RejectedShare", "classic_options_set"]
