"""Checklist item 15: tags, by id and by name, `contact_cat` in sync, on every object type that has
tags."""

from __future__ import annotations

import pytest

from ontraport_sandbox.testing import SandboxError, SandboxHandle
from ontraport_sandbox.tests.support import OBJECT_TYPES, PET, Api, clause, criteria, seed_people, seed_things

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
    ids = seed_people(sandbox, 4)
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
    ids = seed_people(sandbox, 3)
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
    seed_people(sandbox, 4)
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


# --- tags on other object types ----------------------------------------------------------------


@pytest.mark.parametrize("object_id", OBJECT_TYPES)
def test_tags_are_per_object_type(api: Api, sandbox: SandboxHandle, object_id: int) -> None:
    (contact,) = sandbox.seed([{"email": "c@example.com"}])
    ids = seed_things(sandbox, object_id, 4)
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
    ids = seed_things(sandbox, object_id, 3)
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
