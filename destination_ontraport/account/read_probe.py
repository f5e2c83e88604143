"""What the account's read path does, learned with a few reads before anything is written.

Three behaviours decide between a correct sync and duplicates, and no public source settles them:
whether a lookup by condition needs `ids=0`, whether it compares text ignoring case, and whether
collection reads carry `contact_cat`. `check` reports them; `write` uses them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from destination_ontraport.model.mapping import FieldInfo
from destination_ontraport.model.objects import CONTACT_ROUTES
from destination_ontraport.model.system_fields import TAG_FIELD
from destination_ontraport.ontraport.client import OntraportClient

logger = logging.getLogger("airbyte")


@dataclass(frozen=True)
class ReadProbe:
    """None in a field means the account gave nothing to learn it from (no contact to look up)."""

    finds_by_in: bool | None  # an IN lookup found a contact the account holds
    needs_ids_zero: bool | None  # it did so only with `ids=0`
    ignores_case: bool | None  # it also found it with the value's case changed
    carries_contact_cat: bool | None  # collection reads list `contact_cat` when asked

    def describe(self, field: str) -> str:
        if self.finds_by_in is None:
            lookup = (
                f"no contact with a value in {field} to test lookups on yet "
                "(settled by the first contact found or created)"
            )
        elif not self.finds_by_in:
            lookup = f"a bulk lookup by {field} did NOT find a contact the account holds"
        else:
            lookup = f"a bulk lookup by {field} finds a known contact" + (
                " only with ids=0 (sent on every lookup)" if self.needs_ids_zero else ""
            )
            if self.ignores_case is not None:
                lookup += (
                    ", also with its case changed" if self.ignores_case else ", but not with its case changed"
                )
        if self.carries_contact_cat is None:
            tags = (
                "whether collection reads list tags is not known yet (tags are then applied without skipping)"
            )
        elif self.carries_contact_cat:
            tags = "collection reads list each contact's tags (contact_cat)"
        else:
            tags = "collection reads do not list tags (contact_cat): tag membership is read per tag instead"
        return f"Read-path probe: {lookup}; {tags}."


def probe_read_path(client: OntraportClient, match_field: FieldInfo) -> ReadProbe:
    """Usually two GETs: a sample, and a lookup of a sampled value with its case changed (finding it
    proves both that lookups work and that they ignore case); one or two more when they do not.
    Leaves the client sending `ids=0` on lookups when the account needs it."""
    name = match_field.name
    contacts = CONTACT_ROUTES
    rows = client.sample(contacts, ["id", name, TAG_FIELD])
    carries = all(TAG_FIELD in row for row in rows) if rows else None
    sample = next((str(row[name]).strip() for row in rows if str(row.get(name) or "").strip()), None)
    if sample is None:
        return ReadProbe(None, None, None, carries)
    swapped = sample.swapcase()
    ignores_case = None
    if swapped != sample:
        ignores_case = bool(client.find(contacts, name, [swapped], ["id"]))
        if ignores_case:
            return ReadProbe(True, client.condition_needs_ids_zero, True, carries)
    found = client.find(contacts, name, [sample], ["id", name])
    finds = any(str(row.get(name, "")).strip() == sample for row in found)
    return ReadProbe(finds, client.condition_needs_ids_zero, ignores_case if finds else None, carries)
