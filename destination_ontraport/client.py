"""The Ontraport REST API v1 client: auth, envelope, typed errors, pacing and retries.

Every call goes through `OntraportClient._call`, which paces the send (`pacing.Pacer`), sends it
on one `requests.Session`, and classifies the outcome exactly once with `decide`, a pure table from
(HTTP status or failure kind, repeat-safe?) to retry / wait for the rate limit / raise which error.
Messages say what happens next, and never carry the API key or the request headers.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import orjson
import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from destination_ontraport.pacing import Pacer, RateHeaders
from destination_ontraport.transport import KeepAliveGetAdapter, NotConnectedError

JsonDict = dict[str, Any]

logger = logging.getLogger("airbyte")

PAGE_SIZE = 50
"""Ontraport's maximum `range` for collection reads."""
LOOKUP_VALUES = PAGE_SIZE - 1
"""Values per bulk lookup: one below the page size, so that a full page of rows proves duplicates."""
MAX_REQUEST_LINE = 6000
"""Bytes a lookup's request line may take (method, path, query): well under common 8 KB limits."""
QUERY_SAFE = ":,@"  # left unescaped in query strings (legal there, and common in lookups)
CONNECT_TIMEOUT_SECONDS = 10.0
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_FACTOR = 2.0
BACKOFF_CAP_SECONDS = 30.0
MAX_RATE_LIMITED_ATTEMPTS = 30
RATE_LIMIT_EXTRA_SECONDS = 0.5
"""Added to X-Rate-Limit-Reset after a 429 (plus up to as much again of jitter): Reset is whole seconds."""
EXCERPT_CHARS = 200
_CHECK_CREDENTIALS = "Check both values in the connector settings."
_POSITIVE_ID = re.compile(r"[1-9][0-9]*")
_SAVE_FAILED = re.compile(r"\s*save failed", re.IGNORECASE)
_OBJECT_NOT_FOUND = re.compile(r"\s*object not found\.?\s*", re.IGNORECASE)


class OntraportError(Exception):
    """Base of every API failure. `str()` is safe to log: it never contains the API key.

    Attributes: `status` (HTTP status or None when no response), `method`, `path`,
    `body_excerpt` (first 200 chars of the response body).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str = "",
        path: str = "",
        body_excerpt: str = "",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.method = method
        self.path = path
        self.body_excerpt = body_excerpt


class AuthenticationError(OntraportError):
    """401: the App ID / API key pair was rejected. Not retried."""


class PermissionDeniedError(OntraportError):
    """403: the key's owner lacks a permission. Not retried."""


class NotFoundError(OntraportError):
    """404: the object does not exist (e.g. `Object not found` on PUT of a deleted contact)."""


class RequestRejectedError(OntraportError):
    """400/422 and other 4xx: Ontraport refused this request's content (e.g. invalid email). Not retried."""


class TransientError(OntraportError):
    """429/5xx/timeouts/dropped connections that persisted through every retry."""


class AmbiguousWriteError(TransientError):
    """A non-retryable (not repeat-safe) write failed in a way that leaves unknown whether it took effect."""


class UnsafeRequestError(OntraportError):
    """Raised before sending a delete or bulk action that names no explicit ids."""


class UnexpectedAnswerError(OntraportError):
    """A deterministic answer in a shape we do not know (e.g. `Save failed!`): not retried blindly;
    the caller resolves it (one lookup) or rejects the record with the reason."""


