"""OntraportClient against requests-mock: the error table, retries, pacing, encodings and secrecy.

Nothing here touches the network or really sleeps (except one short real-clock pacing test): the
client gets a fake clock whose `sleep` records the wait and moves time forward.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
import requests
import requests_mock
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from destination_ontraport.model.automations import ListKind
from destination_ontraport.model.mapping import FieldCatalog
from destination_ontraport.model.objects import ObjectType
from destination_ontraport.ontraport.client import OntraportClient
from destination_ontraport.ontraport.engine import ApiRequest
from destination_ontraport.ontraport.errors import (
    Action,
    AmbiguousWriteError,
    AuthenticationError,
    FailureKind,
    NotFoundError,
    OntraportError,
    PermissionDeniedError,
    RequestRejectedError,
    TransientError,
    UnexpectedAnswerError,
    UnsafeRequestError,
    decide,
)
from destination_ontraport.ontraport.pacing import Pacer, RateHeaders
from destination_ontraport.ontraport.settings import EngineSettings, Timing

BASE = "https://api.test/1"
CONTACTS = ObjectType(0, "Contact", FieldCatalog(()))
APP_ID = "2_AppID_12345678"
SECRET = "Key5678-super-secret-value"
OK_HEADERS = {"Content-Type": "application/json"}
AUTH_BODY = "Your App ID and API Key do not authenticate."


class FakeClock:
    """Monotonic time that only moves when someone sleeps; thread-safe.

    With several threads, sleeps add up (time runs faster than real), which only makes a limiter
    that enforces its window by this clock easier to catch exceeding it.
    """

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += max(0.0, seconds)
        time.sleep(0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make(clock: FakeClock) -> Iterator[Callable[..., OntraportClient]]:
    clients: list[OntraportClient] = []

    def factory(jitter: Callable[[], float] = lambda: 0.0, **options: Any) -> OntraportClient:
        settings = EngineSettings(BASE, APP_ID, SECRET, **options)
        client = OntraportClient(settings, Timing(clock=clock, sleep=clock.sleep, jitter=jitter))
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def mock() -> Iterator[requests_mock.Mocker]:
    with requests_mock.Mocker() as m:
        yield m


def envelope(data: Any, **headers: str) -> dict[str, Any]:
    return {"json": {"code": 0, "data": data, "account_id": 50}, "headers": {**OK_HEADERS, **headers}}


def rate(limit: int, remaining: int, reset: int) -> dict[str, str]:
    return {
        "X-Rate-Limit-Limit": str(limit),
        "X-Rate-Limit-Remaining": str(remaining),
        "X-Rate-Limit-Reset": str(reset),
    }


def form_of(request: Any) -> dict[str, str]:
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    return {k: v[0] for k, v in parse_qs(request.text, keep_blank_values=True).items()}


def query_of(request: Any) -> dict[str, list[str]]:
    """The query exactly as sent (requests-mock's own `.query` is lower-cased)."""
    return parse_qs(urlsplit(request.url).query)


def connect_refused() -> requests.exceptions.ConnectionError:
    reason = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] refused")  # type: ignore[arg-type]
    return requests.exceptions.ConnectionError(MaxRetryError(None, "/1/Contacts", reason))  # type: ignore[arg-type]


def connection_dropped() -> requests.exceptions.ConnectionError:
    return requests.exceptions.ConnectionError(
        ProtocolError("Connection aborted.", ConnectionResetError(104))
    )


# --- the error table ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("failure", "repeat_safe", "action", "error"),
    [
        (401, True, Action.RAISE, AuthenticationError),
        (403, True, Action.RAISE, PermissionDeniedError),
        (404, True, Action.RAISE, NotFoundError),
        (400, True, Action.RAISE, RequestRejectedError),
        (422, False, Action.RAISE, RequestRejectedError),
        (409, True, Action.RAISE, RequestRejectedError),
        (429, True, Action.WAIT_FOR_RATE_LIMIT, None),
        (429, False, Action.WAIT_FOR_RATE_LIMIT, None),
        (500, True, Action.RETRY, None),
        (503, False, Action.RAISE, AmbiguousWriteError),
        (FailureKind.NOT_SENT, True, Action.RETRY, None),
        (FailureKind.NOT_SENT, False, Action.RETRY, None),
        (FailureKind.NO_ANSWER, True, Action.RETRY, None),
        (FailureKind.NO_ANSWER, False, Action.RAISE, AmbiguousWriteError),
        (FailureKind.BAD_RESPONSE, True, Action.RETRY, None),
        (FailureKind.BAD_RESPONSE, False, Action.RAISE, AmbiguousWriteError),
        (FailureKind.API_ERROR, True, Action.RAISE, RequestRejectedError),
        (FailureKind.SAVE_FAILED, True, Action.RAISE, UnexpectedAnswerError),
    ],
)
def test_decide_is_one_table(failure: Any, repeat_safe: bool, action: Action, error: Any) -> None:
    decision = decide(failure, repeat_safe)
    assert decision.action is action
    assert decision.error is error


