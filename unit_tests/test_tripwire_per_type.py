"""The delete tripwire brackets the first delete of each object type, not only the first of a sync:
a Pet (or Membership) delete that went right proves nothing for the contact delete that follows."""

from __future__ import annotations

import pytest
import requests_mock

from destination_ontraport.model.mapping import FieldCatalog
from destination_ontraport.model.objects import ObjectType
from destination_ontraport.ontraport.client import OntraportClient
from destination_ontraport.ontraport.errors import RemovalTripwireError
from destination_ontraport.write.removal import RemovalGuard, Remover
from unit_tests.fakes import BASE, envelope

CONTACTS = ObjectType(0, "Contact", FieldCatalog(()))
PETS = ObjectType(10000, "Pet", FieldCatalog(()))


def test_a_contact_delete_after_a_pet_delete_is_bracketed_too_and_trips(client: OntraportClient) -> None:
    with requests_mock.Mocker() as mock:
        mock.get(f"{BASE}/objects/getInfo", [envelope({"count": "3"}), envelope({"count": "2"})])
        mock.get(f"{BASE}/Contacts/getInfo", [envelope({"count": "500"}), envelope({"count": "0"})])
        mock.delete(f"{BASE}/objects", **envelope("Deleted"))
        mock.delete(f"{BASE}/Contacts", **envelope("Deleted"))
        remover = Remover(client, RemovalGuard(10_000), ["7"])
        remover.remove(PETS, ["1"], "delete", "records marked deleted in the source")
        with pytest.raises(RemovalTripwireError, match=r"Contact count fell by 500 .* delete 1 by id"):
            remover.remove(CONTACTS, ["9"], "delete", "records marked deleted in the source")
        with pytest.raises(RemovalTripwireError):
            remover.remove(PETS, ["2"], "delete", "records marked deleted in the source")
        sent = [(r.method, r.path) for r in mock.request_history if r.method == "DELETE"]
        assert sent == [("DELETE", "/1/objects"), ("DELETE", "/1/contacts")], "nothing after the trip"


def test_each_type_costs_two_counts_once(client: OntraportClient) -> None:
    with requests_mock.Mocker() as mock:
        mock.get(f"{BASE}/objects/getInfo", [envelope({"count": "3"}), envelope({"count": "2"})])
        mock.get(f"{BASE}/Contacts/getInfo", [envelope({"count": "5"}), envelope({"count": "4"})])
        mock.delete(f"{BASE}/objects", **envelope("Deleted"))
        mock.delete(f"{BASE}/Contacts", **envelope("Deleted"))
        remover = Remover(client, RemovalGuard(10_000), ["7"])
        for obj, record in [(PETS, "1"), (CONTACTS, "9"), (PETS, "2"), (CONTACTS, "8")]:
            remover.remove(obj, [record], "delete", "test")
        counts = [r.path for r in mock.request_history if r.path.endswith("/getinfo")]
        assert counts == ["/1/objects/getinfo"] * 2 + ["/1/contacts/getinfo"] * 2
