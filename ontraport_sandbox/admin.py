"""The `/__sandbox/` endpoints: how tests and benchmarks set up and inspect the fake account.

They need no credentials, spend no rate budget and are never delayed or faulted, so that a test
can always see the true state of the server, however hostile its configuration.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from .app import Sandbox
from .builtin_objects import AUTOMATION_OBJECT_IDS, TRANSACTION_OBJECT_ID
from .meta import CONTACT_OBJECT_ID
from .params import as_str, intval
from .subscriptions import CAMPAIGN, LIST_FIELD, LIST_OBJECT, SEQUENCE, Change

AdminResult = tuple[int, Any]
Args = dict[str, list[str]]
AdminHandler = Callable[[Sandbox, Args, Any], AdminResult]


def _error(message: str, status: int = 400) -> AdminResult:
    return status, {"error": message}


def _json_body(body: bytes) -> Any:
    if not body.strip():
        return None
    return json.loads(body)


def _object_id(args: Args, default: int | None) -> int | None:
    if "objectID" in args:
        return intval(args["objectID"][0])
    return default


def _dump(app: Sandbox, args: Args, object_id: int | None) -> AdminResult:
    """Every record of one type with every field (and `tags`, names, where the type has tags)."""
    if object_id is None or app.store.records(object_id) is None:
        return _error("objectID must name an object type of the account (see GET /__sandbox/meta)")
    offset = intval(args.get("offset", ["0"])[0])
    limit = intval(args["limit"][0]) if "limit" in args else None
    if object_id in AUTOMATION_OBJECT_IDS:
        app.subscriptions.refresh_counts(app.store)
    return 200, app.store.dump(object_id, max(0, offset), limit)


def _seed(app: Sandbox, payload: Any, object_id: int | None, key: str) -> AdminResult:
    """Loads records without validation and without spending rate budget."""
    if object_id is None or app.store.records(object_id) is None:
        return _error("objectID must name an object type of the account (see GET /__sandbox/meta)")
    items = payload.get(key) if isinstance(payload, dict) else payload
    if not isinstance(items, list):
        return _error(f'expected a JSON list of records (or {{"{key}": [...]}})')
    try:
        ids = app.store.seed(object_id, items)
    except ValueError as exc:
        return _error(str(exc))
    return 200, {"seeded": len(ids), "ids": ids}


def _stats(app: Sandbox, args: Args, payload: Any) -> AdminResult:
    stats = app.stats.snapshot()
    stats["contacts"] = app.store.contact_count
    stats["tags"] = len(app.store.tags())
    stats["objects"] = app.store.counts()
    stats["builtin_objects"] = app.store.counts(hidden=True)
    stats["queued_subscriptions"] = app.subscriptions.pending
    return 200, stats


def _configure(app: Sandbox, args: Args, payload: Any) -> AdminResult:
    if not isinstance(payload, dict):
        return _error("expected a JSON object of settings")
    try:
        settings = app.configure(payload)
    except ValueError as exc:
        return _error(str(exc))
    return 200, settings.public()


def _declare(app: Sandbox, args: Args, payload: Any) -> AdminResult:
    try:
        meta = app.declare(payload)
    except ValueError as exc:
        return _error(str(exc))
    return 200, meta.document()


def _transactions(app: Sandbox, args: Args, payload: Any) -> AdminResult:
    """Every transaction with every field, plus `lines` (the offer's products, decoded from
    `offer_data`: product_id, quantity, unit_price, total)."""
    status, rows = _dump(app, args, TRANSACTION_OBJECT_ID)
    if status != 200:
        return status, rows
    for row in rows:
        try:
            row["lines"] = json.loads(row.get("offer_data") or "{}").get("products", [])
        except ValueError:
            row["lines"] = []
    return 200, rows


def _list_names(app: Sandbox, list_type: str) -> dict[int, str]:
    store = app.store.records(LIST_OBJECT[list_type])
    return {} if store is None else {int(r["id"]): r.get("name", "") for r in store.dump(app.store.tag_name)}


def _memberships(app: Sandbox, args: Args, payload: Any) -> AdminResult:
    """`{contact id: {"campaigns": [names], "campaign_ids": [...], "sequences": [...],
    "sequence_ids": [...]}}` for every contact on at least one campaign or sequence (or the
    contacts `contact_id=` names, members or not). Queued changes are not applied yet."""
    contacts = app.store.contacts
    fields = (LIST_FIELD[CAMPAIGN], LIST_FIELD[SEQUENCE])
    if "contact_id" in args:
        wanted = [intval(value) for raw in args["contact_id"] for value in raw.split(",")]
    else:
        wanted = contacts.records_with_lists(fields)
    names = {list_type: _list_names(app, list_type) for list_type in (CAMPAIGN, SEQUENCE)}
    out: dict[str, Any] = {}
    for contact_id in wanted:
        entry: dict[str, Any] = {}
        for list_type in (CAMPAIGN, SEQUENCE):
            ids = contacts.list_ids_of(LIST_FIELD[list_type], contact_id)
            entry[f"{list_type}_ids"] = ids
            entry[f"{list_type}s"] = [names[list_type].get(list_id, "") for list_id in ids]
        out[str(contact_id)] = entry
    return 200, out


def _resolve_lists(app: Sandbox, list_type: str, given: Any) -> list[int]:
    """Campaign or sequence ids from ids or names (compared exactly)."""
    if not isinstance(given, list):
        raise ValueError(f"'{list_type}s' must be a list of ids or names")
    by_name = {name: list_id for list_id, name in _list_names(app, list_type).items()}
    out: list[int] = []
    for item in given:
        if isinstance(item, int) and not isinstance(item, bool):
            out.append(item)
        elif isinstance(item, str) and item in by_name:
            out.append(by_name[item])
        else:
            raise ValueError(f"no {list_type} {item!r} (seed it first)")
    return out


def _seed_memberships(app: Sandbox, args: Args, payload: Any) -> AdminResult:
    """Puts contacts on campaigns and sequences at once, as if subscribed earlier: no request
    counted, no subscription or restart in the stats (the switches do not apply)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("contact_ids"), list):
        return _error('expected {"contact_ids": [...], "campaigns": [...], "sequences": [...]}')
    try:
        contact_ids = tuple(intval(as_str(value)) for value in payload["contact_ids"])
        changes = [
            Change(
                list_type,
                tuple(_resolve_lists(app, list_type, payload.get(f"{list_type}s", []))),
                contact_ids,
                True,
            )
            for list_type in (CAMPAIGN, SEQUENCE)
        ]
    except ValueError as exc:
        return _error(str(exc))
    for change in changes:  # no stats: a seed is not a subscription the stats should show
        app.subscriptions.apply(app.store, change, "noop", None)
    return _memberships(app, {"contact_id": [",".join(str(c) for c in contact_ids)]}, None)


