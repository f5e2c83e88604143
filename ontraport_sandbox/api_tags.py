"""Tags: the tag object itself (objectID 14, `/Tags`, `/Tag`) and the bulk tag actions on the
records of any object type that has tags (`/objects/tag`, `/objects/tagByName`).

A tag belongs to one object type (`object_type_id`), and its name is unique within that type.
Tag actions answer "The tag is now being processed." because Ontraport tags asynchronously; the
sandbox applies them at once.
"""

from __future__ import annotations

from typing import Any

from .api_common import (
    Selection,
    action_selection,
    answers_nothing,
    collection_rows,
    condition,
    count_extra,
    envelope,
    invalid_object,
    list_fields,
    not_found,
    object_id,
    paging,
    records_of,
    required_id,
    sensitive,
)
from .app import Sandbox
from .criteria import make_clause, matches
from .errors import ApiError
from .meta import CONTACT_OBJECT_ID, ObjectType
from .params import Params, as_list, as_str, has, intval
from .records import record_getter, sort_key
from .store import DuplicateTagError

TAG_PROCESSING = "The tag is now being processed."
TAG_FIELDS = frozenset({"tag_id", "tag_name", "object_type_id"})


# ---------------------------------------------------------------------------------------------
# bulk tag actions on records
# ---------------------------------------------------------------------------------------------


def tagged_type(app: Sandbox, params: Params) -> ObjectType:
    """The object type a tag action names; it must exist and have tags."""
    kind = app.meta.get(object_id(params))
    if kind is None:
        raise invalid_object(params)
    if not kind.tags:
        raise ApiError(400, f"Object type {kind.object_id} has no tags")
    return kind


def _tag_ids(params: Params, key: str) -> list[int]:
    values = [intval(value) for value in as_list(params.get(key))]
    values = [value for value in values if value > 0]
    if not values:
        raise ApiError(400, f"Missing required parameter: {key}")
    return values


def _names(params: Params, key: str) -> list[str]:
    raw = params.get(key)
    if isinstance(raw, list):
        names = [as_str(name).strip() for name in raw]
    elif raw is None:
        names = []
    else:
        names = [as_str(raw).strip()]  # one name; names may contain commas, so no splitting
    names = [name for name in names if name]
    if not names:
        raise ApiError(400, f"Missing required parameter: {key}")
    return names


def _require_id_array(params: Params) -> None:
    """tagByName needs `ids` as an array; a comma string is refused (a .NET client had to switch)."""
    if "ids" in params and not isinstance(params["ids"], list):
        raise ApiError(400, "ids must be an array")


def _selection(app: Sandbox, params: Params, kind: ObjectType, route: str) -> Selection:
    """The records a tag action covers. One that covers every record of the type (`ids=0`,
    `performAll`) is what Ontraport does too, so it is carried out, but logged and counted in
    `tag_all` (notes 13 D12: "ids=0 or performAll=1 selects everything; the sandbox should log
    it"), so that a test can assert that no client ever sent one."""
    selection = action_selection(app, params, kind, implicit_all=False)
    if selection.everything:
        app.stats.tag_all()
        app.log(f"TAG-ALL: {route} acted on every {kind.name} (object {kind.object_id})")
    return selection


def tag_records(app: Sandbox, params: Params) -> dict[str, Any]:
    kind = tagged_type(app, params)
    add = _tag_ids(params, "add_list")
    with app.store.lock:
        selection = _selection(app, params, kind, "PUT /objects/tag")
        app.store.change_tags(kind.object_id, selection.ids, add, [])
    return envelope(app, TAG_PROCESSING)


def untag_records(app: Sandbox, params: Params) -> dict[str, Any]:
    kind = tagged_type(app, params)
    remove = _tag_ids(params, "remove_list")
    with app.store.lock:
        selection = _selection(app, params, kind, "DELETE /objects/tag")
        app.store.change_tags(kind.object_id, selection.ids, [], remove)
    return envelope(app, TAG_PROCESSING)


def tag_by_name(app: Sandbox, params: Params) -> dict[str, Any]:
    """Creates missing tags (of the named object type) on add."""
    kind = tagged_type(app, params)
    _require_id_array(params)
    names = _names(params, "add_names")
    with app.store.lock:
        selection = _selection(app, params, kind, "PUT /objects/tagByName")
        tag_ids = app.store.tag_ids_for_names(names, True, kind.object_id)
        app.store.change_tags(kind.object_id, selection.ids, tag_ids, [])
    return envelope(app, TAG_PROCESSING)


def untag_by_name(app: Sandbox, params: Params) -> dict[str, Any]:
    """Ignores names that are not tags of the named object type."""
    kind = tagged_type(app, params)
    _require_id_array(params)
    names = _names(params, "remove_names")
    with app.store.lock:
        selection = _selection(app, params, kind, "DELETE /objects/tagByName")
        tag_ids = app.store.tag_ids_for_names(names, False, kind.object_id)
        app.store.change_tags(kind.object_id, selection.ids, [], tag_ids)
    return envelope(app, TAG_PROCESSING)


