"""Every paged read sends the same requests: `start` 0, 50, 100... until a page comes back short.

A full page of 50 may hide more rows (duplicates of one match value, more tags, more tagged
contacts); a short page is the last. The real client runs against requests-mock, which answers
each page from `start` and `range` the way Ontraport does; every request that went out is listed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests_mock

from destination_ontraport.model.mapping import FieldCatalog
from destination_ontraport.model.objects import ObjectType
from destination_ontraport.ontraport.client import OntraportClient
from destination_ontraport.ontraport.errors import OntraportError
from destination_ontraport.ontraport.settings import EngineSettings, Timing
from destination_ontraport.write.batch import MappedRecord
from destination_ontraport.write.object_writer import ObjectWriter
from destination_ontraport.write.removal import tagged_records_missing_from
from destination_ontraport.write.settings import WriterSettings
from ontraport_sandbox.meta_fixtures import SANDBOX_CONTACT_FIELDS

BASE = "https://api.test/1"
CATALOG = FieldCatalog.from_meta(SANDBOX_CONTACT_FIELDS)
CONTACTS = ObjectType(0, "Contact", CATALOG)
EMAIL = CATALOG.require("email", "test")


@pytest.fixture
def client() -> Iterator[OntraportClient]:
    made = OntraportClient(
        EngineSettings(BASE, "app", "key", max_attempts=1), Timing(sleep=lambda _: None, jitter=lambda: 0.0)
    )
    yield made
    made.close()


def paged(rows: list[dict[str, str]]) -> Any:
    """A requests-mock answer that pages `rows` by the request's start and range, as Ontraport does."""

    def answer(request: Any, context: Any) -> dict[str, Any]:
        query = parse_qs(urlsplit(request.url).query)
        start, size = int(query["start"][0]), int(query["range"][0])
        return {"code": 0, "data": rows[start : start + size], "account_id": 50}

    return answer


def sent(mock: requests_mock.Mocker) -> list[tuple[str, str, str | None]]:
    """(method, path, start) of every request, in order."""
    out = []
    for request in mock.request_history:
        query = parse_qs(urlsplit(request.url).query)
        out.append((request.method, urlsplit(request.url).path, query.get("start", [None])[0]))
    return out


def test_a_lookup_that_meets_100_duplicates_reads_three_pages_then_updates_the_oldest(
    client: OntraportClient,
) -> None:
    duplicates = [{"id": str(n), "email": "dup@x.com", "firstname": "D"} for n in range(1, 101)]
    with requests_mock.Mocker() as mock:
        mock.get(f"{BASE}/Contacts", json=paged(duplicates))
        mock.put(f"{BASE}/Contacts", json={"code": 0, "data": {"attrs": {"id": "1"}}, "account_id": 50})
        writer = ObjectWriter(client, WriterSettings(CONTACTS, EMAIL))
        try:
            writer.add(MappedRecord("dup@x.com", {"email": "dup@x.com", "firstname": "E"}, 1, "s"))
            outcomes = list(writer.flush())
        finally:
            writer.close()
        assert sent(mock) == [
            ("GET", "/1/Contacts", "0"),
            ("GET", "/1/Contacts", "50"),
            ("GET", "/1/Contacts", "100"),
            ("PUT", "/1/Contacts", None),
        ]
        assert parse_qs(mock.last_request.text) == {"firstname": ["E"], "id": ["1"]}
        assert [(o.updated, o.refused) for o in outcomes] == [(1, [])]


def test_the_listing_of_a_tag_with_120_contacts_reads_three_pages(client: OntraportClient) -> None:
    tagged = [{"id": str(n), "contact_cat": "*/*7*/*"} for n in range(1, 121)]
    with requests_mock.Mocker() as mock:
        mock.get(f"{BASE}/objects/tag", json=paged(tagged))
        missing = tagged_records_missing_from(client, CONTACTS, ["7"], seen_ids={"3"})
        assert [row["id"] for row in missing] == [str(n) for n in range(1, 121) if n != 3]
        assert sent(mock) == [
            ("GET", "/1/objects/tag", "0"),
            ("GET", "/1/objects/tag", "50"),
            ("GET", "/1/objects/tag", "100"),
        ]
        assert all(parse_qs(urlsplit(r.url).query)["tag_id"] == ["7"] for r in mock.request_history)


def test_listing_every_tag_reads_until_a_short_page_and_sends_no_condition(client: OntraportClient) -> None:
    tags = [{"tag_id": str(n), "tag_name": f"t{n}", "object_type_id": "0"} for n in range(1, 101)]
    with requests_mock.Mocker() as mock:
        mock.get(f"{BASE}/Tags", json=paged(tags))
        assert client.all_tags(["t100", "t1", "absent"]) == {"t100": "100", "t1": "1"}
        assert sent(mock) == [("GET", "/1/Tags", "0"), ("GET", "/1/Tags", "50"), ("GET", "/1/Tags", "100")]
        assert [sorted(parse_qs(urlsplit(r.url).query)) for r in mock.request_history] == [
            ["range", "start"]
        ] * 3


def test_a_server_that_ignores_start_stops_the_read_after_two_equal_pages(client: OntraportClient) -> None:
    """Without the guard the loop would ask for the same full page for ever."""
    same = {
        "code": 0,
        "data": [{"id": str(n), "contact_cat": "*/*7*/*"} for n in range(1, 51)],
        "account_id": 1,
    }
    with requests_mock.Mocker() as mock:
        mock.get(f"{BASE}/objects/tag", json=same)
        with pytest.raises(OntraportError, match="as if it ignored `start`"):
            tagged_records_missing_from(client, CONTACTS, ["7"], seen_ids=set())
        assert sent(mock) == [("GET", "/1/objects/tag", "0"), ("GET", "/1/objects/tag", "50")]
