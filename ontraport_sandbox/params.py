"""Request parameters: query string, form and JSON bodies, merged into one mapping.

Ontraport accepts the same parameter in any of these places (the official SDK sends form bodies,
other clients JSON, one client even puts POST data in the query string), so every handler sees
one merged mapping and the helpers below coerce values the way PHP would.
"""

from __future__ import annotations

import codecs
import json
import math
import re
from typing import Any
from urllib.parse import unquote

from .errors import ApiError

Params = dict[str, Any]

# PHP-style array keys: `ids[]=1&ids[]=2` or `ids[0]=1`.
_ARRAY_KEY = re.compile(r"^(?P<name>[^\[\]]+)\[[^\[\]]*\]$")
_LEADING_INT = re.compile(r"^\s*[+-]?\d+")


def _put(params: Params, key: str, value: str) -> None:
    match = _ARRAY_KEY.match(key)
    if match is None:
        params[key] = value  # PHP keeps the last of repeated plain keys
        return
    name = match.group("name")
    existing = params.get(name)
    if not isinstance(existing, list):
        existing = []
        params[name] = existing
    existing.append(value)


def _unquote_plus(text: str) -> str:
    """urllib's unquote loops in Python over every `%xx`; a 50-email condition has ~500 of
    them, which made query parsing the most expensive step of a look-up. Rewriting `%xx` as
    `\\xNN` lets the C escape decoder do the work; anything unusual falls back to urllib."""
    text = text.replace("+", " ")
    if "%" not in text:
        return text
    try:
        escaped = text.encode("ascii").replace(b"\\", b"\\\\").replace(b"%", b"\\x")
        return codecs.escape_decode(escaped)[0].decode("utf-8")
    except (UnicodeError, ValueError):
        return unquote(text, errors="replace")


def parse_urlencoded(raw: str) -> Params:
    params: Params = {}
    if not raw:
        return params
    for part in raw.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        _put(params, _unquote_plus(key), _unquote_plus(value))
    return params


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _is_json(kind: str, body: bytes) -> bool:
    """Declared JSON, or an undeclared type whose body looks like JSON (some clients send JSON
    without saying so)."""
    if kind.endswith("json"):
        return True
    if kind == "application/x-www-form-urlencoded" or kind.startswith("multipart/"):
        return False
    return body.lstrip()[:1] in (b"{", b"[")


def parse_body(content_type: str, body: bytes) -> Params:
    """Decode a request body by its declared type; a body without a usable type is sniffed."""
    if not body.strip():
        return {}
    kind = _media_type(content_type)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "Request body is not valid UTF-8") from exc
    if _is_json(kind, body):
        try:
            decoded = json.loads(text)
        except ValueError as exc:
            raise ApiError(400, "Request body is not valid JSON") from exc
        if not isinstance(decoded, dict):
            raise ApiError(400, "Request body must be a JSON object")
        return decoded
    if kind.startswith("multipart/"):
        raise ApiError(400, "multipart bodies are not supported by the sandbox")
    return parse_urlencoded(text)


def request_params(method: str, query: str, content_type: str, body: bytes, read_delete_form: bool) -> Params:
    """The one mapping a handler sees: the query string, then the body (body values win).

    On DELETE, PHP fills no parameters from a form-encoded or multipart body, and Ontraport's SDK
    puts DELETE parameters in the query string (a JSON body aside). Whether Ontraport reads such a
    body anyway is the `delete_form_body` switch: when it does not (`read_delete_form` false), the
    body is not even decoded, so a DELETE whose selector is only in a form body has no selector.
    """
    params = parse_urlencoded(query)
    if method == "DELETE" and not read_delete_form and not _is_json(_media_type(content_type), body):
        return params
    params.update(parse_body(content_type, body))
    return params


def as_str(value: Any) -> str:
    """Ontraport stores and returns every value as a string; JSON scalars are turned into the
    text PHP would produce (`true` -> "1", `5.0` -> "5")."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_str(value)
    return json.dumps(value, separators=(",", ":"))


def _float_str(value: float) -> str:
    """A float as PHP prints it: whole numbers without a fraction (`5.0` -> "5")."""
    if math.isfinite(value) and value.is_integer():
        return str(int(value))
    return repr(value)


def as_list(value: Any) -> list[str]:
    """List parameters arrive as a comma string (form), an array (JSON or `x[]=`), a single
    number, or even a JSON-encoded array inside a form field."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [as_str(item).strip() for item in value if as_str(item).strip() != ""]
    text = as_str(value).strip()
    if text.startswith("["):
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = None
        if isinstance(decoded, list):
            return as_list(decoded)
    return [part.strip() for part in text.split(",") if part.strip() != ""]


def intval(value: Any) -> int:
    """PHP's intval: leading digits, else 0. This is why a non-numeric id selects id 0, which
    Ontraport reads as "every record" in bulk actions."""
    match = _LEADING_INT.match(as_str(value))
    return int(match.group(0)) if match else 0


def truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return as_str(value).strip().lower() in ("1", "true", "yes", "on")


def has(params: Params, key: str) -> bool:
    """A parameter counts as given only when it is not blank, as PHP's `empty()` would see it."""
    value = params.get(key)
    if value is None:
        return False
    if isinstance(value, list | dict):
        return len(value) > 0
    return as_str(value).strip() != ""