def _process(app: Sandbox, args: Args, payload: Any) -> AdminResult:
    """Applies the queued subscription changes (`subscription_processing=queued`)."""
    processed = app.subscriptions.process(app.store, app.settings.resubscribe, app.stats)
    return 200, {"processed": processed}


def _reset(app: Sandbox, args: Args, payload: Any) -> AdminResult:
    app.reset()
    return 200, {"reset": True}


ADMIN: dict[tuple[str, str], AdminHandler] = {
    ("GET", "stats"): _stats,
    ("GET", "contacts"): lambda app, args, _: _dump(app, args, CONTACT_OBJECT_ID),
    ("POST", "contacts"): lambda app, args, payload: _seed(app, payload, CONTACT_OBJECT_ID, "contacts"),
    ("GET", "objects"): lambda app, args, _: _dump(app, args, _object_id(args, None)),
    ("POST", "objects"): lambda app, args, payload: _seed(app, payload, _object_id(args, None), "records"),
    ("GET", "tags"): lambda app, args, _: (200, [tag.as_record() for tag in app.store.tags()]),
    ("POST", "reset"): _reset,
    ("GET", "config"): lambda app, args, _: (200, app.settings.public()),
    ("POST", "config"): _configure,
    ("GET", "meta"): lambda app, args, _: (200, app.meta.document()),
    ("POST", "meta"): _declare,
    ("GET", "health"): lambda app, args, _: (200, {"ok": True}),
    ("GET", "transactions"): _transactions,
    ("GET", "memberships"): _memberships,
    ("POST", "memberships"): _seed_memberships,
    ("POST", "process"): _process,
}


def handle_admin(app: Sandbox, method: str, path: str, query: str, body: bytes) -> AdminResult:
    name = path.rstrip("/").lower().removeprefix("/__sandbox").lstrip("/")
    try:
        payload = _json_body(body) if method in ("POST", "PUT") else None
    except ValueError:
        return _error("request body is not valid JSON")
    handler = ADMIN.get((method, name))
    if handler is None:
        return _error(f"no admin endpoint {method} {path}", 404)
    return handler(app, parse_qs(query), payload)
