"""Checklist items 3-9, 13 and 14 on contacts: parameters in every format, create, update,
saveorupdate, invalid email, getByEmail, deletes (delete-everything included), unknown routes."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from ontraport_sandbox.testing import SandboxHandle
from ontraport_sandbox.tests.support import TIMEOUT, Api, seed_people

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
    seed_people(sandbox, 8)
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
    seed_people(sandbox, 5)
    path = "/objects" if "json" in request_kwargs else "/Contacts"
    assert api.ok("DELETE", path, **request_kwargs)["data"] == "Deleted"
    assert sandbox.contacts() == []
    assert sandbox.stats()["delete_all"] == 1
    created = api.ok("POST", "/Contacts", data={"email": "after@example.com"})["data"]
    assert created["id"] == "6", "ids are never reused"


def test_unknown_endpoints_and_methods(api: Api) -> None:
    assert api.get("/Nope").status_code == 404
    assert api.request("PATCH", "/Contacts").status_code == 405
    assert requests.get(f"{api.sandbox.base}/elsewhere", timeout=TIMEOUT).status_code == 404