def records_with_tag(app: Sandbox, params: Params) -> dict[str, Any]:
    """`GET /objects/tag?objectID=N&tag_id=` (or `tag_name=`): the records carrying a tag. A tag
    of another object type carries none of them."""
    kind = tagged_type(app, params)
    if has(params, "tag_id"):
        found = app.store.tags_of_type([intval(params["tag_id"])], kind.object_id)
    elif has(params, "tag_name"):
        found = app.store.tag_ids_for_names([as_str(params["tag_name"])], False, kind.object_id)
    else:
        raise ApiError(400, "Missing required parameter: tag_id")
    start, size = paging(params)
    store = records_of(app, kind)
    with store.lock:
        members = store.tag_member_ids(found[0]) if found else []
        total, records = store.page(members, start=start, size=size, list_fields=list_fields(params))
    return envelope(app, collection_rows(app, kind, records), misc=True, **count_extra(params, total))


# ---------------------------------------------------------------------------------------------
# the tag object (14)
# ---------------------------------------------------------------------------------------------


def _selected_tags(app: Sandbox, params: Params) -> list[dict[str, str]]:
    case = sensitive(app)
    node = condition(app, params, TAG_FIELDS)
    filters = []
    for key in ("tag_id", "tag_name", "object_type_id"):
        if has(params, key):
            values = as_list(params[key]) if key != "tag_name" else [as_str(params[key])]
            filters.append(make_clause(key, "IN", values, case))
    wanted_ids = {intval(value) for value in as_list(params.get("ids"))} - {0}
    out = []
    for tag in app.store.tags():
        record = tag.as_record()
        if wanted_ids and tag.tag_id not in wanted_ids:
            continue
        get = record_getter(record)
        if node is not None and not matches(node, get):
            continue
        if not all(matches(clause, get) for clause in filters):
            continue
        out.append(record)
    sort = as_str(params.get("sort", ""))
    if sort in TAG_FIELDS:
        descending = as_str(params.get("sortDir", "")).lower() == "desc"
        out.sort(key=lambda r: sort_key(r[sort], case), reverse=descending)
    return out


def list_tags(app: Sandbox, params: Params) -> dict[str, Any]:
    records = _selected_tags(app, params)
    if answers_nothing(app, params):
        records = []
    start, size = paging(params)
    page = records[start : start + size]
    fields = list_fields(params)
    if fields:
        page = [{name: record[name] for name in fields if name in record} for record in page]
    return envelope(app, page, misc=True, **count_extra(params, len(records)))


def tags_info(app: Sandbox, params: Params) -> dict[str, Any]:
    count = len(_selected_tags(app, params))
    data = {
        "listFields": ["tag_name"],
        "listFieldSettings": [],
        "cardViewSettings": [],
        "viewMode": [],
        "count": str(count),
    }
    return envelope(app, data)


def get_tag(app: Sandbox, params: Params) -> dict[str, Any]:
    tag = app.store.get_tag(required_id(params))
    if tag is None:
        raise not_found(app)
    return envelope(app, tag.as_record())


def create_tag(app: Sandbox, params: Params) -> dict[str, Any]:
    name = as_str(params.get("tag_name", "")).strip()
    if not name:
        raise ApiError(400, "Missing required parameter: tag_name")
    try:
        tag = app.store.create_tag(name, intval(params.get("object_type_id", CONTACT_OBJECT_ID)))
    except DuplicateTagError as exc:
        raise ApiError(400, "Tag already exists") from exc
    return envelope(app, tag.as_record())


def update_tag(app: Sandbox, params: Params) -> dict[str, Any]:
    tag_id = intval(params["id"]) if has(params, "id") else required_id(params, "tag_id")
    name = as_str(params.get("tag_name", "")).strip()
    if not name:
        raise ApiError(400, "Missing required parameter: tag_name")
    try:
        tag = app.store.rename_tag(tag_id, name)
    except DuplicateTagError as exc:
        raise ApiError(400, "Tag already exists") from exc
    if tag is None:
        raise not_found(app)
    return envelope(app, {"attrs": {"tag_name": tag.tag_name, "id": str(tag.tag_id)}})


def delete_tag(app: Sandbox, params: Params) -> dict[str, Any]:
    if app.store.delete_tags([required_id(params)]) == 0:
        raise not_found(app)
    return envelope(app)


def delete_tags(app: Sandbox, params: Params) -> dict[str, Any]:
    ids = [intval(value) for value in as_list(params.get("ids"))]
    if not ids:
        raise ApiError(400, "Missing required parameter: ids")
    app.store.delete_tags(ids)
    return envelope(app, "Deleted")
