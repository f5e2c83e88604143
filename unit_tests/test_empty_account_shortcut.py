"""Whether a lookup by condition needs `ids=0` is checked when an answer comes back empty (against
the count of the same condition), except for an object type known to hold no record at all. That
shortcut is learned per object type: an account without contacts may hold custom-object records."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests_mock

from destination_ontraport.model.mapping import FieldCatalog
from destination_ontraport.model.objects import ObjectType
from destination_ontraport.ontraport.client import OntraportClient
from unit_tests.fakes import BASE, envelope

CONTACTS = ObjectType(0, "Contact", FieldCatalog(()))
PETS = ObjectType(10000, "Pet", FieldCatalog(()))


def answer_like_an_account_that_needs_ids_zero(
    mock: requests_mock.Mocker, pets: list[dict[str, str]]
) -> None:
    """No contact at all; pets that a condition finds only beside `ids=0`."""

    def objects(request: requests_mock.request._RequestObjectProxy, context: object) -> object:
        query = parse_qs(urlsplit(request.url).query)
        return {"code": 0, "data": pets if query.get("ids") == ["0"] else [], "account_id": 50}

    mock.get(f"{BASE}/Contacts", **envelope([]))
    mock.get(f"{BASE}/objects", json=objects)
    mock.get(f"{BASE}/objects/getInfo", **envelope({"count": str(len(pets))}))


def test_an_account_without_contacts_still_finds_its_custom_object_records(client: OntraportClient) -> None:
    pets = [{"id": "1", "f2001": "P-1"}]
    with requests_mock.Mocker() as mock:
        answer_like_an_account_that_needs_ids_zero(mock, pets)
        assert client.sample(CONTACTS, ["id", "email"]) == [], "no contact"
        assert client.find(PETS, "f2001", ["P-1"], ["id", "f2001"]) == pets
        assert client.condition_needs_ids_zero is True


def test_an_object_type_sampled_empty_needs_no_second_look(client: OntraportClient) -> None:
    with requests_mock.Mocker() as mock:
        answer_like_an_account_that_needs_ids_zero(mock, [])
        mock.get(f"{BASE}/Contacts/getInfo", **envelope({"count": "0"}))
        client.sample(CONTACTS, ["id", "email"])
        assert client.find(CONTACTS, "email", ["a@x.io"], ["id"]) == []
        assert [r.path for r in mock.request_history] == ["/1/contacts", "/1/contacts"], "no count"
