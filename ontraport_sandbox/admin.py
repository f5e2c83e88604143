"""The `/__sandbox/` endpoints: how tests and benchmarks set up and inspect the fake account.

They need no credentials, spend no rate budget and are never delayed or faulted, so that a test
can always see the true state of the server, however hostile its configuration.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from .app import Sandbox
from .params import intval

AdminResult = tuple[int, Any]


def _error(message: str, status: int = 400) -> AdminResult:
    return status, {"error": message}


def _json_body(body: bytes) -> Any:
    if not body.strip():
        return None
    return json.loads(body)


def handle_admin(app: Sandbox, method: str, path: str, query: str, body: bytes) -> AdminResult:
    name = path.rstrip("/").lower().removeprefix("/__sandbox").lstrip("/")
    try:
        payload = _json_body(body) if method in ("POST", "PUT") else None
    except ValueError:
        return _error("request body is not valid JSON")
    args = parse_qs(query)

    if name == "stats" and method == "GET":
        stats = app.stats.snapshot()
        stats["contacts"] = app.store.contact_count
        stats["tags"] = len(app.store.tags())
        return 200, stats
    if name == "contacts" and method == "GET":
        offset = intval(args.get("offset", ["0"])[0])
        limit = intval(args["limit"][0]) if "limit" in args else None
        return 200, app.store.dump(max(0, offset), limit)
    if name == "contacts" and method == "POST":
        items = payload.get("contacts") if isinstance(payload, dict) else payload
        if not isinstance(items, list):
            return _error('expected a JSON list of contacts (or {"contacts": [...]})')
        try:
            ids = app.store.seed(items)
        except ValueError as exc:
            return _error(str(exc))
        return 200, {"seeded": len(ids), "ids": ids}
    if name == "tags" and method == "GET":
        return 200, [tag.as_record() for tag in app.store.tags()]
    if name == "reset" and method == "POST":
        app.reset()
        return 200, {"reset": True}
    if name == "config" and method == "GET":
        return 200, app.settings.public()
    if name == "config" and method == "POST":
        if not isinstance(payload, dict):
            return _error("expected a JSON object of settings")
        try:
            settings = app.configure(payload)
        except ValueError as exc:
            return _error(str(exc))
        return 200, settings.public()
    if name == "health" and method == "GET":
        return 200, {"ok": True}
    return _error(f"no admin endpoint {method} {path}", 404)
