"""The /1/ endpoints: parameters in, Ontraport-shaped envelopes (or plain-text errors) out.

Each handler follows `shared/ontraport-api.md`; where that sheet says UNCONFIRMED the choice made
here is noted in README.md and, where a client could reasonably depend on it, configurable.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .app import Sandbox
from .criteria import CriteriaError, Node, fields_of, make_clause, matches, parse_condition
from .errors import ApiError
from .meta import CONTACT_OBJECT_ID, TAG_OBJECT_ID
from .params import Params, as_list, as_str, has, intval, truthy
from .store import DuplicateTagError, Record, Tag, record_getter, sort_key

Handler = Callable[[Sandbox, Params], dict[str, Any]]

MAX_RANGE = 50
SAVE_OR_UPDATE_PATHS = frozenset({"/1/contacts/saveorupdate", "/1/objects/saveorupdate"})
TAG_PROCESSING = "The tag is now being processed."
DEFAULT_LIST_FIELDS = ["fn", "email", "office_phone", "date", "grade", "dla", "contact_id"]
TAG_FIELDS = frozenset({"tag_id", "tag_name", "object_type_id"})

_EMAIL = re.compile(
    r"^(?P<local>[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+)@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
_MISSING: Any = object()


def valid_email(value: str) -> bool:
    """Roughly PHP's FILTER_VALIDATE_EMAIL: one @, no spaces, a dotted domain, no stray dots."""
    match = _EMAIL.match(value)
    if match is None:
        return False
    local = match.group("local")
    return not (local.startswith(".") or local.endswith(".") or ".." in local)


def envelope(app: Sandbox, data: Any = _MISSING, *, misc: bool = False, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"code": 0}
    if data is not _MISSING:
        out["data"] = data
    out["account_id"] = app.settings.account_id
    if misc:
        out["misc"] = []
    out.update(extra)
    return out


def not_found(app: Sandbox) -> ApiError:
    return ApiError(app.settings.not_found_status, "Object not found")


# ---------------------------------------------------------------------------------------------
# parameter helpers
# ---------------------------------------------------------------------------------------------


def _paging(params: Params) -> tuple[int, int]:
    """`range` defaults to 50 and is capped at 50 silently, as the real API does for reads."""
    start = max(0, intval(params.get("start", 0)))
    size = intval(params.get("range", MAX_RANGE)) if has(params, "range") else MAX_RANGE
    if size <= 0 or size > MAX_RANGE:
        size = MAX_RANGE
    return start, size


def _list_fields(params: Params) -> list[str] | None:
    names = as_list(params.get("listFields"))
    return names or None


def _sensitive(app: Sandbox) -> bool:
    """The `text_case` switch: whether text comparisons tell upper from lower case."""
    return app.settings.text_case == "sensitive"


def _condition(app: Sandbox, params: Params, known: frozenset[str]) -> Node | None:
    try:
        node = parse_condition(params.get("condition"), _sensitive(app))
    except CriteriaError as exc:
        raise ApiError(400, f"Invalid condition: {exc}") from exc
    if node is not None:
        unknown = sorted(fields_of(node) - known)
        if unknown:
            raise ApiError(400, f"Invalid field in condition: {unknown[0]}")
    return node


def _object_id(params: Params, allowed: tuple[int, ...]) -> int:
    if not has(params, "objectID"):
        raise ApiError(400, "Missing required parameter: objectID")
    object_id = intval(params["objectID"])
    if object_id not in allowed:
        raise ApiError(
            400,
            f"Invalid objectID {as_str(params['objectID'])} (the sandbox serves contacts (0) and tags (14))",
        )
    return object_id


def _required_id(params: Params, key: str = "id") -> int:
    if not has(params, key):
        raise ApiError(400, f"Missing required parameter: {key}")
    return intval(params[key])


def _contact_fields(app: Sandbox, params: Params) -> Record:
    """Editable contact fields of the request; anything else (unknown names, read-only fields,
    control parameters) is dropped silently, like Ontraport does."""
    editable = app.meta.editable
    fields = {name: as_str(value) for name, value in params.items() if name in editable}
    for name in app.meta.email_fields:
        value = fields.get(name, "")
        if value and not valid_email(value):
            raise ApiError(app.settings.invalid_email_status, "Invalid email address")
    return fields