@dataclass
class RequestStats:
    """Counters the summary reports; updated under a lock by the client."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    by_route: dict[str, int] = field(default_factory=dict)
    first_request_at: float | None = None
    last_response_at: float | None = None
    server_limit: int | None = None


# --- the error table -------------------------------------------------------------------------
class FailureKind(Enum):
    """What went wrong when there is no HTTP error status to say it."""

    NOT_SENT = "could not connect"  # connect error / connect timeout: nothing reached the server
    NO_ANSWER = "no answer"  # read timeout or dropped connection after the request was sent
    BAD_RESPONSE = "unexpected response"  # 2xx that is not the JSON envelope
    API_ERROR = "error code in the response"  # 2xx envelope with a non-zero `code`
    SAVE_FAILED = "save failed"  # the body `Save failed!`, whatever the status: a refusal, not a glitch


class Action(Enum):
    RETRY = "retry with backoff"
    WAIT_FOR_RATE_LIMIT = "wait for the rate-limit window, then retry"
    RAISE = "raise"


@dataclass(frozen=True)
class Decision:
    action: Action
    error: type[OntraportError] | None = None


_RETRY = Decision(Action.RETRY)
_REJECTED = Decision(Action.RAISE, RequestRejectedError)
_BY_STATUS: dict[int, Decision] = {
    401: Decision(Action.RAISE, AuthenticationError),
    403: Decision(Action.RAISE, PermissionDeniedError),
    404: Decision(Action.RAISE, NotFoundError),
    429: Decision(Action.WAIT_FOR_RATE_LIMIT),  # refused before processing: safe for every request
}


def decide(failure: int | FailureKind, repeat_safe: bool) -> Decision:
    """The one error table: (HTTP status or failure kind, repeat-safe?) -> what to do.

    A request that is not repeat-safe (it always creates) is never re-sent once it may have reached
    the server: only 429 (refused before processing) and connect failures are retried for it.
    """
    if failure is FailureKind.NOT_SENT:
        return _RETRY
    if failure is FailureKind.API_ERROR:
        return _REJECTED
    if failure is FailureKind.SAVE_FAILED:
        return Decision(Action.RAISE, UnexpectedAnswerError)
    if isinstance(failure, FailureKind) or failure >= 500:  # NO_ANSWER, BAD_RESPONSE, 5xx: maybe applied
        return _RETRY if repeat_safe else Decision(Action.RAISE, AmbiguousWriteError)
    return _BY_STATUS.get(failure, _REJECTED)


def backoff_seconds(failed_attempt: int, jitter: float) -> float:
    """Full-jitter exponential backoff after attempt `failed_attempt` (1-based): base 0.5 s, x2, cap 30 s."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * BACKOFF_FACTOR ** (failed_attempt - 1))
    return ceiling * jitter


@dataclass(frozen=True)
class _Outcome:
    """One HTTP attempt, reduced to what the table and the messages need (no exception, no headers)."""

    failure: int | FailureKind | None  # None: success
    what: str = ""  # human description of the failure, e.g. "HTTP 503" or "read timeout"
    body_excerpt: str = ""
    data: Any = None
    reset: float | None = None


