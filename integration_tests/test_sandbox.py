"""The sandbox against the checklist of `shared/ontraport-api.md` ("What a faithful fake server must do").

The sandbox runs as a subprocess (`python -m ontraport_sandbox --port 0`), exactly as the
connector's end-to-end tests, the benchmarks and the demo start it; every test talks HTTP to
127.0.0.1 only. One process serves the module and is reset before each test.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from ontraport_sandbox.ratelimit import RateLimiter
from ontraport_sandbox.testing import PACKAGE_PARENT, SandboxError, SandboxHandle, running_sandbox

APP_ID = "sandbox-test-app"
API_KEY = "sandbox-test-key"
TIMEOUT = 10
AUTH_FAILED = "Your App ID and API Key do not authenticate."
DEFAULTS: dict[str, Any] = {
    "app_id": APP_ID,
    "rate_limit": 10_000,
    "window_seconds": 60,
    "latency_ms": 0,
    "fault_rate_5xx": 0,
    "fault_rate_drop": 0,
    "fault_rate_slow": 0,
    "slow_seconds": 5,
    "fault_phase": "before",
    "invalid_email_status": 422,
    "not_found_status": 404,
    "rate_limit_body": None,
    "seed": 1,
    # behaviour switches, at their defaults
    "delete_form_body": "ignore",
    "text_case": "insensitive",
    "collection_contact_cat": "returned",
    "condition_without_ids": "selects",
    "save_failed_rate": 0,
    "save_failed_status": 200,
    "delete_overreach": 0,
    "max_request_line": 8190,
}


class Api:
    """A keep-alive session with the sandbox's credentials, like the connector's client."""

    def __init__(self, sandbox: SandboxHandle) -> None:
        self.sandbox = sandbox
        self.session = requests.Session()
        self.session.headers.update(sandbox.headers)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        return self.session.request(method, self.sandbox.url + path, **kwargs)

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.request("GET", path, params=params)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """The decoded envelope of a request that must succeed."""
        response = self.request(method, path, **kwargs)
        assert response.status_code == 200, (response.status_code, response.text)
        body = response.json()
        assert body["code"] == 0
        return body

    def close(self) -> None:
        self.session.close()


def criteria(*parts: Any) -> str:
    return json.dumps(list(parts))


def clause(field: str, op: str, value: Any) -> dict[str, Any]:
    if op in ("IN", "NOT IN"):
        return {"field": {"field": field}, "op": op, "value": {"list": [{"value": v} for v in value]}}
    if op in ("IS", "IS NOT"):
        return {"field": {"field": field}, "op": op, "value": "NULL"}
    return {"field": {"field": field}, "op": op, "value": {"value": value}}


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxHandle]:
    with running_sandbox(app_id=APP_ID, api_key=API_KEY, seed=1) as handle:
        yield handle


@pytest.fixture
def sandbox(server: SandboxHandle) -> SandboxHandle:
    server.reset()
    server.configure(**DEFAULTS)
    return server


@pytest.fixture
def api(sandbox: SandboxHandle) -> Iterator[Api]:
    client = Api(sandbox)
    yield client
    client.close()


# ---------------------------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------------------------


def test_first_stdout_line_is_listening_with_the_picked_port() -> None:
    env = {"PYTHONPATH": str(PACKAGE_PARENT), "PATH": "/usr/bin:/bin"}
    process = subprocess.Popen(
        [sys.executable, "-m", "ontraport_sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        word, port = line.split()
        assert word == "LISTENING"
        assert int(port) > 0
        response = requests.get(f"http://127.0.0.1:{port}/__sandbox/stats", timeout=TIMEOUT)
        assert response.status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=5)
        assert process.stdout is not None
        process.stdout.close()


def test_cli_options_set_credentials_limit_window_and_latency() -> None:
    options = {
        "app_id": "cli-app",
        "api_key": "cli-key",
        "rate_limit": 7,
        "window": 30,
        "latency_ms": "30-40",
    }
    with running_sandbox(**options) as handle:
        assert handle.config()["latency_ms"] == "30-40"
        started = time.monotonic()
        response = requests.get(f"{handle.url}/Contacts/getInfo", headers=handle.headers, timeout=TIMEOUT)
        assert time.monotonic() - started >= 0.03
        assert response.status_code == 200
        assert response.headers["X-Rate-Limit-Limit"] == "7"
        assert response.headers["X-Rate-Limit-Remaining"] == "6"
        assert response.headers["X-Rate-Limit-Reset"] == "30"
        default_creds = {"Api-Appid": "demo-app", "Api-Key": "demo-key"}
        refused = requests.get(f"{handle.url}/Contacts", headers=default_creds, timeout=TIMEOUT)
        assert refused.status_code == 401


def test_bad_cli_option_exits_with_an_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ontraport_sandbox", "--port", "0", "--latency-ms", "9-3"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=PACKAGE_PARENT,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    with pytest.raises(SandboxError), running_sandbox(latency_ms="oops"):
        pass


def test_meta_file_adds_replaces_and_removes_fields(tmp_path: Path) -> None:
    meta = {
        "fields": {
            "f2001": {"alias": "Region", "type": "drop", "options": {"1": "EU", "2": "US"}},
            "f1002": {"alias": "LTV", "type": "price"},
            "f1007": None,
        }
    }
    path = tmp_path / "meta.json"
    path.write_text(json.dumps(meta))
    with running_sandbox(meta=str(path)) as handle:
        response = requests.get(f"{handle.url}/Contacts/meta", headers=handle.headers, timeout=TIMEOUT)
        fields = response.json()["data"]["0"]["fields"]
        assert fields["f2001"]["options"] == {"1": "EU", "2": "US"}
        assert fields["f2001"]["editable"] == "1"
        assert fields["f1002"]["alias"] == "LTV"
        assert "f1007" not in fields
        created = requests.post(
            f"{handle.url}/Contacts",
            data={"f2001": "2", "f1007": "x"},
            headers=handle.headers,
            timeout=TIMEOUT,
        ).json()["data"]
        assert created["f2001"] == "2"
        assert "f1007" not in created


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


# ---------------------------------------------------------------------------------------------
# 3. parameters: form, JSON, query, list formats
# ---------------------------------------------------------------------------------------------


def test_form_json_and_query_parameters_are_merged(api: Api, sandbox: SandboxHandle) -> None:
    form = api.ok("POST", "/Contacts", data={"firstname": "Form", "email": "form@example.com"})["data"]
    body = api.ok("POST", "/Contacts", json={"firstname": "Json", "email": "json@example.com", "f1005": True})
    query = api.ok("POST", "/Contacts", params={"firstname": "Query", "email": "query@example.com"})["data"]
    both = api.ok("POST", "/Contacts", params={"firstname": "Q"}, json={"lastname": "J"})["data"]
    assert form["firstname"] == "Form"
    assert body["data"]["f1005"] == "1"
    assert query["email"] == "query@example.com"
    assert (both["firstname"], both["lastname"]) == ("Q", "J")
    assert len(sandbox.contacts()) == 4


def test_id_lists_as_comma_string_json_array_or_php_array(api: Api, sandbox: SandboxHandle) -> None:
    ids = sandbox.seed([{"email": f"l{i}@example.com"} for i in range(6)])
    tag = api.ok("POST", "/Tags", data={"tag_name": "L"})["data"]["tag_id"]
    api.ok("PUT", "/objects/tag", data={"objectID": 0, "add_list": tag, "ids": f"{ids[0]},{ids[1]}"})
    api.ok("PUT", "/objects/tag", json={"objectID": 0, "add_list": [int(tag)], "ids": [ids[2], ids[3]]})
    api.ok("PUT", "/objects/tag", data={"objectID": "0", "add_list": tag, "ids[]": [str(ids[4])]})
    tagged = [c["email"] for c in sandbox.contacts() if c["tags"] == ["L"]]
    assert tagged == [f"l{i}@example.com" for i in range(5)]


# ---------------------------------------------------------------------------------------------
# 4./5./6. envelope, store, create
# ---------------------------------------------------------------------------------------------


def test_create_returns_the_created_shape_and_allows_duplicate_emails(
    api: Api, sandbox: SandboxHandle
) -> None:
    body = api.ok("POST", "/Contacts", data={"firstname": "unit", "lastname": "test", "nonsense": "x"})
    assert body == {
        "code": 0,
        "data": {"firstname": "unit", "lastname": "test", "use_utm_names": "false", "id": "1", "owner": "1"},
        "account_id": 50,
    }
    first = api.ok("POST", "/Contacts", data={"email": "dup@example.com"})["data"]["id"]
    second = api.ok("POST", "/objects", json={"objectID": 0, "email": "dup@example.com"})["data"]["id"]
    assert (first, second) == ("2", "3")
    stored = {c["id"]: c for c in sandbox.contacts()}
    assert stored["2"]["email"] == stored["3"]["email"] == "dup@example.com"
    contact = stored["1"]
    assert "nonsense" not in contact
    assert contact["owner"] == "1"
    assert contact["unique_id"] and contact["unique_id"] != stored["2"]["unique_id"]
    now = time.time()
    for name in ("date", "dla", "dlm"):
        assert abs(int(contact[name]) - now) < 60
    assert contact["contact_cat"] == ""
    assert all(isinstance(value, str) for value in contact.values() if not isinstance(value, list))


def test_read_only_fields_are_ignored_on_writes(api: Api, sandbox: SandboxHandle) -> None:
    data = api.ok("POST", "/Contacts", data={"email": "r@example.com", "unique_id": "MINE", "date": "5"})[
        "data"
    ]
    contact = sandbox.contacts()[0]
    assert contact["unique_id"] != "MINE"
    assert contact["date"] != "5"
    assert "unique_id" not in data


def test_values_are_strings_and_collections_carry_misc(api: Api, sandbox: SandboxHandle) -> None:
    api.ok("POST", "/Contacts", json={"email": "s@example.com", "f1002": 12.0, "grade": 7, "f1005": False})
    body = api.ok("GET", "/Contacts")
    assert body["misc"] == []
    assert body["account_id"] == 50
    contact = body["data"][0]
    assert (contact["id"], contact["f1002"], contact["grade"], contact["f1005"]) == ("1", "12", "7", "0")
    assert all(isinstance(value, str) for value in contact.values())


# ---------------------------------------------------------------------------------------------
# 7. update
# ---------------------------------------------------------------------------------------------


def test_update_returns_only_changed_fields_in_attrs(api: Api, sandbox: SandboxHandle) -> None:
    (contact_id,) = sandbox.seed(
        [{"email": "u@example.com", "firstname": "Old", "lastname": "Same", "dlm": "1"}]
    )
    body = api.ok(
        "PUT", "/Contacts", data={"id": contact_id, "firstname": "New", "lastname": "Same", "x": "y"}
    )
    attrs = body["data"]["attrs"]
    assert set(attrs) == {"firstname", "dlm", "id"}
    assert attrs["firstname"] == "New"
    assert attrs["id"] == str(contact_id)
    assert int(attrs["dlm"]) > 1
    unchanged = api.ok("PUT", "/Contacts", data={"id": contact_id, "lastname": "Same"})["data"]["attrs"]
    assert unchanged == {"id": str(contact_id)}
    stored = sandbox.contacts()[0]
    assert (stored["firstname"], stored["dlm"]) == ("New", attrs["dlm"])


def test_update_by_unique_id_and_blank_clears(api: Api, sandbox: SandboxHandle) -> None:
    sandbox.seed([{"email": "u@example.com", "firstname": "Old", "unique_id": "ABC1234"}])
    attrs = api.ok("PUT", "/objects", json={"objectID": 0, "unique_id": "ABC1234", "firstname": ""})["data"][
        "attrs"
    ]
    assert attrs["firstname"] == ""
    assert sandbox.contacts()[0]["firstname"] == ""


def test_update_of_unknown_or_missing_id(api: Api, sandbox: SandboxHandle) -> None:
    missing = api.request("PUT", "/Contacts", data={"id": "404", "firstname": "x"})
    assert (missing.status_code, missing.text) == (404, "Object not found")
    assert missing.headers["Content-Type"] == "text/html;charset=UTF-8"
    assert api.request("PUT", "/Contacts", data={"firstname": "x"}).status_code == 400
    sandbox.configure(not_found_status=400)
    assert api.request("PUT", "/Contacts", data={"id": "404", "firstname": "x"}).status_code == 400


# ---------------------------------------------------------------------------------------------
# 8. saveorupdate
# ---------------------------------------------------------------------------------------------


def test_saveorupdate_creates_then_merges_on_email_case_insensitively(
    api: Api, sandbox: SandboxHandle
) -> None:
    created = api.ok("POST", "/Contacts/saveorupdate", data={"email": "Mixed@Example.com", "firstname": "A"})
    assert created["data"] == {
        "email": "Mixed@Example.com",
        "firstname": "A",
        "use_utm_names": "false",
        "id": "1",
        "owner": "1",
    }
    merged = api.ok("POST", "/Contacts/saveorupdate", data={"email": "mixed@example.COM", "lastname": "B"})
    assert "id" not in merged["data"]
    attrs = merged["data"]["attrs"]
    assert attrs["id"] == "1"
    assert attrs["lastname"] == "B"
    generic = api.ok("POST", "/objects/saveorupdate", json={"objectID": 0, "email": "MIXED@example.com"})
    assert generic["data"]["attrs"]["id"] == "1"
    assert len(sandbox.contacts()) == 1


def test_saveorupdate_unique_id_wins_and_id_is_not_a_match_key(api: Api, sandbox: SandboxHandle) -> None:
    sandbox.seed([{"email": "one@example.com", "unique_id": "UID0001"}, {"email": "two@example.com"}])
    by_uid = api.ok(
        "POST", "/Contacts/saveorupdate", data={"unique_id": "UID0001", "email": "two@example.com"}
    )
    assert by_uid["data"]["attrs"]["id"] == "1"
    by_id = api.ok("POST", "/Contacts/saveorupdate", data={"id": "2", "firstname": "NoMatchKey"})
    assert by_id["data"]["id"] == "3", "id alone never selects a record: a new contact is created"


def test_saveorupdate_oldest_duplicate_wins(api: Api, sandbox: SandboxHandle) -> None:
    sandbox.seed(
        [{"email": "d@example.com", "firstname": "Old"}, {"email": "D@example.com", "firstname": "New"}]
    )
    body = api.ok("POST", "/Contacts/saveorupdate", data={"email": "d@example.com", "lastname": "X"})
    assert body["data"]["attrs"]["id"] == "1"


def test_ignore_blanks(api: Api, sandbox: SandboxHandle) -> None:
    sandbox.seed([{"email": "b@example.com", "firstname": "Keep", "lastname": "Keep", "grade": "5"}])
    kept = api.ok(
        "POST",
        "/Contacts/saveorupdate",
        data={"email": "b@example.com", "firstname": "", "grade": "0", "ignore_blanks": "1"},
    )["data"]["attrs"]
    assert "firstname" not in kept
    assert kept["grade"] == "0", "ignore_blanks does not apply to 0"
    cleared = api.ok("POST", "/Contacts/saveorupdate", data={"email": "b@example.com", "lastname": ""})
    assert cleared["data"]["attrs"]["lastname"] == ""
    contact = sandbox.contacts()[0]
    assert (contact["firstname"], contact["lastname"], contact["grade"]) == ("Keep", "", "0")


# ---------------------------------------------------------------------------------------------
# 9. invalid email
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email", ["no-at-sign", "two@@example.com", "sp ace@example.com", "a@b", "a@.com", " a@b.com"]
)
@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/Contacts"), ("POST", "/Contacts/saveorupdate"), ("PUT", "/Contacts")]
)
def test_invalid_email_is_refused_with_422_and_changes_nothing(
    api: Api, sandbox: SandboxHandle, email: str, method: str, path: str
) -> None:
    (contact_id,) = sandbox.seed([{"email": "valid@example.com"}])
    response = api.request(method, path, data={"id": contact_id, "email": email, "firstname": "X"})
    assert (response.status_code, response.text) == (422, "Invalid email address")
    assert [(c["email"], c["firstname"]) for c in sandbox.contacts()] == [("valid@example.com", "")]


def test_invalid_email_status_is_configurable(api: Api, sandbox: SandboxHandle) -> None:
    sandbox.configure(invalid_email_status=400)
    assert api.request("POST", "/Contacts", data={"email": "nope"}).status_code == 400
    assert (
        api.request("POST", "/Contacts", data={"email": "first.last+tag@sub.example.co.uk"}).status_code
        == 200
    )


# ---------------------------------------------------------------------------------------------
# 10./11. get, list, conditions, paging, getInfo
# ---------------------------------------------------------------------------------------------


def _people(sandbox: SandboxHandle, count: int = 8) -> list[int]:
    return sandbox.seed(
        [
            {
                "email": f"p{i}@example.com",
                "firstname": ["Ann", "Bob", "Cy", "Dee"][i % 4],
                "grade": str(i),
                "f1001": f"ext-{i}" if i % 2 == 0 else "",
                "company": "Acme" if i < 3 else "Other",
            }
            for i in range(count)
        ]
    )


def test_get_one_contact_with_every_field(api: Api, sandbox: SandboxHandle) -> None:
    _people(sandbox, 2)
    data = api.ok("GET", "/Contact", params={"id": 2})["data"]
    meta = api.ok("GET", "/Contacts/meta")["data"]["0"]["fields"]
    assert set(data) == {"id", *meta}
    assert data["email"] == "p1@example.com"
    generic = api.ok("GET", "/object", params={"objectID": 0, "id": 2})["data"]
    assert generic == data
    missing = api.get("/Contact", id=99)
    assert (missing.status_code, missing.text) == (404, "Object not found")


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (criteria(clause("email", "=", "P3@EXAMPLE.COM")), [4]),
        (criteria(clause("email", "IN", ["p1@example.com", "P5@example.com", "nobody@example.com"])), [2, 6]),
        (criteria(clause("id", "IN", [1, 3, 99])), [1, 3]),
        (criteria(clause("email", "NOT IN", [f"p{i}@example.com" for i in range(6)])), [7, 8]),
        (criteria(clause("firstname", "<>", "ann")), [2, 3, 4, 6, 7, 8]),
        (criteria(clause("grade", ">=", 6)), [7, 8]),
        (criteria(clause("grade", "<", "2")), [1, 2]),
        (criteria(clause("email", "LIKE", "p1%")), [2]),
        (criteria(clause("f1001", "IS", None)), [2, 4, 6, 8]),
        (criteria(clause("f1001", "IS NOT", None)), [1, 3, 5, 7]),
        # left to right, no precedence: (Ann OR Bob) AND Acme
        (
            criteria(
                clause("firstname", "=", "Ann"),
                "OR",
                clause("firstname", "=", "Bob"),
                "AND",
                clause("company", "=", "acme"),
            ),
            [1, 2],
        ),
        (
            criteria(
                clause("company", "=", "acme"),
                "AND",
                clause("firstname", "=", "Ann"),
                "OR",
                clause("firstname", "=", "Bob"),
            ),
            [1, 2, 6],
        ),
        ("email='p2@example.com'", [3]),
        ("id = 5", [5]),
        ("firstname = 'Cy' AND grade > 3", [7]),
        ("email IN ('p0@example.com', 'p7@example.com')", [1, 8]),
        ("email like '%7@example.com'", [8]),
    ],
)
def test_list_with_condition(api: Api, sandbox: SandboxHandle, condition: str, expected: list[int]) -> None:
    _people(sandbox)
    body = api.ok("GET", "/Contacts", params={"condition": condition, "listFields": "id,email"})
    assert [int(c["id"]) for c in body["data"]] == expected
    assert all(set(c) == {"id", "email"} for c in body["data"])


def test_condition_in_a_json_body_and_bad_conditions(api: Api, sandbox: SandboxHandle) -> None:
    _people(sandbox, 3)
    decoded = [clause("email", "IN", ["p0@example.com", "p2@example.com"])]
    body = api.ok("GET", "/objects", json={"objectID": 0, "condition": decoded, "listFields": ["id"]})
    assert body["data"] == [{"id": "1"}, {"id": "3"}]
    for bad in (
        "[{",
        criteria(clause("nosuchfield", "=", "x")),
        criteria({"field": {"field": "email"}}),
        "email ~ 1",
    ):
        assert api.get("/Contacts", condition=bad).status_code == 400, bad


def test_paging_start_range_capped_at_50_sort_and_count(api: Api, sandbox: SandboxHandle) -> None:
    sandbox.seed([{"email": f"page{i:03d}@example.com", "grade": str(i % 7)} for i in range(120)])
    assert len(api.ok("GET", "/Contacts")["data"]) == 50, "default range is 50"
    assert len(api.ok("GET", "/Contacts", params={"range": 500})["data"]) == 50, "range is capped at 50"
    page = api.ok("GET", "/Contacts", params={"start": 100, "range": 50, "listFields": "id", "count": "true"})
    assert [c["id"] for c in page["data"]] == [str(i) for i in range(101, 121)]
    assert page["count"] == "120"
    assert api.ok("GET", "/Contacts", params={"start": 500})["data"] == []
    ordered = api.ok(
        "GET", "/Contacts", params={"sort": "grade", "sortDir": "desc", "range": 3, "listFields": "grade"}
    )
    assert [c["grade"] for c in ordered["data"]] == ["6", "6", "6"]
    by_ids = api.ok("GET", "/Contacts", params={"ids": "5,3,999", "listFields": "id"})
    assert by_ids["data"] == [{"id": "3"}, {"id": "5"}]
    found = api.ok("GET", "/Contacts", params={"search": "PAGE11", "listFields": "email"})
    assert [c["email"] for c in found["data"]] == [f"page{i}@example.com" for i in range(110, 120)]


def test_get_info_counts_with_condition(api: Api, sandbox: SandboxHandle) -> None:
    _people(sandbox)
    info = api.ok("GET", "/Contacts/getInfo")["data"]
    assert info["count"] == "8"
    assert (info["listFieldSettings"], info["cardViewSettings"], info["viewMode"]) == ([], [], [])
    assert isinstance(info["listFields"], list)
    narrowed = api.ok("GET", "/objects/getInfo", params={"objectID": 0, "condition": "company='acme'"})
    assert narrowed["data"]["count"] == "3"


# ---------------------------------------------------------------------------------------------
# 12. meta
# ---------------------------------------------------------------------------------------------


def test_meta_has_standard_and_custom_fields_with_string_flags(api: Api) -> None:
    data = api.ok("GET", "/Contacts/meta")["data"]
    assert list(data) == ["0"]
    assert data["0"]["name"] == "Contact"
    fields = data["0"]["fields"]
    expected_custom = {
        "f1001": ("External ID", "text"),
        "f1002": ("Lifetime Value", "numeric"),
        "f1003": ("Plan", "drop"),
        "f1004": ("Interests", "list"),
        "f1005": ("VIP", "check"),
        "f1006": ("Signup Date", "fulldate"),
        "f1007": ("Notes", "longtext"),
    }
    for name, (alias, type_) in expected_custom.items():
        assert (fields[name]["alias"], fields[name]["type"]) == (alias, type_)
    assert fields["f1003"]["options"] == {"1": "Free", "2": "Pro", "3": "Enterprise"}
    assert fields["f1004"]["options"] == {"1": "Sports", "2": "Music", "3": "Travel"}
    assert fields["priority"]["options"] == {"8": "High", "9": "Medium", "10": "Low"}
    assert fields["email"] == {
        "alias": "Email",
        "type": "email",
        "required": "0",
        "unique": "0",
        "editable": "1",
        "deletable": "0",
    }
    for name in ("unique_id", "date", "dla", "dlm", "contact_cat"):
        assert fields[name]["editable"] == "0"
    assert fields["contact_cat"]["type"] == "subscription"
    assert fields["owner"]["type"] == "parent"
    assert len(fields) == 36


def test_objects_meta_by_id_and_per_object(api: Api) -> None:
    everything = api.ok("GET", "/objects/meta", params={"format": "byId"})["data"]
    assert set(everything) == {"0", "14", "149", "150", "10000"}, "contacts, tags, Deals, Companies, Pets"
    contacts = api.ok("GET", "/objects/meta", params={"objectID": 0, "format": "byId"})["data"]
    assert list(contacts) == ["0"]
    assert contacts == api.ok("GET", "/Contacts/meta")["data"]
    tags = api.ok("GET", "/objects/meta", params={"objectID": 14})["data"]["14"]
    assert set(tags["fields"]) == {"tag_id", "tag_name", "object_type_id"}
    assert api.get("/objects/meta", objectID=99).status_code == 400


# ---------------------------------------------------------------------------------------------
# 13. getByEmail
# ---------------------------------------------------------------------------------------------


def test_get_by_email(api: Api, sandbox: SandboxHandle) -> None:
    sandbox.seed([{"email": "e@example.com"}, {"email": "other@example.com"}, {"email": "E@example.com"}])
    assert api.ok("GET", "/object/getByEmail", params={"objectID": 0, "email": "E@EXAMPLE.com"})["data"] == {
        "id": "1"
    }
    both = api.ok("GET", "/object/getByEmail", params={"objectID": 0, "email": "e@example.com", "all": 1})
    assert both["data"] == {"ids": ["1", "3"]}
    assert api.get("/object/getByEmail", objectID=0, email="none@example.com").status_code == 404


# ---------------------------------------------------------------------------------------------
# 14. deletes, including delete-everything
# ---------------------------------------------------------------------------------------------


def test_delete_one_and_many(api: Api, sandbox: SandboxHandle) -> None:
    _people(sandbox, 8)
    assert api.ok("DELETE", "/Contact", params={"id": 1}) == {"code": 0, "account_id": 50}
    assert api.request("DELETE", "/Contact", params={"id": 1}).status_code == 404
    assert api.ok("DELETE", "/object", params={"objectID": 0, "id": 2}) == {"code": 0, "account_id": 50}
    body = api.ok("DELETE", "/Contacts", params={"ids": "3,4,999"})
    assert body["data"] == "Deleted"
    api.ok("DELETE", "/objects", json={"objectID": 0, "ids": [5]})
    api.ok("DELETE", "/Contacts", params={"condition": "email='p5@example.com'"})
    assert [c["id"] for c in sandbox.contacts()] == ["7", "8"]
    assert sandbox.stats()["delete_all"] == 0


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {},
        {"params": {"performAll": "1"}},
        {"params": {"ids": "0"}},
        {"params": {"ids": "abc"}},
        {"json": {"objectID": 0, "performAll": True}},
    ],
    ids=["no-selector", "performAll", "ids-0", "non-numeric-ids", "generic-performAll"],
)
def test_delete_without_a_selector_deletes_everything_and_is_counted(
    api: Api, sandbox: SandboxHandle, request_kwargs: dict[str, Any]
) -> None:
    _people(sandbox, 5)
    path = "/objects" if "json" in request_kwargs else "/Contacts"
    assert api.ok("DELETE", path, **request_kwargs)["data"] == "Deleted"
    assert sandbox.contacts() == []
    assert sandbox.stats()["delete_all"] == 1
    created = api.ok("POST", "/Contacts", data={"email": "after@example.com"})["data"]
    assert created["id"] == "6", "ids are never reused"


# ---------------------------------------------------------------------------------------------
# 15. tags
# ---------------------------------------------------------------------------------------------


def test_tags_create_list_and_duplicates(api: Api, sandbox: SandboxHandle) -> None:
    created = api.ok("POST", "/Tags", data={"tag_name": "VIP"})["data"]
    assert created == {"tag_id": "1", "tag_name": "VIP", "object_type_id": "0"}
    duplicate = api.request("POST", "/Tags", data={"tag_name": "vip"})
    assert (duplicate.status_code, duplicate.text) == (400, "Tag already exists")
    for name in ("Alpha", "Beta", "Gamma"):
        api.ok("POST", "/Tags", json={"tag_name": name, "object_type_id": 0})
    listed = api.ok(
        "GET", "/Tags", params={"condition": criteria(clause("tag_name", "IN", ["beta", "GAMMA", "x"]))}
    )
    assert [t["tag_name"] for t in listed["data"]] == ["Beta", "Gamma"]
    assert listed["misc"] == []
    paged = api.ok("GET", "/Tags", params={"start": 1, "range": 2, "listFields": "tag_name"})["data"]
    assert paged == [{"tag_name": "Alpha"}, {"tag_name": "Beta"}]
    assert api.ok("GET", "/Tags", params={"tag_name": "alpha"})["data"][0]["tag_id"] == "2"
    generic = api.ok("GET", "/objects", params={"objectID": 14, "condition": "tag_name='VIP'"})["data"]
    assert generic == [created]
    assert sandbox.tags()[0] == created


def test_tag_and_untag_by_id_keeps_contact_cat_in_sync(api: Api, sandbox: SandboxHandle) -> None:
    ids = _people(sandbox, 4)
    one = api.ok("POST", "/Tags", data={"tag_name": "One"})["data"]["tag_id"]
    two = api.ok("POST", "/Tags", data={"tag_name": "Two"})["data"]["tag_id"]
    added = api.ok(
        "PUT", "/objects/tag", data={"objectID": 0, "add_list": f"{one},{two}", "ids": f"{ids[0]},{ids[1]}"}
    )
    assert added["data"] == "The tag is now being processed."
    contacts = sandbox.contacts()
    assert contacts[0]["contact_cat"] == "*/*1*/*2*/*"
    assert contacts[0]["tags"] == ["One", "Two"]
    assert contacts[2]["contact_cat"] == ""
    api.ok("DELETE", "/objects/tag", params={"objectID": 0, "remove_list": one, "ids": ids[0]})
    contacts = sandbox.contacts()
    assert (contacts[0]["contact_cat"], contacts[0]["tags"]) == ("*/*2*/*", ["Two"])
    listed = api.ok("GET", "/Contacts", params={"ids": ids[1], "listFields": "id,contact_cat"})["data"]
    assert listed == [{"id": str(ids[1]), "contact_cat": "*/*1*/*2*/*"}]
    assert api.request("PUT", "/objects/tag", data={"objectID": 0, "add_list": one}).status_code == 400
    assert api.request("PUT", "/objects/tag", data={"objectID": 0, "ids": ids[0]}).status_code == 400


def test_tag_by_name_creates_missing_tags_and_ignores_unknown_on_remove(
    api: Api, sandbox: SandboxHandle
) -> None:
    ids = _people(sandbox, 3)
    body = api.ok(
        "PUT", "/objects/tagByName", json={"objectID": 0, "ids": ids[:2], "add_names": ["New A", "New B"]}
    )
    assert body["data"] == "The tag is now being processed."
    assert [t["tag_name"] for t in sandbox.tags()] == ["New A", "New B"]
    api.ok(
        "DELETE",
        "/objects/tagByName",
        json={"objectID": 0, "ids": [ids[0]], "remove_names": ["new a", "Ghost"]},
    )
    assert [c["tags"] for c in sandbox.contacts()] == [["New B"], ["New A", "New B"], []]
    assert len(sandbox.tags()) == 2, "unknown names are not created on remove"
    comma = api.request("PUT", "/objects/tagByName", json={"objectID": 0, "ids": "1,2", "add_names": ["X"]})
    assert comma.status_code == 400, "tagByName needs ids as an array"


def test_perform_all_tags_every_contact(api: Api, sandbox: SandboxHandle) -> None:
    _people(sandbox, 4)
    api.ok("PUT", "/objects/tagByName", json={"objectID": 0, "performAll": 1, "add_names": ["Everyone"]})
    assert all(c["tags"] == ["Everyone"] for c in sandbox.contacts())
    tag = sandbox.tags()[0]["tag_id"]
    api.ok(
        "DELETE", "/objects/tag", params={"objectID": 0, "remove_list": tag, "condition": "company='acme'"}
    )
    assert [len(c["tags"]) for c in sandbox.contacts()] == [0, 0, 0, 1]


def test_contacts_with_a_tag(api: Api, sandbox: SandboxHandle) -> None:
    ids = sandbox.seed(
        [{"email": f"t{i}@example.com", "tags": ["Even"] if i % 2 == 0 else []} for i in range(130)]
    )
    tag_id = sandbox.tags()[0]["tag_id"]
    first = api.ok("GET", "/objects/tag", params={"objectID": 0, "tag_id": tag_id, "listFields": "id,email"})
    assert len(first["data"]) == 50
    assert first["data"][0] == {"id": str(ids[0]), "email": "t0@example.com"}
    last = api.ok("GET", "/objects/tag", params={"objectID": 0, "tag_name": "even", "start": 50, "count": 1})
    assert [c["id"] for c in last["data"]] == [str(i) for i in ids[100::2]]
    assert last["count"] == "65"
    assert api.ok("GET", "/objects/tag", params={"objectID": 0, "tag_name": "nope"})["data"] == []


def test_deleting_a_tag_removes_it_from_contacts(api: Api, sandbox: SandboxHandle) -> None:
    sandbox.seed([{"email": "a@example.com", "tags": ["A", "B"]}])
    api.ok("DELETE", "/Tag", params={"id": 1})
    contact = sandbox.contacts()[0]
    assert (contact["contact_cat"], contact["tags"]) == ("*/*2*/*", ["B"])
    api.ok("PUT", "/Tags", data={"id": 2, "tag_name": "Bee"})
    assert sandbox.contacts()[0]["tags"] == ["Bee"]


# ---------------------------------------------------------------------------------------------
# admin endpoints
# ---------------------------------------------------------------------------------------------


def test_seed_contacts_with_ids_tags_and_any_field(api: Api, sandbox: SandboxHandle) -> None:
    ids = sandbox.seed(
        [
            {"id": 500, "email": "five@example.com", "dlm": "1000", "tags": ["Seeded"], "unknown": "dropped"},
            {"id": 100, "email": "one@example.com", "unique_id": "SEEDED1"},
            {"email": "auto@example.com"},
        ]
    )
    assert ids == [500, 100, 501]
    contacts = sandbox.contacts()
    assert [c["id"] for c in contacts] == ["100", "500", "501"], "kept in id order"
    assert contacts[1]["dlm"] == "1000"
    assert contacts[1]["tags"] == ["Seeded"]
    assert contacts[0]["unique_id"] == "SEEDED1"
    assert "unknown" not in contacts[1]
    assert api.ok("POST", "/Contacts", data={"email": "next@example.com"})["data"]["id"] == "502"
    with pytest.raises(SandboxError):
        sandbox.seed([{"id": 100}])
    assert sandbox.stats()["total_requests"] == 1


def test_reset_empties_store_stats_and_rate_windows(api: Api, sandbox: SandboxHandle) -> None:
    sandbox.configure(rate_limit=2)
    sandbox.seed([{"email": "x@example.com", "tags": ["T"]}])
    api.get("/Contacts")
    api.get("/Contacts")
    assert api.get("/Contacts").status_code == 429
    sandbox.reset()
    assert sandbox.contacts() == []
    assert sandbox.tags() == []
    stats = sandbox.stats()
    assert (stats["total_requests"], stats["first_request_at"], stats["by_route"]) == (0, None, {})
    assert api.get("/Contacts").status_code == 200
    assert sandbox.config()["rate_limit"] == 2, "configuration survives a reset"


def test_stats_shape(api: Api, sandbox: SandboxHandle) -> None:
    before = time.time()
    api.get("/Contacts")
    api.request("POST", "/Contacts", data={"email": "s@example.com"})
    api.request("DELETE", "/Contact", params={"id": 77})
    stats = sandbox.stats()
    for key in (
        "total_requests",
        "by_route",
        "status_429",
        "status_4xx",
        "status_5xx",
        "write_requests",
        "read_requests",
        "delete_all",
        "peak_in_flight",
        "first_request_at",
        "last_request_at",
    ):
        assert key in stats
    assert stats["total_requests"] == 3
    assert stats["by_route"] == {"GET /1/Contacts": 1, "POST /1/Contacts": 1, "DELETE /1/Contact": 1}
    assert (stats["read_requests"], stats["write_requests"]) == (1, 2)
    assert (stats["status_4xx"], stats["status_5xx"]) == (1, 0)
    assert stats["by_status"] == {"200": 2, "404": 1}
    assert before <= stats["first_request_at"] <= stats["last_request_at"] <= time.time()


def test_config_rejects_bad_values_as_a_whole(sandbox: SandboxHandle) -> None:
    for bad in (
        {"nonsense": 1},
        {"fault_phase": "sometimes"},
        {"fault_rate_5xx": 1.5},
        {"fault_rate_5xx": 0.6, "fault_rate_drop": 0.6},
        {"latency_ms": "9-1"},
        {"rate_limit": 0},
        {"rate_limit": 5, "window_seconds": -1},
    ):
        with pytest.raises(SandboxError):
            sandbox.configure(**bad)
    assert sandbox.config()["rate_limit"] == DEFAULTS["rate_limit"]
    assert sandbox.configure(latency_ms="5-9")["latency_ms"] == "5-9"


# ---------------------------------------------------------------------------------------------
# faults
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("phase", ["before", "after"])
def test_5xx_fault(api: Api, sandbox: SandboxHandle, phase: str) -> None:
    sandbox.configure(fault_rate_5xx=1, fault_phase=phase)
    response = api.request("POST", "/Contacts", data={"email": "f@example.com"})
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "text/html;charset=UTF-8"
    assert "X-Rate-Limit-Remaining" in response.headers
    assert len(sandbox.contacts()) == (1 if phase == "after" else 0)
    stats = sandbox.stats()
    assert (stats["status_5xx"], stats["faults"]["5xx"]) == (1, 1)


@pytest.mark.parametrize("phase", ["before", "after"])
def test_drop_fault_closes_the_connection_without_a_response(
    api: Api, sandbox: SandboxHandle, phase: str
) -> None:
    sandbox.configure(fault_rate_drop=1, fault_phase=phase)
    with pytest.raises(requests.ConnectionError):
        api.request("POST", "/Contacts", data={"email": "f@example.com"})
    assert len(sandbox.contacts()) == (1 if phase == "after" else 0)
    sandbox.configure(fault_rate_drop=0)
    assert api.request("GET", "/Contacts").status_code == 200, "the session recovers on a new connection"
    stats = sandbox.stats()
    assert (stats["dropped"], stats["faults"]["drop"], stats["total_requests"]) == (1, 1, 2)


def _wait_for_slow_fault(sandbox: SandboxHandle, deadline: float) -> None:
    """Until the server has drawn the slow fault, i.e. the request is being held back."""
    while sandbox.stats()["faults"]["slow"] == 0:
        assert time.monotonic() < deadline, "the slow request never reached the server"
        time.sleep(0.02)


@pytest.mark.parametrize("phase", ["before", "after"])
def test_slow_fault_delays_and_the_phase_decides_when_the_write_lands(
    api: Api, sandbox: SandboxHandle, phase: str
) -> None:
    sandbox.configure(fault_rate_slow=1, slow_seconds=1.0, fault_phase=phase)
    result: dict[str, Any] = {}

    def call() -> None:
        started = time.monotonic()
        result["response"] = api.request("POST", "/Contacts", data={"email": "slow@example.com"})
        result["elapsed"] = time.monotonic() - started

    worker = threading.Thread(target=call)
    worker.start()
    deadline = time.monotonic() + 0.8  # well inside the 1 s the response is held back
    _wait_for_slow_fault(sandbox, deadline)
    if phase == "after":
        while not sandbox.contacts() and time.monotonic() < deadline:
            time.sleep(0.02)
    visible_while_pending = len(sandbox.contacts())
    worker.join(timeout=TIMEOUT)
    assert result["response"].status_code == 200
    assert result["elapsed"] >= 1.0
    assert visible_while_pending == (1 if phase == "after" else 0)
    assert len(sandbox.contacts()) == 1
    assert sandbox.stats()["faults"]["slow"] == 1


def test_random_phase_mixes_both_and_is_reproducible_with_a_seed(api: Api, sandbox: SandboxHandle) -> None:
    def run() -> list[int]:
        sandbox.reset()
        sandbox.configure(fault_rate_5xx=1, fault_phase="random", seed=42)
        applied = []
        for i in range(24):
            assert api.request("POST", "/Contacts", data={"email": f"r{i}@example.com"}).status_code == 500
            applied.append(len(sandbox.contacts()))
        return applied

    first = run()
    assert 0 < first[-1] < 24, "some faults hit before the write and some after"
    assert run() == first


def test_fault_rates_are_probabilities(api: Api, sandbox: SandboxHandle) -> None:
    sandbox.configure(fault_rate_5xx=0.5, seed=7)
    statuses = [api.get("/Contacts/getInfo").status_code for _ in range(60)]
    assert 10 < statuses.count(500) < 50
    assert statuses.count(500) + statuses.count(200) == 60


def test_faults_spare_auth_failures_429s_and_admin_but_count_in_the_window(
    api: Api, sandbox: SandboxHandle
) -> None:
    sandbox.configure(fault_rate_5xx=1, rate_limit=3)
    bad_auth = requests.get(f"{sandbox.url}/Contacts", headers={"Api-Appid": APP_ID}, timeout=TIMEOUT)
    assert bad_auth.status_code == 401
    assert [api.get("/Contacts").status_code for _ in range(4)] == [500, 500, 500, 429]
    assert sandbox.stats()["faults"]["5xx"] == 3


# ---------------------------------------------------------------------------------------------
# concurrency and scale
# ---------------------------------------------------------------------------------------------


def test_latency_is_applied_without_blocking_other_requests(sandbox: SandboxHandle) -> None:
    sandbox.configure(latency_ms=400)
    clients = [Api(sandbox) for _ in range(8)]
    try:
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda c: c.get("/Contacts/getInfo").status_code, clients))
        elapsed = time.monotonic() - started
    finally:
        for client in clients:
            client.close()
    assert statuses == [200] * 8
    assert elapsed >= 0.4
    assert elapsed < 8 * 0.4 * 0.75, "requests were served one after another"
    assert sandbox.stats()["peak_in_flight"] > 1


def test_a_slow_response_does_not_hold_up_others(sandbox: SandboxHandle) -> None:
    sandbox.configure(fault_rate_slow=1, slow_seconds=2.0)
    slow_client, fast_client = Api(sandbox), Api(sandbox)
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(slow_client.get, "/Contacts")
            _wait_for_slow_fault(sandbox, time.monotonic() + 1.5)
            sandbox.configure(fault_rate_slow=0)
            started = time.monotonic()
            assert fast_client.get("/Contacts").status_code == 200
            assert time.monotonic() - started < 1.5
            assert not pending.done()
            assert pending.result(timeout=TIMEOUT).status_code == 200
    finally:
        slow_client.close()
        fast_client.close()


def test_store_stays_consistent_under_concurrent_writes(sandbox: SandboxHandle) -> None:
    emails = [f"c{i}@example.com" for i in range(20)]

    def worker(offset: int) -> list[int]:
        client = Api(sandbox)
        statuses = []
        try:
            for n in range(40):
                email = emails[(offset + n) % len(emails)]
                data = {"email": email.upper() if n % 2 else email, "lastname": f"w{offset}"}
                statuses.append(client.request("POST", "/Contacts/saveorupdate", data=data).status_code)
                statuses.append(
                    client.request("POST", "/Contacts", data={"firstname": f"dup{offset}"}).status_code
                )
        finally:
            client.close()
        return statuses

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = [status for statuses in pool.map(worker, range(6)) for status in statuses]
    assert set(results) == {200}
    contacts = sandbox.contacts()
    assert len(contacts) == 20 + 6 * 40
    assert len({c["id"] for c in contacts}) == len(contacts)
    assert sorted(c["email"].lower() for c in contacts if c["email"]) == sorted(emails)
    assert len({c["unique_id"] for c in contacts}) == len(contacts)


def test_large_seed_and_indexed_lookups_stay_correct(api: Api, sandbox: SandboxHandle) -> None:
    sandbox.seed([{"email": f"big{i}@example.com", "f1001": f"X{i}"} for i in range(20_000)])
    wanted = [f"BIG{i}@example.com" for i in range(0, 20_000, 400)]
    found = api.ok(
        "GET", "/Contacts", params={"condition": criteria(clause("email", "IN", wanted)), "listFields": "id"}
    )
    assert [int(c["id"]) for c in found["data"]] == [i + 1 for i in range(0, 20_000, 400)]
    # an index built on first use follows later writes
    assert api.ok("GET", "/Contacts", params={"condition": "f1001='X5'", "listFields": "id"})["data"] == [
        {"id": "6"}
    ]
    api.ok("PUT", "/Contacts", data={"id": 6, "f1001": "moved"})
    assert api.ok("GET", "/Contacts", params={"condition": "f1001='X5'"})["data"] == []
    assert api.ok("GET", "/Contacts", params={"condition": "f1001='MOVED'", "listFields": "id"})["data"] == [
        {"id": "6"}
    ]
    api.ok("DELETE", "/Contacts", params={"ids": "6"})
    assert api.ok("GET", "/Contacts", params={"condition": "f1001='moved'"})["data"] == []
    assert api.ok("GET", "/Contacts/getInfo")["data"]["count"] == "19999"


def test_unknown_endpoints_and_methods(api: Api) -> None:
    assert api.get("/Nope").status_code == 404
    assert api.request("PATCH", "/Contacts").status_code == 405
    assert requests.get(f"{api.sandbox.base}/elsewhere", timeout=TIMEOUT).status_code == 404


# ---------------------------------------------------------------------------------------------
# behaviour switches (what no source settles; the connector must be right under every value)
# ---------------------------------------------------------------------------------------------


def test_switches_are_shown_validated_as_a_whole_and_kept_across_reset(sandbox: SandboxHandle) -> None:
    config = sandbox.config()
    for key in (
        "delete_form_body",
        "text_case",
        "collection_contact_cat",
        "condition_without_ids",
        "save_failed_rate",
        "save_failed_status",
        "delete_overreach",
    ):
        assert config[key] == DEFAULTS[key], key
    for bad in (
        {"delete_form_body": "maybe"},
        {"text_case": "upper"},
        {"collection_contact_cat": "sometimes"},
        {"condition_without_ids": None},
        {"save_failed_rate": 1.5},
        {"save_failed_status": 99},
        {"delete_overreach": -1},
        {"delete_overreach": 1.5},
        {"text_case": "sensitive", "delete_overreach": "x"},
    ):
        with pytest.raises(SandboxError):
            sandbox.configure(**bad)
    assert sandbox.config()["text_case"] == "insensitive", "a refused change changes nothing"
    switched = {
        "delete_form_body": "read",
        "text_case": "sensitive",
        "collection_contact_cat": "never",
        "condition_without_ids": "nothing",
        "save_failed_rate": 0.25,
        "save_failed_status": 500,
        "delete_overreach": 3,
    }
    sandbox.configure(**switched)
    sandbox.reset()
    config = sandbox.config()
    assert {key: config[key] for key in switched} == switched


def test_switches_from_the_command_line() -> None:
    options = {
        "delete_form_body": "read",
        "text_case": "sensitive",
        "collection_contact_cat": "never",
        "condition_without_ids": "nothing",
        "save_failed_rate": 0.5,
        "save_failed_status": 400,
        "delete_overreach": 2,
    }
    with running_sandbox(**options) as handle:
        config = handle.config()
        assert {key: config[key] for key in options} == options
    with pytest.raises(SandboxError), running_sandbox(text_case="upper"):
        pass
    with pytest.raises(SandboxError), running_sandbox(save_failed_rate=7):
        pass


# --- delete_form_body ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["ignore", "read"])
def test_delete_form_body_decides_whether_form_ids_select(
    api: Api, sandbox: SandboxHandle, mode: str
) -> None:
    sandbox.configure(delete_form_body=mode)
    _people(sandbox, 5)
    assert api.ok("DELETE", "/Contacts", data={"ids": "2,3"})["data"] == "Deleted"
    remaining = [c["id"] for c in sandbox.contacts()]
    if mode == "ignore":
        assert remaining == [], "the form body was not read: no selector, so every contact went"
        assert sandbox.stats()["delete_all"] == 1
    else:
        assert remaining == ["1", "4", "5"]
        assert sandbox.stats()["delete_all"] == 0


@pytest.mark.parametrize("mode", ["ignore", "read"])
def test_delete_with_query_parameters_or_a_json_body_works_in_both_modes(
    api: Api, sandbox: SandboxHandle, mode: str
) -> None:
    sandbox.configure(delete_form_body=mode)
    ids = _people(sandbox, 6)
    api.ok("DELETE", "/Contacts", params={"ids": f"{ids[1]},{ids[2]}"})
    api.ok("DELETE", "/objects", json={"objectID": 0, "ids": [ids[3]]})
    api.ok("DELETE", "/objects", params={"objectID": 0, "condition": "email='p4@example.com'"})
    assert [c["id"] for c in sandbox.contacts()] == [str(ids[0]), str(ids[5])]
    api.ok("PUT", "/objects/tagByName", json={"objectID": 0, "ids": [ids[0], ids[5]], "add_names": ["T"]})
    api.ok("DELETE", "/objects/tagByName", json={"objectID": 0, "ids": [ids[0]], "remove_names": ["T"]})
    assert [c["tags"] for c in sandbox.contacts()] == [[], ["T"]]
    tag = sandbox.tags()[0]["tag_id"]
    api.ok("DELETE", "/objects/tag", params={"objectID": 0, "remove_list": tag, "ids": ids[5]})
    assert [c["tags"] for c in sandbox.contacts()] == [[], []]
    assert sandbox.stats()["delete_all"] == 0


@pytest.mark.parametrize("mode", ["ignore", "read"])
def test_delete_form_body_on_untag_and_generic_delete(api: Api, sandbox: SandboxHandle, mode: str) -> None:
    sandbox.configure(delete_form_body=mode)
    ids = sandbox.seed([{"email": "a@example.com", "tags": ["T"]}, {"email": "b@example.com", "tags": ["T"]}])
    tag = sandbox.tags()[0]["tag_id"]
    untag = api.request("DELETE", "/objects/tag", data={"objectID": 0, "remove_list": tag, "ids": ids[0]})
    generic = api.request("DELETE", "/objects", data={"objectID": 0, "ids": ids[1]})
    if mode == "ignore":
        assert (untag.status_code, generic.status_code) == (400, 400), "no selector, no objectID"
        assert [c["tags"] for c in sandbox.contacts()] == [["T"], ["T"]]
    else:
        assert (untag.status_code, generic.status_code) == (200, 200)
        assert [(c["id"], c["tags"]) for c in sandbox.contacts()] == [(str(ids[0]), [])]


def test_delete_form_body_ignore_skips_multipart_too(api: Api, sandbox: SandboxHandle) -> None:
    _people(sandbox, 3)
    response = api.request("DELETE", "/Contacts", files={"ids": (None, "1")})
    assert response.status_code == 200
    assert sandbox.contacts() == []
    assert sandbox.stats()["delete_all"] == 1


# --- text_case -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "insensitive", "sensitive"),
    [
        (criteria(clause("email", "=", "P1@EXAMPLE.COM")), [2], []),
        (criteria(clause("email", "=", "p1@example.com")), [2], [2]),
        (criteria(clause("email", "IN", ["P1@example.com", "p2@example.com"])), [2, 3], [3]),
        (criteria(clause("firstname", "<>", "ann")), [2, 3, 4], [1, 2, 3, 4]),
        (criteria(clause("firstname", "NOT IN", ["ANN", "Bob"])), [3, 4], [1, 3, 4]),
        (criteria(clause("firstname", "LIKE", "a%")), [1], []),
        (criteria(clause("firstname", "NOT LIKE", "A%")), [2, 3, 4], [2, 3, 4]),
        (criteria(clause("firstname", "NOT LIKE", "a%")), [2, 3, 4], [1, 2, 3, 4]),
        ("firstname = 'CY'", [3], []),
        ("firstname IN ('dee', 'Cy')", [3, 4], [3]),
        ("email like 'P3%'", [4], []),
    ],
)
@pytest.mark.parametrize("mode", ["insensitive", "sensitive"])
def test_text_case_in_conditions(
    api: Api,
    sandbox: SandboxHandle,
    mode: str,
    condition: str,
    insensitive: list[int],
    sensitive: list[int],
) -> None:
    sandbox.configure(text_case=mode)
    _people(sandbox, 4)
    body = api.ok("GET", "/Contacts", params={"condition": condition, "listFields": "id"})
    assert [int(c["id"]) for c in body["data"]] == (insensitive if mode == "insensitive" else sensitive)


@pytest.mark.parametrize("mode", ["insensitive", "sensitive"])
def test_text_case_index_gives_the_answers_of_a_scan_and_follows_a_switch(
    api: Api, sandbox: SandboxHandle, mode: str
) -> None:
    other = "sensitive" if mode == "insensitive" else "insensitive"
    sandbox.seed([{"email": f"{'Big' if i % 3 else 'big'}{i}@example.com"} for i in range(300)])
    wanted = [f"big{i}@example.com" for i in range(0, 300, 7)]

    def lookup(op: str) -> list[str]:
        ids: list[str] = []
        for start in range(0, 300, 50):
            page = api.ok(
                "GET",
                "/Contacts",
                params={
                    "condition": criteria(clause("email", op, wanted)),
                    "listFields": "id",
                    "start": start,
                },
            )["data"]
            ids += [c["id"] for c in page]
        return ids

    def scan() -> list[str]:  # the same question, answered from the admin dump: no index involved
        exact = sandbox.config()["text_case"] == "sensitive"
        return [
            c["id"] for c in sandbox.contacts() if (c["email"] if exact else c["email"].lower()) in wanted
        ]

    sandbox.configure(text_case=other)
    assert lookup("IN") == scan()  # builds the email index under the other collation
    sandbox.configure(text_case=mode)
    indexed = lookup("IN")
    assert indexed == scan()
    not_in = set(lookup("NOT IN"))  # NOT IN is always a scan
    assert set(indexed) == {c["id"] for c in sandbox.contacts()} - not_in
    expected_count = (
        len(wanted) if mode == "insensitive" else len([i for i in range(0, 300, 7) if i % 3 == 0])
    )
    assert len(indexed) == expected_count
    # the index follows writes under the current collation
    api.ok("PUT", "/Contacts", data={"id": 1, "email": "BIG0@example.com"})
    assert ("1" in lookup("IN")) == (mode == "insensitive")


@pytest.mark.parametrize("mode", ["insensitive", "sensitive"])
def test_text_case_in_tag_names(api: Api, sandbox: SandboxHandle, mode: str) -> None:
    sandbox.configure(text_case=mode)
    (contact,) = sandbox.seed([{"email": "t@example.com"}])
    api.ok("POST", "/Tags", data={"tag_name": "VIP"})
    duplicate = api.request("POST", "/Tags", data={"tag_name": "vip"})
    api.ok("PUT", "/objects/tagByName", json={"objectID": 0, "ids": [contact], "add_names": ["Vip"]})
    by_name = api.ok("GET", "/Tags", params={"tag_name": "vip"})["data"]
    with_tag = api.ok("GET", "/objects/tag", params={"objectID": 0, "tag_name": "VIP"})["data"]
    if mode == "insensitive":
        assert (duplicate.status_code, duplicate.text) == (400, "Tag already exists")
        assert [t["tag_name"] for t in sandbox.tags()] == ["VIP"]
        assert sandbox.contacts()[0]["tags"] == ["VIP"]
        assert [t["tag_name"] for t in by_name] == ["VIP"]
        assert [c["id"] for c in with_tag] == [str(contact)]
    else:
        assert duplicate.status_code == 200
        assert [t["tag_name"] for t in sandbox.tags()] == ["VIP", "vip", "Vip"]
        assert sandbox.contacts()[0]["tags"] == ["Vip"]
        assert [t["tag_name"] for t in by_name] == ["vip"]
        assert with_tag == []
    api.ok("DELETE", "/objects/tagByName", json={"objectID": 0, "ids": [contact], "remove_names": ["VIP"]})
    assert sandbox.contacts()[0]["tags"] == ([] if mode == "insensitive" else ["Vip"])


@pytest.mark.parametrize("mode", ["insensitive", "sensitive"])
def test_text_case_in_saveorupdate_get_by_email_and_search(
    api: Api, sandbox: SandboxHandle, mode: str
) -> None:
    sandbox.configure(text_case=mode)
    sandbox.seed([{"email": "Mixed@Example.com", "firstname": "Ann", "unique_id": "AbC1234"}])
    merged = api.ok("POST", "/Contacts/saveorupdate", data={"email": "mixed@example.com", "lastname": "L"})
    by_uid = api.ok("POST", "/objects/saveorupdate", json={"objectID": 0, "unique_id": "ABC1234", "grade": 3})
    found = api.get("/object/getByEmail", objectID=0, email="MIXED@example.com")
    search = api.ok("GET", "/Contacts", params={"search": "ANN", "listFields": "id"})["data"]
    if mode == "insensitive":
        assert merged["data"]["attrs"]["id"] == "1"
        assert by_uid["data"]["attrs"]["id"] == "1"
        assert found.json()["data"] == {"id": "1"}
        assert search == [{"id": "1"}]
        assert len(sandbox.contacts()) == 1
    else:
        assert merged["data"]["id"] == "2", "no exact match: a new contact"
        assert by_uid["data"]["id"] == "3"
        assert (found.status_code, found.text) == (404, "Object not found")
        assert search == []
        assert len(sandbox.contacts()) == 3


# --- collection_contact_cat ------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["returned", "never"])
def test_collection_contact_cat(api: Api, sandbox: SandboxHandle, mode: str) -> None:
    sandbox.configure(collection_contact_cat=mode)
    (contact,) = sandbox.seed([{"email": "c@example.com", "tags": ["A", "B"]}])
    collections = [
        api.ok("GET", "/Contacts", params={"listFields": "id,contact_cat"})["data"],
        api.ok("GET", "/Contacts")["data"],
        api.ok("GET", "/objects", params={"objectID": 0, "listFields": "id,contact_cat"})["data"],
        api.ok("GET", "/objects/tag", params={"objectID": 0, "tag_id": 1, "listFields": "id,contact_cat"})[
            "data"
        ],
    ]
    for rows in collections:
        assert len(rows) == 1
        if mode == "returned":
            assert rows[0]["contact_cat"] == "*/*1*/*2*/*"
        else:
            assert "contact_cat" not in rows[0]
            assert rows[0]["id"] == str(contact)
    single = api.ok("GET", "/Contact", params={"id": contact})["data"]
    generic = api.ok("GET", "/object", params={"objectID": 0, "id": contact})["data"]
    assert single["contact_cat"] == generic["contact_cat"] == "*/*1*/*2*/*"
    assert sandbox.contacts()[0]["tags"] == ["A", "B"]


# --- condition_without_ids -------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["selects", "nothing"])
def test_condition_without_ids(api: Api, sandbox: SandboxHandle, mode: str) -> None:
    sandbox.configure(condition_without_ids=mode)
    sandbox.seed(
        [{"email": f"n{i}@example.com", "company": "Acme" if i % 2 else "Other"} for i in range(120)]
    )
    acme = criteria(clause("company", "=", "acme"))
    without_ids = api.ok("GET", "/Contacts", params={"condition": acme, "listFields": "id", "count": 1})
    generic = api.ok(
        "GET", "/objects", params={"objectID": 0, "condition": "company='acme'", "listFields": "id"}
    )
    searched = api.ok("GET", "/Contacts", params={"search": "n11", "listFields": "id"})["data"]
    if mode == "selects":
        assert len(without_ids["data"]) == 50
        assert without_ids["count"] == "60"
        assert len(generic["data"]) == 50
        assert [c["id"] for c in searched] == [str(i + 1) for i in (11, *range(110, 120))]
    else:
        assert (without_ids["data"], without_ids["count"]) == ([], "0")
        assert generic["data"] == []
        assert searched == []
    # ids=0 means "all records", narrowed by the condition and paged, in both modes
    pages = [
        api.ok(
            "GET",
            "/Contacts",
            params={"ids": 0, "condition": acme, "listFields": "id", "start": start, "range": 50},
        )["data"]
        for start in (0, 50)
    ]
    assert [c["id"] for page in pages for c in page] == [str(i + 1) for i in range(1, 120, 2)]
    assert len(pages[0]) == 50
    assert api.ok("GET", "/Contacts", params={"ids": "0", "search": "n11", "listFields": "id"})["data"][
        0
    ] == {"id": "12"}
    # explicit ids with a condition narrow in both modes
    narrowed = api.ok("GET", "/Contacts", params={"ids": "1,2,3,4", "condition": acme, "listFields": "id"})
    assert narrowed["data"] == [{"id": "2"}, {"id": "4"}]
    # without a condition nothing changes
    assert len(api.ok("GET", "/Contacts", params={"listFields": "id"})["data"]) == 50
    # getInfo counts the matches in both modes
    assert api.ok("GET", "/Contacts/getInfo", params={"condition": acme})["data"]["count"] == "60"


@pytest.mark.parametrize("mode", ["selects", "nothing"])
def test_condition_without_ids_on_tags_and_never_on_deletes_or_tagging(
    api: Api, sandbox: SandboxHandle, mode: str
) -> None:
    sandbox.configure(condition_without_ids=mode)
    _people(sandbox, 6)
    for name in ("Alpha", "Beta"):
        api.ok("POST", "/Tags", data={"tag_name": name})
    tags = api.ok("GET", "/Tags", params={"condition": "tag_name='beta'"})["data"]
    assert [t["tag_name"] for t in tags] == ([] if mode == "nothing" else ["Beta"])
    all_tags = api.ok("GET", "/Tags", params={"ids": 0, "condition": "tag_name='beta'"})["data"]
    assert [t["tag_name"] for t in all_tags] == ["Beta"]
    assert api.ok("GET", "/Tags/getInfo", params={"condition": "tag_name='beta'"})["data"]["count"] == "1"
    api.ok("PUT", "/objects/tag", params={"objectID": 0, "add_list": 1, "condition": "company='acme'"})
    assert [c["tags"] for c in sandbox.contacts()] == [["Alpha"]] * 3 + [[]] * 3
    api.ok("DELETE", "/Contacts", params={"condition": "company='acme'"})
    assert [c["id"] for c in sandbox.contacts()] == ["4", "5", "6"]
    api.ok("DELETE", "/Contacts", params={"ids": 0})
    assert sandbox.contacts() == []
    assert sandbox.stats()["delete_all"] == 1


# --- PUT to an unknown id (not_found_status) ---------------------------------------------------


@pytest.mark.parametrize("status", [404, 400])
@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"path": "/Contacts", "data": {"id": "77", "firstname": "x"}},
        {"path": "/objects", "json": {"objectID": 0, "id": 77, "firstname": "x"}},
        {"path": "/objects", "data": {"objectID": "0", "id": "77", "firstname": "x"}},
    ],
    ids=["contacts-form", "objects-json", "objects-form"],
)
def test_put_to_an_unknown_id_answers_not_found_status(
    api: Api, sandbox: SandboxHandle, status: int, request_kwargs: dict[str, Any]
) -> None:
    sandbox.configure(not_found_status=status)
    sandbox.seed([{"email": "only@example.com"}])
    kwargs = dict(request_kwargs)
    response = api.request("PUT", kwargs.pop("path"), **kwargs)
    assert (response.status_code, response.text) == (status, "Object not found")
    assert response.headers["Content-Type"] == "text/html;charset=UTF-8"
    assert [c["firstname"] for c in sandbox.contacts()] == [""]


# --- save_failed_rate / save_failed_status -----------------------------------------------------


@pytest.mark.parametrize("status", [200, 400, 500])
@pytest.mark.parametrize("phase", ["before", "after"])
@pytest.mark.parametrize(
    ("path", "kind"), [("/Contacts/saveorupdate", "data"), ("/objects/saveorupdate", "json")]
)
def test_save_failed(api: Api, sandbox: SandboxHandle, status: int, phase: str, path: str, kind: str) -> None:
    sandbox.configure(save_failed_rate=1, save_failed_status=status, fault_phase=phase)
    fields: dict[str, Any] = {"email": "sf@example.com", "firstname": "S"}
    if kind == "json":
        fields["objectID"] = 0
    response = api.request("POST", path, **{kind: fields})
    assert (response.status_code, response.text) == (status, "Save failed!")
    assert response.headers["Content-Type"] == "text/html;charset=UTF-8"
    assert "X-Rate-Limit-Remaining" in response.headers
    assert [c["email"] for c in sandbox.contacts()] == (["sf@example.com"] if phase == "after" else [])
    # other writes are not affected
    assert api.request("POST", "/Contacts", data={"email": "other@example.com"}).status_code == 200
    stats = sandbox.stats()
    assert stats["faults"]["save_failed"] == 1
    assert stats["by_status"].get(str(status), 0) >= 1


def test_save_failed_rate_is_a_seeded_share(api: Api, sandbox: SandboxHandle) -> None:
    def run() -> list[int]:
        sandbox.reset()
        sandbox.configure(save_failed_rate=0.5, seed=11, fault_phase="random")
        return [
            api.request("POST", "/Contacts/saveorupdate", data={"email": f"s{i}@example.com"}).status_code
            for i in range(40)
        ]

    first = run()
    failed = sandbox.stats()["faults"]["save_failed"]
    assert 8 < failed < 32
    assert 0 < len(sandbox.contacts()) - (40 - failed) < failed, "random phase: some failed saves applied"
    assert run() == first


# --- delete_overreach --------------------------------------------------------------------------


@pytest.mark.parametrize("overreach", [0, 2])
@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"path": "/Contacts", "params": {"ids": "3,4"}},
        {"path": "/objects", "params": {"objectID": 0, "ids": "3,4"}},
        {"path": "/objects", "json": {"objectID": 0, "ids": [3, 4]}},
    ],
    ids=["contacts", "objects-query", "objects-json"],
)
def test_delete_overreach(
    api: Api, sandbox: SandboxHandle, overreach: int, request_kwargs: dict[str, Any]
) -> None:
    sandbox.configure(delete_overreach=overreach)
    _people(sandbox, 6)
    kwargs = dict(request_kwargs)
    assert api.ok("DELETE", kwargs.pop("path"), **kwargs)["data"] == "Deleted"
    remaining = [c["id"] for c in sandbox.contacts()]
    stats = sandbox.stats()
    if overreach == 0:
        assert remaining == ["1", "2", "5", "6"]
        assert stats["overreach_deleted"] == 0
    else:
        assert remaining == ["5", "6"], "the two lowest ids it was not asked for went too"
        assert stats["overreach_deleted"] == 2
    assert stats["delete_all"] == 0
    # single deletes and condition-only deletes name no explicit ids: no overreach
    before = len(sandbox.contacts())
    api.ok("DELETE", "/Contact", params={"id": 5})
    api.ok("DELETE", "/Contacts", params={"condition": "email='p6@example.com'"})
    assert len(sandbox.contacts()) == before - 1
    assert sandbox.stats()["overreach_deleted"] == stats["overreach_deleted"]


# ---------------------------------------------------------------------------------------------
# other object types: custom objects (>= 10000), Deals (149), Companies (150)
# ---------------------------------------------------------------------------------------------

PET, DEAL, COMPANY = 10000, 149, 150
OBJECT_TYPES = [PET, DEAL, COMPANY]
SAMPLE: dict[int, dict[str, str]] = {
    PET: {"f2001": "P-1", "f2002": "Rex", "f2003": "1", "f2005": "12"},
    DEAL: {"name": "Big deal", "value": "1000", "sales_stage": "4"},
    COMPANY: {"name": "Acme", "industry": "Tools", "employee_count": "12"},
}
NAME = {PET: "f2002", DEAL: "name", COMPANY: "name"}


def _things(sandbox: SandboxHandle, object_id: int, count: int = 6, **extra: Any) -> list[int]:
    """Records named n0..n<count-1>; the first three are "Alpha", the rest "Beta" in a second field."""
    second = {PET: "f2001", DEAL: "value", COMPANY: "industry"}[object_id]
    return sandbox.seed_objects(
        object_id,
        [
            {NAME[object_id]: f"n{i}", second: "Alpha" if i < 3 else "Beta", **extra}
            if object_id != DEAL
            else {"name": f"n{i}", "value": str(100 * i), "sales_stage": "1" if i < 3 else "2", **extra}
            for i in range(count)
        ],
    )


def test_objects_meta_lists_every_object_type_and_custom_objects_by_id(api: Api) -> None:
    everything = api.ok("GET", "/objects/meta")["data"]
    assert list(everything) == ["0", "14", "149", "150", "10000"]
    assert {key: value["name"] for key, value in everything.items()} == {
        "0": "Contact",
        "14": "Tag",
        "149": "Deal",
        "150": "Company",
        "10000": "Pet",
    }
    custom = {
        key: value for key, value in everything.items() if int(key) >= 10000
    }  # SDK retrieveCustomObjects
    assert list(custom) == ["10000"]
    by_name = api.ok("GET", "/objects/meta", params={"format": "byName"})["data"]
    assert {"Contact", "Tag", "Deal", "Company", "Pet"} == set(by_name)
    for bad in (99, 10001):
        assert api.get("/objects/meta", objectID=bad).status_code == 400


def test_custom_object_meta_has_string_flags_unique_options_and_tag_list(api: Api) -> None:
    data = api.ok("GET", "/objects/meta", params={"objectID": PET, "format": "byId"})["data"]
    assert list(data) == ["10000"]
    fields = data["10000"]["fields"]
    assert fields["f2001"] == {
        "alias": "Pet ID",
        "type": "text",
        "required": "0",
        "unique": "1",
        "editable": "1",
        "deletable": "0",
    }
    assert fields["f2003"]["options"] == {"1": "Dog", "2": "Cat", "3": "Other"}
    assert fields["f2009"]["parent_object"] == "0"
    assert (fields["contact_cat"]["type"], fields["contact_cat"]["editable"]) == ("subscription", "0")
    for name in ("unique_id", "date", "dla", "dlm"):
        assert fields[name]["editable"] == "0"
    assert fields["owner"]["editable"] == "1"
    for flags in fields.values():
        assert all(isinstance(flags[key], str) for key in ("required", "unique", "editable", "deletable"))


def test_deal_and_company_meta(api: Api) -> None:
    deal = api.ok("GET", "/objects/meta", params={"objectID": DEAL})["data"]["149"]["fields"]
    assert {"name", "value", "sales_stage", "expected_close_date", "primary_contact", "contact_cat"} <= set(
        deal
    )
    assert deal["sales_stage"]["options"]["2"] == "Closed - Won"
    assert deal["company"]["parent_object"] == "150"
    company = api.ok("GET", "/objects/meta", params={"objectID": COMPANY})["data"]["150"]["fields"]
    assert {"name", "phone", "industry", "annual_revenue", "zipcode", "contact_cat"} <= set(company)
    assert not any(spec["unique"] == "1" for spec in [*deal.values(), *company.values()])


@pytest.mark.parametrize("object_id", OBJECT_TYPES)
def test_create_get_and_ids_per_object_type(api: Api, sandbox: SandboxHandle, object_id: int) -> None:
    sandbox.seed([{"email": "someone@example.com"}])
    sample = SAMPLE[object_id]
    created = api.ok("POST", "/objects", json={"objectID": object_id, **sample, "nonsense": "x", "date": "5"})
    assert created["data"] == {**sample, "id": "1", "owner": "1"}, "no use_utm_names outside contacts"
    form = api.ok("POST", "/objects", data={"objectID": str(object_id), NAME[object_id]: "Form"})["data"]
    assert form["id"] == "2"
    record = api.ok("GET", "/object", params={"objectID": object_id, "id": 1})["data"]
    meta = api.ok("GET", "/objects/meta", params={"objectID": object_id})["data"][str(object_id)]["fields"]
    assert set(record) == {"id", *meta}
    assert all(record[name] == value for name, value in sample.items())
    assert record["date"] != "5" and record["unique_id"] and record["contact_cat"] == ""
    assert all(isinstance(value, str) for value in record.values())
    missing = api.get("/object", objectID=object_id, id=99)
    assert (missing.status_code, missing.text) == (404, "Object not found")
    assert [c["id"] for c in sandbox.contacts()] == ["1"], "ids count per object type"
    assert [r["id"] for r in sandbox.objects(object_id)] == ["1", "2"]
    assert api.ok("POST", "/Contacts", data={"email": "next@example.com"})["data"]["id"] == "2"


@pytest.mark.parametrize("object_id", OBJECT_TYPES)
@pytest.mark.parametrize("status", [404, 400])
def test_update_by_id_or_unique_id_and_unknown_id(
    api: Api, sandbox: SandboxHandle, object_id: int, status: int
) -> None:
    sandbox.configure(not_found_status=status)
    (record_id,) = sandbox.seed_objects(
        object_id, [{**SAMPLE[object_id], "dlm": "1", "unique_id": "OBJ0001"}]
    )
    name = NAME[object_id]
    attrs = api.ok("PUT", "/objects", json={"objectID": object_id, "id": record_id, name: "Renamed"})["data"][
        "attrs"
    ]
    assert set(attrs) == {name, "dlm", "id"}
    assert int(attrs["dlm"]) > 1
    unchanged = api.ok("PUT", "/objects", json={"objectID": object_id, "id": record_id, name: "Renamed"})
    assert unchanged["data"]["attrs"] == {"id": str(record_id)}
    by_uid = api.ok("PUT", "/objects", data={"objectID": object_id, "unique_id": "OBJ0001", name: "Uid"})
    assert by_uid["data"]["attrs"]["id"] == str(record_id)
    missing = api.request("PUT", "/objects", json={"objectID": object_id, "id": 77, name: "x"})
    assert (missing.status_code, missing.text) == (status, "Object not found")
    assert missing.headers["Content-Type"] == "text/html;charset=UTF-8"
    assert api.request("PUT", "/objects", json={"objectID": object_id, name: "x"}).status_code == 400
    assert sandbox.objects(object_id)[0][name] == "Uid"


def test_invalid_email_in_a_custom_object_field(api: Api, sandbox: SandboxHandle) -> None:
    response = api.request("POST", "/objects", json={"objectID": PET, "f2006": "not-an-email"})
    assert (response.status_code, response.text) == (422, "Invalid email address")
    assert sandbox.objects(PET) == []
    api.ok("POST", "/objects", json={"objectID": PET, "f2006": "vet@example.com"})
    assert [r["f2006"] for r in sandbox.objects(PET)] == ["vet@example.com"]
    # getByEmail looks in a field named `email`, which only contacts have here
    no_email = api.get("/object/getByEmail", objectID=PET, email="vet@example.com")
    assert (no_email.status_code, no_email.text) == (400, "Object type 10000 has no email field")


@pytest.mark.parametrize("object_id", OBJECT_TYPES)
def test_list_objects_with_ids_paging_condition_fields_search_and_sort(
    api: Api, sandbox: SandboxHandle, object_id: int
) -> None:
    name = NAME[object_id]
    sandbox.seed_objects(object_id, [{name: f"item{i:03d}"} for i in range(120)])
    assert len(api.ok("GET", "/objects", params={"objectID": object_id})["data"]) == 50
    page = api.ok(
        "GET",
        "/objects",
        params={"objectID": object_id, "start": 100, "range": 500, "listFields": "id", "count": 1},
    )
    assert [r["id"] for r in page["data"]] == [str(i) for i in range(101, 121)]
    assert page["count"] == "120"
    by_ids = api.ok(
        "GET", "/objects", params={"objectID": object_id, "ids": "5,3,999", "listFields": f"id,{name}"}
    )
    assert by_ids["data"] == [{"id": "3", name: "item002"}, {"id": "5", name: "item004"}]
    wanted = ["ITEM007", "item011", "nothing"]
    found = api.ok(
        "GET",
        "/objects",
        params={"objectID": object_id, "condition": criteria(clause(name, "IN", wanted)), "listFields": "id"},
    )
    assert found["data"] == [{"id": "8"}, {"id": "12"}]
    legacy = api.ok("GET", "/objects", params={"objectID": object_id, "condition": f"{name} like 'item11%'"})
    assert len(legacy["data"]) == 10
    searched = api.ok(
        "GET", "/objects", params={"objectID": object_id, "search": "ITEM05", "listFields": "id"}
    )
    assert [r["id"] for r in searched["data"]] == [str(i) for i in range(51, 61)]
    ordered = api.ok(
        "GET",
        "/objects",
        params={"objectID": object_id, "sort": name, "sortDir": "desc", "range": 2, "listFields": name},
    )
    assert ordered["data"] == [{name: "item119"}, {name: "item118"}]
    unknown_field = api.get("/objects", objectID=object_id, condition=criteria(clause("email", "=", "x")))
    assert (unknown_field.status_code, unknown_field.text) == (400, "Invalid field in condition: email")
    info = api.ok(
        "GET", "/objects/getInfo", params={"objectID": object_id, "condition": f"{name} like 'item0%'"}
    )
    assert info["data"]["count"] == "100"
    assert api.ok("GET", "/objects/getInfo", params={"objectID": object_id})["data"]["count"] == "120"


def test_value_index_is_per_object_type(api: Api, sandbox: SandboxHandle) -> None:
    sandbox.seed_objects(PET, [{"f2001": f"PET-{i}"} for i in range(3000)])
    sandbox.seed_objects(COMPANY, [{"name": f"PET-{i}"} for i in range(10)])
    wanted = [f"pet-{i}" for i in range(0, 3000, 100)]
    condition = criteria(clause("f2001", "IN", wanted))
    found = api.ok("GET", "/objects", params={"objectID": PET, "condition": condition, "listFields": "id"})
    assert [int(r["id"]) for r in found["data"]] == [i + 1 for i in range(0, 3000, 100)]
    companies = api.ok(
        "GET", "/objects", params={"objectID": COMPANY, "condition": criteria(clause("name", "IN", wanted))}
    )
    assert [r["name"] for r in companies["data"]] == ["PET-0"]
    api.ok("PUT", "/objects", json={"objectID": PET, "id": 1, "f2001": "moved"})
    assert api.ok("GET", "/objects", params={"objectID": PET, "condition": "f2001='PET-0'"})["data"] == []
    assert api.ok(
        "GET", "/objects", params={"objectID": PET, "condition": "f2001='MOVED'", "listFields": "id"}
    )["data"] == [{"id": "1"}]


def test_custom_object_saveorupdate_merges_on_its_unique_field(api: Api, sandbox: SandboxHandle) -> None:
    created = api.ok(
        "POST", "/objects/saveorupdate", data={"objectID": PET, "f2001": "Tag-9", "f2002": "Rex"}
    )
    assert created["data"] == {"f2001": "Tag-9", "f2002": "Rex", "id": "1", "owner": "1"}
    merged = api.ok("POST", "/objects/saveorupdate", json={"objectID": PET, "f2001": "TAG-9", "f2005": 30})
    assert merged["data"]["attrs"]["id"] == "1"
    assert merged["data"]["attrs"]["f2005"] == "30"
    no_key = api.ok("POST", "/objects/saveorupdate", json={"objectID": PET, "f2002": "Nameless"})
    assert no_key["data"]["id"] == "2", "no unique field supplied: a new record"
    by_id = api.ok("POST", "/objects/saveorupdate", json={"objectID": PET, "id": 1, "f2002": "x"})
    assert by_id["data"]["id"] == "3", "id never selects a record"
    uid = sandbox.objects(PET)[1]["unique_id"]
    by_uid = api.ok(
        "POST", "/objects/saveorupdate", json={"objectID": PET, "unique_id": uid, "f2001": "Tag-9"}
    )
    assert by_uid["data"]["attrs"]["id"] == "2", "unique_id wins over the unique field"
    blanks = api.ok(
        "POST",
        "/objects/saveorupdate",
        json={"objectID": PET, "f2001": "tag-9", "f2002": "", "ignore_blanks": 1},
    )
    assert "f2002" not in blanks["data"]["attrs"]
    assert [r["f2002"] for r in sandbox.objects(PET)] == ["Rex", "Nameless", "x"]


@pytest.mark.parametrize("object_id", [DEAL, COMPANY])
def test_saveorupdate_without_a_unique_field_creates_unless_unique_id_matches(
    api: Api, sandbox: SandboxHandle, object_id: int
) -> None:
    sample = SAMPLE[object_id]
    first = api.ok("POST", "/objects/saveorupdate", json={"objectID": object_id, **sample})
    second = api.ok("POST", "/objects/saveorupdate", json={"objectID": object_id, **sample})
    assert (first["data"]["id"], second["data"]["id"]) == ("1", "2")
    uid = sandbox.objects(object_id)[0]["unique_id"]
    merged = api.ok(
        "POST",
        "/objects/saveorupdate",
        data={"objectID": object_id, "unique_id": uid, NAME[object_id]: "New"},
    )
    assert merged["data"]["attrs"] == {
        NAME[object_id]: "New",
        "dlm": merged["data"]["attrs"]["dlm"],
        "id": "1",
    }


@pytest.mark.parametrize("mode", ["insensitive", "sensitive"])
def test_text_case_in_custom_object_matching(api: Api, sandbox: SandboxHandle, mode: str) -> None:
    sandbox.configure(text_case=mode)
    sandbox.seed_objects(PET, [{"f2001": "Tag-1", "f2002": "Rex"}])
    result = api.ok("POST", "/objects/saveorupdate", json={"objectID": PET, "f2001": "TAG-1"})["data"]
    found = api.ok(
        "GET", "/objects", params={"objectID": PET, "condition": "f2002='REX'", "listFields": "id"}
    )
    if mode == "insensitive":
        assert result["attrs"]["id"] == "1"
        assert found["data"] == [{"id": "1"}]
    else:
        assert result["id"] == "2"
        assert found["data"] == []


@pytest.mark.parametrize("phase", ["before", "after"])
def test_save_failed_on_custom_object_saveorupdate(api: Api, sandbox: SandboxHandle, phase: str) -> None:
    sandbox.configure(save_failed_rate=1, save_failed_status=500, fault_phase=phase)
    response = api.request("POST", "/objects/saveorupdate", json={"objectID": PET, "f2001": "S-1"})
    assert (response.status_code, response.text) == (500, "Save failed!")
    assert len(sandbox.objects(PET)) == (1 if phase == "after" else 0)
    assert api.request("POST", "/objects", json={"objectID": PET, "f2001": "S-2"}).status_code == 200


@pytest.mark.parametrize("object_id", OBJECT_TYPES)
def test_delete_objects_one_many_and_everything_of_one_type(
    api: Api, sandbox: SandboxHandle, object_id: int
) -> None:
    sandbox.seed([{"email": "stays@example.com"}])
    other = COMPANY if object_id != COMPANY else PET
    _things(sandbox, other, 2)
    ids = _things(sandbox, object_id, 8)
    assert api.ok("DELETE", "/object", params={"objectID": object_id, "id": ids[0]}) == {
        "code": 0,
        "account_id": 50,
    }
    assert api.request("DELETE", "/object", params={"objectID": object_id, "id": ids[0]}).status_code == 404
    assert api.ok("DELETE", "/objects", params={"objectID": object_id, "ids": f"{ids[1]},{ids[2]},999"})[
        "data"
    ] == ("Deleted")
    api.ok("DELETE", "/objects", json={"objectID": object_id, "ids": [ids[3]]})
    api.ok("DELETE", "/objects", params={"objectID": object_id, "condition": f"{NAME[object_id]}='n4'"})
    assert [r["id"] for r in sandbox.objects(object_id)] == [str(i) for i in ids[5:]]
    assert sandbox.stats()["delete_all"] == 0
    api.ok("DELETE", "/objects", params={"objectID": object_id})
    assert sandbox.objects(object_id) == []
    assert sandbox.stats()["delete_all"] == 1
    assert len(sandbox.contacts()) == 1 and len(sandbox.objects(other)) == 2, "only that type went"
    created = api.ok("POST", "/objects", json={"objectID": object_id, **SAMPLE[object_id]})["data"]
    assert created["id"] == "9", "ids are never reused"


@pytest.mark.parametrize("mode", ["ignore", "read"])
def test_delete_form_body_on_custom_objects(api: Api, sandbox: SandboxHandle, mode: str) -> None:
    sandbox.configure(delete_form_body=mode)
    _things(sandbox, PET, 4)
    api.ok("DELETE", f"/objects?objectID={PET}", data={"ids": "1,2"})
    if mode == "ignore":
        assert sandbox.objects(PET) == []
        assert sandbox.stats()["delete_all"] == 1
    else:
        assert [r["id"] for r in sandbox.objects(PET)] == ["3", "4"]
        assert sandbox.stats()["delete_all"] == 0


@pytest.mark.parametrize("overreach", [0, 1])
def test_delete_overreach_on_deals(api: Api, sandbox: SandboxHandle, overreach: int) -> None:
    sandbox.configure(delete_overreach=overreach)
    _things(sandbox, DEAL, 5)
    api.ok("DELETE", "/objects", params={"objectID": DEAL, "ids": "2,3"})
    assert [r["id"] for r in sandbox.objects(DEAL)] == (["1", "4", "5"] if overreach == 0 else ["4", "5"])
    assert sandbox.stats()["overreach_deleted"] == overreach


@pytest.mark.parametrize("mode", ["selects", "nothing"])
@pytest.mark.parametrize("object_id", OBJECT_TYPES)
def test_condition_without_ids_on_objects(
    api: Api, sandbox: SandboxHandle, mode: str, object_id: int
) -> None:
    sandbox.configure(condition_without_ids=mode)
    _things(sandbox, object_id, 6)
    condition = f"{NAME[object_id]} IN ('n1', 'n4')"
    plain = api.ok(
        "GET", "/objects", params={"objectID": object_id, "condition": condition, "listFields": "id"}
    )
    assert plain["data"] == ([] if mode == "nothing" else [{"id": "2"}, {"id": "5"}])
    all_ids = api.ok(
        "GET",
        "/objects",
        params={"objectID": object_id, "ids": 0, "condition": condition, "listFields": "id"},
    )
    assert all_ids["data"] == [{"id": "2"}, {"id": "5"}]
    info = api.ok("GET", "/objects/getInfo", params={"objectID": object_id, "condition": condition})
    assert info["data"]["count"] == "2"


# --- tags on other object types ----------------------------------------------------------------


@pytest.mark.parametrize("object_id", OBJECT_TYPES)
def test_tags_are_per_object_type(api: Api, sandbox: SandboxHandle, object_id: int) -> None:
    (contact,) = sandbox.seed([{"email": "c@example.com"}])
    ids = _things(sandbox, object_id, 4)
    contact_vip = api.ok("POST", "/Tags", data={"tag_name": "VIP"})["data"]["tag_id"]
    own_vip = api.ok("POST", "/Tags", json={"tag_name": "VIP", "object_type_id": object_id})["data"]
    assert own_vip["object_type_id"] == str(object_id), "the same name in another object type is allowed"
    duplicate = api.request("POST", "/Tags", json={"tag_name": "vip", "object_type_id": object_id})
    assert (duplicate.status_code, duplicate.text) == (400, "Tag already exists")
    tagged = api.ok(
        "PUT",
        "/objects/tag",
        data={
            "objectID": object_id,
            "add_list": f"{own_vip['tag_id']},{contact_vip}",
            "ids": f"{ids[0]},{ids[1]}",
        },
    )
    assert tagged["data"] == "The tag is now being processed."
    records = sandbox.objects(object_id)
    assert records[0]["tags"] == ["VIP"] and records[2]["tags"] == []
    assert records[0]["contact_cat"] == f"*/*{own_vip['tag_id']}*/*", (
        "a contact tag is ignored on another type"
    )
    assert sandbox.contacts()[0]["tags"] == []
    api.ok("PUT", "/objects/tag", params={"objectID": 0, "add_list": contact_vip, "ids": contact})
    assert sandbox.contacts()[0]["tags"] == ["VIP"]
    with_tag = api.ok(
        "GET", "/objects/tag", params={"objectID": object_id, "tag_id": own_vip["tag_id"], "listFields": "id"}
    )
    assert with_tag["data"] == [{"id": str(ids[0])}, {"id": str(ids[1])}]
    by_name = api.ok("GET", "/objects/tag", params={"objectID": object_id, "tag_name": "vip", "count": 1})
    assert by_name["count"] == "2"
    other = api.ok("GET", "/objects/tag", params={"objectID": object_id, "tag_id": contact_vip})
    assert other["data"] == [], "a tag of another type carries none of these records"
    api.ok(
        "DELETE",
        "/objects/tag",
        params={"objectID": object_id, "remove_list": own_vip["tag_id"], "ids": ids[0]},
    )
    assert [r["tags"] for r in sandbox.objects(object_id)][:2] == [[], ["VIP"]]
    single = api.ok("GET", "/object", params={"objectID": object_id, "id": ids[1]})["data"]
    assert single["contact_cat"] == f"*/*{own_vip['tag_id']}*/*"


@pytest.mark.parametrize("object_id", OBJECT_TYPES)
def test_tag_by_name_on_other_object_types(api: Api, sandbox: SandboxHandle, object_id: int) -> None:
    ids = _things(sandbox, object_id, 3)
    api.ok(
        "PUT", "/objects/tagByName", json={"objectID": object_id, "ids": ids[:2], "add_names": ["Hot", "New"]}
    )
    assert [(t["tag_name"], t["object_type_id"]) for t in sandbox.tags()] == [
        ("Hot", str(object_id)),
        ("New", str(object_id)),
    ]
    api.ok("PUT", "/objects/tagByName", json={"objectID": 0, "performAll": 1, "add_names": ["Hot"]})
    assert len(sandbox.tags()) == 3, "the contacts' Hot is another tag"
    api.ok(
        "DELETE",
        "/objects/tagByName",
        json={"objectID": object_id, "ids": [ids[0]], "remove_names": ["HOT", "x"]},
    )
    assert [r["tags"] for r in sandbox.objects(object_id)] == [["New"], ["Hot", "New"], []]
    hot = sandbox.tags()[0]["tag_id"]
    api.ok("DELETE", "/Tag", params={"id": hot})
    assert [r["tags"] for r in sandbox.objects(object_id)] == [["New"], ["New"], []]


@pytest.mark.parametrize("mode", ["returned", "never"])
def test_collection_contact_cat_on_custom_objects(api: Api, sandbox: SandboxHandle, mode: str) -> None:
    sandbox.configure(collection_contact_cat=mode)
    (pet,) = sandbox.seed_objects(PET, [{"f2001": "T-1", "tags": ["Good"]}])
    tag = sandbox.tags()[0]["tag_id"]
    rows = [
        api.ok("GET", "/objects", params={"objectID": PET, "listFields": "id,contact_cat"})["data"][0],
        api.ok("GET", "/objects", params={"objectID": PET})["data"][0],
        api.ok("GET", "/objects/tag", params={"objectID": PET, "tag_id": tag})["data"][0],
    ]
    for row in rows:
        assert ("contact_cat" in row) == (mode == "returned")
    single = api.ok("GET", "/object", params={"objectID": PET, "id": pet})["data"]
    assert single["contact_cat"] == f"*/*{tag}*/*"


def test_object_type_without_tags_refuses_tag_actions(api: Api, sandbox: SandboxHandle) -> None:
    sandbox.declare({"objects": {"10001": {"name": "Invoice Note", "fields": {"f3001": {"type": "text"}}}}})
    try:
        (record,) = sandbox.seed_objects(10001, [{"f3001": "x"}])
        fields = api.ok("GET", "/objects/meta", params={"objectID": 10001})["data"]["10001"]["fields"]
        assert "contact_cat" not in fields
        for method, path, body in (
            ("PUT", "/objects/tag", {"objectID": 10001, "add_list": 1, "ids": record}),
            ("PUT", "/objects/tagByName", {"objectID": 10001, "ids": [record], "add_names": ["X"]}),
            ("GET", "/objects/tag", {"objectID": 10001, "tag_id": 1}),
        ):
            response = (
                api.request(method, path, params=body)
                if method == "GET"
                else api.request(method, path, json=body)
            )
            assert (response.status_code, response.text) == (400, "Object type 10001 has no tags")
        with pytest.raises(SandboxError):
            sandbox.seed_objects(10001, [{"f3001": "y", "tags": ["T"]}])
        assert "tags" not in sandbox.objects(10001)[0]
    finally:
        sandbox.declare({"objects": {"10001": None}})


# --- seeding the schema and the records ----------------------------------------------------------


def test_meta_file_declares_object_types(tmp_path: Path) -> None:
    meta = {
        "fields": {"f1007": None},
        "objects": {
            "10005": {
                "name": "Course",
                "plural": "Courses",
                "tags": False,
                "fields": {
                    "f4001": {"alias": "Course Code", "type": "text", "unique": "1"},
                    "f4002": {
                        "alias": "Level",
                        "type": "drop",
                        "options": {"1": "Beginner", "2": "Advanced"},
                    },
                },
            },
            "149": None,
            "150": {"fields": {"f5001": {"alias": "Tax Number", "type": "text", "unique": True}}},
        },
    }
    path = tmp_path / "meta.json"
    path.write_text(json.dumps(meta))
    with running_sandbox(meta=str(path)) as handle:
        session = requests.Session()
        session.headers.update(handle.headers)
        everything = session.get(f"{handle.url}/objects/meta", timeout=TIMEOUT).json()["data"]
        assert list(everything) == ["0", "14", "150", "10000", "10005"]
        assert "f1007" not in everything["0"]["fields"]
        course = everything["10005"]
        assert course["name"] == "Course"
        assert list(course["fields"])[:2] == ["f4001", "f4002"]
        assert {"owner", "unique_id", "date", "dla", "dlm"} <= set(course["fields"])
        assert "contact_cat" not in course["fields"]
        assert everything["150"]["fields"]["f5001"]["unique"] == "1"
        assert "industry" in everything["150"]["fields"], "a known type keeps the fields the document omits"
        first = session.post(
            f"{handle.url}/objects/saveorupdate", json={"objectID": 150, "f5001": "T-1"}, timeout=TIMEOUT
        )
        again = session.post(
            f"{handle.url}/objects/saveorupdate",
            json={"objectID": 150, "f5001": "t-1", "name": "X"},
            timeout=TIMEOUT,
        )
        assert (first.json()["data"]["id"], again.json()["data"]["attrs"]["id"]) == ("1", "1")
        assert (
            session.get(f"{handle.url}/objects", params={"objectID": 149}, timeout=TIMEOUT).status_code == 400
        )
        assert handle.meta()["objects"]["10005"]["plural"] == "Courses"
        session.close()


def test_bad_meta_documents_are_refused_as_a_whole(sandbox: SandboxHandle, tmp_path: Path) -> None:
    before = sandbox.meta()
    bad: dict[str, Any]
    for bad in (
        {"objects": {"10002": {"fields": {}}}},  # a new type needs a name
        {"objects": {"0": {"name": "Contact"}}},  # contacts are shaped by `fields`
        {"objects": {"14": {"name": "Tag"}}},
        {"objects": {"abc": {"name": "X"}}},
        {"objects": {"10002": {"name": "X", "colour": "red"}}},
        {"objects": {"10002": {"name": "X", "tags": "yes"}}},
        {"objects": {"10002": {"name": "X", "fields": {"f1": {"type": "blob"}}}}},
        {"objects": {"10002": {"name": "X"}}, "extra": 1},
        {"objects": {"10003": {"name": "Fine"}, "10004": {"name": ""}}},
    ):
        with pytest.raises(SandboxError):
            sandbox.declare(bad)
    assert sandbox.meta() == before
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"objects": {"14": {"name": "Tag"}}}))
    with pytest.raises(SandboxError), running_sandbox(meta=str(path)):
        pass


def test_declare_at_run_time_and_seed_records_of_any_type(api: Api, sandbox: SandboxHandle) -> None:
    schema = sandbox.declare(
        {
            "objects": {
                "10002": {
                    "name": "Horse",
                    "tags": True,
                    "fields": {"f6001": {"alias": "Chip", "type": "text"}},
                }
            }
        }
    )
    try:
        assert schema["objects"]["10002"]["plural"] == "Horses"
        ids = sandbox.seed_objects(
            10002, [{"id": 40, "f6001": "A", "tags": ["Fast"], "dlm": "1000", "unknown": "x"}, {"f6001": "B"}]
        )
        assert ids == [40, 41]
        horses = sandbox.objects(10002)
        assert [(h["id"], h["f6001"], h["tags"], h["dlm"]) for h in horses] == [
            ("40", "A", ["Fast"], "1000"),
            ("41", "B", [], horses[1]["dlm"]),
        ]
        assert "unknown" not in horses[0]
        assert sandbox.tags()[0]["object_type_id"] == "10002"
        assert api.ok("GET", "/objects", params={"objectID": 10002, "listFields": "id"})["data"] == [
            {"id": "40"},
            {"id": "41"},
        ]
        with pytest.raises(SandboxError):
            sandbox.seed_objects(10002, [{"id": 40}])
        with pytest.raises(SandboxError):
            sandbox.seed_objects(99999, [{"f6001": "x"}])
        assert sandbox.stats()["objects"]["10002"] == 2
        assert sandbox.stats()["total_requests"] == 1, "admin calls are not counted"
    finally:
        sandbox.declare({"objects": {"10002": None}})
    assert api.get("/objects", objectID=10002).status_code == 400
    assert sandbox.tags() == [], "a removed type's tags go with it"


def test_reset_clears_every_object_type_and_keeps_the_schema(sandbox: SandboxHandle) -> None:
    sandbox.declare({"objects": {"10003": {"name": "Thing"}}})
    try:
        for object_id in (*OBJECT_TYPES, 10003):
            sandbox.seed_objects(
                object_id, [{"owner": "2", "tags": ["T"]} if object_id != 10003 else {"owner": "2"}]
            )
        assert sandbox.stats()["objects"] == {"149": 1, "150": 1, "10000": 1, "10003": 1}
        sandbox.reset()
        assert all(sandbox.objects(object_id) == [] for object_id in (*OBJECT_TYPES, 10003))
        assert sandbox.tags() == []
        assert "10003" in sandbox.meta()["objects"]
        assert sandbox.seed_objects(PET, [{"f2001": "again"}]) == [1], "ids start again at 1"
    finally:
        sandbox.declare({"objects": {"10003": None}})


def test_generic_routes_refuse_unknown_object_types(api: Api) -> None:
    for method, path in (
        ("GET", "/objects"),
        ("GET", "/object"),
        ("POST", "/objects"),
        ("PUT", "/objects"),
        ("DELETE", "/objects"),
        ("DELETE", "/object"),
        ("POST", "/objects/saveorupdate"),
        ("GET", "/objects/getInfo"),
        ("PUT", "/objects/tag"),
    ):
        response = api.request(method, path, params={"objectID": 12345, "id": 1, "ids": 1})
        assert (response.status_code, response.text) == (400, "Invalid objectID 12345"), (method, path)
    assert (
        api.request("POST", "/objects/saveorupdate", json={"objectID": 14, "tag_name": "x"}).status_code
        == 400
    )


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
