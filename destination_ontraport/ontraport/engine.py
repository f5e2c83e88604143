"""One Ontraport request, sent right: auth, envelope, pacing, and retries by the error table.

`ApiEngine(EngineSettings, Timing).send(ApiRequest)` paces the send (`pacing.Pacer`), sends it on one
plain `requests.Session`, and classifies the outcome exactly once with `errors.decide`. It knows
nothing of contacts or objects: `client.py` lists the endpoints. Messages say what happens next,
and never carry the API key or the request headers. Every attempt also goes to the engine's
watchers (`watch`: the HTTP trace, the account doctor), as an `exchange.Exchange` without headers.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import orjson
import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from destination_ontraport.ontraport.errors import (
    Action,
    AmbiguousWriteError,
    AuthenticationError,
    FailureKind,
    NotFoundError,
    OntraportError,
    PermissionDeniedError,
    TransientError,
    UnexpectedAnswerError,
    UnsafeRequestError,
    backoff_seconds,
    decide,
)
from destination_ontraport.ontraport.exchange import Exchange, ExchangeWatcher
from destination_ontraport.ontraport.pacing import Pacer, RateHeaders
from destination_ontraport.ontraport.request_rate import WindowCounter
from destination_ontraport.ontraport.settings import REAL_TIME, EngineSettings, Timing

JsonDict = dict[str, Any]

logger = logging.getLogger("airbyte")

CONNECT_TIMEOUT_SECONDS = 10.0
MAX_RATE_LIMITED_ATTEMPTS = 30
RATE_LIMIT_EXTRA_SECONDS = 0.5
"""Added to X-Rate-Limit-Reset after a 429 (plus up to as much again of jitter): Reset is whole seconds."""
EXCERPT_CHARS = 200
_CHECK_CREDENTIALS = "Check both values in the connector settings."
_SAVE_FAILED = re.compile(r"\s*save failed", re.IGNORECASE)
_OBJECT_NOT_FOUND = re.compile(r"\s*object not found\.?\s*", re.IGNORECASE)
_POSITIVE_IDS = re.compile(r"[1-9][0-9]*(,[1-9][0-9]*)*")
_SELECTORS = frozenset(
    {"id", "ids", "objectID", "condition", "search", "group_id", "group_ids", "performAll", "start", "range"}
)
"""Parameters that choose which records an action touches: never in a DELETE's body (see ApiRequest)."""


