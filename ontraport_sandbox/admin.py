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
from .meta import CONTACT_OBJECT_ID
from .params import intval

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
