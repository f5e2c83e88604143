"""Checklist items 1 and 2: the exact plain 401, the rate-limit headers on every response, 429 and
its rolling window per App ID, 414 for a request line over the limit."""

from __future__ import annotations

import math
import time
from urllib.parse import urlsplit

import pytest
import requests

from ontraport_sandbox.ratelimit import RateLimiter
from ontraport_sandbox.testing import SandboxError, SandboxHandle
from ontraport_sandbox.tests.support import API_KEY, APP_ID, AUTH_FAILED, TIMEOUT, Api

# ---------------------------------------------------------------------------------------------
# 1. auth
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Api-Appid": APP_ID},
        {"Api-Key": API_KEY},
        {"Api-Appid": APP_ID, "Api-Key": "wrong"},
        {"Api-Appid": "wrong", "Api-Key": API_KEY},
        {"Api-Appid": "", "Api-Key": ""},
    ],
)
def test_failed_auth_is_the_exact_plain_401_and_spends_no_budget(
    sandbox: SandboxHandle, headers: dict[str, str]
) -> None:
    sandbox.configure(rate_limit=5)
    response = requests.get(f"{sandbox.url}/Contacts", headers=headers, timeout=TIMEOUT)
    assert response.status_code == 401
    assert response.text == AUTH_FAILED
    assert response.headers["Content-Type"] == "text/html;charset=UTF-8"
    assert response.headers["X-Rate-Limit-Limit"] == "5"
    assert response.headers["X-Rate-Limit-Remaining"] == "5"
    assert response.headers["X-Rate-Limit-Reset"] == "60"
    ok = requests.get(f"{sandbox.url}/Contacts", headers=sandbox.headers, timeout=TIMEOUT)
    assert ok.headers["X-Rate-Limit-Remaining"] == "4"


# ---------------------------------------------------------------------------------------------
# 2. rate limit
# ---------------------------------------------------------------------------------------------


def test_rate_limit_headers_on_every_response(api: Api, sandbox: SandboxHandle) -> None:
    sandbox.configure(rate_limit=50, window_seconds=20)
    responses = [
        api.get("/Contacts/getInfo"),
        api.request("POST", "/Contacts", data={"email": "a@example.com"}),
        api.request("PUT", "/Contacts", data={"id": "999", "firstname": "x"}),  # a 404
        api.request("POST", "/Contacts", data={"email": "not an email"}),  # a 422
        api.get("/No/Such/Endpoint"),
    ]
    assert [r.status_code for r in responses] == [200, 200, 404, 422, 404]
    remaining = [int(r.headers["X-Rate-Limit-Remaining"]) for r in responses]
    assert remaining == [49, 48, 47, 46, 45]
    for response in responses:
        assert response.headers["X-Rate-Limit-Limit"] == "50"
        assert 1 <= int(response.headers["X-Rate-Limit-Reset"]) <= 20


def test_a_request_line_over_the_limit_is_refused_with_414_before_auth_and_budget(
    api: Api, sandbox: SandboxHandle
) -> None:
    """Like the web server in front of Ontraport's PHP: 8190 bytes by default (Apache's
    LimitRequestLine), configurable; the limit counts the whole line, method and protocol included."""
    fixed = len(f"GET {urlsplit(sandbox.url).path}/Contacts?search= HTTP/1.1")
    assert api.get("/Contacts", search="x" * (8190 - fixed)).status_code == 200
    too_long = api.get("/Contacts", search="x" * (8191 - fixed))
    assert (too_long.status_code, too_long.text) == (414, "Request-URI Too Long")
    assert "X-Rate-Limit-Remaining" not in too_long.headers
    sandbox.configure(max_request_line=2000)
    assert api.get("/Contacts", search="x" * 2000).status_code == 414
    assert sandbox.stats()["by_status"].get("414") == 2
    with pytest.raises(SandboxError):
        sandbox.configure(max_request_line=100)


