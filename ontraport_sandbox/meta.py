"""The account's schema: which object types it has and their fields, as `GET /objects/meta` reports
them, plus the derived sets the hot paths need (computed once per schema, not per request).

A default sandbox has contacts (0), tags (14), Deals (149), Companies (150), one custom object,
Pets (10000), and the built-in types of automations and purchases (sequences 5, products 16,
transactions 46, campaigns 140; see builtin_objects.py), which the all-types meta leaves out unless
the `builtin_types_in_meta` switch lists them. `--meta FILE` or `POST /__sandbox/meta` changes that
with one document:

    {"fields": {<contact field overrides>},
     "objects": {"10000": {"name": "Pet", "plural": "Pets", "tags": true,
                           "fields": {"f2001": {"alias": "Pet ID", "type": "text", "unique": "1"}}},
                 "149": null}}

A contact-only document (`{"fields": ...}` or the bare field mapping) keeps working.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .builtin_objects import Traits, builtin_types
from .meta_fields import (
    FieldDef,
    apply_overrides,
    custom_contact_fields,
    standard_contact_fields,
    tag_fields,
    tag_list_field,
)
from .standard_objects import base_object_fields, default_objects

CONTACT_OBJECT_ID = 0
TAG_OBJECT_ID = 14
TAG_LIST_FIELD = "contact_cat"
RESERVED_OBJECT_IDS = frozenset({CONTACT_OBJECT_ID, TAG_OBJECT_ID})
CONTACT_SEARCH_FIELDS = ("firstname", "lastname", "email", "company", "office_phone", "sms_number")
SEARCHABLE_TYPES = frozenset({"text", "email", "phone", "sms"})
_OBJECT_KEYS = frozenset({"name", "plural", "tags", "fields"})
# A contact's campaigns and sequences, `*/*`-delimited id lists like `contact_cat` (notes 13 A1, A2).
# Maintained by objects/subscribe and objects/sequence only: never written through a record write.
CAMPAIGN_LIST_FIELD = "updateCampaign"
SEQUENCE_LIST_FIELD = "updateSequence"
MEMBERSHIP_FIELDS = (CAMPAIGN_LIST_FIELD, SEQUENCE_LIST_FIELD)


class ObjectType:
    """One object type of the account and what its handlers need to know about it.

    Contacts differ from every other type in two documented ways: saveorupdate merges them on
    email (other types merge on the fields their meta marks unique), and a created contact's
    answer carries `use_utm_names`."""

    def __init__(
        self,
        object_id: int,
        name: str,
        fields: dict[str, FieldDef],
        *,
        plural: str = "",
        tags: bool = False,
        traits: Traits | None = None,
    ) -> None:
        self.object_id = object_id
        self.traits = traits or Traits()
        self.name = name
        self.plural = plural or f"{name}s"
        self.tags = tags
        self.fields = fields
        self.is_contact = object_id == CONTACT_OBJECT_ID
        self.field_order: tuple[str, ...] = tuple(fields)
        self.queryable = frozenset({"id", *fields})
        # A contact carries its campaign and sequence lists whether or not the meta lists them; an
        # unlisted one is read only when it holds something (notes 13 A1: "missing or empty").
        self.membership_fields: tuple[str, ...] = MEMBERSHIP_FIELDS if self.is_contact else ()
        self.unlisted_membership = tuple(name for name in self.membership_fields if name not in fields)
        self.readable = self.queryable | frozenset(self.membership_fields)
        self.editable = frozenset(
            name
            for name, spec in fields.items()
            if spec.get("editable", "1") in (None, "1") and name not in self.membership_fields
        )
        self.parent_fields = frozenset(name for name, spec in fields.items() if spec.get("type") == "parent")
        self.date_only_fields = frozenset(
            name for name, spec in fields.items() if spec.get("type") == "fulldate"
        )
        self.email_fields = frozenset(name for name, spec in fields.items() if spec.get("type") == "email")
        self.tag_field: str | None = TAG_LIST_FIELD if tags and TAG_LIST_FIELD in fields else None
        self.merge_fields: tuple[str, ...]
        if self.is_contact:
            self.merge_fields = ("email",) if "email" in fields else ()
            self.search_fields: tuple[str, ...] = tuple(f for f in CONTACT_SEARCH_FIELDS if f in fields)
        else:
            self.merge_fields = tuple(
                n for n, spec in fields.items() if spec.get("unique") == "1" and n != "unique_id"
            )
            self.search_fields = tuple(
                n for n, spec in fields.items() if spec.get("type") in SEARCHABLE_TYPES
            )

    def describe(self) -> dict[str, Any]:
        """`{"name": ..., "fields": ...}` as the meta endpoints answer (a copy: callers may keep it)."""
        return {"name": self.name, "fields": json.loads(json.dumps(self.fields))}

    def definition(self) -> dict[str, Any]:
        """The seed shape (what `--meta` takes under `objects`), for the admin endpoint."""
        return {"name": self.name, "plural": self.plural, "tags": self.tags, **self.describe()}


class Meta:
    """Every object type of the account, keyed by object type id (tags, 14, are served apart)."""

    def __init__(self, types: dict[int, ObjectType]) -> None:
        if CONTACT_OBJECT_ID not in types:
            raise ValueError("the account must have contacts")
        self.types = dict(sorted(types.items()))
        self.contact = self.types[CONTACT_OBJECT_ID]

    def get(self, object_id: int) -> ObjectType | None:
        return self.types.get(object_id)

    def ids(self, include_hidden: bool = False) -> list[int]:
        """The object types `GET /objects/meta` lists without `objectID`, tags included, in id
        order; the built-in hidden types only with `include_hidden` (every type the generic routes
        serve)."""
        shown = {i for i, t in self.types.items() if include_hidden or not t.traits.hidden}
        return sorted({*shown, TAG_OBJECT_ID})

    def describe(self, object_ids: list[int], by_name: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for object_id in object_ids:
            described: dict[str, Any]
            if object_id == TAG_OBJECT_ID:
                described = {"name": "Tag", "fields": tag_fields()}
            else:
                described = self.types[object_id].describe()
            out[str(described["name"]) if by_name else str(object_id)] = described
        return out

    def document(self) -> dict[str, Any]:
        """The whole schema in the `--meta` shape (contacts under `fields`)."""
        return {
            "fields": self.contact.describe()["fields"],
            "objects": {
                str(i): t.definition()
                for i, t in self.types.items()
                if i != CONTACT_OBJECT_ID and not t.traits.hidden
            },
        }


def _contact_type(fields: dict[str, FieldDef]) -> ObjectType:
    return ObjectType(CONTACT_OBJECT_ID, "Contact", fields, plural="Contacts", tags=True)


def _object_type(object_id: int, spec: dict[str, Any], base: ObjectType | None) -> ObjectType:
    """A declared object type: a new one needs `name`; a known one keeps what the spec omits."""
    where = f"object {object_id}"
    unknown = sorted(set(spec) - _OBJECT_KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r} (expected name, plural, tags, fields)")
    name = spec.get("name", base.name if base else None)
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{where}: 'name' must be a non-empty string")
    plural = spec.get("plural", base.plural if base and "name" not in spec else "")
    if not isinstance(plural, str):
        raise ValueError(f"{where}: 'plural' must be a string")
    tags = spec.get("tags", base.tags if base else False)
    if not isinstance(tags, bool):
        raise ValueError(f"{where}: 'tags' must be true or false")
    overrides = spec.get("fields", {})
    if not isinstance(overrides, dict):
        raise ValueError(f"{where}: 'fields' must be an object")
    if base is not None:
        fields = {name: spec for name, spec in base.fields.items() if name != TAG_LIST_FIELD}
        fields = apply_overrides(fields, overrides, where)
    else:  # the object's own fields first, then the ones every record carries
        fields = apply_overrides({}, overrides, where)
        fields.update({name: spec for name, spec in base_object_fields().items() if name not in fields})
    if tags:
        fields[TAG_LIST_FIELD] = tag_list_field()
    traits = base.traits if base is not None else None
    return ObjectType(object_id, name.strip(), fields, plural=plural, tags=tags, traits=traits)


def _object_id(key: str) -> int:
    text = str(key).strip()
    if not text.isdigit():
        raise ValueError(f"objects: {key!r} is not an object type id")
    object_id = int(text)
    if object_id in RESERVED_OBJECT_IDS:
        raise ValueError(
            f"objects: {object_id} is reserved (contacts are shaped by 'fields'; tags are built in)"
        )
    return object_id


def apply_document(meta: Meta, document: Any) -> Meta:
    """A new schema: `document` applied on top of `meta`. Validates everything before returning."""
    if not isinstance(document, dict):
        raise ValueError("a meta document must be a JSON object")
    if "fields" not in document and "objects" not in document:
        document = {"fields": document}  # the bare contact-field mapping
    unknown = sorted(set(document) - {"fields", "objects"})
    if unknown:
        raise ValueError(f"meta document: unknown key {unknown[0]!r} (expected 'fields' and 'objects')")
    contact_overrides = document.get("fields") or {}
    if not isinstance(contact_overrides, dict):
        raise ValueError("meta document: 'fields' must be an object")
    objects = document.get("objects") or {}
    if not isinstance(objects, dict):
        raise ValueError("meta document: 'objects' must be an object keyed by object type id")
    types = dict(meta.types)
    types[CONTACT_OBJECT_ID] = _contact_type(
        apply_overrides(meta.contact.fields, contact_overrides, "contact")
    )
    for key, spec in objects.items():
        object_id = _object_id(key)
        if spec is None:
            types.pop(object_id, None)
        elif isinstance(spec, dict):
            types[object_id] = _object_type(object_id, spec, types.get(object_id))
        else:
            raise ValueError(f"object {object_id}: expected an object definition or null")
    return Meta(types)


def default_meta() -> Meta:
    contact = _contact_type({**standard_contact_fields(), **custom_contact_fields()})
    builtin = {
        kind.object_id: ObjectType(
            kind.object_id, kind.name, kind.fields, plural=kind.plural, traits=kind.traits
        )
        for kind in builtin_types()
    }
    meta = Meta({CONTACT_OBJECT_ID: contact, **builtin})
    return apply_document(meta, {"objects": {str(i): spec for i, spec in default_objects().items()}})


def load_meta(path: str | None) -> Meta:
    """`--meta FILE`: a meta document applied on top of the default schema."""
    if path is None:
        return default_meta()
    return apply_document(default_meta(), json.loads(Path(path).read_text(encoding="utf-8")))
