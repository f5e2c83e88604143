"""Records of any object type: contacts through `/Contact(s)` and every modelled type through the
generic `/object(s)` routes with `objectID`. One implementation serves all types, because
Ontraport's generic interface is one endpoint family with the type as a parameter; where
contacts differ (merge on email, `use_utm_names` in a create's answer) the ObjectType says so.
"""

from __future__ import annotations

from typing import Any

from .api_common import (
    action_selection,
    answers_nothing,
    collection_rows,
    count_extra,
    envelope,
    list_fields,
    not_found,
    paging,
    read_selection,
    record_row,
    records_of,
    required_id,
    valid_email,
    writable,
)
from .app import Sandbox
from .builtin_objects import TRANSACTION_OBJECT_ID
from .errors import ApiError
from .field_values import stored_fields
from .meta import ObjectType
from .money import money_number, sum_money
from .params import Params, as_list, as_str, has, intval, truthy
from .records import Record

CONTACT_LIST_FIELDS = ["fn", "email", "office_phone", "date", "grade", "dla", "contact_id"]


def writable_fields(app: Sandbox, kind: ObjectType, params: Params) -> Record:
    """Editable fields of the request; anything else (unknown names, read-only fields, control
    parameters such as `objectID`) is dropped silently, like Ontraport does. An invalid value in
    an email field is refused; link (`parent`) and date-only values are kept as field_values.py
    says."""
    writable(kind)
    editable = kind.editable
    fields = {name: as_str(value) for name, value in params.items() if name in editable}
    for name in kind.email_fields:
        value = fields.get(name, "")
        if value and not valid_email(value):
            raise ApiError(app.settings.invalid_email_status, "Invalid email address")
    return stored_fields(kind, fields, app.settings.date_only_zone)


def require_for_create(kind: ObjectType, fields: Record) -> None:
    """A product needs its `name` (notes 13 B8: the SDK's create requires it)."""
    for name in kind.traits.create_requires:
        if not fields.get(name, "").strip():
            raise ApiError(400, f"Missing required parameter: {name}")


def _created_data(kind: ObjectType, fields: Record, record: Record) -> Record:
    """A created record's answer: the submitted fields, `id`, `owner` (contacts also
    `use_utm_names`, as the SDK's fixture shows; no source shows it for other types)."""
    data = dict(fields)
    if kind.is_contact:
        data["use_utm_names"] = "false"
    data["id"] = record["id"]
    data["owner"] = record.get("owner", "1")
    return data


def _default_list_fields(kind: ObjectType) -> list[str]:
    """What getInfo names as the list view's columns for a non-contact type: the built-in types'
    own (notes 13 A4, B7), else (assumed) the first editable fields."""
    if kind.traits.info_list_fields:
        return list(kind.traits.info_list_fields)
    return [name for name in kind.field_order if name in kind.editable][:5]


def get_one(app: Sandbox, params: Params, kind: ObjectType) -> dict[str, Any]:
    record = records_of(app, kind).get(required_id(params))
    if record is None:
        raise not_found(app)
    return envelope(app, record_row(app, kind, record))


def list_many(app: Sandbox, params: Params, kind: ObjectType) -> dict[str, Any]:
    """Without `listFields` every field, except for a type whose list answers fewer columns (a
    campaign list answers `id` and `name`, notes 13 A4)."""
    start, size = paging(params)
    descending = as_str(params.get("sortDir", "")).lower() == "desc"
    store = records_of(app, kind)
    with store.lock:
        selected = read_selection(app, params, kind)
        if answers_nothing(app, params):
            selected = []
        total, records = store.page(
            selected,
            start=start,
            size=size,
            list_fields=list_fields(params) or list(kind.traits.default_list_fields) or None,
            sort=as_str(params.get("sort", "")),
            descending=descending,
        )
    return envelope(app, collection_rows(app, kind, records), misc=True, **count_extra(params, total))


def info(app: Sandbox, params: Params, kind: ObjectType) -> dict[str, Any]:
    """getInfo counts what `condition`/`search` select, whatever `condition_without_ids` says."""
    store = records_of(app, kind)
    with store.lock:
        selected = read_selection(app, params, kind)
        total = store.count if selected is None else len(selected)
        sums = None
        if kind.object_id == TRANSACTION_OBJECT_ID:  # notes 13 B7: getInfo adds `sums`
            _, rows = store.page(selected, start=0, size=total, list_fields=["total"])
            sums = {"total": money_number(sum_money(row["total"] for row in rows))}
    shown = list(CONTACT_LIST_FIELDS) if kind.is_contact else _default_list_fields(kind)
    data: dict[str, Any] = {
        "listFields": shown,
        "listFieldSettings": [],
        "cardViewSettings": [],
        "viewMode": [],
        "count": str(total),
    }
    if sums is not None:
        data["sums"] = sums
    return envelope(app, data)


