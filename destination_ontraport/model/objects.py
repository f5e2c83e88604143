"""The Ontraport objects a connector can write: contacts, the standard objects the generic `/objects`
routes create and update, and the account's custom objects, each with its fields.

Contacts keep their dedicated routes (`/Contacts`, form-encoded, as Ontraport's SDK sends them);
every other object goes through the generic routes with `objectID` (JSON bodies for create and
update, as the SDK's `Objects.php` sends them). What differs between objects lives here, so the
writer and the client never ask "is this a contact?" themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from destination_ontraport.model.coercion import EMAIL_TYPES
from destination_ontraport.model.mapping import FieldCatalog, FieldInfo
from destination_ontraport.model.system_fields import SYSTEM_FIELDS, TAG_FIELD

CONTACT_OBJECT_ID = 0
CUSTOM_OBJECT_MIN_ID = 10_000
# Standard objects whose records the generic routes create and update (Ontraport's "accessible
# objects": Deal 149 and Company 150; see ontraport_sandbox/standard_objects.py for the sources).
WRITABLE_STANDARD_OBJECTS = frozenset({CONTACT_OBJECT_ID, 149, 150})
RECORD_ID_FIELD = FieldInfo(name="id", alias="ID", type="numeric", editable=False, unique=True)

# The properties of a data-activation record that are no field of its object: the writer takes them
# out before mapping, and discover offers them beside the fields.
RECORD_ID_PROPERTY = "id"  # the record's Ontraport id, when the stream's matching key is the id
ADD_TAGS = "Add Tags"
REMOVE_TAGS = "Remove Tags"


@dataclass(frozen=True)
class ObjectType:
    """One object type of the account, as `GET /objects/meta` describes it."""

    id: int
    name: str  # as the meta gives it: "Contact", "Deal", "Pet"
    fields: FieldCatalog
    # A dedicated collection route of its own (`/Products`, `/Transactions`), read and created as
    # Ontraport's SDK does (JSON bodies, no objectID); None: the contact routes or the generic ones.
    route: str | None = None

    @property
    def is_contact(self) -> bool:
        return self.id == CONTACT_OBJECT_ID

    @property
    def has_tags(self) -> bool:
        """Objects whose records carry tags list the tag field in their meta."""
        return self.is_contact or self.fields.get(TAG_FIELD) is not None

    @property
    def collection_path(self) -> str:
        if self.route is not None:
            return self.route
        return "/Contacts" if self.is_contact else "/objects"

    @property
    def selector(self) -> dict[str, str]:
        """Parameters that name the object on the generic routes (none on the contact routes or a
        dedicated route)."""
        return {} if self.is_contact or self.route is not None else {"objectID": str(self.id)}

    @property
    def writable_fields(self) -> list[FieldInfo]:
        """The fields a record's property can write: editable, and none of Ontraport's own."""
        return [info for info in self.fields if info.editable and info.name not in SYSTEM_FIELDS]

    def unique_fields(self) -> list[FieldInfo]:
        """Writable fields Ontraport keeps unique: the keys an upsert can match on. A contact's email
        is one, whatever the meta says: saveorupdate merges on it."""
        found = [info for info in self.writable_fields if info.unique]
        if self.is_contact:
            email = self.fields.get("email")
            if email is not None and email not in found:
                found.insert(0, email)
        return found

    def field_label(self, name: str) -> str:
        """A field as the user knows it (`Plan`, `First Name`), not by its API name (`f1003`)."""
        info = self.fields.get(name)
        return info.alias if info is not None and info.alias else name

    def merges_on(self, key: FieldInfo) -> bool:
        """Whether `saveorupdate` is the repeat-safe create for this key: only a contact's email is
        settled by a source; anything else is looked up before a plain create."""
        return self.is_contact and key.name == "email" and key.type in EMAIL_TYPES


CONTACT_ROUTES = ObjectType(CONTACT_OBJECT_ID, "Contact", FieldCatalog(()))
"""Contacts as the routes see them, for reads that need no field metadata (the read-path probe)."""


def object_types(meta: Mapping[str, Any]) -> list[ObjectType]:
    """`GET /objects/meta?format=byId` data -> the writable object types: contacts, the standard
    objects in WRITABLE_STANDARD_OBJECTS and every custom object (id >= 10000), in id order."""
    found: list[ObjectType] = []
    for key, section in meta.items():
        try:
            object_id = int(str(key))
        except ValueError:
            continue
        if object_id not in WRITABLE_STANDARD_OBJECTS and object_id < CUSTOM_OBJECT_MIN_ID:
            continue
        if not isinstance(section, Mapping) or not isinstance(section.get("fields"), Mapping):
            continue
        name = str(section.get("name") or f"Object {object_id}").strip()
        found.append(ObjectType(object_id, name, FieldCatalog.from_meta(section["fields"])))
    return sorted(found, key=lambda obj: obj.id)


def find_object(types: Sequence[ObjectType], name: str) -> ObjectType | None:
    """The object a stream names in `destination_object_name`: by the meta's name, ignoring case
    and a plural `s` (the Airbyte UI shows the name discover gave, but people type too)."""
    wanted = name.strip().casefold()
    for obj in types:
        if obj.name.casefold() == wanted or str(obj.id) == wanted:
            return obj
    for obj in types:
        if f"{obj.name.casefold()}s" == wanted or (
            wanted.endswith("ies") and obj.name.casefold() == wanted[:-3] + "y"
        ):
            return obj
    return None
