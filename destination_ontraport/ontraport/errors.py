"""Every way an Ontraport request can fail, and the one table that says what to do about each.

`decide` is pure: (HTTP status or failure kind, repeat-safe?) -> retry / wait for the rate limit /
raise which error. The engine (`engine.py`) applies it; messages say what happens next and never
carry the API key or the request headers.

Which failure type a sync reports for each error (config, transient, system) is not decided here:
`failures.py` holds that table and reads an error's class and its `transient` property, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

BACKOFF_BASE_SECONDS = 0.5
BACKOFF_FACTOR = 2.0
BACKOFF_CAP_SECONDS = 30.0


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

    @property
    def transient(self) -> bool:
        """Whether the same request may succeed later with nothing changed: Ontraport or the network
        failed it through every retry (TransientError). False for an answer about the request itself
        (refused, not found, an unknown shape) or about the credentials. `decide` is what makes an
        HTTP status or failure kind one or the other."""
        return False


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

    @property
    def transient(self) -> bool:
        return True


class AmbiguousWriteError(TransientError):
    """A non-retryable (not repeat-safe) write failed in a way that leaves unknown whether it took effect."""


class UnsafeRequestError(OntraportError):
    """Raised before sending a delete or bulk action that names no explicit ids."""


class UnexpectedAnswerError(OntraportError):
    """A deterministic answer in a shape we do not know (e.g. `Save failed!`): not retried blindly;
    the caller resolves it (one lookup) or rejects the record with the reason."""


class RemovalTripwireError(OntraportError):
    """Ontraport removed more records than a delete named: every further removal is refused."""


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