def _created_data(fields: Record, record: Record) -> Record:
    """The shape of a created contact: submitted fields, `use_utm_names`, `id`, `owner`."""
    data = dict(fields)
    data["use_utm_names"] = "false"
    data["id"] = record["id"]
    data["owner"] = record.get("owner", "1")
    return data


def _count_extra(params: Params, total: int) -> dict[str, Any]:
    return {"count": str(total)} if truthy(params.get("count")) else {}


def _answers_nothing(app: Sandbox, params: Params) -> bool:
    """The `condition_without_ids` switch for collection GETs: with 'nothing', a condition or
    search without an `ids` parameter selects no record (one .NET client says `ids=0` "is
    required to return all objects" for advanced search). `ids=0` keeps meaning "all records"
    in both modes. Never used for getInfo, deletes or bulk actions."""
    return (
        app.settings.condition_without_ids == "nothing"
        and not has(params, "ids")
        and (has(params, "condition") or has(params, "search"))
    )


def _collection_rows(app: Sandbox, rows: list[Record]) -> list[Record]:
    """The `collection_contact_cat` switch: with 'never', collection reads leave the tag-list
    field out of their rows even when `listFields` names it (no source shows it there)."""
    if app.settings.collection_contact_cat == "never":
        for row in rows:
            row.pop("contact_cat", None)
    return rows


# ---------------------------------------------------------------------------------------------
# contacts
# ---------------------------------------------------------------------------------------------


def _read_selection(app: Sandbox, params: Params) -> list[int] | None:
    node = _condition(app, params, app.meta.queryable)
    ids: list[int] | None = None
    if has(params, "ids"):
        parsed = [intval(value) for value in as_list(params["ids"])]
        if parsed and all(value > 0 for value in parsed):
            ids = parsed  # `ids=0` means "no id restriction" on reads
    if intval(params.get("group_id", params.get("group_ids", 0))) != 0:
        return []  # the sandbox has no groups, so a group selects nobody
    return app.store.select(node, ids, as_str(params.get("search", "")).strip())


def get_contact(app: Sandbox, params: Params) -> dict[str, Any]:
    record = app.store.get(_required_id(params))
    if record is None:
        raise not_found(app)
    return envelope(app, record)


def list_contacts(app: Sandbox, params: Params) -> dict[str, Any]:
    start, size = _paging(params)
    descending = as_str(params.get("sortDir", "")).lower() == "desc"
    with app.store.lock:
        selected = _read_selection(app, params)
        if _answers_nothing(app, params):
            selected = []
        total, records = app.store.page(
            selected,
            start=start,
            size=size,
            list_fields=_list_fields(params),
            sort=as_str(params.get("sort", "")),
            descending=descending,
        )
    return envelope(app, _collection_rows(app, records), misc=True, **_count_extra(params, total))


def contacts_info(app: Sandbox, params: Params) -> dict[str, Any]:
    with app.store.lock:
        selected = _read_selection(app, params)
        total = app.store.contact_count if selected is None else len(selected)
    data = {
        "listFields": list(DEFAULT_LIST_FIELDS),
        "listFieldSettings": [],
        "cardViewSettings": [],
        "viewMode": [],
        "count": str(total),
    }
    return envelope(app, data)


def create_contact(app: Sandbox, params: Params) -> dict[str, Any]:
    fields = _contact_fields(app, params)
    record = app.store.create(fields)
    return envelope(app, _created_data(fields, record))


def update_contact(app: Sandbox, params: Params) -> dict[str, Any]:
    fields = _contact_fields(app, params)
    if has(params, "id"):
        contact_id: int | None = intval(params["id"])
    elif has(params, "unique_id"):
        contact_id = app.store.contact_id_for_unique_id(as_str(params["unique_id"]).strip())
    else:
        raise ApiError(400, "Missing required parameter: id")
    attrs = (
        None
        if contact_id is None
        else app.store.update(contact_id, fields, truthy(params.get("ignore_blanks")))
    )
    if attrs is None:
        raise not_found(app)
    return envelope(app, {"attrs": attrs})


