"""What every /1/ handler shares: the envelope, plain-text errors, paging, `condition`, the object
type a generic route names, record selection for reads and for bulk actions, and the behaviour
switches that shape collection reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .app import Sandbox
from .builtin_objects import AUTOMATION_OBJECT_IDS, SEQUENCE_OBJECT_ID, TRANSACTION_OBJECT_ID
from .criteria import CriteriaError, Node, fields_of, parse_condition
from .errors import ApiError
from .meta import ObjectType
from .params import Params, as_list, as_str, has, intval, truthy
from .records import Record, RecordStore

MAX_RANGE = 50

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
    """`Object not found` with the `not_found_status` switch (404 or 400: no source settles it)."""
    return ApiError(app.settings.not_found_status, "Object not found")


# ---------------------------------------------------------------------------------------------
# parameters
# ---------------------------------------------------------------------------------------------


def paging(params: Params) -> tuple[int, int]:
    """`range` defaults to 50 and is capped at 50 silently, as the real API does for reads."""
    start = max(0, intval(params.get("start", 0)))
    size = intval(params.get("range", MAX_RANGE)) if has(params, "range") else MAX_RANGE
    if size <= 0 or size > MAX_RANGE:
        size = MAX_RANGE
    return start, size


def list_fields(params: Params) -> list[str] | None:
    names = as_list(params.get("listFields"))
    return names or None


def sensitive(app: Sandbox) -> bool:
    """The `text_case` switch: whether text comparisons tell upper from lower case."""
    return app.settings.text_case == "sensitive"


def condition(app: Sandbox, params: Params, known: frozenset[str]) -> Node | None:
    try:
        node = parse_condition(params.get("condition"), sensitive(app))
    except CriteriaError as exc:
        raise ApiError(400, f"Invalid condition: {exc}") from exc
    if node is not None:
        unknown = sorted(fields_of(node) - known)
        if unknown:
            raise ApiError(400, f"Invalid field in condition: {unknown[0]}")
    return node


def object_id(params: Params) -> int:
    if not has(params, "objectID"):
        raise ApiError(400, "Missing required parameter: objectID")
    return intval(params["objectID"])


def invalid_object(params: Params) -> ApiError:
    return ApiError(400, f"Invalid objectID {as_str(params.get('objectID'))}")


def required_id(params: Params, key: str = "id") -> int:
    if not has(params, key):
        raise ApiError(400, f"Missing required parameter: {key}")
    return intval(params[key])


def records_of(app: Sandbox, kind: ObjectType) -> RecordStore:
    store = app.store.records(kind.object_id)
    if store is None:  # the schema changed under this request
        raise ApiError(400, f"Invalid objectID {kind.object_id}")
    if kind.object_id in AUTOMATION_OBJECT_IDS:
        app.subscriptions.refresh_counts(app.store)  # subs / subscriber_count as of now
    return store


def writable(kind: ObjectType) -> None:
    """Campaigns, sequences and transactions are read-only through the generic routes (notes 13
    A4: the object table grants only GET on 140 and 46, and sequences must not be written; B7:
    transactions are made by processManual)."""
    if kind.traits.read_only:
        raise ApiError(400, f"Object type {kind.object_id} is read-only")


def count_extra(params: Params, total: int) -> dict[str, Any]:
    return {"count": str(total)} if truthy(params.get("count")) else {}


# ---------------------------------------------------------------------------------------------
# behaviour switches of collection reads
# ---------------------------------------------------------------------------------------------


def answers_nothing(app: Sandbox, params: Params) -> bool:
    """The `condition_without_ids` switch for collection GETs: with 'nothing', a condition or
    search without an `ids` parameter selects no record (one .NET client says `ids=0` "is
    required to return all objects" for advanced search). `ids=0` keeps meaning "all records"
    in both modes. Never used for getInfo, deletes or bulk actions."""
    return (
        app.settings.condition_without_ids == "nothing"
        and not has(params, "ids")
        and (has(params, "condition") or has(params, "search"))
    )


def collection_rows(app: Sandbox, kind: ObjectType, rows: list[Record]) -> list[Record]:
    """The `collection_contact_cat` switch: with 'never', collection reads leave the tag-list
    field out of their rows even when `listFields` names it (no source shows it there). The
    `collection_memberships` switch does the same for a contact's campaign and sequence lists
    (notes 13 A1, A2: every source reads them from the single read)."""
    hidden: list[str] = []
    if app.settings.collection_contact_cat == "never" and kind.tag_field is not None:
        hidden.append(kind.tag_field)
    if app.settings.collection_memberships == "never":
        hidden.extend(kind.membership_fields)
    for row in rows:
        for name in hidden:
            row.pop(name, None)
    return [record_row(app, kind, row) for row in rows]


def record_row(app: Sandbox, kind: ObjectType, row: Record) -> Record:
    """Any read of a record, single or collection: the `sequence_rows_id` switch decides whether a
    sequence row carries `id` beside `drip_id` (notes 13 A4: every client reads `drip_id`)."""
    if kind.object_id == SEQUENCE_OBJECT_ID and app.settings.sequence_rows_id == "absent":
        row.pop("id", None)
    return row


# ---------------------------------------------------------------------------------------------
# selection
# ---------------------------------------------------------------------------------------------


def read_selection(app: Sandbox, params: Params, kind: ObjectType) -> list[int] | None:
    """Which records a read covers; None means all. `ids=0` means no id restriction."""
    node = condition(app, params, kind.queryable)
    if (
        node is not None
        and kind.object_id == TRANSACTION_OBJECT_ID
        and app.settings.transaction_condition == "ignored"
        and "external_order_id" in fields_of(node)
    ):
        node = None  # notes 13 B7: no client filters transactions this way; it may not work
    ids: list[int] | None = None
    if has(params, "ids"):
        parsed = [intval(value) for value in as_list(params["ids"])]
        if parsed and all(value > 0 for value in parsed):
            ids = parsed
    if intval(params.get("group_id", params.get("group_ids", 0))) != 0:
        return []  # the sandbox has no groups, so a group selects nobody
    return records_of(app, kind).select(node, ids, as_str(params.get("search", "")).strip())


@dataclass
class Selection:
    ids: list[int]
    everything: bool  # nothing narrowed the action down: it hits every record of the type
    explicit: bool = False  # the request named explicit (non-zero) ids


def action_selection(app: Sandbox, params: Params, kind: ObjectType, *, implicit_all: bool) -> Selection:
    """Which records a collection action touches. Mirrors the documented danger: no selector,
    `performAll`, or an id of 0 (including a non-numeric id, which PHP reads as 0) means every
    record. The caller holds the store lock so that selecting and acting are one step."""
    store = records_of(app, kind)
    node = condition(app, params, kind.queryable)
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
