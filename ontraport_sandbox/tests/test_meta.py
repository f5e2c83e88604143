"""Checklist item 12 and the account's schema: the meta endpoints, object types declared by a file or
at run time, records of any type seeded, reset keeping the schema, unknown object types refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from ontraport_sandbox.testing import SandboxError, SandboxHandle, running_sandbox
from ontraport_sandbox.tests.support import OBJECT_TYPES, PET, TIMEOUT, Api

# ---------------------------------------------------------------------------------------------
# 12. meta
# ---------------------------------------------------------------------------------------------


def test_meta_has_standard_and_custom_fields_with_string_flags(api: Api) -> None:
    data = api.ok("GET", "/Contacts/meta")["data"]
    assert list(data) == ["0"]
    assert data["0"]["name"] == "Contact"
    fields = data["0"]["fields"]
    expected_custom = {
        "f1001": ("External ID", "text"),
        "f1002": ("Lifetime Value", "numeric"),
        "f1003": ("Plan", "drop"),
        "f1004": ("Interests", "list"),
        "f1005": ("VIP", "check"),
        "f1006": ("Signup Date", "fulldate"),
        "f1007": ("Notes", "longtext"),
    }
    for name, (alias, type_) in expected_custom.items():
        assert (fields[name]["alias"], fields[name]["type"]) == (alias, type_)
    assert fields["f1003"]["options"] == {"1": "Free", "2": "Pro", "3": "Enterprise"}
    assert fields["f1004"]["options"] == {"1": "Sports", "2": "Music", "3": "Travel"}
    assert fields["priority"]["options"] == {"8": "High", "9": "Medium", "10": "Low"}
    assert fields["email"] == {
        "alias": "Email",
        "type": "email",
        "required": "0",
        "unique": "0",
        "editable": "1",
        "deletable": "0",
    }
    for name in ("unique_id", "date", "dla", "dlm", "contact_cat"):
        assert fields[name]["editable"] == "0"
    assert fields["contact_cat"]["type"] == "subscription"
    assert fields["owner"]["type"] == "parent"
    assert len(fields) == 36


def test_objects_meta_by_id_and_per_object(api: Api) -> None:
    everything = api.ok("GET", "/objects/meta", params={"format": "byId"})["data"]
    assert set(everything) == {"0", "14", "149", "150", "10000"}, "contacts, tags, Deals, Companies, Pets"
    contacts = api.ok("GET", "/objects/meta", params={"objectID": 0, "format": "byId"})["data"]
    assert list(contacts) == ["0"]
    assert contacts == api.ok("GET", "/Contacts/meta")["data"]
    tags = api.ok("GET", "/objects/meta", params={"objectID": 14})["data"]["14"]
    assert set(tags["fields"]) == {"tag_id", "tag_name", "object_type_id"}
    assert api.get("/objects/meta", objectID=99).status_code == 400


# --- seeding the schema and the records ----------------------------------------------------------


def test_meta_file_declares_object_types(tmp_path: Path) -> None:
    meta = {
        "fields": {"f1007": None},
        "objects": {
            "10005": {
                "name": "Course",
                "plural": "Courses",
                "tags": False,
                "fields": {
                    "f4001": {"alias": "Course Code", "type": "text", "unique": "1"},
                    "f4002": {
                        "alias": "Level",
                        "type": "drop",
                        "options": {"1": "Beginner", "2": "Advanced"},
                    },
                },
            },
            "149": None,
            "150": {"fields": {"f5001": {"alias": "Tax Number", "type": "text", "unique": True}}},
        },
    }
    path = tmp_path / "meta.json"
    path.write_text(json.dumps(meta))
    with running_sandbox(meta=str(path)) as handle:
        session = requests.Session()
        session.headers.update(handle.headers)
        everything = session.get(f"{handle.url}/objects/meta", timeout=TIMEOUT).json()["data"]
        assert list(everything) == ["0", "14", "150", "10000", "10005"]
        assert "f1007" not in everything["0"]["fields"]
        course = everything["10005"]
        assert course["name"] == "Course"
        assert list(course["fields"])[:2] == ["f4001", "f4002"]
        assert {"owner", "unique_id", "date", "dla", "dlm"} <= set(course["fields"])
        assert "contact_cat" not in course["fields"]
        assert everything["150"]["fields"]["f5001"]["unique"] == "1"
        assert "industry" in everything["150"]["fields"], "a known type keeps the fields the document omits"
        first = session.post(
            f"{handle.url}/objects/saveorupdate", json={"objectID": 150, "f5001": "T-1"}, timeout=TIMEOUT
        )
        again = session.post(
            f"{handle.url}/objects/saveorupdate",
            json={"objectID": 150, "f5001": "t-1", "name": "X"},
            timeout=TIMEOUT,
        )
        assert (first.json()["data"]["id"], again.json()["data"]["attrs"]["id"]) == ("1", "1")
        assert (
            session.get(f"{handle.url}/objects", params={"objectID": 149}, timeout=TIMEOUT).status_code == 400
        )
        assert handle.meta()["objects"]["10005"]["plural"] == "Courses"
        session.close()


def test_bad_meta_documents_are_refused_as_a_whole(sandbox: SandboxHandle, tmp_path: Path) -> None:
    before = sandbox.meta()
    bad: dict[str, Any]
    for bad in (
        {"objects": {"10002": {"fields": {}}}},  # a new type needs a name
        {"objects": {"0": {"name": "Contact"}}},  # contacts are shaped by `fields`
        {"objects": {"14": {"name": "Tag"}}},
        {"objects": {"abc": {"name": "X"}}},
        {"objects": {"10002": {"name": "X", "colour": "red"}}},
        {"objects": {"10002": {"name": "X", "tags": "yes"}}},
        {"objects": {"10002": {"name": "X", "fields": {"f1": {"type": "blob"}}}}},
        {"objects": {"10002": {"name": "X"}}, "extra": 1},
        {"objects": {"10003": {"name": "Fine"}, "10004": {"name": ""}}},
    ):
        with pytest.raises(SandboxError):
            sandbox.declare(bad)
    assert sandbox.meta() == before
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"objects": {"14": {"name": "Tag"}}}))
    with pytest.raises(SandboxError), running_sandbox(meta=str(path)):
        pass


def test_declare_at_run_time_and_seed_records_of_any_type(api: Api, sandbox: SandboxHandle) -> None:
    schema = sandbox.declare(
        {
            "objects": {
                "10002": {
                    "name": "Horse",
                    "tags": True,
                    "fields": {"f6001": {"alias": "Chip", "type": "text"}},
                }
            }
        }
    )
    try:
        assert schema["objects"]["10002"]["plural"] == "Horses"
        ids = sandbox.seed_objects(
            10002, [{"id": 40, "f6001": "A", "tags": ["Fast"], "dlm": "1000", "unknown": "x"}, {"f6001": "B"}]
        )
        assert ids == [40, 41]
        horses = sandbox.objects(10002)
        assert [(h["id"], h["f6001"], h["tags"], h["dlm"]) for h in horses] == [
            ("40", "A", ["Fast"], "1000"),
            ("41", "B", [], horses[1]["dlm"]),
        ]
        assert "unknown" not in horses[0]
        assert sandbox.tags()[0]["object_type_id"] == "10002"
        assert api.ok("GET", "/objects", params={"objectID": 10002, "listFields": "id"})["data"] == [
            {"id": "40"},
            {"id": "41"},
        ]
        with pytest.raises(SandboxError):
            sandbox.seed_objects(10002, [{"id": 40}])
        with pytest.raises(SandboxError):
            sandbox.seed_objects(99999, [{"f6001": "x"}])
        assert sandbox.stats()["objects"]["10002"] == 2
        assert sandbox.stats()["total_requests"] == 1, "admin calls are not counted"
    finally:
        sandbox.declare({"objects": {"10002": None}})
    assert api.get("/objects", objectID=10002).status_code == 400
    assert sandbox.tags() == [], "a removed type's tags go with it"


def test_reset_clears_every_object_type_and_keeps_the_schema(sandbox: SandboxHandle) -> None:
    sandbox.declare({"objects": {"10003": {"name": "Thing"}}})
    try:
        for object_id in (*OBJECT_TYPES, 10003):
            sandbox.seed_objects(
                object_id, [{"owner": "2", "tags": ["T"]} if object_id != 10003 else {"owner": "2"}]
            )
        assert sandbox.stats()["objects"] == {"149": 1, "150": 1, "10000": 1, "10003": 1}
        sandbox.reset()
        assert all(sandbox.objects(object_id) == [] for object_id in (*OBJECT_TYPES, 10003))
        assert sandbox.tags() == []
        assert "10003" in sandbox.meta()["objects"]
        assert sandbox.seed_objects(PET, [{"f2001": "again"}]) == [1], "ids start again at 1"
    finally:
        sandbox.declare({"objects": {"10003": None}})


def test_generic_routes_refuse_unknown_object_types(api: Api) -> None:
    for method, path in (
        ("GET", "/objects"),
        ("GET", "/object"),
        ("POST", "/objects"),
        ("PUT", "/objects"),
        ("DELETE", "/objects"),
        ("DELETE", "/object"),
        ("POST", "/objects/saveorupdate"),
        ("GET", "/objects/getInfo"),
        ("PUT", "/objects/tag"),
    ):
        response = api.request(method, path, params={"objectID": 12345, "id": 1, "ids": 1})
        assert (response.status_code, response.text) == (400, "Invalid objectID 12345"), (method, path)
    assert (
        api.request("POST", "/objects/saveorupdate", json={"objectID": 14, "tag_name": "x"}).status_code
        == 400
    )