# --- session, headers, envelope -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("answer", "repeat_safe", "transient"),
    [
        ({"status_code": 503, "text": "Service Unavailable"}, True, True),  # gave up after retries
        ({"exc": requests.exceptions.ReadTimeout}, False, True),  # a create that may have arrived
        ({"status_code": 401, "text": AUTH_BODY}, True, False),
        ({"status_code": 403, "text": "Permission denied"}, True, False),
        ({"status_code": 404, "text": "Object not found"}, True, False),
        ({"status_code": 422, "text": "Invalid email"}, True, False),
        ({"json": {"code": 1, "data": "bad"}}, True, False),
        ({"text": "Save failed!"}, True, False),
    ],
)
def test_an_error_says_whether_it_may_pass_with_nothing_changed(
    make: Any, mock: Any, answer: dict[str, Any], repeat_safe: bool, transient: bool
) -> None:
    """`transient` is what the failure table reads: the error raised after Ontraport's answer says it."""
    mock.post(f"{BASE}/Tags", **answer)
    client = make(max_attempts=2)
    with pytest.raises(OntraportError) as info:
        client._send(ApiRequest("POST", "/Tags", form={"tag_name": "x"}, repeat_safe=repeat_safe))
    assert info.value.transient is transient
    assert isinstance(info.value, TransientError) is transient


def test_every_request_carries_credentials_and_accept(make: Any, mock: Any) -> None:
    mock.get(f"{BASE}/Contacts/getInfo", **envelope({"count": "42", "listFields": []}))
    assert make().count(CONTACTS) == 42
    headers = mock.last_request.headers
    assert headers["Api-Key"] == SECRET
    assert headers["Api-Appid"] == APP_ID
    assert headers["Accept"] == "application/json"


def test_pool_is_at_least_max_in_flight(make: Any) -> None:
    client = make(max_in_flight=24)
    adapter = client._engine._session.get_adapter(BASE)
    assert adapter._pool_maxsize >= 24
    assert client.max_in_flight == 24


def test_timeouts_are_connect_10_and_read_configured(make: Any, mock: Any) -> None:
    mock.get(f"{BASE}/Contacts/getInfo", **envelope({"count": "1"}))
    make(timeout_seconds=45).count(CONTACTS)
    assert mock.last_request.timeout == (10.0, 45.0)


def test_non_zero_code_is_rejected_without_retry(make: Any, mock: Any) -> None:
    mock.get(f"{BASE}/Contacts/getInfo", json={"code": 1, "data": "Something failed"})
    with pytest.raises(RequestRejectedError, match="error code 1"):
        make().count(CONTACTS)
    assert mock.call_count == 1


def test_non_json_200_is_retried_as_transient(make: Any, mock: Any, clock: FakeClock) -> None:
    mock.get(f"{BASE}/Contacts/getInfo", [{"text": "<html>maintenance</html>"}, envelope({"count": "3"})])
    assert make().count(CONTACTS) == 3
    assert mock.call_count == 2


def test_non_json_200_gives_up_as_transient_error(make: Any, mock: Any) -> None:
    mock.get(f"{BASE}/Contacts/getInfo", text="<html>maintenance</html>")
    with pytest.raises(TransientError, match=r"unexpected response.*gave up after 3 attempts") as info:
        make(max_attempts=3).count(CONTACTS)
    assert "maintenance" in info.value.body_excerpt
    assert mock.call_count == 3


# --- one error class each, with its message -----------------------------------------------------
def test_401_plain_text_body_is_an_actionable_authentication_error(make: Any, mock: Any) -> None:
    mock.get(
        f"{BASE}/Contacts/getInfo",
        status_code=401,
        text=AUTH_BODY,
        headers={"Content-Type": "text/html;charset=UTF-8", **rate(180, 179, 23)},
    )
    with pytest.raises(AuthenticationError) as info:
        make().count(CONTACTS)
    assert str(info.value) == (
        "Ontraport rejected the App ID / API Key: Your App ID and API Key do not authenticate. "
        "Check both values in the connector settings."
    )
    assert (info.value.status, info.value.method, info.value.path) == (401, "GET", "/Contacts/getInfo")
    assert info.value.body_excerpt == AUTH_BODY
    assert mock.call_count == 1


def test_403_is_permission_denied_and_not_retried(make: Any, mock: Any) -> None:
    mock.put(f"{BASE}/objects/tag", status_code=403, text="Permission denied")
    with pytest.raises(
        PermissionDeniedError, match=r"HTTP 403: Permission denied.*lacks a permission"
    ) as info:
        make().add_tags(CONTACTS, ["5"], ["7"])
    assert "Not retried" in str(info.value)
    assert mock.call_count == 1


def test_404_on_update_is_not_found(make: Any, mock: Any) -> None:
    mock.put(f"{BASE}/Contacts", status_code=404, text="Object not found")
    with pytest.raises(NotFoundError, match="Object not found") as info:
        make().update(CONTACTS, "99", {"firstname": "A"})
    assert info.value.status == 404
    assert mock.call_count == 1


@pytest.mark.parametrize(
    ("status", "body"), [(422, "Invalid email address"), (400, "Bad request"), (409, "x")]
)
def test_4xx_is_rejected_with_the_plain_body(make: Any, mock: Any, status: int, body: str) -> None:
    mock.post(f"{BASE}/Contacts/saveorupdate", status_code=status, text=body)
    with pytest.raises(RequestRejectedError) as info:
        make().save_or_update(CONTACTS, {"email": "nope"})
    assert str(info.value) == (
        f"Ontraport rejected POST /Contacts/saveorupdate with HTTP {status}: {body}. Not retried."
    )
    assert (info.value.status, info.value.body_excerpt) == (status, body)
    assert mock.call_count == 1


def test_body_excerpt_is_at_most_200_chars_on_one_line(make: Any, mock: Any) -> None:
    mock.post(f"{BASE}/Contacts/saveorupdate", status_code=400, text="line\n" + "x" * 1000)
    with pytest.raises(RequestRejectedError) as info:
        make().save_or_update(CONTACTS, {"email": "a@b.c"})
    assert len(info.value.body_excerpt) == 200
    assert info.value.body_excerpt.startswith("line xxx")


