"""`discover`: what a data-activation connection can write into this Ontraport account, as a
DestinationCatalog (one operation per object and destination sync mode).

`discover_catalog(meta)` is pure: `GET /objects/meta?format=byId` data in, the catalog and the notes
(why an object lost a mode, why a field is not offered) out. `read_catalog(config)` reads the meta
from the account. The names and keys here are the ones the writer reads back (sync/streams.py,
sync/stream_rules.py): a property resolves to its field through the object's FieldCatalog exactly as a
record key does, and a matching key arrives as the stream's primary key.

Decisions the protocol leaves open, and why:
- `append` creates, and offers the object's unique keys as an option: with a key, a record that is
  already there is updated instead of created again, so that running the same sync twice leaves each
  record once (the writer's `append` has always been "create or update by the match field"); without
  one (Deals, Companies: no unique field) every row is created. `append_dedup` adds the
  deduplication by cursor within a sync.
- `append_dedup` exists only where the object has a field Ontraport keeps unique (a contact's email
  always): with no key there is nothing to upsert on, and a note says so instead of leaving the
  mode out silently.
- `update` and `soft_delete` take the unique fields or Ontraport's own record id (`id`).
  `soft_delete` lists only its keys: a deletion writes no field and no tag.
- Every schema is closed (`additionalProperties: false`) and, in the operations that create
  (`append`, `append_dedup`), `required` lists the fields the account's meta marks `required`,
  except a matching key (chosen apart in the UI), as Airbyte's Salesforce destination shapes its
  operations (`SalesforceOperationRepository.kt`, `getSchema`). A record that still carries a
  property the object does not have (a hand-written catalog) is written without it, with a WARN.
- A link field (Ontraport's `parent` type: a Deal's primary contact and company, a custom object's
  link to a contact) is offered twice: as its raw id, and as `<Field> (<Key>)`, the linked record
  named by its key (`Primary Contact (Email)`, `Company (Name)`; model/links.py), which the writer
  looks up. Not in `soft_delete`, which writes no field.
- Purchases are one more operation, object `Transaction`, `append` only, keyed by External Order ID
  (account/purchase_catalog.py); it sits among the objects by its type id, 46.
- A drop-down is a string without an `enum`: the writer takes an option's label (any case) or its
  id, and an account's options change after discover; the options are listed in the description.
  A list field takes a list of labels or ids or one comma-separated string, as the tag properties do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airbyte_protocol_dataclasses.models import (
    DestinationCatalog,
    DestinationOperation,
    DestinationSyncMode,
)
from serpyco_rs import Serializer

from destination_ontraport.account.connection import Account
from destination_ontraport.account.purchase_catalog import purchase_operation
from destination_ontraport.config import OntraportConfig
from destination_ontraport.model.automations import AUTOMATION_PROPERTIES, ListKind
from destination_ontraport.model.coercion import (
    CHECK_TYPES,
    DATE_ONLY_TYPES,
    DATE_TYPES,
    DROP_TYPES,
    LINK_TYPES,
    LIST_TYPES,
    NUMBER_TYPES,
)
from destination_ontraport.model.links import LinkProperty, link_properties
from destination_ontraport.model.mapping import FieldInfo, normalise
from destination_ontraport.model.objects import (
    ADD_TAGS,
    RECORD_ID_PROPERTY,
    REMOVE_TAGS,
    ObjectType,
    object_types,
)
from destination_ontraport.model.purchases import TRANSACTION_OBJECT_ID

MAX_OPTIONS_DESCRIBED = 50
# Record keys the writer takes for itself before mapping: no field may be offered under these
# names (compared normalised, since the writer finds fields by normalised name).
RESERVED_PROPERTIES = (RECORD_ID_PROPERTY, ADD_TAGS, REMOVE_TAGS, *AUTOMATION_PROPERTIES)
_RESERVED = frozenset(normalise(name) for name in RESERVED_PROPERTIES)

TAGS_DESCRIPTION = "tag names (a list or one comma-separated string); missing tags are created"
LISTS_DESCRIPTION = (
    "{what} names (a list or one comma-separated string, any case), as the account names them; a name "
    "the account does not have rejects the record. {how}"
)
LISTS_HOW = {
    True: "A contact already on one is never subscribed again.",
    False: "Taking a contact off one it is not on changes nothing.",
}
CATALOG_SERIALIZER: Serializer[DestinationCatalog] = Serializer(DestinationCatalog, omit_none=True)


class NothingToDiscoverError(Exception):
    """The account's object metadata lists no object the connector can write."""


