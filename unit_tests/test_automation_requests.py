"""Campaigns and sequences on the wire (requests-mock): the requests as Ontraport's SDK sends them,
never one without explicit contact ids, never a subscribe sent twice; and the account's lists by name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests_mock

from destination_ontraport.account.automation_book import AutomationBook, require_configured
from destination_ontraport.model.automations import ListKind
from destination_ontraport.model.problems import ConfigProblem, RecordRejected
from destination_ontraport.ontraport.client import MAX_REQUEST_LINE, OntraportClient
from destination_ontraport.ontraport.errors import AmbiguousWriteError, UnsafeRequestError
from destination_ontraport.ontraport.settings import EngineSettings, Timing

BASE = "https://api.test/1"
HEADERS = {"Content-Type": "application/json"}


def envelope(data: Any) -> dict[str, Any]:
    return {"json": {"code": 0, "data": data, "account_id": 50}, "headers": HEADERS}


@pytest.fixture
def client() -> Iterator[OntraportClient]:
    settings = EngineSettings(BASE, "app", "key-123", max_attempts=4)
    made = OntraportClient(settings, Timing(sleep=lambda seconds: None, jitter=lambda: 0.0))
    yield made
    made.close()


@pytest.fixture
def mock() -> Iterator[requests_mock.Mocker]:
    with requests_mock.Mocker() as m:
        yield m


def form(request: Any) -> dict[str, str]:
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    return {k: v[0] for k, v in parse_qs(request.text).items()}


def query(request: Any) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}


# --- subscribe / unsubscribe -----------------------------------------------------------------------
def test_subscribe_is_a_form_put_with_objectid_0_add_list_ids_and_a_capitalised_sub_type(
    client: OntraportClient, mock: requests_mock.Mocker
) -> None:
    mock.put(f"{BASE}/objects/subscribe", **envelope("The subscription is now being processed."))
    client.subscribe(ListKind.CAMPAIGN, ["3", "5"], ["11", "12"])
    client.subscribe(ListKind.SEQUENCE, ["7"], ["11"])
    first, second = mock.request_history
    assert form(first) == {"objectID": "0", "add_list": "3,5", "ids": "11,12", "sub_type": "Campaign"}
    assert form(second)["sub_type"] == "Sequence"
    assert urlsplit(first.url).query == ""


def test_unsubscribe_is_a_delete_with_every_parameter_in_the_query_and_no_body(
    client: OntraportClient, mock: requests_mock.Mocker
) -> None:
    mock.delete(f"{BASE}/objects/subscribe", **envelope("The subscription is now being processed."))
    client.unsubscribe(ListKind.SEQUENCE, ["7"], ["11", "12"])
    (request,) = mock.request_history
    assert request.body is None
    assert query(request) == {"objectID": "0", "remove_list": "7", "ids": "11,12", "sub_type": "Sequence"}


def test_a_long_unsubscribe_is_cut_into_request_lines_a_server_accepts(
    client: OntraportClient, mock: requests_mock.Mocker
) -> None:
    mock.delete(f"{BASE}/objects/subscribe", **envelope("ok"))
    ids = [str(10_000_000 + i) for i in range(2000)]
    client.unsubscribe(ListKind.CAMPAIGN, ["3"], ids)
    sent = [query(r)["ids"].split(",") for r in mock.request_history]
    assert len(sent) > 1 and [i for chunk in sent for i in chunk] == ids
    assert all(
        len(f"DELETE {urlsplit(r.url).path}?{urlsplit(r.url).query} HTTP/1.1") <= MAX_REQUEST_LINE
        for r in mock.request_history
    )


@pytest.mark.parametrize("ids", [[], ["0"], ["3", "abc"], ["-1"], "11,12"])
def test_no_subscription_change_without_explicit_positive_contact_ids(
    client: OntraportClient, mock: requests_mock.Mocker, ids: Any
) -> None:
    with pytest.raises(UnsafeRequestError, match="every record"):
        client.subscribe(ListKind.CAMPAIGN, ["3"], ids)
    with pytest.raises(UnsafeRequestError, match="every record"):
        client.unsubscribe(ListKind.CAMPAIGN, ["3"], ids)
    with pytest.raises(UnsafeRequestError, match="campaign or sequence ids"):
        client.subscribe(ListKind.CAMPAIGN, [], ["11"])
    assert mock.request_history == []


def test_a_subscribe_whose_answer_never_came_is_not_sent_again(
    client: OntraportClient, mock: requests_mock.Mocker
) -> None:
    """Whether a second subscribe restarts a campaign is not settled: a 5xx after sending (it may
    have taken effect) raises at once; an unsubscribe, which changes nothing twice, is retried."""
    mock.put(f"{BASE}/objects/subscribe", status_code=502, text="Bad Gateway")
    with pytest.raises(AmbiguousWriteError):
        client.subscribe(ListKind.CAMPAIGN, ["3"], ["11"])
    assert len(mock.request_history) == 1
    mock.delete(f"{BASE}/objects/subscribe", [{"status_code": 502, "text": "Bad Gateway"}, envelope("ok")])
    client.unsubscribe(ListKind.CAMPAIGN, ["3"], ["11"])
    assert [r.method for r in mock.request_history] == ["PUT", "DELETE", "DELETE"]


def test_read_contact_is_the_single_read(client: OntraportClient, mock: requests_mock.Mocker) -> None:
    mock.get(f"{BASE}/Contact", **envelope({"id": "11", "updateCampaign": "*/*3*/*"}))
    assert client.read_contact("11")["updateCampaign"] == "*/*3*/*"
    assert query(mock.last_request) == {"id": "11"}


# --- the account's lists by name ---------------------------------------------------------------------
def campaigns_page(rows: list[dict[str, str]]) -> dict[str, Any]:
    return envelope(rows)


def test_campaigns_are_paged_and_resolved_trimmed_ignoring_case_without_deleted_ones(
    client: OntraportClient, mock: requests_mock.Mocker
) -> None:
    full = [{"id": str(i), "name": f"Campaign {i}", "deleted": "0"} for i in range(1, 51)]
    last = [
        {"id": "51", "name": " Onboarding ", "deleted": "0"},
        {"id": "52", "name": "onboarding", "deleted": "1"},
    ]
    mock.get(f"{BASE}/CampaignBuilderItems", [envelope(full), envelope(last)])
    book = AutomationBook(client)
    assert book.for_record(ListKind.CAMPAIGN, ["ONBOARDING  ", "campaign 7"], "Add to Campaigns") == {
        (ListKind.CAMPAIGN, "51"),
        (ListKind.CAMPAIGN, "7"),
    }
    first, second = (query(r) for r in mock.request_history)
    assert first == {"listFields": "id,name,deleted", "start": "0", "range": "50"}
    assert second["start"] == "50"
    book.for_record(ListKind.CAMPAIGN, ["Campaign 1"], "Add to Campaigns")
    assert len(mock.request_history) == 2, "read once per sync"


@pytest.mark.parametrize(
    ("row", "expected"), [({"drip_id": "4", "name": "Welcome"}, "4"), ({"id": "9", "name": "Welcome"}, "9")]
)
def test_sequences_are_keyed_by_drip_id_and_else_by_id(
    client: OntraportClient, mock: requests_mock.Mocker, row: dict[str, str], expected: str
) -> None:
    mock.get(f"{BASE}/objects", **envelope([row]))
    book = AutomationBook(client)
    assert book.for_record(ListKind.SEQUENCE, ["welcome"], "Add to Sequences") == {
        (ListKind.SEQUENCE, expected)
    }
    assert query(mock.last_request) == {
        "objectID": "5",
        "listFields": "drip_id,name",
        "start": "0",
        "range": "50",
    }


def test_unknown_and_ambiguous_names_are_named_with_the_nearest_and_both_ids(
    client: OntraportClient, mock: requests_mock.Mocker
) -> None:
    rows = [{"id": "1", "name": "Onboarding"}, {"id": "2", "name": "Launch"}, {"id": "3", "name": "LAUNCH"}]
    mock.get(f"{BASE}/CampaignBuilderItems", **envelope(rows))
    mock.get(f"{BASE}/objects", **envelope([]))
    book = AutomationBook(client)
    with pytest.raises(RecordRejected) as rejected:
        book.for_record(ListKind.CAMPAIGN, ["Onbording"], "Add to Campaigns")
    assert rejected.value.reason == (
        "Add to Campaigns: Ontraport has no campaign named 'Onbording'; the nearest it has: 'Onboarding'"
    )
    with pytest.raises(ConfigProblem) as problem:
        require_configured(book, ["launch", "Zebra"], ["Welcome"])
    message = str(problem.value)
    assert "more than one campaign named 'launch' (ids 2 ('Launch') and 3 ('LAUNCH'))" in message
    assert "no campaign named 'Zebra'; its campaigns: 'LAUNCH', 'Launch', 'Onboarding'" in message
    assert "sequences: Ontraport has no sequence named 'Welcome' (the account has no sequences)" in message


def test_no_request_when_no_list_is_named(client: OntraportClient, mock: requests_mock.Mocker) -> None:
    book = AutomationBook(client)
    assert require_configured(book, [], []) == frozenset()
    assert book.for_record(ListKind.CAMPAIGN, [], "Add to Campaigns") == frozenset()
    assert mock.request_history == []