# --- retries --------------------------------------------------------------------------------------
def test_5xx_is_retried_with_full_jitter_exponential_backoff(
    make: Any, mock: Any, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    mock.get(
        f"{BASE}/Contacts/getInfo",
        [{"status_code": 503, "text": "Service Unavailable"}] * 3 + [envelope({"count": "1"})],
    )
    with caplog.at_level(logging.WARNING, logger="airbyte"):
        assert make(jitter=lambda: 0.8).count(CONTACTS) == 1
    assert clock.sleeps == pytest.approx([0.4, 0.8, 1.6])
    assert mock.call_count == 4
    assert (
        "GET /Contacts/getInfo failed: HTTP 503 (Service Unavailable); will retry in 0.4 s (attempt 2 of 8)."
        in caplog.text
    )
    assert "will retry in 1.6 s (attempt 4 of 8)" in caplog.text


def test_5xx_gives_up_after_max_attempts_with_capped_backoff(make: Any, mock: Any, clock: FakeClock) -> None:
    mock.get(f"{BASE}/Contacts", status_code=500, text="Internal error")
    client = make(jitter=lambda: 0.5, max_attempts=10)
    with pytest.raises(TransientError) as info:
        client.find(CONTACTS, "email", ["a@b.c"], ["id"])
    assert not isinstance(info.value, AmbiguousWriteError)
    assert str(info.value) == "GET /Contacts failed: HTTP 500 (Internal error); gave up after 10 attempts."
    assert info.value.status == 500
    assert clock.sleeps == pytest.approx([0.25, 0.5, 1, 2, 4, 8, 15, 15, 15])
    assert mock.call_count == 10
    assert client.stats.requests == 10
    assert client.stats.retries == 9


@pytest.mark.parametrize(
    "failure",
    [
        requests.exceptions.ReadTimeout,
        requests.exceptions.ConnectTimeout,
        connection_dropped(),
        connect_refused(),
    ],
)
def test_timeouts_and_connection_errors_are_retried_for_repeat_safe_calls(
    make: Any, mock: Any, failure: Any
) -> None:
    mock.put(f"{BASE}/Contacts", [{"exc": failure}, {"exc": failure}, envelope({"attrs": {"id": "5"}})])
    make().update(CONTACTS, "5", {"firstname": "A"})
    assert mock.call_count == 3


def test_read_timeout_gives_up_with_what_happened(make: Any, mock: Any) -> None:
    mock.get(f"{BASE}/Contacts/meta", exc=requests.exceptions.ReadTimeout)
    with pytest.raises(
        TransientError, match=r"GET /Contacts/meta failed: read timeout; gave up after 2 attempts"
    ):
        make(max_attempts=2).contact_fields()
    assert mock.call_count == 2


def test_429_waits_exactly_the_reset_header_plus_jitter(make: Any, mock: Any, clock: FakeClock) -> None:
    limited = {"status_code": 429, "text": "Rate limit exceeded", "headers": rate(180, 0, 7)}
    mock.get(f"{BASE}/Contacts/getInfo", [limited, envelope({"count": "9"})])
    client = make(jitter=lambda: 0.5)
    assert client.count(CONTACTS) == 9
    assert clock.sleeps == [pytest.approx(7 + 0.5 + 0.25)]
    assert (client.stats.rate_limited, client.stats.retries, client.stats.requests) == (1, 1, 2)


def test_429_holds_every_sender_not_only_the_one_that_was_refused(
    make: Any, mock: Any, clock: FakeClock
) -> None:
    limited = {"status_code": 429, "text": "Rate limit exceeded", "headers": {"X-Rate-Limit-Reset": "3"}}
    mock.get(f"{BASE}/Contacts/getInfo", [limited, envelope({"count": "1"})])
    client = make()
    client.count(CONTACTS)
    client._engine._pacer.hold_for(0)  # no-op: the hold only ever extends
    start = clock()
    mock.get(f"{BASE}/Contacts/getInfo", **envelope({"count": "1"}))
    client.count(CONTACTS)
    assert clock() == start  # the hold is over: no further waiting
    assert clock.sleeps == [pytest.approx(3.5)]


def test_429_retries_do_not_use_up_normal_attempts(make: Any, mock: Any) -> None:
    limited = {"status_code": 429, "text": "slow down", "headers": {"X-Rate-Limit-Reset": "1"}}
    mock.get(f"{BASE}/Contacts/getInfo", [limited] * 5 + [envelope({"count": "1"})])
    assert make(max_attempts=1).count(CONTACTS) == 1
    assert mock.call_count == 6


def test_429_has_its_own_cap(make: Any, mock: Any) -> None:
    mock.get(
        f"{BASE}/Contacts/getInfo", status_code=429, text="slow down", headers={"X-Rate-Limit-Reset": "1"}
    )
    with pytest.raises(TransientError, match=r"HTTP 429 .*gave up after 30 rate-limited attempts") as info:
        make().count(CONTACTS)
    assert info.value.status == 429
    assert mock.call_count == 30


# --- not repeat-safe writes ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "response",
    [
        {"status_code": 502, "text": "Bad Gateway"},
        {"exc": requests.exceptions.ReadTimeout},
        {"exc": connection_dropped()},
        {"text": "<html>oops</html>"},
    ],
)
def test_create_contact_is_never_resent_after_it_may_have_arrived(
    make: Any, mock: Any, response: Any
) -> None:
    mock.post(f"{BASE}/Contacts", [response, envelope({"id": "77"})])
    with pytest.raises(AmbiguousWriteError, match="may or may not have taken effect") as info:
        make().create(CONTACTS, {"firstname": "A", "f1557": "ext-1"})
    assert isinstance(info.value, TransientError)
    assert (info.value.method, info.value.path) == ("POST", "/Contacts")
    assert mock.call_count == 1