@dataclass(frozen=True)
class Discovered:
    catalog: DestinationCatalog
    notes: list[str]  # one sentence each, for the log: what is not offered, and why

    def message(self) -> dict[str, Any]:
        """The DESTINATION_CATALOG message as JSON data (airbyte-cdk 7.39.1's AirbyteMessage has no
        field for it, so it is built here)."""
        return {"type": "DESTINATION_CATALOG", "destination_catalog": CATALOG_SERIALIZER.dump(self.catalog)}


def read_catalog(config: OntraportConfig) -> Discovered:
    """The account opened as `check` and `write` open it (so a config they refuse fails here with the
    same message), then one request: `GET /objects/meta?format=byId`. Quick client: a person waits."""
    account = Account.open(config, quick=True)
    try:
        meta = account.client.all_object_meta()
    finally:
        account.client.close()
    found = discover_catalog(meta)
    if not found.catalog.operations:
        raise NothingToDiscoverError(
            "Ontraport's object metadata (GET /objects/meta) lists no object this connector can write "
            "(contacts, deals, companies or custom objects)."
        )
    return found


def discover_catalog(meta: Mapping[str, Any]) -> Discovered:
    """Operations for contacts, purchases, the writable standard objects the account has and every
    custom object, in object id order, each in the order append, append_dedup, update, soft_delete."""
    operations: list[DestinationOperation] = []
    notes: list[str] = []
    types = object_types(meta)
    before = [obj for obj in types if obj.id < TRANSACTION_OBJECT_ID]
    for obj in before:
        operations.extend(object_operations(obj, notes, types))
    if types:  # every account has purchases, listed or not (see purchase_catalog.py)
        operations.append(purchase_operation())
    for obj in types[len(before) :]:
        operations.extend(object_operations(obj, notes, types))
    return Discovered(DestinationCatalog(operations=operations), notes)


def _tags_schema() -> dict[str, Any]:
    """The schema of an add/remove tags property: fresh for each, so no two properties share one."""
    return {"type": ["null", "array", "string"], "items": {"type": "string"}, "description": TAGS_DESCRIPTION}


def object_operations(
    obj: ObjectType, notes: list[str], types: Sequence[ObjectType] = ()
) -> list[DestinationOperation]:
    """The operations of one object; appends to `notes` what it cannot offer. `types`: the account's
    object types, which its link fields may link to."""
    properties = property_names(obj, notes)
    property_of = {info.name: prop for prop, info in properties.items()}
    fields = {prop: field_schema(info) for prop, info in properties.items()}
    links = {link.name: link_schema(link) for link in link_properties(obj, types, property_of, notes)}
    tags = {name: _tags_schema() for name in (ADD_TAGS, REMOVE_TAGS)} if obj.has_tags else {}
    tags.update(_automation_properties(obj))
    record_id = {
        RECORD_ID_PROPERTY: {
            "type": "integer",
            "description": (
                f"The Ontraport id of the {obj.name} record: "
                "as the matching key, the record to update or delete."
            ),
        }
    }
    unique_keys: list[list[str]] = []
    for info in obj.unique_fields():
        if info.name in property_of:
            unique_keys.append([property_of[info.name]])
    by_id = [*unique_keys, [RECORD_ID_PROPERTY]]

    required = [prop for prop, info in properties.items() if info.required and [prop] not in unique_keys]
    writes = {**fields, **links, **tags}
    operations = [_operation(obj, DestinationSyncMode.append, writes, unique_keys, required)]
    if unique_keys:
        operations.append(_operation(obj, DestinationSyncMode.append_dedup, writes, unique_keys, required))
    else:
        notes.append(
            f"{obj.name} (object {obj.id}) has no append_dedup operation: none of its fields is one that "
            "Ontraport keeps unique, so there is no key to upsert on. Use append to create records, or "
            "update / soft_delete with the Ontraport record id; a unique custom field added in Ontraport "
            "appears here after the next discover."
        )
    operations.append(_operation(obj, DestinationSyncMode.update, {**writes, **record_id}, by_id))
    keys_only = {key[0]: fields[key[0]] for key in unique_keys}
    operations.append(_operation(obj, DestinationSyncMode.soft_delete, {**keys_only, **record_id}, by_id))
    return operations


def _automation_properties(obj: ObjectType) -> dict[str, Any]:
    """Contacts only: `Add to Campaigns`, `Remove from Campaigns`, `Add to Sequences`, `Remove from
    Sequences`, beside `Add Tags` in the operations that write fields (see sync/record_lists.py)."""
    if not obj.is_contact:
        return {}
    found: dict[str, Any] = {}
    for kind in ListKind:
        for name, adding in ((kind.add_property, True), (kind.remove_property, False)):
            found[name] = {
                "type": ["null", "array", "string"],
                "items": {"type": "string"},
                "description": LISTS_DESCRIPTION.format(what=kind.sub_type, how=LISTS_HOW[adding]),
            }
    return found


