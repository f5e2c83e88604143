"""The HTTP trace and the engine's watchers, against requests-mock: one line per attempt, every secret
masked in every spelling before anything is cut, no header written; and the one DELETE with a body
the engine lets through (the account doctor's probe), only when the query names the records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import pytest
import requests
import requests_mock

from destination_ontraport.model.mapping import FieldCatalog
from destination_ontraport.model.objects import ObjectType
from destination_ontraport.ontraport.client import OntraportClient
from destination_ontraport.ontraport.engine import ApiRequest
from destination_ontraport.ontraport.errors import TransientError, UnsafeRequestError
from destination_ontraport.ontraport.exchange import Exchange
from destination_ontraport.ontraport.pacing import RateHeaders
from destination_ontraport.ontraport.settings import EngineSettings, Timing
from destination_ontraport.ontraport.trace import BODY_EXCERPT_CHARS, HttpTrace, TraceFileError

BASE = "https://api.test/1"
CONTACTS = ObjectType(0, "Contact", FieldCatalog(()))
APP_ID = "2_AppID_12345678"
KEY = "Key5678-super/secret+value"
STORAGE_SECRET = "a2shaugRPlpKMhBi+P//O/lvNu9i2Rc/0c8fzu4n"
RATE = {"X-Rate-Limit-Limit": "180", "X-Rate-Limit-Remaining": "171", "X-Rate-Limit-Reset": "23"}


@pytest.fixture
def client() -> Iterator[OntraportClient]:
    made = OntraportClient(
        EngineSettings(BASE, APP_ID, KEY, max_attempts=3), Timing(sleep=lambda _: None, jitter=lambda: 0.0)
    )
    yield made
    made.close()


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_every_attempt_is_one_line_with_what_was_sent_and_answered(
    client: OntraportClient, tmp_path: Path
) -> None:
    trace = tmp_path / "trace.jsonl"
    client.watch(HttpTrace(trace, [KEY, APP_ID]))
    with requests_mock.Mocker() as mock:
        mock.post(
            f"{BASE}/Contacts/saveorupdate",
            [
                {"status_code": 503, "text": "busy", "headers": RATE},
                {"json": {"code": 0, "data": {"id": "7"}}, "headers": RATE},
            ],
        )
        client.save_or_update(CONTACTS, {"email": "a@example.com", "firstname": "Ann"})
        mock.get(f"{BASE}/Contacts", json={"code": 0, "data": [{"id": "7"}]}, headers=RATE)
        client.find(CONTACTS, "email", ["a@example.com"], ["id"])
    first, second, third = lines(trace)
    assert (first["method"], first["path"], first["status"], first["response_body"]) == (
        "POST",
        "/Contacts/saveorupdate",
        503,
        "busy",
    )
    assert first["request_body"] == "email=a%40example.com&firstname=Ann"
    assert first["rate"] == {"limit": 180, "remaining": 171, "reset": 23.0}
    assert second["status"] == 200 and json.loads(second["response_body"])["data"] == {"id": "7"}
    assert third["method"] == "GET" and "a@example.com" in third["query"]["condition"]
    assert all(isinstance(line["ms"], float) and line["failure"] is None for line in (first, second, third))


def test_a_request_without_an_answer_is_traced_with_the_failure(
    client: OntraportClient, tmp_path: Path
) -> None:
    trace = tmp_path / "trace.jsonl"
    client.watch(HttpTrace(trace, [KEY, APP_ID]))
    with requests_mock.Mocker() as mock:
        mock.get(f"{BASE}/Contacts/getInfo", exc=requests.exceptions.ReadTimeout)
        with pytest.raises(TransientError):
            client.count(CONTACTS)
    traced = lines(trace)
    assert len(traced) == 3  # every attempt
    assert all(line["status"] is None and line["failure"] == "read timeout" for line in traced)


def test_no_header_and_no_secret_reaches_the_file_in_any_spelling(
    client: OntraportClient, tmp_path: Path
) -> None:
    """Values that are secrets (a record holding the key, a tag named like the storage secret) are
    masked as sent (URL-encoded in a form or a query, JSON-escaped in a body) and as answered."""
    trace = tmp_path / "trace.jsonl"
    client.watch(HttpTrace(trace, [KEY, APP_ID, STORAGE_SECRET]))
    echo = {"code": 0, "data": {"attrs": {"id": "7", "firstname": KEY, "lastname": STORAGE_SECRET}}}
    with requests_mock.Mocker() as mock:
        mock.post(f"{BASE}/Contacts/saveorupdate", json=echo)
        client.save_or_update(
            CONTACTS, {"email": "a@example.com", "firstname": KEY, "lastname": STORAGE_SECRET}
        )
        mock.post(f"{BASE}/objects", json={"code": 0, "data": {"id": "1", "note": APP_ID}})
        client.create(ObjectType(10000, "Pet", FieldCatalog(())), {"f2002": STORAGE_SECRET})
        mock.get(f"{BASE}/Tags", json={"code": 0, "data": []})
        client.find_tags([KEY, APP_ID])
        sent = [request.headers for request in mock.request_history]
    text = trace.read_text(encoding="utf-8")
    assert all(headers["Api-Key"] == KEY for headers in sent)  # they were sent, as headers
    for secret in (KEY, APP_ID, STORAGE_SECRET):
        for spelling in (secret, quote_plus(secret), json.dumps(secret)[1:-1], secret[:12], secret[-12:]):
            assert spelling not in text, spelling
    assert "Api-Key" not in text and "Api-Appid" not in text
    assert text.count("***") >= 8


def test_secrets_are_masked_before_a_long_value_is_cut() -> None:
    trace = HttpTrace("/dev/null", [KEY])
    cut_inside_the_key = "x" * (BODY_EXCERPT_CHARS - 5) + KEY + "y" * 100
    kept = trace.redact(cut_inside_the_key, BODY_EXCERPT_CHARS)
    assert KEY[:5] not in kept and kept.startswith("x" * (BODY_EXCERPT_CHARS - 5) + "***")
    assert kept.endswith("more characters)")


def test_a_short_secret_is_masked_as_a_whole_value_only() -> None:
    trace = HttpTrace("/dev/null", ["ab"])
    assert trace.redact("ab", 100) == "***"
    assert trace.redact("table", 100) == "table"  # masking every 'ab' would say nothing and hide much
    exchange = Exchange("GET", "/Tags", {"tag_name": "ab"}, "", 200, 1.0, RateHeaders(), "")
    assert trace.entry(exchange)["query"] == {"tag_name": "***"}


def test_a_trace_file_that_cannot_be_written_is_a_setting_to_fix(tmp_path: Path) -> None:
    with pytest.raises(TraceFileError, match="cannot be written") as info:
        HttpTrace(tmp_path / "no-such-folder" / "trace.jsonl", [KEY])
    assert KEY not in str(info.value)


def test_without_a_watcher_nothing_is_built(client: OntraportClient) -> None:
    with requests_mock.Mocker() as mock:
        mock.get(f"{BASE}/Contacts/getInfo", json={"code": 0, "data": {"count": "3"}})
        assert client.count(CONTACTS) == 3
    seen: list[Exchange] = []
    client.watch(seen.append)
    with requests_mock.Mocker() as mock:
        mock.get(f"{BASE}/Contacts/getInfo", json={"code": 0, "data": {"count": "4"}}, status_code=200)
        assert client.count(CONTACTS) == 4
    assert [(e.method, e.path, e.status) for e in seen] == [("GET", "/Contacts/getInfo", 200)]


# --- the one DELETE with a body: the doctor's probe ------------------------------------------------
def test_the_delete_probe_goes_out_with_its_ids_in_the_query_and_only_remove_list_in_the_body(
    client: OntraportClient,
) -> None:
    with requests_mock.Mocker() as mock:
        mock.delete(f"{BASE}/objects/tag", json={"code": 0, "data": "The tag is now being processed."})
        client.send(
            ApiRequest(
                "DELETE",
                "/objects/tag",
                params={"objectID": "0", "ids": "12"},
                form={"remove_list": "3"},
                form_on_delete=True,
            )
        )
        (request,) = mock.request_history
    assert request.qs == {"objectid": ["0"], "ids": ["12"]}
    assert request.text == "remove_list=3"


@pytest.mark.parametrize(
    "request_",
    [
        # not asked for: every DELETE with a body is refused, as before
        ApiRequest(
            "DELETE", "/objects/tag", params={"objectID": "0", "ids": "12"}, form={"remove_list": "3"}
        ),
        # a selector in the body: dropped with the body, the query would name nobody
        ApiRequest("DELETE", "/Contacts", form={"ids": "12"}, form_on_delete=True),
        ApiRequest(
            "DELETE", "/objects/tag", params={"ids": "12"}, form={"objectID": "0"}, form_on_delete=True
        ),
        ApiRequest(
            "DELETE", "/objects/tag", params={"ids": "12"}, form={"performAll": "1"}, form_on_delete=True
        ),
        # the query's ids not explicit positive ids
        ApiRequest(
            "DELETE", "/objects/tag", params={"ids": "0"}, form={"remove_list": "3"}, form_on_delete=True
        ),
        ApiRequest(
            "DELETE", "/objects/tag", params={"ids": ""}, form={"remove_list": "3"}, form_on_delete=True
        ),
        ApiRequest("DELETE", "/objects/tag", form={"remove_list": "3"}, form_on_delete=True),
        ApiRequest(
            "DELETE", "/objects/tag", params={"ids": "12,x"}, form={"remove_list": "3"}, form_on_delete=True
        ),
        # a JSON body is never the probe
        ApiRequest(
            "DELETE", "/objects/tag", params={"ids": "12"}, json={"remove_list": [3]}, form_on_delete=True
        ),
    ],
)
def test_any_other_delete_with_a_body_is_refused_before_it_is_sent(
    client: OntraportClient, request_: ApiRequest
) -> None:
    with requests_mock.Mocker() as mock:
        with pytest.raises(UnsafeRequestError, match="with a body"):
            client.send(request_)
        assert mock.request_history == []