def test_create_tag_is_not_repeat_safe_either(make: Any, mock: Any) -> None:
    mock.post(f"{BASE}/Tags", [{"status_code": 500, "text": "oops"}, envelope({"tag_id": "3"})])
    with pytest.raises(AmbiguousWriteError):
        make().create_tag("VIP")
    assert mock.call_count == 1


@pytest.mark.parametrize(
    "response",
    [
        {"exc": requests.exceptions.ConnectTimeout},
        {"exc": connect_refused()},
        {"status_code": 429, "text": "slow down", "headers": {"X-Rate-Limit-Reset": "2"}},
    ],
)
def test_create_contact_is_retried_when_nothing_reached_the_server(
    make: Any, mock: Any, response: Any
) -> None:
    mock.post(f"{BASE}/Contacts", [response, envelope({"id": "77", "owner": "1"})])
    assert make().create(CONTACTS, {"firstname": "A"}) == "77"
    assert mock.call_count == 2


# --- explicit ids only --------------------------------------------------------------------------
BAD_IDS: list[Any] = [[], ["0"], [""], ["abc"], ["12", "-3"], ["1.5"], [" 1"], ["007"], "123", ["5", None]]


@pytest.mark.parametrize("ids", BAD_IDS)
@pytest.mark.parametrize(
    "action",
    [
        lambda c, ids: c.add_tags(CONTACTS, ids, ["3"]),
        lambda c, ids: c.remove_tags(CONTACTS, ids, ["3"]),
        lambda c, ids: c.delete(CONTACTS, ids),
    ],
    ids=["add_tags", "remove_tags", "delete_contacts"],
)
def test_bulk_actions_refuse_anything_but_explicit_ids(make: Any, mock: Any, action: Any, ids: Any) -> None:
    with pytest.raises(UnsafeRequestError, match="Nothing was sent"):
        action(make(), ids)
    assert mock.call_count == 0


def test_update_refuses_a_missing_contact_id(make: Any, mock: Any) -> None:
    with pytest.raises(UnsafeRequestError):
        make().update(CONTACTS, "", {"firstname": "A"})
    assert mock.call_count == 0


# --- encodings ----------------------------------------------------------------------------------
def test_add_tags_is_form_encoded_with_explicit_ids_only(make: Any, mock: Any) -> None:
    mock.put(f"{BASE}/objects/tag", **envelope("The tag is now being processed."))
    make().add_tags(CONTACTS, ["10", "11", "10"], ["1", "2"])
    assert form_of(mock.last_request) == {"objectID": "0", "add_list": "1,2", "ids": "10,11"}


def test_remove_tags_sends_its_parameters_in_the_query_string(make: Any, mock: Any) -> None:
    mock.delete(f"{BASE}/objects/tag", **envelope("The tag is now being processed."))
    make().remove_tags(CONTACTS, ["10", "11"], ["4"])
    assert mock.last_request.method == "DELETE"
    assert query_of(mock.last_request) == {"objectID": ["0"], "remove_list": ["4"], "ids": ["10,11"]}
    assert mock.last_request.body is None


def test_delete_contacts_names_ids_in_the_query_string(make: Any, mock: Any) -> None:
    mock.delete(f"{BASE}/Contacts", **envelope("Deleted"))
    make().delete(CONTACTS, ["3", "4"])
    assert query_of(mock.last_request) == {"ids": ["3,4"]}
    assert mock.last_request.body is None
    assert "Content-Type" not in mock.last_request.headers


def test_no_delete_ever_carries_a_body(make: Any, mock: Any) -> None:
    """PHP does not parse a form body on DELETE, and Ontraport deletes every contact when a bulk delete
    names no ids: every DELETE the client can send has its parameters in the query, and the client
    refuses to send one with a body at all."""
    mock.delete(requests_mock.ANY, **envelope("Deleted"))
    client = make()
    client.delete(CONTACTS, ["3"])
    client.remove_tags(CONTACTS, ["3"], ["1"])
    client.unsubscribe(ListKind.CAMPAIGN, ["1"], ["3"])
    deletes = [r for r in mock.request_history if r.method == "DELETE"]
    assert len(deletes) == 3
    assert all(r.body is None and "ids=3" in urlsplit(r.url).query for r in deletes)
    bodies: list[dict[str, Any]] = [{"form": {"ids": "3"}}, {"json": {"ids": [3]}}]
    for body in bodies:
        with pytest.raises(UnsafeRequestError, match="with a body"):
            client._send(ApiRequest("DELETE", "/Contacts", **body))
    assert len(mock.request_history) == 3


def test_find_contacts_sends_the_in_condition_in_the_query(make: Any, mock: Any) -> None:
    rows = [{"id": "1", "email": "a@x.io"}, {"id": "2", "email": "b@x.io"}]
    mock.get(f"{BASE}/Contacts", **envelope(rows))
    assert make().find(CONTACTS, "email", ["a@x.io", "b@x.io"], ["id", "email", "contact_cat"]) == rows
    request = mock.last_request
    params = query_of(request)
    assert json.loads(params["condition"][0]) == [
        {
            "field": {"field": "email"},
            "op": "IN",
            "value": {"list": [{"value": "a@x.io"}, {"value": "b@x.io"}]},
        }
    ]
    assert params["listFields"] == ["id,email,contact_cat"]
    assert params["range"] == ["50"]
    assert request.body is None


def test_find_contacts_limits_values_and_skips_empty_lookups(make: Any, mock: Any) -> None:
    client = make()
    with pytest.raises(ValueError, match="at most 50"):
        client.find(CONTACTS, "email", [f"{i}@x.io" for i in range(51)], ["id"])
    assert client.find(CONTACTS, "email", [], ["id"]) == []
    assert mock.call_count == 0