def _operation(
    obj: ObjectType,
    mode: DestinationSyncMode,
    properties: dict[str, Any],
    keys: list[list[str]],
    required: list[str] | None = None,
) -> DestinationOperation:
    """Closed (`additionalProperties: false`), as Airbyte's Salesforce destination declares its
    operations: the UI and the API then refuse a field the object does not have, instead of the writer
    dropping it. `required`: the fields a new record must have, for the operations that create."""
    schema: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": properties}
    if required:
        schema["required"] = list(required)
    return DestinationOperation(object_name=obj.name, sync_mode=mode, json_schema=schema, matching_keys=keys)


def property_names(obj: ObjectType, notes: list[str] | None = None) -> dict[str, FieldInfo]:
    """Property name -> field, for every field the writer can write, in the meta's order.

    The name is the field's alias, as users know it from Ontraport, unless the alias is shared with
    another field (after normalising, as the writer compares names), names another field, or is one
    of the writer's own keys (`id`, `Add Tags`, `Remove Tags`): then the field's API name (`f1003`).
    Either way the name resolves back to this very field through the object's FieldCatalog, which is
    how the writer reads a record. A field neither name reaches is left out with a note.
    """
    aliases: dict[str, int] = {}
    for info in obj.fields:
        key = normalise(info.alias)
        aliases[key] = aliases.get(key, 0) + 1
    found: dict[str, FieldInfo] = {}
    for info in obj.writable_fields:  # never one of Ontraport's own (e.g. `owner`: see system_fields.py)
        alias = info.alias.strip()
        key = normalise(alias)
        if key and aliases.get(key) == 1 and key not in _RESERVED and _reaches(obj, alias, info):
            found[alias] = info
        elif normalise(info.name) not in _RESERVED and _reaches(obj, info.name, info):
            found[info.name] = info
        elif notes is not None:
            notes.append(
                f"{obj.name} field {info.name} ({info.alias}) is not offered: neither its alias nor its "
                "name reaches it unambiguously (another field has the same name or alias)."
            )
    return found


def _reaches(obj: ObjectType, prop: str, info: FieldInfo) -> bool:
    """Whether a record key `prop` maps to `info` (the writer's lookup: normalised name, then alias)."""
    return obj.fields.lookup_normalised(normalise(prop)) == info


def field_schema(info: FieldInfo) -> dict[str, Any]:
    """The JSON schema of one field: nullable (a null never blanks a field; it is left out)."""
    kind = info.type
    schema: dict[str, Any]
    if kind in NUMBER_TYPES:
        schema = {"type": ["null", "number"]}
        hint = "a number"
    elif kind in CHECK_TYPES:
        schema = {"type": ["null", "boolean"]}
        hint = "true or false (1/0 and yes/no are taken too)"
    elif kind in DATE_ONLY_TYPES:
        schema = {"type": ["null", "string"], "format": "date"}
        hint = "a date, e.g. 2024-05-31"
    elif kind in DATE_TYPES:
        schema = {"type": ["null", "string"], "format": "date-time"}
        hint = "a date and time, e.g. 2024-05-31T14:30:00Z"
    elif kind in DROP_TYPES:
        schema = {"type": ["null", "string"]}
        hint = "one option, by label or option id; " + _options(info.options)
    elif kind in LIST_TYPES:
        schema = {"type": ["null", "array", "string"], "items": {"type": "string"}}
        hint = "options by label or id, as a list or one comma-separated string; " + _options(info.options)
    elif kind in LINK_TYPES:
        schema = {"type": ["null", "integer"]}
        hint = "the Ontraport id of the linked record (0 removes the link)"
    else:
        schema = {"type": ["null", "string"]}
        hint = ""
    description = f"Ontraport field {info.name} ({info.alias}), type {kind}"
    description += f": {hint}." if hint else "."
    if info.unique:
        description += " Ontraport keeps it unique: it can be the matching key."
    if info.required:
        description += " Ontraport requires it on new records."
    schema["description"] = description
    return schema


def link_schema(link: LinkProperty) -> dict[str, Any]:
    """`Primary Contact (Email)`: the linked record's key, as text."""
    return {"type": ["null", "string"], "description": link.describe()}


def _options(options: Mapping[str, str]) -> str:
    if not options:
        return "the account's metadata lists no options"
    shown = [f"{label} ({option_id})" for option_id, label in list(options.items())[:MAX_OPTIONS_DESCRIBED]]
    more = len(options) - len(shown)
    return "options: " + ", ".join(shown) + (f" and {more} more" if more > 0 else "")


__all__ = [
    "CATALOG_SERIALIZER",
    "Discovered",
    "NothingToDiscoverError",
    "discover_catalog",
    "field_schema",
    "property_names",
    "read_catalog",
]
