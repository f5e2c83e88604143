"""The behaviour switches (`switches.py`): each plausible answer to what no source settles."""

from __future__ import annotations

from typing import Any

import pytest

from ontraport_sandbox.testing import SandboxError, SandboxHandle, running_sandbox
from ontraport_sandbox.tests.support import DEFAULTS, Api, clause, criteria, seed_people

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
    seed_people(sandbox, 5)
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
    ids = seed_people(sandbox, 6)
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
    seed_people(sandbox, 3)
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
    seed_people(sandbox, 4)
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
    seed_people(sandbox, 6)
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
    seed_people(sandbox, 6)
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