def test_save_or_update_tells_created_from_merged(make: Any, mock: Any) -> None:
    mock.post(
        f"{BASE}/Contacts/saveorupdate",
        [
            envelope({"id": "31", "owner": "1", "email": "a@x.io"}),
            envelope({"attrs": {"firstname": "B", "id": "31"}}),
        ],
    )
    client = make()
    assert client.save_or_update(CONTACTS, {"email": "a@x.io", "firstname": "A"}) == ("31", True)
    assert form_of(mock.request_history[0]) == {"email": "a@x.io", "firstname": "A"}
    assert client.save_or_update(CONTACTS, {"email": "a@x.io", "firstname": "B"}) == ("31", False)


def test_update_and_create_are_form_encoded(make: Any, mock: Any) -> None:
    mock.put(f"{BASE}/Contacts", **envelope({"attrs": {"id": "5", "city": "Rome"}}))
    mock.post(f"{BASE}/Contacts", **envelope({"id": "6", "owner": "1"}))
    client = make()
    client.update(CONTACTS, "5", {"city": "Rome"})
    assert form_of(mock.request_history[0]) == {"city": "Rome", "id": "5"}
    assert client.create(CONTACTS, {"firstname": "Ann"}) == "6"
    assert form_of(mock.request_history[1]) == {"firstname": "Ann"}


def test_create_tag_posts_a_form_and_reads_tag_id(make: Any, mock: Any) -> None:
    mock.post(f"{BASE}/Tags", [envelope({"tag_id": "12", "tag_name": "VIP"}), envelope({"id": "13"})])
    client = make()
    assert client.create_tag("VIP") == "12"
    assert form_of(mock.last_request) == {"tag_name": "VIP", "object_type_id": "0"}
    assert client.create_tag("Other") == "13"


def test_find_tags_looks_up_49_names_at_a_time_pages_until_a_short_page_and_keeps_contact_tags(
    make: Any, mock: Any
) -> None:
    names = [f"t{i}" for i in range(53)]
    page1 = [{"tag_id": str(i), "tag_name": f"t{i}", "object_type_id": "0"} for i in range(50)]
    page2 = [
        {"tag_id": "50", "tag_name": "t50", "object_type_id": "0"},
        {"tag_id": "99", "tag_name": "t51", "object_type_id": "10000"},
    ]
    mock.get(f"{BASE}/Tags", [envelope(page1), envelope(page2), envelope([])])
    found = make().find_tags(names)
    assert len(found) == 51
    assert found["t0"] == "0"
    assert found["t50"] == "50"
    assert "t51" not in found
    starts = [query_of(r)["start"] for r in mock.request_history]
    assert starts == [["0"], ["50"], ["0"]], "the first lookup pages on, the second starts again"
    named = [json.loads(query_of(r)["condition"][0])[0]["value"]["list"] for r in mock.request_history]
    assert [len(n) for n in named] == [49, 49, 4]
    assert json.loads(query_of(mock.last_request)["condition"][0])[0]["field"] == {"field": "tag_name"}


def test_every_request_naming_a_list_of_values_keeps_its_line_under_the_limit(make: Any, mock: Any) -> None:
    """1,000 tag names, 1,000 long match values, 600 ids to untag or delete: each goes in as many
    requests as keep every request line (method, path, query, protocol) under 6,000 bytes; a server
    answers a longer one with 414 on every retry."""
    mock.get(f"{BASE}/Tags", **envelope([]))
    mock.delete(f"{BASE}/objects/tag", **envelope("The tag is now being processed."))
    mock.delete(f"{BASE}/Contacts", **envelope("Deleted"))
    client = make()
    names = [f"Campaign 2026 spring newsletter variant {n:04d}" for n in range(1000)]
    assert client.find_tags(names) == {}
    looked_up = [
        v["value"]
        for r in mock.request_history
        for v in json.loads(query_of(r)["condition"][0])[0]["value"]["list"]
    ]
    assert sorted(looked_up) == sorted(names)
    ids = [str(10**9 + n) for n in range(600)]
    client.remove_tags(CONTACTS, ids, ["7"])
    client.delete(CONTACTS, ids)
    for method in ("DELETE",):
        sent = [r for r in mock.request_history if r.method == method]
        named = [i for r in sent for i in query_of(r)["ids"][0].split(",")]
        assert sorted(named) == sorted(ids * 2)
    chunks = client.lookup_chunks(CONTACTS, "email", [f"{'x' * 200}{n}@x.io" for n in range(100)], ["id"])
    assert sum(len(c) for c in chunks) == 100 and len(chunks) > 3
    for request in mock.request_history:
        line = f"{request.method} {request.path_url} HTTP/1.1"
        assert len(line) <= 6000, (len(line), line[:80])


def test_contacts_with_tag_reads_one_page(make: Any, mock: Any) -> None:
    mock.get(f"{BASE}/objects/tag", **envelope([{"id": "4"}]))
    assert make().records_with_tag(CONTACTS, "12", ["id", "email"], 100) == [{"id": "4"}]
    params = {k: v[0] for k, v in query_of(mock.last_request).items()}
    assert params == {
        "objectID": "0",
        "tag_id": "12",
        "start": "100",
        "range": "50",
        "listFields": "id,email",
    }


@pytest.mark.parametrize("key", ["0", "10000"])
def test_contact_fields_come_from_the_first_section(make: Any, mock: Any, key: str) -> None:
    fields = {"firstname": {"alias": "First Name", "type": "text"}}
    mock.get(f"{BASE}/Contacts/meta", **envelope({key: {"name": "Contact", "fields": fields}}))
    assert make().contact_fields() == fields


