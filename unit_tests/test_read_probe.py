"""The read-path probe against requests-mock: what it learns from each kind of answer, in how many reads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests_mock

from destination_ontraport.account.read_probe import ReadProbe, probe_read_path
from destination_ontraport.model.mapping import FieldCatalog
from destination_ontraport.model.objects import ObjectType
from destination_ontraport.ontraport.client import OntraportClient
from destination_ontraport.ontraport.settings import EngineSettings, Timing
from ontraport_sandbox.meta_fixtures import SANDBOX_CONTACT_FIELDS

BASE = "https://api.test/1"
EMAIL = FieldCatalog.from_meta(SANDBOX_CONTACT_FIELDS).require("email", "test")
STORED = {"id": "4", "email": "Ann@Example.com", "contact_cat": "*/*1*/*"}


@pytest.fixture
def client() -> Iterator[OntraportClient]:
    made = OntraportClient(
        EngineSettings(BASE, "app", "key", max_attempts=1), Timing(sleep=lambda _: None, jitter=lambda: 0.0)
    )
    yield made
    made.close()


def account(
    mock: requests_mock.Mocker, *, ignores_case: bool, needs_ids: bool, lists_tags: bool = True
) -> None:
    """A fake account with one contact, answering lookups the way the switches say."""
    stored = dict(STORED) if lists_tags else {k: v for k, v in STORED.items() if k != "contact_cat"}

    def matches(query: dict[str, list[str]]) -> list[dict[str, str]]:
        (value,) = [item["value"] for item in json.loads(query["condition"][0])[0]["value"]["list"]]
        same = value.casefold() == stored["email"].casefold() if ignores_case else value == stored["email"]
        return [stored] if same else []

    def contacts(request: Any, context: Any) -> dict[str, Any]:
        query = parse_qs(urlsplit(request.url).query)
        if "condition" not in query:
            return {"code": 0, "data": [stored]}
        if needs_ids and query.get("ids") != ["0"]:
            return {"code": 0, "data": []}
        return {"code": 0, "data": matches(query)}

    def count(request: Any, context: Any) -> dict[str, Any]:
        return {"code": 0, "data": {"count": str(len(matches(parse_qs(urlsplit(request.url).query))))}}

    mock.get(f"{BASE}/Contacts", json=contacts)
    mock.get(f"{BASE}/Contacts/getInfo", json=count)


@pytest.mark.parametrize("ignores_case", [True, False])
@pytest.mark.parametrize("needs_ids", [False, True])
def test_the_probe_learns_what_the_account_does(
    client: OntraportClient, ignores_case: bool, needs_ids: bool
) -> None:
    with requests_mock.Mocker() as mock:
        account(mock, ignores_case=ignores_case, needs_ids=needs_ids)
        probe = probe_read_path(client, EMAIL)
        assert probe == ReadProbe(True, needs_ids, ignores_case, True)
        assert client.condition_needs_ids_zero is needs_ids
        # a sample and a lookup with the case swapped; two more (count, again with ids=0) when lookups
        # need ids=0; two more (a count, a lookup as it is) when the swapped case is not found
        assert mock.call_count == 2 + (2 if needs_ids else 0) + (0 if ignores_case else 2)
    assert "finds a known contact" in probe.describe("email")


def test_collection_reads_without_contact_cat_are_noticed(client: OntraportClient) -> None:
    with requests_mock.Mocker() as mock:
        account(mock, ignores_case=True, needs_ids=False, lists_tags=False)
        probe = probe_read_path(client, EMAIL)
    assert probe.carries_contact_cat is False
    assert "do not list tags" in probe.describe("email")


def test_an_empty_account_leaves_everything_to_be_learned_later(client: OntraportClient) -> None:
    with requests_mock.Mocker() as mock:
        mock.get(f"{BASE}/Contacts", json={"code": 0, "data": []})
        probe = probe_read_path(client, EMAIL)
        assert mock.call_count == 1
        contacts = ObjectType(0, "Contact", FieldCatalog(()))
        assert client.find(contacts, "email", ["new@x.io"], ["id"]) == []
        assert mock.call_count == 2, "an empty account: an empty lookup needs no count"
    assert probe == ReadProbe(None, None, None, None)
    assert client.condition_needs_ids_zero is None
