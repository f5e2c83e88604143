"""Ontraport's own fields: those it fills itself and the connector never writes as a field.

One set for every rule that needs it: automatic mapping never reaches them (a source's `id` must not
become a record's id), discover offers none of them as a property, and none is a matching key.
`owner` is among them: it is the Ontraport user a record is assigned to (a user id), not data a
source sends; a source column called `owner` would otherwise land there by name. An explicit
`field_mapping` is checked on its own (it refuses `id`, `unique_id` and fields the meta marks read-only).
"""

from __future__ import annotations

TAG_FIELD = "contact_cat"
"""A record's tag ids, `*/*`-delimited, on every object with tags: written by tag calls, never as a field."""

SYSTEM_FIELDS = frozenset(
    {"id", "unique_id", "date", "dla", "dlm", TAG_FIELD, "owner", "updateSequence", "updateCampaign"}
)
"""`updateSequence` and `updateCampaign` list a contact's sequences and campaigns: changed only by
`objects/subscribe` (see model/automations.py), never written as a field."""

__all__ = ["SYSTEM_FIELDS", "TAG_FIELD"]