def test_unexpected_shape_is_an_error_not_a_crash(make: Any, mock: Any) -> None:
    mock.get(f"{BASE}/Contacts/getInfo", **envelope("weird"))
    with pytest.raises(OntraportError, match="unexpected shape"):
        make().count(CONTACTS)


# --- secrets ----------------------------------------------------------------------------------------
def test_api_key_never_appears_in_errors_repr_or_logs(
    make: Any, mock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    leaky = requests.exceptions.ConnectionError(f"boom; headers={{'Api-Key': '{SECRET}'}}")
    mock.get(f"{BASE}/Contacts/getInfo", exc=leaky)
    mock.post(f"{BASE}/Contacts/saveorupdate", status_code=400, text=f"bad key {SECRET}")
    mock.post(f"{BASE}/Contacts", exc=leaky)
    client = make(max_attempts=2)
    errors: list[OntraportError] = []
    with caplog.at_level(logging.DEBUG):
        calls: tuple[Callable[[], object], ...] = (
            lambda: client.count(CONTACTS),
            lambda: client.save_or_update(CONTACTS, {"email": "a@b.c"}),
            lambda: client.create(CONTACTS, {"email": "a@b.c"}),
        )
        for call in calls:
            with pytest.raises(OntraportError) as info:
                call()
            errors.append(info.value)
    assert [type(e) for e in errors] == [TransientError, RequestRejectedError, AmbiguousWriteError]
    for error in errors:
        assert SECRET not in str(error)
        assert SECRET not in repr(error)
        assert SECRET not in error.body_excerpt
        assert error.__context__ is None
        assert error.__cause__ is None
    assert "bad key ***" in errors[1].body_excerpt
    assert "will retry" in caplog.text
    assert SECRET not in caplog.text
    assert SECRET not in repr(client)
    assert SECRET not in str(client)
    assert SECRET not in repr(EngineSettings(BASE, APP_ID, SECRET)), "settings may end up in a traceback"


# --- pacing -----------------------------------------------------------------------------------------
def test_allowed_rate_scales_the_cap_to_the_window(make: Any, mock: Any) -> None:
    assert make(window_seconds=6).allowed_requests_per_minute() == 1800.0
    assert make(window_seconds=6, max_requests_per_minute=50)._engine._pacer.limit() == 5
    assert make(window_seconds=6, max_requests_per_minute=50).allowed_requests_per_minute() == 50.0
    assert make(max_requests_per_minute=300).allowed_requests_per_minute() == 180.0
    client = make(max_requests_per_minute=150)
    mock.get(f"{BASE}/Contacts/getInfo", **envelope({"count": "1"}, **rate(120, 119, 59)))
    client.count(CONTACTS)
    assert client.allowed_requests_per_minute() == 120.0
    assert client.stats.server_limit == 120


def test_limiter_lets_l_requests_through_then_waits_for_the_oldest(
    make: Any, mock: Any, clock: FakeClock
) -> None:
    mock.get(f"{BASE}/Contacts/getInfo", **envelope({"count": "1"}))
    client = make(window_seconds=6, max_requests_per_minute=50)  # L = 5 per 6 s
    for _ in range(5):
        client.count(CONTACTS)
    assert clock.sleeps == []
    client.count(CONTACTS)
    assert clock.sleeps == [pytest.approx(6 * 1.03 + 0.05)]
    assert client._engine._pacer.effective_window == pytest.approx(6.23)


def test_server_limit_header_lowers_l(make: Any, mock: Any, clock: FakeClock) -> None:
    answers = [envelope({"count": "1"}, **rate(3, remaining, 9)) for remaining in (2, 1, 0, 0)]
    mock.get(f"{BASE}/Contacts/getInfo", answers)
    client = make(window_seconds=6)
    for _ in range(3):
        client.count(CONTACTS)
    assert clock.sleeps == []
    client.count(CONTACTS)
    # Remaining reached 0 on our own sends: the local window (6.23 s) decides, not Reset (9 s).
    assert clock.sleeps == [pytest.approx(6.23)]


def test_remaining_zero_that_our_sends_do_not_explain_holds_sends_until_reset(clock: FakeClock) -> None:
    pacer = Pacer(
        window_seconds=6, max_requests_per_minute=None, max_in_flight=8, timing=Timing(clock, clock.sleep)
    )
    with pacer.slot() as first:
        pacer.observe(first, RateHeaders(limit=5, remaining=4, reset=6))
    clock.sleep(5)
    with pacer.slot() as a, pacer.slot(), pacer.slot(), pacer.slot():
        # b, c, d may have arrived before a, so nobody else is implied; but Remaining is 0 while we
        # knew of only 2 requests when a left: hold until Reset (4 s), longer than the window's 1.23 s.
        pacer.observe(a, RateHeaders(limit=5, remaining=0, reset=4))
    clock.sleeps.clear()
    with pacer.slot() as after:
        assert after.sent_at == pytest.approx(1009.0)
    assert clock.sleeps == [pytest.approx(4.0)]


def test_usage_by_others_seen_later_counts_against_the_server_limit(
    make: Any, mock: Any, clock: FakeClock
) -> None:
    answers = [rate(10, 9, 6), rate(10, 5, 6)] + [rate(10, 10 - (k + 3), 6) for k in range(3, 12)]
    mock.get(f"{BASE}/Contacts/getInfo", [envelope({"count": "1"}, **headers) for headers in answers])
    client = make(window_seconds=6)
    for _ in range(7):  # the second answer shows 3 requests we did not make: 7 of ours fill the 10
        client.count(CONTACTS)
    assert clock.sleeps == []
    client.count(CONTACTS)
    assert clock.sleeps == [pytest.approx(6.23)]


def test_others_usage_does_not_eat_into_our_own_cap(make: Any, mock: Any, clock: FakeClock) -> None:
    answers = [rate(180, 100 - k, 30) for k in range(61)]
    mock.get(f"{BASE}/Contacts/getInfo", [envelope({"count": "1"}, **headers) for headers in answers])
    client = make(max_requests_per_minute=60)  # 60 of ours per 60 s; others already used 79 of 180
    for _ in range(60):
        client.count(CONTACTS)
    assert clock.sleeps == []
    client.count(CONTACTS)
    assert clock.sleeps == [pytest.approx(60 * 1.03 + 0.05)]


def test_first_response_seeds_what_others_used(make: Any, mock: Any, clock: FakeClock) -> None:
    # Server limit 10; others already used 4 (Remaining 5 after our first); the oldest leaves in 2 s.
    mock.get(
        f"{BASE}/Contacts/getInfo",
        [envelope({"count": "1"}, **rate(10, 5, 2))] + [envelope({"count": "1"}, **rate(10, 4, 2))] * 20,
    )
    client = make(window_seconds=6)
    for _ in range(6):
        client.count(CONTACTS)
    assert clock.sleeps == []
    client.count(CONTACTS)
    assert clock.sleeps == [pytest.approx(2.0)]


def _try_slot(pacer: Pacer, entered: threading.Event, release: threading.Event) -> threading.Thread:
    def hold() -> None:
        with pacer.slot():
            entered.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    return thread


def test_one_request_in_flight_until_the_first_response_then_max_in_flight(clock: FakeClock) -> None:
    # requests-mock serialises sends behind a global lock, so concurrency is tested on the Pacer itself.
    pacer = Pacer(
        window_seconds=60, max_requests_per_minute=None, max_in_flight=2, timing=Timing(clock, clock.sleep)
    )
    release = threading.Event()
    with pacer.slot() as probe:
        assert probe.probe
        second = threading.Event()
        waiter = _try_slot(pacer, second, release)
        assert not second.wait(0.2)  # blocked: the first request has not been answered yet
        pacer.observe(probe, RateHeaders(limit=180, remaining=179, reset=59))
        assert second.wait(2)  # the answer opens the gate
        third = threading.Event()
        blocked = _try_slot(pacer, third, release)
        assert not third.wait(0.2)  # two in flight already: max_in_flight=2
    assert third.wait(2)
    release.set()
    waiter.join(5)
    blocked.join(5)
    assert clock.sleeps == []


def _record_grants(client: OntraportClient) -> list[float]:
    grants: list[float] = []
    acquire = client._engine._pacer._acquire

    def recording() -> Any:
        ticket = acquire()
        grants.append(ticket.sent_at)
        return ticket

    client._engine._pacer._acquire = recording  # type: ignore[method-assign]
    return grants


def _max_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t < start + window) for i, start in enumerate(times))