def test_429_past_the_limit_then_the_window_rolls(api: Api, sandbox: SandboxHandle) -> None:
    sandbox.configure(rate_limit=3, window_seconds=2)
    started = time.monotonic()
    assert [api.get("/Contacts").status_code for _ in range(2)] == [200, 200]
    time.sleep(1.0)
    assert api.get("/Contacts").status_code == 200  # 3 of 3 used, the last one ~1 s later
    refused = api.get("/Contacts")
    assert refused.status_code == 429
    assert refused.text == "You have exceeded your maximum rate limit of 3 requests per 2 seconds."
    assert refused.headers["Content-Type"] == "text/html;charset=UTF-8"
    assert refused.headers["X-Rate-Limit-Remaining"] == "0"
    assert refused.headers["X-Rate-Limit-Reset"] == "1"  # the oldest leaves ~1 s from now
    # rolling, not fixed: once the first two age out, exactly two slots are free again
    time.sleep(max(0.0, started + 2.3 - time.monotonic()))
    assert [api.get("/Contacts").status_code for _ in range(3)] == [200, 200, 429]
    stats = sandbox.stats()
    assert stats["status_429"] == 2
    assert stats["by_status"] == {"200": 5, "429": 2}


def test_refused_requests_do_not_count_and_reset_is_seconds_until_room(
    api: Api, sandbox: SandboxHandle
) -> None:
    sandbox.configure(rate_limit=1, window_seconds=60)
    first = api.get("/Contacts")
    assert first.headers["X-Rate-Limit-Reset"] == "60"
    for _ in range(3):
        refused = api.get("/Contacts")
        assert refused.status_code == 429
        assert refused.text == "You have exceeded your maximum rate limit of 1 requests per minute."
        assert 58 <= int(refused.headers["X-Rate-Limit-Reset"]) <= 60
    sandbox.configure(rate_limit=5)
    # the three 429s were not counted: 1 of 5 used, so this one leaves 3
    assert api.get("/Contacts").headers["X-Rate-Limit-Remaining"] == "3"
    sandbox.configure(rate_limit=1, rate_limit_body="Slow down")
    assert api.get("/Contacts").text == "Slow down"


def test_window_is_per_app_id(api: Api, sandbox: SandboxHandle) -> None:
    sandbox.configure(rate_limit=2)
    assert [api.get("/Contacts").status_code for _ in range(3)] == [200, 200, 429]
    sandbox.configure(app_id="second-app")
    other = {"Api-Appid": "second-app", "Api-Key": API_KEY}
    response = requests.get(f"{sandbox.url}/Contacts", headers=other, timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.headers["X-Rate-Limit-Remaining"] == "1"


def test_admin_endpoints_need_no_auth_and_spend_no_budget(api: Api, sandbox: SandboxHandle) -> None:
    sandbox.configure(rate_limit=2)
    api.get("/Contacts")
    for _ in range(5):
        sandbox.stats()
        sandbox.contacts()
        sandbox.seed([{"email": "x@example.com"}])
    assert sandbox.stats()["total_requests"] == 1
    assert api.get("/Contacts").headers["X-Rate-Limit-Remaining"] == "0"


# --- the rate limiter on its own, on an injected clock ---------------------------------------------
class StoppedClock:
    """A clock that only moves when told to: the limiter's arithmetic at exact instants."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("start", [1000.4, 1000.9, 12345.6])
@pytest.mark.parametrize(
    ("window", "later", "reset"),
    [
        (60, 0, 60),  # counted this instant: a full window, not 61
        (60, 0.5, 60),
        (60, 1, 59),  # exactly 59 s left: 59, not 60
        (60, 1.1, 59),
        (60, 30, 30),
        (60, 59.9, 1),
        (6, 0, 6),
        (6, 5, 1),
        (0.2, 0, 1),  # never 0, even for a window shorter than a second
    ],
)
def test_reset_is_whole_seconds_until_the_oldest_leaves_never_beyond_the_window(
    start: float, window: float, later: float, reset: int
) -> None:
    """X-Rate-Limit-Reset is the seconds until the oldest counted request leaves the window, rounded
    up, within 1..window: a float sum such as 1000.4 + 60 - 1000.4 (60.000000000000114) must not
    round up to 61 in a 60-second window."""
    clock = StoppedClock(start)
    limiter = RateLimiter(clock)
    assert limiter.admit("app", 5, window).reset_seconds == math.ceil(window)
    clock.now = start + later
    assert limiter.peek("app", 5, window).reset_seconds == reset
    assert RateLimiter(clock).peek("other", 5, window).reset_seconds == math.ceil(window), "nothing counted"