def _classify_exception(exc: requests.RequestException) -> tuple[FailureKind, str]:
    """Whether a requests failure happened before anything reached the server; the text names only
    exception classes (requests' own text quotes the URL, whose query can hold contact emails)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return FailureKind.NOT_SENT, "connect timeout"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return FailureKind.NO_ANSWER, "read timeout"
    if isinstance(exc, requests.exceptions.SSLError):
        return FailureKind.NOT_SENT, "TLS handshake failed"
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = exc.args[0] if exc.args else None
        inner = getattr(reason, "reason", reason)
        if isinstance(inner, NotConnectedError):
            return FailureKind.NOT_SENT, f"could not connect ({type(inner.cause).__name__})"
        if isinstance(inner, NewConnectionError | ConnectTimeoutError):
            return FailureKind.NOT_SENT, f"could not connect ({type(inner).__name__})"
        cause = type(inner).__name__ if isinstance(inner, BaseException) else type(exc).__name__
        return FailureKind.NO_ANSWER, f"connection dropped ({cause})"
    return FailureKind.NO_ANSWER, f"request failed ({type(exc).__name__})"


# --- the client ------------------------------------------------------------------------------
class OntraportClient:
    """Thread-safe; one `requests.Session`; every method names the API call it wraps."""

    def __init__(
        self,
        base_url: str,
        app_id: str,
        api_key: str,
        *,
        timeout_seconds: float = 90.0,
        max_requests_per_minute: int | None = None,
        window_seconds: float = 60.0,
        max_in_flight: int = 10,
        max_attempts: int = 8,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
        jitter: Callable[[], float] | None = None,
    ) -> None:
        if not base_url.startswith(("https://", "http://")):
            raise ValueError("base_url must start with https:// (or http:// for a local sandbox)")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._timeout = (CONNECT_TIMEOUT_SECONDS, float(timeout_seconds))
        self._max_attempts = max_attempts
        self._clock = clock or time.monotonic
        self._sleep = sleep or time.sleep
        self._jitter = jitter or random.random
        self.max_in_flight = max_in_flight
        self.stats = RequestStats()
        self.condition_needs_ids_zero: bool | None = None  # None: not learned yet (see find_contacts)
        self._known_empty = False  # the account held no contact when sampled, and none was created since
        self._stats_lock = threading.Lock()
        self._pacer = Pacer(
            window_seconds=window_seconds,
            max_requests_per_minute=max_requests_per_minute,
            max_in_flight=max_in_flight,
            clock=self._clock,
            sleep=self._sleep,
        )
        self._session = requests.Session()
        adapter = KeepAliveGetAdapter(pool_connections=1, pool_maxsize=max(max_in_flight, 1), max_retries=0)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        self._session.headers.update({"Api-Key": api_key, "Api-Appid": app_id, "Accept": "application/json"})
        # Proxy settings come from the environment once, not on every request: requests re-reads the
        # environment per call (about 1 ms of CPU each), which dominated the cost of a bulk lookup.
        self._session.proxies.update(requests.utils.get_environ_proxies(self._base_url))
        self._session.trust_env = False

    max_in_flight: int
    stats: RequestStats

    def __repr__(self) -> str:
        return f"OntraportClient(base_url={self._base_url!r}, api_key=<hidden>)"

    @property
    def pacer(self) -> Pacer:
        """The limiter (read-only view for reports and tests)."""
        return self._pacer

    def allowed_requests_per_minute(self) -> float:
        """The effective limit: min(server's X-Rate-Limit-Limit (or 180), configured cap), per 60 s.

        Defined as requests allowed per window * 60 / window_seconds, i.e. per minute of real time:
        180 per 60-s window -> 180; a sandbox allowing 180 per 6-s window -> 1800.
        """
        return self._pacer.allowed_per_minute()

    def close(self) -> None:
        self._session.close()

    # --- endpoints -------------------------------------------------------------------------------
    def get_contact_count(self) -> int:
        """GET /Contacts/getInfo -> data.count (the cheap credential probe)."""
        data = self._call("GET", "/Contacts/getInfo")
        if not isinstance(data, dict) or "count" not in data:
            raise self._shape_error("GET", "/Contacts/getInfo", "no data.count")
        return int(data["count"])

    def get_contact_fields(self) -> dict[str, JsonDict]:
        """GET /Contacts/meta -> data["0"]["fields"] (field name -> {alias, type, options, ...})."""
        data = self._call("GET", "/Contacts/meta")
        if isinstance(data, dict) and data:
            section = data.get("0", next(iter(data.values())))
            if isinstance(section, dict) and isinstance(section.get("fields"), dict):
                return dict(section["fields"])
        raise self._shape_error("GET", "/Contacts/meta", "no field list")

    def sample_contacts(self, list_fields: Sequence[str]) -> list[JsonDict]:
        """GET /Contacts range=50 listFields, no condition: a few rows for the read-path probe. None at
        all means an empty account, where an empty lookup needs no second look until a contact is made."""
        params = {"listFields": ",".join(list_fields), "start": "0", "range": str(PAGE_SIZE)}
        rows = self._rows(self._call("GET", "/Contacts", params=params), "GET", "/Contacts")
        self._known_empty = not rows
        return rows

    def count_contacts(self, condition: str) -> int:
        """GET /Contacts/getInfo with a condition -> how many contacts match it."""
        data = self._call("GET", "/Contacts/getInfo", params={"condition": condition})
        if not isinstance(data, dict) or "count" not in data:
            raise self._shape_error("GET", "/Contacts/getInfo", "no data.count")
        return int(data["count"])

    def find_contacts(
        self, field_name: str, values: Sequence[str], list_fields: Sequence[str], *, start: int = 0
    ) -> list[JsonDict]:
        """GET /Contacts with condition `<field> IN [values]` (at most 50 values), listFields, range=50.

        One page only: with duplicate contacts in Ontraport a full page (50 rows) may hide more;
        `start` lets the caller page on. Whether Ontraport needs `ids=0` beside a condition is not
        settled by any source: an empty answer is checked once against the count of the same
        condition (`GET /Contacts/getInfo`), and when that count says the answer was wrong, every
        later condition read of this client sends `ids=0`.
        """
        unique = list(dict.fromkeys(values))
        if len(unique) > PAGE_SIZE:
            raise ValueError(f"find_contacts takes at most {PAGE_SIZE} values per request, got {len(unique)}")
        if not unique:
            return []
        condition = _in_condition(field_name, unique)
        params = {
            "condition": condition,
            "listFields": ",".join(list_fields),
            "start": str(start),
            "range": str(PAGE_SIZE),
        }
        rows = self._condition_read("/Contacts", params)
        if rows or start or self._known_empty or self.condition_needs_ids_zero is not None:
            if rows and self.condition_needs_ids_zero is None:
                self.condition_needs_ids_zero = False
            return rows
        if self.count_contacts(condition) == 0:
            return rows
        logger.warning(
            "Ontraport answered a lookup by condition with no contacts although its count of the same "
            "condition is not 0: from now on every lookup also sends ids=0, which this account needs."
        )
        self.condition_needs_ids_zero = True
        return self._condition_read("/Contacts", params)

    def lookup_chunks(
        self, field_name: str, values: Sequence[str], list_fields: Sequence[str]
    ) -> list[list[str]]:
        """`values` cut into lookups of at most 49 values whose request line stays under 6,000
        bytes: long match values (49 of 254 characters made 14 KB) would otherwise meet a server's
        or proxy's limit on request lines. A single value longer than that goes alone."""
        fixed_params = {
            "condition": _in_condition(field_name, []),
            "listFields": ",".join(list_fields),
            "start": "0" * 10,  # room for paging on duplicates
            "range": str(PAGE_SIZE),
            "ids": "0",
        }
        fixed = len(f"GET {urlsplit(self._base_url).path}/Contacts? HTTP/1.1") + len(
            _encode_query(fixed_params)
        )
        chunks: list[list[str]] = []
        current: list[str] = []
        size = fixed
        for value in values:
            cost = len(_encode_query_text(orjson.dumps({"value": value}).decode())) + 1
            if current and (len(current) >= LOOKUP_VALUES or size + cost > MAX_REQUEST_LINE):
                chunks.append(current)
                current, size = [], fixed
            current.append(value)
            size += cost
        if current:
            chunks.append(current)
        return chunks

    def _condition_read(self, path: str, params: dict[str, str]) -> list[JsonDict]:
        """A collection GET with a condition; adds `ids=0` once the account proved to need it."""
        if self.condition_needs_ids_zero:
            params = {**params, "ids": "0"}
        return self._rows(self._call("GET", path, params=params), "GET", path)

    def create_contact(self, fields: Mapping[str, str]) -> str:
        """POST /Contacts (always creates). Never retried by the client: a lost response raises
        AmbiguousWriteError so the caller can look up before trying again. Returns the new id."""
        self._known_empty = False  # from the moment it is sent: it may take effect even if it fails
        data = self._call("POST", "/Contacts", form=dict(fields), repeat_safe=False)
        if isinstance(data, dict) and data.get("id") not in (None, ""):
            return str(data["id"])
        raise self._shape_error("POST", "/Contacts", "no data.id")

    def save_or_update_contact(self, fields: Mapping[str, str]) -> tuple[str, bool]:
        """POST /Contacts/saveorupdate (repeat-safe on email, so retried). Returns (id, created).

        Ontraport tells the outcomes apart only by shape: a merge answers `data.attrs` (with the id),
        a create answers the new record (`data.id`). Any other answer (`Save failed!`, a body that is
        not the envelope, an envelope without an id) is deterministic as far as anyone knows, so it
        raises UnexpectedAnswerError at once instead of being re-sent: the caller resolves it.
        """
        path = "/Contacts/saveorupdate"
        self._known_empty = False
        data = self._call("POST", path, form=dict(fields), odd_answer_is_final=True)
        if isinstance(data, dict):
            attrs = data.get("attrs")
            if isinstance(attrs, dict) and attrs.get("id") not in (None, ""):
                return str(attrs["id"]), False
            if attrs is None and data.get("id") not in (None, ""):
                return str(data["id"]), True
        raise UnexpectedAnswerError(
            f"Ontraport answered POST {path} without the contact's id (neither data.id nor data.attrs.id)",
            method="POST",
            path=path,
        )

    def update_contact(self, contact_id: str, fields: Mapping[str, str]) -> None:
        """PUT /Contacts with id + only the given fields. Unknown id raises NotFoundError (Ontraport's
        `Object not found` comes with 404, or with 400 on some accounts: both read as not found)."""
        (checked,) = _explicit_ids([contact_id], "PUT", "/Contacts")
        self._call("PUT", "/Contacts", form={**fields, "id": checked})

    def find_tags(self, names: Sequence[str]) -> dict[str, str]:
        """GET /Tags with condition tag_name IN names (object_type_id 0) -> {our name: tag_id}.

        Pages of 50 until a short page; tags of other object types are left out. A tag is ours when
        its name is exactly ours or, failing that, equal ignoring case and the only one that is
        (whether Ontraport compares tag names by case is not settled: it refuses a second tag that
        differs only in case on a case-insensitive account).
        """
        unique = list(dict.fromkeys(names))
        rows: list[JsonDict] = []
        while unique:
            params = {
                "condition": _in_condition("tag_name", unique),
                "start": str(len(rows)),
                "range": str(PAGE_SIZE),
            }
            page = self._condition_read("/Tags", params)
            rows.extend(page)
            if len(page) < PAGE_SIZE:
                break
        return _tags_by_name(unique, rows)

    def all_tags(self, names: Sequence[str]) -> dict[str, str]:
        """GET /Tags without a condition, every page -> {our name: tag_id}: the fallback when a
        condition read missed a tag that Ontraport says exists."""
        rows: list[JsonDict] = []
        while True:
            params = {"start": str(len(rows)), "range": str(PAGE_SIZE)}
            page = self._rows(self._call("GET", "/Tags", params=params), "GET", "/Tags")
            rows.extend(page)
            if len(page) < PAGE_SIZE:
                return _tags_by_name(list(dict.fromkeys(names)), rows)

    def create_tag(self, name: str) -> str:
        """POST /Tags with tag_name, object_type_id=0 -> tag id.

        Not repeat-safe (a second send would hit "already exists"), so a lost answer raises
        AmbiguousWriteError and the caller looks the tag up again.
        """
        data = self._call("POST", "/Tags", form={"tag_name": name, "object_type_id": "0"}, repeat_safe=False)
        if isinstance(data, dict):
            for key in ("tag_id", "id"):
                if data.get(key) not in (None, ""):
                    return str(data[key])
        raise self._shape_error("POST", "/Tags", "no data.tag_id")

    def add_tags(self, contact_ids: Sequence[str], tag_ids: Sequence[str]) -> None:
        """PUT /objects/tag objectID=0 add_list ids, form-encoded as Ontraport's WooCommerce plugin
        sends it. Refuses empty contact_ids (UnsafeRequestError)."""
        ids, tags = self._bulk_selection("PUT", contact_ids, tag_ids)
        self._call("PUT", "/objects/tag", form={"objectID": "0", "add_list": tags, "ids": ids})

    def remove_tags(self, contact_ids: Sequence[str], tag_ids: Sequence[str]) -> None:
        """DELETE /objects/tag?objectID=0&remove_list=..&ids=..: parameters in the query string, as
        Ontraport's SDK sends every DELETE (PHP does not read a form body on DELETE, and a tag action
        that lost its ids would apply to every contact). Refuses empty contact_ids."""
        ids, tags = self._bulk_selection("DELETE", contact_ids, tag_ids)
        self._call("DELETE", "/objects/tag", params={"objectID": "0", "remove_list": tags, "ids": ids})

    def delete_contacts(self, contact_ids: Sequence[str]) -> None:
        """DELETE /Contacts?ids=...: in the query string, as Ontraport's SDK sends it (a form body on
        DELETE is not read by PHP, and Ontraport deletes every contact when a bulk delete names no
        ids). Refuses empty ids, `0`, or non-numeric ids; never `performAll`, `group_id` or `condition`."""
        ids = _explicit_ids(contact_ids, "DELETE", "/Contacts")
        self._call("DELETE", "/Contacts", params={"ids": ",".join(ids)})

    def contacts_with_tag(self, tag_id: str, list_fields: Sequence[str], start: int) -> list[JsonDict]:
        """GET /objects/tag objectID=0 tag_id start range=50 listFields -> one page of contacts."""
        params = {
            "objectID": "0",
            "tag_id": str(tag_id),
            "start": str(start),
            "range": str(PAGE_SIZE),
            "listFields": ",".join(list_fields),
        }
        return self._rows(self._call("GET", "/objects/tag", params=params), "GET", "/objects/tag")

    # --- endpoint helpers ------------------------------------------------------------------------
    @staticmethod
    def _bulk_selection(method: str, contact_ids: Sequence[str], tag_ids: Sequence[str]) -> tuple[str, str]:
        """objects/tag names contacts by explicit ids only: no performAll, group_id or condition."""
        ids = _explicit_ids(contact_ids, method, "/objects/tag")
        tags = _explicit_ids(tag_ids, method, "/objects/tag", what="tag ids")
        return ",".join(ids), ",".join(tags)

    def _rows(self, data: Any, method: str, path: str) -> list[JsonDict]:
        """A collection read's `data`: a list of records (an empty result may come back as {} or "")."""
        if isinstance(data, list):
            return [row for row in data if isinstance(row, dict)]
        if data in (None, "", {}):
            return []
        raise self._shape_error(method, path, "data is not a list")

    def _shape_error(self, method: str, path: str, what: str) -> OntraportError:
        return OntraportError(
            f"Ontraport answered {method} {path} with an unexpected shape ({what}). Not retried.",
            method=method,
            path=path,
        )

    # --- one call: pace, send, classify, retry ---------------------------------------------------
    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
        json_body: JsonDict | None = None,
        repeat_safe: bool = True,
        odd_answer_is_final: bool = False,
    ) -> Any:
        """Send until success or a decision to raise; returns the envelope's `data`.

        `odd_answer_is_final`: a 2xx answer that is not the envelope is taken as Ontraport's answer
        (UnexpectedAnswerError, for the caller to resolve), not as a glitch worth re-sending."""
        if method == "DELETE" and (form or json_body):
            raise UnsafeRequestError(
                f"Refusing to send DELETE {path} with a body: Ontraport's SDK sends DELETE parameters in "
                "the query string, and a server that ignores the body would act on every record.",
                method=method,
                path=path,
            )
        attempt, rate_limited = 1, 0
        while True:
            outcome = self._attempt(method, path, params, form, json_body)
            if outcome.failure is None:
                return outcome.data
            failure = outcome.failure
            if odd_answer_is_final and failure is FailureKind.BAD_RESPONSE:
                failure = FailureKind.SAVE_FAILED
            decision = decide(failure, repeat_safe)
            if decision.action is Action.RAISE:
                assert decision.error is not None
                raise self._error(decision.error, outcome, method, path)
            route = f"{method} {path}"
            if decision.action is Action.WAIT_FOR_RATE_LIMIT:
                rate_limited += 1
                if rate_limited >= MAX_RATE_LIMITED_ATTEMPTS:
                    raise self._gave_up(outcome, method, path, f"{rate_limited} rate-limited attempts")
                reset = outcome.reset if outcome.reset is not None else 1.0
                wait = reset + RATE_LIMIT_EXTRA_SECONDS * (1.0 + self._jitter())
                logger.warning(
                    f"{route}: Ontraport rate limit reached (HTTP 429); holding all requests for "
                    f"{wait:.1f} s, then retrying (rate-limit wait {rate_limited} of "
                    f"{MAX_RATE_LIMITED_ATTEMPTS})."
                )
                self._pacer.hold_for(wait)
            else:
                if attempt >= self._max_attempts:
                    raise self._gave_up(outcome, method, path, f"{attempt} attempts")
                delay = backoff_seconds(attempt, self._jitter())
                attempt += 1
                logger.warning(
                    f"{route} failed: {self._describe(outcome)}; will retry in {delay:.1f} s "
                    f"(attempt {attempt} of {self._max_attempts})."
                )
                self._sleep(delay)
            with self._stats_lock:
                self.stats.retries += 1

    def _attempt(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        form: Mapping[str, str] | None,
        json_body: JsonDict | None,
    ) -> _Outcome:
        """One paced HTTP attempt. The requests exception is reduced to a kind inside `except` and
        dropped, so no error we raise later carries it (its request holds the headers) as context."""
        failure: tuple[FailureKind, str] | None = None
        with self._pacer.slot() as ticket:
            self._count_send(f"{method} {path}", ticket.sent_at)
            try:
                response = self._send(method, path, params, form, json_body)
            except requests.RequestException as exc:
                failure = _classify_exception(exc)
            if failure is None:
                rate = RateHeaders.parse(response.headers)
                self._pacer.observe(ticket, rate)
                with self._stats_lock:
                    self.stats.last_response_at = self._clock()
                    self.stats.server_limit = self._pacer.server_limit
                    self.stats.rate_limited += int(response.status_code == 429)
                return self._read(response, rate)
        return _Outcome(failure[0], what=failure[1])

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        form: Mapping[str, str] | None,
        json_body: JsonDict | None,
    ) -> requests.Response:
        """The query is encoded here, once, and added after requests prepared the request: requests
        would otherwise re-scan the ~3 KB query of a bulk lookup character by character in Python,
        about a quarter of the connector's CPU on an unchanged re-sync. The bytes sent are the same.
        The request is prepared with the session's headers but not through `Session.prepare_request`,
        whose merging of settings and cookies (none are used: the API is stateless) cost a quarter of
        a lookup's CPU."""
        request = requests.Request(
            method, self._base_url + path, headers=self._session.headers, data=form, json=json_body
        )
        prepared = request.prepare()
        if params:
            prepared.url = f"{prepared.url}?{_encode_query(params)}"
        return self._session.send(prepared, timeout=self._timeout, allow_redirects=False)

    def _count_send(self, route: str, sent_at: float) -> None:
        with self._stats_lock:
            self.stats.requests += 1
            self.stats.by_route[route] = self.stats.by_route.get(route, 0) + 1
            if self.stats.first_request_at is None:
                self.stats.first_request_at = sent_at

    def _read(self, response: requests.Response, rate: RateHeaders) -> _Outcome:
        """Status and envelope -> outcome. Ontraport's errors are short plain text, not JSON."""
        status = response.status_code
        if not 200 <= status < 300 or not response.content.lstrip().startswith(b"{"):
            excerpt = self._excerpt(response.text)
            if _SAVE_FAILED.match(excerpt):
                return _Outcome(FailureKind.SAVE_FAILED, f"HTTP {status}", excerpt, reset=rate.reset)
            if status == 400 and _OBJECT_NOT_FOUND.fullmatch(excerpt):
                status = 404  # Ontraport's `Object not found` means the same whichever status it comes with
            if not 200 <= status < 300:
                return _Outcome(status, what=f"HTTP {status}", body_excerpt=excerpt, reset=rate.reset)
        try:
            payload = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            payload = None
        if not isinstance(payload, dict) or "code" not in payload:
            what = "unexpected response (not Ontraport's JSON envelope)"
            return _Outcome(FailureKind.BAD_RESPONSE, what, self._excerpt(response.text))
        if str(payload["code"]).strip() not in ("0", "0.0"):
            what = f"error code {payload['code']!s:.20}"
            return _Outcome(FailureKind.API_ERROR, what, self._excerpt(response.text))
        return _Outcome(None, data=payload.get("data"))

    def _excerpt(self, text: str) -> str:
        """First 200 chars of a body, on one line, with the API key masked should it ever be echoed
        (masked before cutting, so that no prefix of the key survives the cut)."""
        head = text[: 20 * EXCERPT_CHARS + len(self._api_key)]
        if len(self._api_key) >= 4:
            head = head.replace(self._api_key, "***")
        return " ".join(head.split())[:EXCERPT_CHARS]

    @staticmethod
    def _describe(outcome: _Outcome) -> str:
        return f"{outcome.what} ({outcome.body_excerpt})" if outcome.body_excerpt else outcome.what

    def _gave_up(self, outcome: _Outcome, method: str, path: str, attempts: str) -> TransientError:
        return TransientError(
            f"{method} {path} failed: {self._describe(outcome)}; gave up after {attempts}.",
            **self._error_fields(outcome, method, path),
        )

    @staticmethod
    def _error_fields(outcome: _Outcome, method: str, path: str) -> dict[str, Any]:
        status = outcome.failure if isinstance(outcome.failure, int) else None
        return {"status": status, "method": method, "path": path, "body_excerpt": outcome.body_excerpt}

    def _error(self, cls: type[OntraportError], outcome: _Outcome, method: str, path: str) -> OntraportError:
        """The message for a decision to raise: what happened, and what the person can do next."""
        route, body = f"{method} {path}", outcome.body_excerpt
        if cls is AuthenticationError:
            said = body.rstrip(" .") or f"HTTP {outcome.failure} with an empty body"
            message = f"Ontraport rejected the App ID / API Key: {said}. " + _CHECK_CREDENTIALS
        elif cls is PermissionDeniedError:
            message = (
                f"Ontraport refused {route} (HTTP 403{': ' + body if body else ''}): the API key's user "
                "lacks a permission for this. Give that user access to contacts and tags (Administration > "
                "Users) or use a key with those permissions. Not retried."
            )
        elif cls is NotFoundError:
            message = (
                f"Ontraport answered {route} with HTTP 404 ({body or 'no body'}): the object does not exist."
            )
        elif cls is AmbiguousWriteError:
            message = (
                f"{route} failed: {self._describe(outcome)}, after the request may have reached Ontraport; "
                "it may or may not have taken effect. Not re-sent automatically (a second send could create "
                "a duplicate)."
            )
        elif cls is UnexpectedAnswerError:
            message = (
                f"Ontraport answered {route} with {self._describe(outcome)}, not with its JSON envelope. "
                "Not re-sent as it is (the same request would most likely get the same answer)."
            )
        else:
            said = f": {body.rstrip(' .')}" if body else ""
            message = f"Ontraport rejected {route} with {outcome.what}{said}. Not retried."
        return cls(message, **self._error_fields(outcome, method, path))


