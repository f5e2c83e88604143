"""Ontraport's automations, as the connector puts contacts on them: campaigns and sequences.

Both are lists a contact is subscribed to (`docs/ontraport-api-notes.md` §12, §13 A1-A5): a
contact's campaigns are its field `updateCampaign`, its sequences `updateSequence`, each an
`*/*`-delimited list of ids; `PUT /objects/subscribe` with `sub_type` `Campaign` or `Sequence`
puts contacts on them and `DELETE /objects/subscribe` takes them off. Campaigns are listed by
`GET /CampaignBuilderItems` (`id`, `name`), sequences by `GET /objects?objectID=5` (keyed by
`drip_id`). What differs between the two kinds lives here, so no other module asks "campaign or
sequence?" itself.
"""

from __future__ import annotations

from enum import Enum

CAMPAIGN_FIELD = "updateCampaign"
SEQUENCE_FIELD = "updateSequence"

# A data-activation Contact record's own properties (no field of the object: the route takes them
# out before mapping, and discover offers them beside the fields, as it offers `Add Tags`).
ADD_TO_CAMPAIGNS = "Add to Campaigns"
REMOVE_FROM_CAMPAIGNS = "Remove from Campaigns"
ADD_TO_SEQUENCES = "Add to Sequences"
REMOVE_FROM_SEQUENCES = "Remove from Sequences"


class ListKind(Enum):
    """A kind of automation a contact is subscribed to."""

    CAMPAIGN = "campaign"
    SEQUENCE = "sequence"

    @property
    def sub_type(self) -> str:
        """`objects/subscribe`'s `sub_type`, capitalised as every client that sends it writes it
        (§13 A3; whether Ontraport also takes `campaign` is not settled)."""
        return "Campaign" if self is ListKind.CAMPAIGN else "Sequence"

    @property
    def field(self) -> str:
        """The contact field that lists a contact's ids of this kind."""
        return CAMPAIGN_FIELD if self is ListKind.CAMPAIGN else SEQUENCE_FIELD

    @property
    def plural(self) -> str:
        return f"{self.value}s"

    @property
    def list_path(self) -> str:
        """Where the account's lists of this kind are read (sequences have no route of their own)."""
        return "/CampaignBuilderItems" if self is ListKind.CAMPAIGN else "/objects"

    @property
    def list_params(self) -> dict[str, str]:
        """The listing's own parameters: which object, and the fields read (a deleted campaign is
        read to be left out; a sequence's id is `drip_id`, §13 A4)."""
        if self is ListKind.CAMPAIGN:
            return {"listFields": "id,name,deleted"}
        return {"objectID": "5", "listFields": "drip_id,name"}

    @property
    def add_property(self) -> str:
        return ADD_TO_CAMPAIGNS if self is ListKind.CAMPAIGN else ADD_TO_SEQUENCES

    @property
    def remove_property(self) -> str:
        return REMOVE_FROM_CAMPAIGNS if self is ListKind.CAMPAIGN else REMOVE_FROM_SEQUENCES


ListRef = tuple[ListKind, str]
"""One campaign or sequence of the account: its kind and its Ontraport id."""

AUTOMATION_PROPERTIES: tuple[str, ...] = tuple(
    name for kind in ListKind for name in (kind.add_property, kind.remove_property)
)


def list_ids(value: object) -> frozenset[str]:
    """A membership field's ids: `*/*3*/*5*/*` (a bare `5` too, as one script writes it); empty or
    missing means none."""
    if not isinstance(value, str) or not value:
        return frozenset()
    return frozenset(part.strip() for part in value.split("*/*") if part.strip())


__all__ = [
    "ADD_TO_CAMPAIGNS",
    "ADD_TO_SEQUENCES",
    "AUTOMATION_PROPERTIES",
    "CAMPAIGN_FIELD",
    "REMOVE_FROM_CAMPAIGNS",
    "REMOVE_FROM_SEQUENCES",
    "SEQUENCE_FIELD",
    "ListKind",
    "ListRef",
    "list_ids",
]