def save_or_update(app: Sandbox, params: Params) -> dict[str, Any]:
    fields = _contact_fields(app, params)
    unique_id = as_str(params.get("unique_id", "")).strip()
    created, result = app.store.save_or_update(fields, unique_id, truthy(params.get("ignore_blanks")))
    if created:
        return envelope(app, _created_data(fields, result))
    return envelope(app, {"attrs": result})


def contacts_meta(app: Sandbox, params: Params) -> dict[str, Any]:
    by_name = as_str(params.get("format", "")).lower() == "byname"
    return envelope(app, app.meta.describe([CONTACT_OBJECT_ID], by_name))


def objects_meta(app: Sandbox, params: Params) -> dict[str, Any]:
    by_name = as_str(params.get("format", "")).lower() == "byname"
    if has(params, "objectID"):
        object_ids = [_object_id(params, (CONTACT_OBJECT_ID, TAG_OBJECT_ID))]
    else:
        object_ids = [CONTACT_OBJECT_ID, TAG_OBJECT_ID]
    return envelope(app, app.meta.describe(object_ids, by_name))


def get_by_email(app: Sandbox, params: Params) -> dict[str, Any]:
    _object_id(params, (CONTACT_OBJECT_ID,))
    if not has(params, "email"):
        raise ApiError(400, "Missing required parameter: email")
    ids = app.store.ids_by_value("email", as_str(params["email"]).strip())
    if not ids:
        raise not_found(app)
    if truthy(params.get("all")):
        return envelope(app, {"ids": [str(contact_id) for contact_id in ids]})
    return envelope(app, {"id": str(ids[0])})


def delete_contact(app: Sandbox, params: Params) -> dict[str, Any]:
    contact_id = _required_id(params)
    if app.store.delete([contact_id]) == 0:
        raise not_found(app)
    return envelope(app)  # Ontraport answers a single delete without `data`


# ---------------------------------------------------------------------------------------------
# bulk actions: delete, tag, untag
# ---------------------------------------------------------------------------------------------


@dataclass
class Selection:
    ids: list[int]
    everything: bool  # nothing narrowed the action down: it hits every contact
    explicit: bool = False  # the request named explicit (non-zero) ids


def _action_selection(app: Sandbox, params: Params, *, implicit_all: bool) -> Selection:
    """Which contacts a collection action touches. Mirrors the documented danger: no selector,
    `performAll`, or an id of 0 (including a non-numeric id, which PHP reads as 0) means every
    contact. The caller holds the store lock so that selecting and acting are one step."""
    store = app.store
    node = _condition(app, params, app.meta.queryable)
    search = as_str(params.get("search", "")).strip()
    ids = [intval(value) for value in as_list(params.get("ids"))]
    any_zero = any(value <= 0 for value in ids)
    group = intval(params.get("group_id", params.get("group_ids", 0)))
    selected: list[int] | None
    everything = False
    explicit = bool(ids) and not any_zero
    if explicit:
        selected = store.select(node, ids, search)
    elif node is not None or search:
        selected = store.select(node, None, search)
    elif group != 0:
        selected = []  # no groups in the sandbox
    elif ids or truthy(params.get("performAll")) or implicit_all:
        selected = None
        everything = True
    else:
        raise ApiError(400, "Missing required parameter: ids")
    chosen = store.all_ids() if selected is None else selected
    if has(params, "start") or has(params, "range"):
        start = max(0, intval(params.get("start", 0)))
        size = intval(params["range"]) if has(params, "range") else len(chosen)
        chosen = chosen[start : start + max(0, size)]
        everything = False
    return Selection(chosen, everything, explicit)


def delete_contacts(app: Sandbox, params: Params) -> dict[str, Any]:
    with app.store.lock:
        selection = _action_selection(app, params, implicit_all=True)
        if selection.everything:
            removed = app.store.delete_all()
            app.stats.delete_all()
            app.log(f"DELETE-ALL: a delete without a selector removed every contact ({removed})")
        else:
            app.store.delete(selection.ids)
            overreach = app.settings.delete_overreach
            if selection.explicit and overreach > 0:
                named = {intval(value) for value in as_list(params.get("ids"))}
                extra = app.store.lowest_ids_except(named, overreach)
                app.store.delete(extra)
                app.stats.overreach(len(extra))
                app.log(f"DELETE-OVERREACH: a delete of named ids also removed {extra}")
    return envelope(app, "Deleted")