# --- module helpers ----------------------------------------------------------------------------
def _in_condition(field_name: str, values: Sequence[str]) -> str:
    """Ontraport criteria JSON for `<field> IN [values]`."""
    clause = {"field": {"field": field_name}, "op": "IN", "value": {"list": [{"value": v} for v in values]}}
    return orjson.dumps([clause]).decode()


def _encode_query(params: Mapping[str, str]) -> str:
    """The query string as sent: `:`, `,` and `@` are legal in a query (RFC 3986) and left as they
    are, which keeps a lookup's query about 15% shorter."""
    return urlencode(params, safe=QUERY_SAFE, quote_via=quote)


def _encode_query_text(text: str) -> str:
    return quote(text, safe=QUERY_SAFE)


def _tags_by_name(names: Sequence[str], rows: Sequence[JsonDict]) -> dict[str, str]:
    """{our name: tag id} among contact tags (object_type_id 0): the exact name first, else the one
    tag whose name equals ours ignoring case (several such tags: none is guessed)."""
    exact: dict[str, str] = {}
    folded: dict[str, set[str]] = {}
    for row in rows:
        name, tag_id = row.get("tag_name"), row.get("tag_id", row.get("id"))
        if str(row.get("object_type_id", "0")) != "0" or not isinstance(name, str) or tag_id in (None, ""):
            continue
        exact.setdefault(name, str(tag_id))
        folded.setdefault(name.casefold(), set()).add(str(tag_id))
    found: dict[str, str] = {}
    for name in names:
        if name in exact:
            found[name] = exact[name]
        elif len(candidates := folded.get(name.casefold(), set())) == 1:
            found[name] = next(iter(candidates))
    return found


def _explicit_ids(ids: Sequence[str], method: str, path: str, *, what: str = "contact ids") -> list[str]:
    """Positive integer ids, or UnsafeRequestError before anything is sent: Ontraport applies a bulk
    action with no ids (or `0`) to every record of the type."""
    problem = ""
    if isinstance(ids, str | bytes):
        problem = "a single string instead of a list of ids"
    elif not ids:
        problem = "an empty list"
    checked: list[str] = []
    for raw in [] if problem else ids:
        text = str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else raw
        if not isinstance(text, str) or not _POSITIVE_ID.fullmatch(text):
            problem = f"{str(raw)[:20]!r}, which is not a positive integer id"
            break
        checked.append(text)
    if problem:
        why = " (without explicit ids Ontraport applies it to every contact)" if what == "contact ids" else ""
        raise UnsafeRequestError(
            f"Refusing to send {method} {path}: {what} must be explicit positive integers, got {problem}. "
            f"Nothing was sent{why}.",
            method=method,
            path=path,
        )
    return list(dict.fromkeys(checked))
