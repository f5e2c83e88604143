"""Run-time settings: set from the command line, changed by `POST /__sandbox/config`.

Settings are an immutable value swapped as a whole, so a request that read them once sees one
consistent set even while a test reconfigures the server concurrently.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .switches import CHOICE_BY_NAME, DELETE_OVERREACH, SAVE_FAILED_RATE, SAVE_FAILED_STATUS

# Bytes a request line (method, path and query string, protocol) may take before the server answers
# 414. Ontraport documents no limit; the web servers PHP runs behind refuse lines over about 8 KB by
# default (Apache's LimitRequestLine is 8190; nginx's large_client_header_buffers is 8 KB), so a
# client must never depend on more. http.server itself refuses lines over 65536 bytes.
MAX_REQUEST_LINE_DEFAULT = 8190
MAX_REQUEST_LINE_CEILING = 65536


def parse_latency(value: Any) -> tuple[float, float]:
    """`0`, `25` or `"10-40"` (milliseconds; a range draws uniformly per request)."""
    if isinstance(value, bool):
        raise ValueError("latency_ms must be a number or 'MIN-MAX'")
    if isinstance(value, int | float):
        low = high = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if "-" in text.lstrip("-"):
            left, right = text.split("-", 1)
            low, high = float(left), float(right)
        else:
            low = high = float(text)
    else:
        raise ValueError("latency_ms must be a number or 'MIN-MAX'")
    if not (math.isfinite(low) and math.isfinite(high)) or low < 0 or high < low:
        raise ValueError("latency_ms must be >= 0 and MIN <= MAX")
    return (low, high)


@dataclass(frozen=True)
class Settings:
    app_id: str = "demo-app"
    api_key: str = "demo-key"
    rate_limit: int = 180
    window_seconds: float = 60.0
    latency_ms: tuple[float, float] = (0.0, 0.0)
    fault_rate_5xx: float = 0.0
    fault_rate_drop: float = 0.0
    fault_rate_slow: float = 0.0
    slow_seconds: float = 5.0
    fault_phase: str = "before"
    seed: int | None = None
    invalid_email_status: int = 422
    not_found_status: int = 404
    rate_limit_body: str | None = None
    account_id: int = 50
    max_request_line: int = MAX_REQUEST_LINE_DEFAULT
    # behaviour switches (switches.py): one per behaviour no source settles
    delete_form_body: str = CHOICE_BY_NAME["delete_form_body"].default
    text_case: str = CHOICE_BY_NAME["text_case"].default
    collection_contact_cat: str = CHOICE_BY_NAME["collection_contact_cat"].default
    condition_without_ids: str = CHOICE_BY_NAME["condition_without_ids"].default
    # section 13 of the API notes: automations, purchases, links, the account doctor
    collection_memberships: str = CHOICE_BY_NAME["collection_memberships"].default
    sub_type_case: str = CHOICE_BY_NAME["sub_type_case"].default
    resubscribe: str = CHOICE_BY_NAME["resubscribe"].default
    subscription_processing: str = CHOICE_BY_NAME["subscription_processing"].default
    sequence_rows_id: str = CHOICE_BY_NAME["sequence_rows_id"].default
    builtin_types_in_meta: str = CHOICE_BY_NAME["builtin_types_in_meta"].default
    invalid_contact_status: str = CHOICE_BY_NAME["invalid_contact_status"].default
    duplicate_external_order_id: str = CHOICE_BY_NAME["duplicate_external_order_id"].default
    transaction_condition: str = CHOICE_BY_NAME["transaction_condition"].default
    invoice_id: str = CHOICE_BY_NAME["invoice_id"].default
    invoice_template_zero: str = CHOICE_BY_NAME["invoice_template_zero"].default
    shipping_shape: str = CHOICE_BY_NAME["shipping_shape"].default
    product_post_id: str = CHOICE_BY_NAME["product_post_id"].default
    date_only_zone: str = CHOICE_BY_NAME["date_only_zone"].default
    save_failed_rate: float = 0.0
    save_failed_status: int = 200
    delete_overreach: int = 0

    def rate_limit_message(self) -> str:
        if self.rate_limit_body is not None:
            return self.rate_limit_body
        period = "minute" if self.window_seconds == 60 else f"{self.window_seconds:g} seconds"
        return f"You have exceeded your maximum rate limit of {self.rate_limit} requests per {period}."

    def public(self) -> dict[str, Any]:
        """What `/__sandbox/config` shows: everything but the API key."""
        out = dataclasses.asdict(self)
        out.pop("api_key")
        low, high = self.latency_ms
        out["latency_ms"] = f"{low:g}-{high:g}" if low != high else low
        return out


_RATES = ("fault_rate_5xx", "fault_rate_drop", "fault_rate_slow")
_STATUSES = ("invalid_email_status", "not_found_status", SAVE_FAILED_STATUS)


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{key} must be a number")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{key} must be finite")
    return number


def _latency(_key: str, value: Any) -> tuple[float, float]:
    return parse_latency(value)


def _rate_limit(key: str, value: Any) -> int:
    number = _number(key, value)
    if number < 1 or not number.is_integer():
        raise ValueError("rate_limit must be a whole number >= 1")
    return int(number)


def _seconds(key: str, value: Any) -> float:
    number = _number(key, value)
    if number <= 0 and key == "window_seconds":
        raise ValueError("window_seconds must be > 0")
    if number < 0:
        raise ValueError(f"{key} must be >= 0")
    return number


def _choice(key: str, value: Any) -> Any:
    allowed = CHOICE_BY_NAME[key].values
    if value not in allowed:
        raise ValueError(f"{key} must be one of {', '.join(repr(v) for v in allowed)}")
    return value


def _share(key: str, value: Any) -> float:
    number = _number(key, value)
    if not 0 <= number <= 1:
        raise ValueError(f"{key} must be between 0 and 1")
    return number


def _fault_phase(_key: str, value: Any) -> Any:
    if value not in ("before", "after", "random"):
        raise ValueError("fault_phase must be 'before', 'after' or 'random'")
    return value


def _count(key: str, value: Any) -> int:
    number = _number(key, value)
    if number < 0 or not number.is_integer():
        raise ValueError(f"{key} must be a whole number >= 0")
    return int(number)


def _request_line(key: str, value: Any) -> int:
    number = _number(key, value)
    if not number.is_integer() or not 256 <= number <= MAX_REQUEST_LINE_CEILING:
        raise ValueError(f"{key} must be a whole number from 256 to {MAX_REQUEST_LINE_CEILING}")
    return int(number)


def _whole_number(key: str, value: Any) -> int:
    number = _number(key, value)
    if not number.is_integer() or (key in _STATUSES and not 100 <= number <= 599):
        raise ValueError(f"{key} must be a whole number (an HTTP status for *_status)")
    return int(number)


def _seed(_key: str, value: Any) -> Any:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError("seed must be an integer or null")
    return value


def _optional_text(_key: str, value: Any) -> Any:
    if value is not None and not isinstance(value, str):
        raise ValueError("rate_limit_body must be a string or null")
    return value


def _credential(key: str, value: Any) -> Any:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} must be a non-empty string")
    return value


Validator = Callable[[str, Any], Any]  # (key, value) -> the value to set, or ValueError


def _first_wins(*groups: tuple[Iterable[str], Validator]) -> dict[str, Validator]:
    """Each key's validator: that of the first group naming the key."""
    table: dict[str, Validator] = {}
    for keys, validator in groups:
        for key in keys:
            table.setdefault(key, validator)
    return table


_VALIDATORS = _first_wins(
    (["latency_ms"], _latency),
    (["rate_limit"], _rate_limit),
    (["window_seconds", "slow_seconds"], _seconds),
    (CHOICE_BY_NAME, _choice),
    ([*_RATES, SAVE_FAILED_RATE], _share),
    (["fault_phase"], _fault_phase),
    ([DELETE_OVERREACH], _count),
    (["max_request_line"], _request_line),
    ([*_STATUSES, "account_id"], _whole_number),
    (["seed"], _seed),
    (["rate_limit_body"], _optional_text),
    (["app_id", "api_key"], _credential),
)


def updated(settings: Settings, changes: dict[str, Any]) -> Settings:
    """Validates a config change as a whole: either every key applies or none does."""
    known = {f.name for f in dataclasses.fields(Settings)}
    values: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in known:
            raise ValueError(f"unknown config key {key!r}")
        validate = _VALIDATORS.get(key)
        if validate is not None:
            values[key] = validate(key, value)
    result = dataclasses.replace(settings, **values)
    if sum(getattr(result, key) for key in _RATES) > 1:
        raise ValueError("the fault rates must add up to at most 1")
    return result
