"""Checklist items 10 and 11: one contact, lists with `condition` criteria, paging, getInfo."""

from __future__ import annotations

import pytest

from ontraport_sandbox.testing import SandboxHandle
from ontraport_sandbox.tests.support import Api, clause, criteria, seed_people

# ---------------------------------------------------------------------------------------------
# 10./11. get, list, conditions, paging, getInfo
# ---------------------------------------------------------------------------------------------


def test_get_one_contact_with_every_field(api: Api, sandbox: SandboxHandle) -> None:
    seed_people(sandbox, 2)
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
    seed_people(sandbox)
    body = api.ok("GET", "/Contacts", params={"condition": condition, "listFields": "id,email"})
    assert [int(c["id"]) for c in body["data"]] == expected
    assert all(set(c) == {"id", "email"} for c in body["data"])


def test_condition_in_a_json_body_and_bad_conditions(api: Api, sandbox: SandboxHandle) -> None:
    seed_people(sandbox, 3)
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
    seed_people(sandbox)
    info = api.ok("GET", "/Contacts/getInfo")["data"]
    assert info["count"] == "8"
    assert (info["listFieldSettings"], info["cardViewSettings"], info["viewMode"]) == ([], [], [])
    assert isinstance(info["listFields"], list)
    narrowed = api.ok("GET", "/objects/getInfo", params={"objectID": 0, "condition": "company='acme'"})
    assert narrowed["data"]["count"] == "3"