def test_threads_sharing_the_client_never_exceed_l_per_window(make: Any, mock: Any, clock: FakeClock) -> None:
    mock.get(f"{BASE}/Contacts/getInfo", **envelope({"count": "1"}, **rate(7, 6, 1)))
    client = make(window_seconds=6, max_in_flight=4)
    grants = _record_grants(client)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(15):
                client.count(CONTACTS)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert not errors
    assert len(grants) == 75 == mock.call_count == client.stats.requests
    assert _max_in_any_window(grants, 6.0) == 7
    assert client.stats.by_route == {"GET /Contacts/getInfo": 75}


def test_real_clock_pacing_with_threads(mock: Any) -> None:
    mock.get(f"{BASE}/Contacts/getInfo", **envelope({"count": "1"}, **rate(4, 3, 1)))
    client = OntraportClient(EngineSettings(BASE, APP_ID, SECRET, window_seconds=0.3, max_in_flight=3))
    grants = _record_grants(client)
    threads = [threading.Thread(target=lambda: [client.count(CONTACTS) for _ in range(4)]) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    client.close()
    assert len(grants) == 12
    assert _max_in_any_window(grants, 0.3) <= 4


def test_stats_track_routes_and_times(make: Any, mock: Any, clock: FakeClock) -> None:
    mock.get(f"{BASE}/Contacts/getInfo", [{"status_code": 500, "text": "x"}, envelope({"count": "1"})])
    mock.put(f"{BASE}/Contacts", **envelope({"attrs": {"id": "1"}}))
    client = make(jitter=lambda: 0.5)
    client.count(CONTACTS)
    client.update(CONTACTS, "1", {"city": "X"})
    stats = client.stats
    assert stats.by_route == {"GET /Contacts/getInfo": 2, "PUT /Contacts": 1}
    assert (stats.requests, stats.retries, stats.rate_limited) == (3, 1, 0)
    assert stats.first_request_at == 1000.0
    assert stats.last_response_at == pytest.approx(1000.25)


def test_unreadable_rate_headers_are_ignored(make: Any, mock: Any, clock: FakeClock) -> None:
    garbage = {"X-Rate-Limit-Limit": "inf", "X-Rate-Limit-Remaining": "nan", "X-Rate-Limit-Reset": "soon"}
    mock.get(f"{BASE}/Contacts/getInfo", **envelope({"count": "5"}, **garbage))
    client = make()
    assert client.count(CONTACTS) == 5
    assert client.stats.server_limit is None
    assert client.allowed_requests_per_minute() == 180.0
    assert RateHeaders.parse(
        {"X-Rate-Limit-Limit": "180", "X-Rate-Limit-Remaining": "3", "X-Rate-Limit-Reset": "23"}
    ) == (RateHeaders(limit=180, remaining=3, reset=23.0))


# --- behaviours no source settles -----------------------------------------------------------------
@pytest.mark.parametrize("status", [200, 400, 500])
def test_save_failed_is_an_answer_not_a_glitch(make: Any, mock: Any, status: int) -> None:
    """`Save failed!` (an SDK issue shows it, status unknown) is raised at once, never re-sent 8 times."""
    mock.post(f"{BASE}/Contacts/saveorupdate", status_code=status, text="Save failed!")
    with pytest.raises(UnexpectedAnswerError, match="Save failed!"):
        make().save_or_update(CONTACTS, {"email": "a@x.io"})
    assert mock.call_count == 1


@pytest.mark.parametrize("answer", [{"text": "<html>oops</html>"}, envelope({"something": "else"})])
def test_a_saveorupdate_answer_of_unknown_shape_is_not_resent(make: Any, mock: Any, answer: Any) -> None:
    mock.post(f"{BASE}/Contacts/saveorupdate", **answer)
    with pytest.raises(UnexpectedAnswerError):
        make().save_or_update(CONTACTS, {"email": "a@x.io"})
    assert mock.call_count == 1


@pytest.mark.parametrize("status", [400, 404])
def test_object_not_found_means_not_found_with_either_status(make: Any, mock: Any, status: int) -> None:
    mock.put(f"{BASE}/Contacts", status_code=status, text="Object not found")
    with pytest.raises(NotFoundError):
        make().update(CONTACTS, "77", {"firstname": "A"})
    assert mock.call_count == 1


def test_an_empty_lookup_that_its_count_contradicts_switches_to_ids_zero(make: Any, mock: Any) -> None:
    """Some account may need `ids=0` beside a condition (one .NET client's changelog): an empty answer
    is checked once against getInfo's count of the same condition; from then on `ids=0` goes along."""
    row = {"id": "5", "email": "a@x.io"}

    def contacts(request: Any, context: Any) -> dict[str, Any]:
        found = [row] if query_of(request).get("ids") == ["0"] else []
        return {"code": 0, "data": found, "account_id": 50}

    mock.get(f"{BASE}/Contacts", json=contacts)
    mock.get(f"{BASE}/Contacts/getInfo", **envelope({"count": "1"}))
    client = make()
    assert client.find(CONTACTS, "email", ["a@x.io"], ["id", "email"]) == [row]
    assert client.condition_needs_ids_zero is True
    info = [r for r in mock.request_history if r.path.endswith("/getinfo")]
    assert len(info) == 1 and query_of(info[0])["condition"] == query_of(mock.request_history[0])["condition"]
    assert client.find(CONTACTS, "email", ["a@x.io"], ["id"]) == [row]
    assert query_of(mock.last_request)["ids"] == ["0"]
    assert len(mock.request_history) == 4, "no second count once learned"


def test_a_lookup_that_finds_contacts_settles_that_no_ids_are_needed(make: Any, mock: Any) -> None:
    mock.get(f"{BASE}/Contacts", [envelope([{"id": "5", "email": "a@x.io"}]), envelope([])])
    client = make()
    client.find(CONTACTS, "email", ["a@x.io"], ["id"])
    assert client.condition_needs_ids_zero is False
    assert client.find(CONTACTS, "email", ["new@x.io"], ["id"]) == []
    assert [r.path for r in mock.request_history] == ["/1/contacts", "/1/contacts"], "no count needed"
    assert "ids" not in query_of(mock.last_request)


def test_find_tags_takes_a_tag_that_differs_only_in_case(make: Any, mock: Any) -> None:
    rows = [
        {"tag_id": "3", "tag_name": "airbyte", "object_type_id": "0"},
        {"tag_id": "4", "tag_name": "vip", "object_type_id": "0"},
        {"tag_id": "5", "tag_name": "VIP", "object_type_id": "0"},
        {"tag_id": "6", "tag_name": "news", "object_type_id": "0"},
        {"tag_id": "7", "tag_name": "NEWS", "object_type_id": "0"},
    ]
    mock.get(f"{BASE}/Tags", **envelope(rows))
    found = make().find_tags(["Airbyte", "VIP", "News"])
    assert found == {"Airbyte": "3", "VIP": "5"}, "exact name first; two case variants: no guess"


def test_lookup_chunks_keep_request_lines_short(make: Any) -> None:
    client = make()
    short = [f"{i}@x.io" for i in range(120)]
    assert [len(c) for c in client.lookup_chunks(CONTACTS, "email", short, ["id", "email"])] == [49, 49, 22]
    long_values = [f"{i:03d}" + "x" * 250 + "@example.com" for i in range(49)]
    chunks = client.lookup_chunks(CONTACTS, "f1001", long_values, ["id", "f1001", "contact_cat"])
    assert [v for chunk in chunks for v in chunk] == long_values
    assert len(chunks) > 2
    for chunk in chunks:
        query = urlencode(
            {
                "condition": json.dumps(
                    [
                        {
                            "field": {"field": "f1001"},
                            "op": "IN",
                            "value": {"list": [{"value": v} for v in chunk]},
                        }
                    ],
                    separators=(",", ":"),
                ),
                "listFields": "id,f1001,contact_cat",
                "start": "0",
                "range": "50",
                "ids": "0",
            },
            safe=":,@",
            quote_via=quote,
        )
        assert len(f"GET /1/Contacts?{query} HTTP/1.1") < 6000
    huge = ["y" * 7000]
    assert client.lookup_chunks(CONTACTS, "f1001", huge, ["id"]) == [huge], (
        "a value that cannot be cut goes alone"
    )