@dataclass(frozen=True)
class ApiRequest:
    """Everything about one request that the endpoint decides: what to send, and how to treat a doubt.

    `repeat_safe`: re-sending cannot create a second record (false for plain creates).
    `odd_answer_is_final`: a 2xx answer that is not the envelope is Ontraport's answer
    (UnexpectedAnswerError, for the caller to resolve), not a glitch worth re-sending.
    `form_on_delete`: the account doctor's one probe of whether the server reads a DELETE's form
    body. Any other DELETE with a body is refused; this one too unless its query string names every
    record by explicit id and its body holds no selector (so a server that drops the body acts on
    those records or on none, never on every record).
    """

    method: str
    path: str
    params: Mapping[str, str] | None = None
    form: Mapping[str, str] | None = None
    json: JsonDict | None = None
    repeat_safe: bool = True
    odd_answer_is_final: bool = False
    form_on_delete: bool = False

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class RequestStats:
    """Counters the summary reports; updated under a lock by the engine."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    by_route: dict[str, int] = field(default_factory=dict)
    first_request_at: float | None = None
    last_response_at: float | None = None
    server_limit: int | None = None
    windows: WindowCounter = field(default_factory=lambda: WindowCounter(60.0))
    """Sends per rate-limit window, for the rate over whole windows (see request_rate.py)."""


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
        if isinstance(inner, NewConnectionError | ConnectTimeoutError):
            socket_error = inner.__cause__ or inner.__context__  # the socket's own error says more
            return FailureKind.NOT_SENT, f"could not connect ({type(socket_error or inner).__name__})"
        what = type(inner).__name__ if isinstance(inner, BaseException) else type(exc).__name__
        return FailureKind.NO_ANSWER, f"connection dropped ({what})"
    return FailureKind.NO_ANSWER, f"request failed ({type(exc).__name__})"


class ApiEngine:
    """Thread-safe: one `requests.Session`, one pacer, one set of counters for the whole sync."""

    def __init__(self, settings: EngineSettings, timing: Timing = REAL_TIME) -> None:
        self.base_url = settings.base_url.rstrip("/")
        self._api_key = settings.api_key
        self._timeout = (CONNECT_TIMEOUT_SECONDS, float(settings.timeout_seconds))
        self._max_attempts = settings.max_attempts
        self._clock = timing.clock
        self._sleep = timing.sleep
        self._jitter = timing.jitter
        self.stats = RequestStats(windows=WindowCounter(float(settings.window_seconds)))
        self._stats_lock = threading.Lock()
        self._pacer = Pacer(
            window_seconds=settings.window_seconds,
            max_requests_per_minute=settings.max_requests_per_minute,
            max_in_flight=settings.max_in_flight,
            timing=timing,
        )
        self._session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=max(settings.max_in_flight, 1), max_retries=0)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)  # ignore-https-check: the local sandbox only
        self._session.headers.update(
            {"Api-Key": settings.api_key, "Api-Appid": settings.app_id, "Accept": "application/json"}
        )
        self._watchers: list[ExchangeWatcher] = []

    def __repr__(self) -> str:
        return f"ApiEngine(base_url={self.base_url!r}, api_key=<hidden>)"

    def allowed_requests_per_minute(self) -> float:
        """The effective limit: min(server's X-Rate-Limit-Limit (or 180), configured cap), per 60 s.

        Defined as requests allowed per window * 60 / window_seconds, i.e. per minute of real time:
        180 per 60-s window -> 180; a sandbox allowing 180 per 6-s window -> 1800.
        """
        return self._pacer.allowed_per_minute()

    def close(self) -> None:
        self._session.close()

    def watch(self, watcher: ExchangeWatcher) -> None:
        """Hands every later attempt to `watcher` (the HTTP trace, the account doctor); set up before
        the first request, not while requests are in flight."""
        self._watchers.append(watcher)

    def send(self, request: ApiRequest) -> Any:
        """Send until success or a decision to raise; returns the envelope's `data`."""
        if request.method == "DELETE" and (request.form or request.json) and not _safe_delete_probe(request):
            raise UnsafeRequestError(
                f"Refusing to send DELETE {request.path} with a body: Ontraport's SDK sends DELETE "
                "parameters in the query string, and a server that ignores the body would act on every "
                "record.",
                method=request.method,
                path=request.path,
            )
        attempt, rate_limited = 1, 0
        while True:
            outcome = self._attempt(request)
            if outcome.failure is None:
                return outcome.data
            failure = outcome.failure
            if request.odd_answer_is_final and failure is FailureKind.BAD_RESPONSE:
                failure = FailureKind.SAVE_FAILED
            decision = decide(failure, request.repeat_safe)
            if decision.action is Action.RAISE:
                assert decision.error is not None
                raise self._error(decision.error, outcome, request)
            if decision.action is Action.WAIT_FOR_RATE_LIMIT:
                rate_limited += 1
                if rate_limited >= MAX_RATE_LIMITED_ATTEMPTS:
                    raise self._gave_up(outcome, request, f"{rate_limited} rate-limited attempts")
                reset = outcome.reset if outcome.reset is not None else 1.0
                wait = reset + RATE_LIMIT_EXTRA_SECONDS * (1.0 + self._jitter())
                logger.warning(
                    f"{request.route}: Ontraport rate limit reached (HTTP 429); holding all requests for "
                    f"{wait:.1f} s, then retrying (rate-limit wait {rate_limited} of "
                    f"{MAX_RATE_LIMITED_ATTEMPTS})."
                )
                self._pacer.hold_for(wait)
            else:
                if attempt >= self._max_attempts:
                    raise self._gave_up(outcome, request, f"{attempt} attempts")
                delay = backoff_seconds(attempt, self._jitter())
                attempt += 1
                logger.warning(
                    f"{request.route} failed: {_describe(outcome)}; will retry in {delay:.1f} s "
                    f"(attempt {attempt} of {self._max_attempts})."
                )
                self._sleep(delay)
            with self._stats_lock:
                self.stats.retries += 1

    def _attempt(self, request: ApiRequest) -> _Outcome:
        """One paced HTTP attempt. The requests exception is reduced to a kind inside `except` and
        dropped, so no error we raise later carries it (its request holds the headers) as context."""
        failure: tuple[FailureKind, str] | None = None
        with self._pacer.slot() as ticket:
            self._count_send(request.route, ticket.sent_at)
            started = self._clock()
            try:
                response = self._session.request(
                    request.method,
                    self.base_url + request.path,
                    params=request.params,
                    data=request.form,
                    json=request.json,
                    timeout=self._timeout,
                    allow_redirects=False,  # a redirect would carry the API key elsewhere
                )
            except requests.RequestException as exc:
                failure = _classify_exception(exc)
            if failure is None:
                rate = RateHeaders.parse(response.headers)
                self._pacer.observe(ticket, rate)
                with self._stats_lock:
                    self.stats.last_response_at = self._clock()
                    self.stats.server_limit = self._pacer.server_limit
                    self.stats.rate_limited += int(response.status_code == 429)
                self._tell_watchers(request, started, rate, response)
                return self._read(response, rate)
        self._tell_watchers(request, started, RateHeaders(), failure[1])
        return _Outcome(failure[0], what=failure[1])

    def _tell_watchers(
        self, request: ApiRequest, started: float, rate: RateHeaders, answer: requests.Response | str
    ) -> None:
        """One Exchange per attempt for each watcher (built only when someone watches); `answer` is
        the response, or what went wrong instead of one."""
        if not self._watchers:
            return
        response = answer if isinstance(answer, requests.Response) else None
        exchange = Exchange(
            method=request.method,
            path=request.path,
            query=dict(request.params or {}),
            request_body=_wire_body(request),
            status=response.status_code if response is not None else None,
            milliseconds=(self._clock() - started) * 1000.0,
            rate=rate,
            response_body=response.text if response is not None else "",
            failure="" if response is not None else str(answer),
        )
        for watcher in self._watchers:
            watcher(exchange)

    def _count_send(self, route: str, sent_at: float) -> None:
        with self._stats_lock:
            self.stats.requests += 1
            self.stats.by_route[route] = self.stats.by_route.get(route, 0) + 1
            if self.stats.first_request_at is None:
                self.stats.first_request_at = sent_at
            self.stats.windows.count(sent_at)

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

    def _gave_up(self, outcome: _Outcome, request: ApiRequest, attempts: str) -> TransientError:
        return TransientError(
            f"{request.route} failed: {_describe(outcome)}; gave up after {attempts}.",
            **_error_fields(outcome, request),
        )

    def _error(self, cls: type[OntraportError], outcome: _Outcome, request: ApiRequest) -> OntraportError:
        """The message for a decision to raise: what happened, and what the person can do next."""
        route, body = request.route, outcome.body_excerpt
        if cls is AuthenticationError:
            said = body.rstrip(" .") or f"HTTP {outcome.failure} with an empty body"
            message = f"Ontraport rejected the App ID / API Key: {said}. " + _CHECK_CREDENTIALS
        elif cls is PermissionDeniedError:
            message = (
                f"Ontraport refused {route} (HTTP 403{': ' + body if body else ''}): the API key's user "
                "lacks a permission for this. Give that user access to this object and its tags "
                "(Administration > Users) or use a key with those permissions. Not retried."
            )
        elif cls is NotFoundError:
            message = (
                f"Ontraport answered {route} with HTTP 404 ({body or 'no body'}): the object does not exist."
            )
        elif cls is AmbiguousWriteError:
            message = (
                f"{route} failed: {_describe(outcome)}, after the request may have reached Ontraport; "
                "it may or may not have taken effect. Not re-sent automatically (a second send could create "
                "a duplicate)."
            )
        elif cls is UnexpectedAnswerError:
            message = (
                f"Ontraport answered {route} with {_describe(outcome)}, not with its JSON envelope. "
                "Not re-sent as it is (the same request would most likely get the same answer)."
            )
        else:
            said = f": {body.rstrip(' .')}" if body else ""
            message = f"Ontraport rejected {route} with {outcome.what}{said}. Not retried."
        return cls(message, **_error_fields(outcome, request))


def _safe_delete_probe(request: ApiRequest) -> bool:
    """A DELETE body allowed (see ApiRequest.form_on_delete): asked for, a form, no selector in it,
    and explicit positive ids in the query string."""
    if not request.form_on_delete or request.json or not request.form:
        return False
    ids = (request.params or {}).get("ids", (request.params or {}).get("id", ""))
    return not _SELECTORS & set(request.form) and bool(_POSITIVE_IDS.fullmatch(str(ids)))


def _wire_body(request: ApiRequest) -> str:
    """The request's body as sent: form-encoded, or JSON; "" without one."""
    if request.form:
        return urlencode(request.form)
    if request.json is not None:
        return orjson.dumps(request.json).decode()
    return ""


def _describe(outcome: _Outcome) -> str:
    return f"{outcome.what} ({outcome.body_excerpt})" if outcome.body_excerpt else outcome.what


def _error_fields(outcome: _Outcome, request: ApiRequest) -> dict[str, Any]:
    status = outcome.failure if isinstance(outcome.failure, int) else None
    return {
        "status": status,
        "method": request.method,
        "path": request.path,
        "body_excerpt": outcome.body_excerpt,
    }