def _tag_ids(params: Params, key: str) -> list[int]:
    values = [intval(value) for value in as_list(params.get(key))]
    values = [value for value in values if value > 0]
    if not values:
        raise ApiError(400, f"Missing required parameter: {key}")
    return values


def tag_contacts(app: Sandbox, params: Params) -> dict[str, Any]:
    _object_id(params, (CONTACT_OBJECT_ID,))
    add = _tag_ids(params, "add_list")
    with app.store.lock:
        selection = _action_selection(app, params, implicit_all=False)
        app.store.change_tags(selection.ids, add, [])
    return envelope(app, TAG_PROCESSING)


def untag_contacts(app: Sandbox, params: Params) -> dict[str, Any]:
    _object_id(params, (CONTACT_OBJECT_ID,))
    remove = _tag_ids(params, "remove_list")
    with app.store.lock:
        selection = _action_selection(app, params, implicit_all=False)
        app.store.change_tags(selection.ids, [], remove)
    return envelope(app, TAG_PROCESSING)


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


def tag_by_name(app: Sandbox, params: Params) -> dict[str, Any]:
    _object_id(params, (CONTACT_OBJECT_ID,))
    _require_id_array(params)
    names = _names(params, "add_names")
    with app.store.lock:
        selection = _action_selection(app, params, implicit_all=False)
        tag_ids = app.store.tag_ids_for_names(names, create=True)
        app.store.change_tags(selection.ids, tag_ids, [])
    return envelope(app, TAG_PROCESSING)


def untag_by_name(app: Sandbox, params: Params) -> dict[str, Any]:
    _object_id(params, (CONTACT_OBJECT_ID,))
    _require_id_array(params)
    names = _names(params, "remove_names")
    with app.store.lock:
        selection = _action_selection(app, params, implicit_all=False)
        tag_ids = app.store.tag_ids_for_names(names, create=False)
        app.store.change_tags(selection.ids, [], tag_ids)
    return envelope(app, TAG_PROCESSING)


def contacts_with_tag(app: Sandbox, params: Params) -> dict[str, Any]:
    _object_id(params, (CONTACT_OBJECT_ID,))
    if has(params, "tag_id"):
        tag_id: int | None = intval(params["tag_id"])
    elif has(params, "tag_name"):
        found = app.store.tag_ids_for_names([as_str(params["tag_name"])], create=False)
        tag_id = found[0] if found else None
    else:
        raise ApiError(400, "Missing required parameter: tag_id")
    start, size = _paging(params)
    with app.store.lock:
        members = [] if tag_id is None else app.store.tag_member_ids(tag_id)
        total, records = app.store.page(members, start=start, size=size, list_fields=_list_fields(params))
    return envelope(app, _collection_rows(app, records), misc=True, **_count_extra(params, total))


# ---------------------------------------------------------------------------------------------
# tags (object 14)
# ---------------------------------------------------------------------------------------------


def _tag_data(tag: Tag) -> Record:
    return tag.as_record()


def _selected_tags(app: Sandbox, params: Params) -> list[Record]:
    sensitive = _sensitive(app)
    node = _condition(app, params, TAG_FIELDS)
    filters = []
    for key in ("tag_id", "tag_name", "object_type_id"):
        if has(params, key):
            values = as_list(params[key]) if key != "tag_name" else [as_str(params[key])]
            filters.append(make_clause(key, "IN", values, sensitive))
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
        out.sort(key=lambda r: sort_key(r[sort], sensitive), reverse=descending)
    return out


def list_tags(app: Sandbox, params: Params) -> dict[str, Any]:
    records = _selected_tags(app, params)
    if _answers_nothing(app, params):
        records = []
    start, size = _paging(params)
    page = records[start : start + size]
    fields = _list_fields(params)
    if fields:
        page = [{name: record[name] for name in fields if name in record} for record in page]
    return envelope(app, page, misc=True, **_count_extra(params, len(records)))


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
    tag = app.store.get_tag(_required_id(params))
    if tag is None:
        raise not_found(app)
    return envelope(app, _tag_data(tag))


def create_tag(app: Sandbox, params: Params) -> dict[str, Any]:
    name = as_str(params.get("tag_name", "")).strip()
    if not name:
        raise ApiError(400, "Missing required parameter: tag_name")
    try:
        tag = app.store.create_tag(name, intval(params.get("object_type_id", CONTACT_OBJECT_ID)))
    except DuplicateTagError as exc:
        raise ApiError(400, "Tag already exists") from exc
    return envelope(app, _tag_data(tag))


