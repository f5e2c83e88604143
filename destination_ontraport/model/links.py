"""Linked records, pure: which link (`parent`) fields an object has, which record of which object
each one names, and by which key a record can name it instead of Ontraport's internal id.

Ontraport's meta marks a link to another record `type: "parent"` with `parent_object`, the linked
type's id (docs/ontraport-api-notes.md 13 C10; a Deal's `primary_contact` links to contacts, its
`company` to Companies, C11). A data-activation record rarely knows that id, so discover offers,
beside the raw id field, one property per link field named `<Field> (<Key>)`, keyed by what the
linked object is known by:

- the linked object's first field Ontraport keeps unique (a contact's email: `Primary Contact
  (Email)`; a custom object's unique field: `Owner Pet (Pet ID)`); several records holding one value
  (Ontraport allows duplicates) link to the oldest, as saveorupdate merges into the oldest;
- failing that, its `name` field (a Company has no unique field: `Company (Name)`); as nothing keeps
  names unique, a name that matches several records is refused with the ids it matched, never
  guessed: linking a deal to the wrong company is worse than not linking it.

A link field whose meta names no linked type, a type the account does not list, or a type with
neither kind of key gets no key property (discover says why in a note).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from destination_ontraport.model.coercion import LINK_TYPES
from destination_ontraport.model.mapping import FieldInfo, normalise
from destination_ontraport.model.objects import ObjectType

NAME_FIELD = "name"


@dataclass(frozen=True)
class LinkProperty:
    """`Primary Contact (Email)`: the link field it writes, the object it links to, and the key that
    names the linked record."""

    name: str
    field: FieldInfo
    target: ObjectType
    key: FieldInfo

    @property
    def unique(self) -> bool:
        """Whether Ontraport keeps the key unique (duplicates: the oldest record), as opposed to a
        name that may match several records (refused)."""
        return self.key in self.target.unique_fields()

    def describe(self) -> str:
        """The sentence discover puts in the property's description."""
        if self.unique:
            many = "several records holding it: the oldest"
        else:
            many = f"a {self.key.alias.lower()} that several {self.target.name} records share is refused"
        return (
            f"Links {self.field.alias} ({self.field.name}) to the {self.target.name} whose "
            f"{self.key.alias} is this value: the connector looks it up and sends its id; no "
            f"{self.target.name} with it rejects the record with the reason ({many})."
        )


def link_key(target: ObjectType) -> FieldInfo | None:
    """The key a link names a record of `target` by: its first field Ontraport keeps unique, else its
    `name` field; None when it has neither."""
    unique = target.unique_fields()
    if unique:
        return unique[0]
    name = target.fields.get(NAME_FIELD)
    return name if name is not None and name.type not in LINK_TYPES else None


def link_properties(
    obj: ObjectType,
    types: Sequence[ObjectType],
    property_of: Mapping[str, str],
    notes: list[str] | None = None,
) -> list[LinkProperty]:
    """One key property per writable link field of `obj`. `property_of`: field name -> the property
    name discover gives the field (its alias, or its API name where aliases clash); a link property
    is named after it. One whose normalised name another property already takes is left out, with a
    note, as is a link field without a usable linked object."""
    by_id = {str(other.id): other for other in types}
    taken: set[str] = {normalise(name) for name in property_of.values()}
    found: list[LinkProperty] = []
    for info in obj.writable_fields:
        if info.type not in LINK_TYPES or info.name not in property_of:
            continue
        target = by_id.get(info.parent_object or "")
        key = link_key(target) if target is not None else None
        if target is None or key is None:
            _note(notes, f"{obj.name} field {info.name} ({info.alias}) {_why_no_key(info, target)}")
            continue
        name = f"{property_of[info.name]} ({key.alias})"
        if normalise(name) in taken:
            _note(notes, f"{obj.name} property {name!r} is not offered: another property has that name.")
            continue
        taken.add(normalise(name))
        found.append(LinkProperty(name, info, target, key))
    return found


def _why_no_key(info: FieldInfo, target: ObjectType | None) -> str:
    if info.parent_object is None:
        return (
            "links to a record, but the account's metadata does not say of which object: only its id is "
            "offered."
        )
    if target is None:
        return (
            f"links to object {info.parent_object}, which the account's metadata does not list: only its id "
            "is offered."
        )
    return (
        f"links to {target.name}, which has no unique field and no name to look a record up by: only its id "
        "is offered."
    )


def _note(notes: list[str] | None, text: str) -> None:
    if notes is not None:
        notes.append(text)


def links_by_field(links: Collection[LinkProperty]) -> dict[str, LinkProperty]:
    """Link properties by the name of the field each writes."""
    return {link.field.name: link for link in links}


__all__ = ["LinkProperty", "link_key", "link_properties", "links_by_field"]