def create(app: Sandbox, params: Params, kind: ObjectType) -> dict[str, Any]:
    fields = writable_fields(app, kind, params)
    require_for_create(kind, fields)
    record = records_of(app, kind).create(fields)
    return envelope(app, _created_data(kind, fields, record))


def update(app: Sandbox, params: Params, kind: ObjectType) -> dict[str, Any]:
    """By `id`, or by `unique_id` when no id is given; an unknown one is `Object not found`."""
    fields = writable_fields(app, kind, params)
    store = records_of(app, kind)
    if has(params, "id"):
        record_id: int | None = intval(params["id"])
    elif has(params, "unique_id"):
        record_id = store.id_for_unique_id(as_str(params["unique_id"]).strip())
    else:
        raise ApiError(400, "Missing required parameter: id")
    attrs = (
        None if record_id is None else store.update(record_id, fields, truthy(params.get("ignore_blanks")))
    )
    if attrs is None:
        raise not_found(app)
    return envelope(app, {"attrs": attrs})


def save_or_update(app: Sandbox, params: Params, kind: ObjectType) -> dict[str, Any]:
    """Merge on `unique_id`, then on the type's merge fields; no match (or no merge field given,
    or a type with none) creates. `id` never selects a record."""
    fields = writable_fields(app, kind, params)
    unique_id = as_str(params.get("unique_id", "")).strip()
    ignore_blanks = truthy(params.get("ignore_blanks"))
    store = records_of(app, kind)
    with store.lock:
        if store.find_for_merge(unique_id, fields) is None:
            require_for_create(kind, fields)
        created, result = store.save_or_update(fields, unique_id, ignore_blanks)
    if created:
        return envelope(app, _created_data(kind, fields, result))
    return envelope(app, {"attrs": result})


def get_by_email(app: Sandbox, params: Params, kind: ObjectType) -> dict[str, Any]:
    if "email" not in kind.fields:
        raise ApiError(400, f"Object type {kind.object_id} has no email field")
    if not has(params, "email"):
        raise ApiError(400, "Missing required parameter: email")
    ids = records_of(app, kind).ids_by_value("email", as_str(params["email"]).strip())
    if not ids:
        raise not_found(app)
    if truthy(params.get("all")):
        return envelope(app, {"ids": [str(record_id) for record_id in ids]})
    return envelope(app, {"id": str(ids[0])})


def delete_one(app: Sandbox, params: Params, kind: ObjectType) -> dict[str, Any]:
    writable(kind)
    if records_of(app, kind).delete([required_id(params)]) == 0:
        raise not_found(app)
    return envelope(app)  # Ontraport answers a single delete without `data`


def delete_many(app: Sandbox, params: Params, kind: ObjectType) -> dict[str, Any]:
    """The danger model: no selector deletes every record of the type (logged, counted). The
    `delete_overreach` switch makes a delete of named ids remove that many more records."""
    writable(kind)
    store = records_of(app, kind)
    with store.lock:
        selection = action_selection(app, params, kind, implicit_all=True)
        if selection.everything:
            removed = store.delete_all()
            app.stats.delete_all()
            app.log(
                f"DELETE-ALL: a delete without a selector removed every {kind.name} "
                f"(object {kind.object_id}, {removed} records)"
            )
        else:
            store.delete(selection.ids)
            overreach = app.settings.delete_overreach
            if selection.explicit and overreach > 0:
                named = {intval(value) for value in as_list(params.get("ids"))}
                extra = store.lowest_ids_except(named, overreach)
                store.delete(extra)
                app.stats.overreach(len(extra))
                app.log(f"DELETE-OVERREACH: a delete of named {kind.name} ids also removed {extra}")
    return envelope(app, "Deleted")


def meta_of(app: Sandbox, params: Params, kind: ObjectType) -> dict[str, Any]:
    by_name = as_str(params.get("format", "")).lower() == "byname"
    return envelope(app, app.meta.describe([kind.object_id], by_name))