def update_tag(app: Sandbox, params: Params) -> dict[str, Any]:
    tag_id = intval(params["id"]) if has(params, "id") else _required_id(params, "tag_id")
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
    if app.store.delete_tags([_required_id(params)]) == 0:
        raise not_found(app)
    return envelope(app)


def delete_tags(app: Sandbox, params: Params) -> dict[str, Any]:
    ids = [intval(value) for value in as_list(params.get("ids"))]
    if not ids:
        raise ApiError(400, "Missing required parameter: ids")
    app.store.delete_tags(ids)
    return envelope(app, "Deleted")


# ---------------------------------------------------------------------------------------------
# generic /object(s) with objectID
# ---------------------------------------------------------------------------------------------


def _by_object(contact: Handler, tag: Handler) -> Handler:
    def handler(app: Sandbox, params: Params) -> dict[str, Any]:
        object_id = _object_id(params, (CONTACT_OBJECT_ID, TAG_OBJECT_ID))
        return (contact if object_id == CONTACT_OBJECT_ID else tag)(app, params)

    return handler


def _contacts_only(contact: Handler) -> Handler:
    def handler(app: Sandbox, params: Params) -> dict[str, Any]:
        _object_id(params, (CONTACT_OBJECT_ID,))
        return contact(app, params)

    return handler


ROUTES: dict[tuple[str, str], Handler] = {
    ("GET", "/1/contact"): get_contact,
    ("DELETE", "/1/contact"): delete_contact,
    ("GET", "/1/contacts"): list_contacts,
    ("POST", "/1/contacts"): create_contact,
    ("PUT", "/1/contacts"): update_contact,
    ("DELETE", "/1/contacts"): delete_contacts,
    ("POST", "/1/contacts/saveorupdate"): save_or_update,
    ("GET", "/1/contacts/getinfo"): contacts_info,
    ("GET", "/1/contacts/meta"): contacts_meta,
    ("GET", "/1/object"): _by_object(get_contact, get_tag),
    ("DELETE", "/1/object"): _by_object(delete_contact, delete_tag),
    ("GET", "/1/objects"): _by_object(list_contacts, list_tags),
    ("POST", "/1/objects"): _by_object(create_contact, create_tag),
    ("PUT", "/1/objects"): _by_object(update_contact, update_tag),
    ("DELETE", "/1/objects"): _by_object(delete_contacts, delete_tags),
    ("POST", "/1/objects/saveorupdate"): _contacts_only(save_or_update),
    ("GET", "/1/objects/getinfo"): _by_object(contacts_info, tags_info),
    ("GET", "/1/objects/meta"): objects_meta,
    ("GET", "/1/object/getbyemail"): get_by_email,
    ("GET", "/1/tags"): list_tags,
    ("POST", "/1/tags"): create_tag,
    ("PUT", "/1/tags"): update_tag,
    ("DELETE", "/1/tags"): delete_tags,
    ("GET", "/1/tag"): get_tag,
    ("DELETE", "/1/tag"): delete_tag,
    ("GET", "/1/tags/getinfo"): tags_info,
    ("GET", "/1/objects/tag"): contacts_with_tag,
    ("PUT", "/1/objects/tag"): tag_contacts,
    ("DELETE", "/1/objects/tag"): untag_contacts,
    ("PUT", "/1/objects/tagbyname"): tag_by_name,
    ("DELETE", "/1/objects/tagbyname"): untag_by_name,
}

KNOWN_PATHS = frozenset(path for _, path in ROUTES)


def is_save_or_update(method: str, path: str) -> bool:
    """The requests the `save_failed_rate` switch may answer with `Save failed!`."""
    return method == "POST" and path.rstrip("/").lower() in SAVE_OR_UPDATE_PATHS


def route(method: str, path: str) -> Handler:
    normalised = path.rstrip("/").lower()
    handler = ROUTES.get((method, normalised))
    if handler is not None:
        return handler
    if normalised in KNOWN_PATHS:
        raise ApiError(405, "Method not allowed")
    raise ApiError(404, "Invalid endpoint")
