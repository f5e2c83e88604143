"""Object types other than contacts: custom objects (>= 10000), Deals (149), Companies (150)."""

from __future__ import annotations

import pytest

from ontraport_sandbox.testing import SandboxHandle
from ontraport_sandbox.tests.support import (
    COMPANY,
    DEAL,
    NAME,
    OBJECT_TYPES,
    PET,
    SAMPLE,
    Api,
    clause,
    criteria,
    seed_things,
)

# ---------------------------------------------------------------------------------------------
# other object types: custom objects (>= 10000), Deals (149), Companies (150)
# ---------------------------------------------------------------------------------------------


def test_objects_meta_lists_every_object_type_and_custom_objects_by_id(api: Api) -> None:
    everything = api.ok("GET", "/objects/meta")["data"]
    assert list(everything) == ["0", "14", "149", "150", "10000"]
    assert {key: value["name"] for key, value in everything.items()} == {
        "0": "Contact",
        "14": "Tag",
        "149": "Deal",
        "150": "Company",
        "10000": "Pet",
    }
    custom = {
        key: value for key, value in everything.items() if int(key) >= 10000
    }  # SDK retrieveCustomObjects
    assert list(custom) == ["10000"]
    by_name = api.ok("GET", "/objects/meta", params={"format": "byName"})["data"]
    assert {"Contact", "Tag", "Deal", "Company", "Pet"} == set(by_name)
    for bad in (99, 10001):
        assert api.get("/objects/meta", objectID=bad).status_code == 400


def test_custom_object_meta_has_string_flags_unique_options_and_tag_list(api: Api) -> None:
    data = api.ok("GET", "/objects/meta", params={"objectID": PET, "format": "byId"})["data"]
    assert list(data) == ["10000"]
    fields = data["10000"]["fields"]
    assert fields["f2001"] == {
        "alias": "Pet ID",
        "type": "text",
        "required": "0",
        "unique": "1",
        "editable": "1",
        "deletable": "0",
    }
    assert fields["f2003"]["options"] == {"1": "Dog", "2": "Cat", "3": "Other"}
    assert fields["f2009"]["parent_object"] == "0"
    assert (fields["contact_cat"]["type"], fields["contact_cat"]["editable"]) == ("subscription", "0")
    for name in ("unique_id", "date", "dla", "dlm"):
        assert fields[name]["editable"] == "0"
    assert fields["owner"]["editable"] == "1"
    for flags in fields.values():
        assert all(isinstance(flags[key], str) for key in ("required", "unique", "editable", "deletable"))


def test_deal_and_company_meta(api: Api) -> None:
    deal = api.ok("GET", "/objects/meta", params={"objectID": DEAL})["data"]["149"]["fields"]
    assert {"name", "value", "sales_stage", "expected_close_date", "primary_contact", "contact_cat"} <= set(
        deal
    )
    assert deal["sales_stage"]["options"]["2"] == "Closed - Won"
    assert deal["company"]["parent_object"] == "150"
    company = api.ok("GET", "/objects/meta", params={"objectID": COMPANY})["data"]["150"]["fields"]
    assert {"name", "phone", "industry", "annual_revenue", "zipcode", "contact_cat"} <= set(company)
    assert not any(spec["unique"] == "1" for spec in [*deal.values(), *company.values()])


@pytest.mark.parametrize("object_id", OBJECT_TYPES)
def test_create_get_and_ids_per_object_type(api: Api, sandbox: SandboxHandle, object_id: int) -> None:
    sandbox.seed([{"email": "someone@example.com"}])
    sample = SAMPLE[object_id]
    created = api.ok("POST", "/objects", json={"objectID": object_id, **sample, "nonsense": "x", "date": "5"})
    assert created["data"] == {**sample, "id": "1", "owner": "1"}, "no use_utm_names outside contacts"
    form = api.ok("POST", "/objects", data={"objectID": str(object_id), NAME[object_id]: "Form"})["data"]
    assert form["id"] == "2"
    record = api.ok("GET", "/object", params={"objectID": object_id, "id": 1})["data"]
    meta = api.ok("GET", "/objects/meta", params={"objectID": object_id})["data"][str(object_id)]["fields"]
    assert set(record) == {"id", *meta}
    assert all(record[name] == value for name, value in sample.items())
    assert record["date"] != "5" and record["unique_id"] and record["contact_cat"] == ""
    assert all(isinstance(value, str) for value in record.values())
    missing = api.get("/object", objectID=object_id, id=99)
    assert (missing.status_code, missing.text) == (404, "Object not found")
    assert [c["id"] for c in sandbox.contacts()] == ["1"], "ids count per object type"
    assert [r["id"] for r in sandbox.objects(object_id)] == ["1", "2"]
    assert api.ok("POST", "/Contacts", data={"email": "next@example.com"})["data"]["id"] == "2"


@pytest.mark.parametrize("object_id", OBJECT_TYPES)
@pytest.mark.parametrize("status", [404, 400])
def test_update_by_id_or_unique_id_and_unknown_id(
    api: Api, sandbox: SandboxHandle, object_id: int, status: int
) -> None:
    sandbox.configure(not_found_status=status)
    (record_id,) = sandbox.seed_objects(
        object_id, [{**SAMPLE[object_id], "dlm": "1", "unique_id": "OBJ0001"}]
    )
    name = NAME[object_id]
    attrs = api.ok("PUT", "/objects", json={"objectID": object_id, "id": record_id, name: "Renamed"})["data"][
        "attrs"
    ]
    assert set(attrs) == {name, "dlm", "id"}
    assert int(attrs["dlm"]) > 1
    unchanged = api.ok("PUT", "/objects", json={"objectID": object_id, "id": record_id, name: "Renamed"})
    assert unchanged["data"]["attrs"] == {"id": str(record_id)}
    by_uid = api.ok("PUT", "/objects", data={"objectID": object_id, "unique_id": "OBJ0001", name: "Uid"})
    assert by_uid["data"]["attrs"]["id"] == str(record_id)
    missing = api.request("PUT", "/objects", json={"objectID": object_id, "id": 77, name: "x"})
    assert (missing.status_code, missing.text) == (status, "Object not found")
    assert missing.headers["Content-Type"] == "text/html;charset=UTF-8"
    assert api.request("PUT", "/objects", json={"objectID": object_id, name: "x"}).status_code == 400
    assert sandbox.objects(object_id)[0][name] == "Uid"


def test_invalid_email_in_a_custom_object_field(api: Api, sandbox: SandboxHandle) -> None:
    response = api.request("POST", "/objects", json={"objectID": PET, "f2006": "not-an-email"})
    assert (response.status_code, response.text) == (422, "Invalid email address")
    assert sandbox.objects(PET) == []
    api.ok("POST", "/objects", json={"objectID": PET, "f2006": "vet@example.com"})
    assert [r["f2006"] for r in sandbox.objects(PET)] == ["vet@example.com"]
    # getByEmail looks in a field named `email`, which only contacts have here
    no_email = api.get("/object/getByEmail", objectID=PET, email="vet@example.com")
    assert (no_email.status_code, no_email.text) == (400, "Object type 10000 has no email field")


@pytest.mark.parametrize("object_id", OBJECT_TYPES)
def test_list_objects_with_ids_paging_condition_fields_search_and_sort(
    api: Api, sandbox: SandboxHandle, object_id: int
) -> None:
    name = NAME[object_id]
    sandbox.seed_objects(object_id, [{name: f"item{i:03d}"} for i in range(120)])
    assert len(api.ok("GET", "/objects", params={"objectID": object_id})["data"]) == 50
    page = api.ok(
        "GET",
        "/objects",
        params={"objectID": object_id, "start": 100, "range": 500, "listFields": "id", "count": 1},
    )
    assert [r["id"] for r in page["data"]] == [str(i) for i in range(101, 121)]
    assert page["count"] == "120"
    by_ids = api.ok(
        "GET", "/objects", params={"objectID": object_id, "ids": "5,3,999", "listFields": f"id,{name}"}
    )
    assert by_ids["data"] == [{"id": "3", name: "item002"}, {"id": "5", name: "item004"}]
    wanted = ["ITEM007", "item011", "nothing"]
    found = api.ok(
        "GET",
        "/objects",
        params={"objectID": object_id, "condition": criteria(clause(name, "IN", wanted)), "listFields": "id"},
    )
    assert found["data"] == [{"id": "8"}, {"id": "12"}]
    legacy = api.ok("GET", "/objects", params={"objectID": object_id, "condition": f"{name} like 'item11%'"})
    assert len(legacy["data"]) == 10
    searched = api.ok(
        "GET", "/objects", params={"objectID": object_id, "search": "ITEM05", "listFields": "id"}
    )
    assert [r["id"] for r in searched["data"]] == [str(i) for i in range(51, 61)]
    ordered = api.ok(
        "GET",
        "/objects",
        params={"objectID": object_id, "sort": name, "sortDir": "desc", "range": 2, "listFields": name},
    )
    assert ordered["data"] == [{name: "item119"}, {name: "item118"}]
    unknown_field = api.get("/objects", objectID=object_id, condition=criteria(clause("email", "=", "x")))
    assert (unknown_field.status_code, unknown_field.text) == (400, "Invalid field in condition: email")
    info = api.ok(
        "GET", "/objects/getInfo", params={"objectID": object_id, "condition": f"{name} like 'item0%'"}
    )
    assert info["data"]["count"] == "100"
    assert api.ok("GET", "/objects/getInfo", params={"objectID": object_id})["data"]["count"] == "120"


def test_value_index_is_per_object_type(api: Api, sandbox: SandboxHandle) -> None:
    sandbox.seed_objects(PET, [{"f2001": f"PET-{i}"} for i in range(3000)])
    sandbox.seed_objects(COMPANY, [{"name": f"PET-{i}"} for i in range(10)])
    wanted = [f"pet-{i}" for i in range(0, 3000, 100)]
    condition = criteria(clause("f2001", "IN", wanted))
    found = api.ok("GET", "/objects", params={"objectID": PET, "condition": condition, "listFields": "id"})
    assert [int(r["id"]) for r in found["data"]] == [i + 1 for i in range(0, 3000, 100)]
    companies = api.ok(
        "GET", "/objects", params={"objectID": COMPANY, "condition": criteria(clause("name", "IN", wanted))}
    )
    assert [r["name"] for r in companies["data"]] == ["PET-0"]
    api.ok("PUT", "/objects", json={"objectID": PET, "id": 1, "f2001": "moved"})
    assert api.ok("GET", "/objects", params={"objectID": PET, "condition": "f2001='PET-0'"})["data"] == []
    assert api.ok(
        "GET", "/objects", params={"objectID": PET, "condition": "f2001='MOVED'", "listFields": "id"}
    )["data"] == [{"id": "1"}]


def test_custom_object_saveorupdate_merges_on_its_unique_field(api: Api, sandbox: SandboxHandle) -> None:
    created = api.ok(
        "POST", "/objects/saveorupdate", data={"objectID": PET, "f2001": "Tag-9", "f2002": "Rex"}
    )
    assert created["data"] == {"f2001": "Tag-9", "f2002": "Rex", "id": "1", "owner": "1"}
    merged = api.ok("POST", "/objects/saveorupdate", json={"objectID": PET, "f2001": "TAG-9", "f2005": 30})
    assert merged["data"]["attrs"]["id"] == "1"
    assert merged["data"]["attrs"]["f2005"] == "30"
    no_key = api.ok("POST", "/objects/saveorupdate", json={"objectID": PET, "f2002": "Nameless"})
    assert no_key["data"]["id"] == "2", "no unique field supplied: a new record"
    by_id = api.ok("POST", "/objects/saveorupdate", json={"objectID": PET, "id": 1, "f2002": "x"})
    assert by_id["data"]["id"] == "3", "id never selects a record"
    uid = sandbox.objects(PET)[1]["unique_id"]
    by_uid = api.ok(
        "POST", "/objects/saveorupdate", json={"objectID": PET, "unique_id": uid, "f2001": "Tag-9"}
    )
    assert by_uid["data"]["attrs"]["id"] == "2", "unique_id wins over the unique field"
    blanks = api.ok(
        "POST",
        "/objects/saveorupdate",
        json={"objectID": PET, "f2001": "tag-9", "f2002": "", "ignore_blanks": 1},
    )
    assert "f2002" not in blanks["data"]["attrs"]
    assert [r["f2002"] for r in sandbox.objects(PET)] == ["Rex", "Nameless", "x"]


@pytest.mark.parametrize("object_id", [DEAL, COMPANY])
def test_saveorupdate_without_a_unique_field_creates_unless_unique_id_matches(
    api: Api, sandbox: SandboxHandle, object_id: int
) -> None:
    sample = SAMPLE[object_id]
    first = api.ok("POST", "/objects/saveorupdate", json={"objectID": object_id, **sample})
    second = api.ok("POST", "/objects/saveorupdate", json={"objectID": object_id, **sample})
    assert (first["data"]["id"], second["data"]["id"]) == ("1", "2")
    uid = sandbox.objects(object_id)[0]["unique_id"]
    merged = api.ok(
        "POST",
        "/objects/saveorupdate",
        data={"objectID": object_id, "unique_id": uid, NAME[object_id]: "New"},
    )
    assert merged["data"]["attrs"] == {
        NAME[object_id]: "New",
        "dlm": merged["data"]["attrs"]["dlm"],
        "id": "1",
    }


@pytest.mark.parametrize("mode", ["insensitive", "sensitive"])
def test_text_case_in_custom_object_matching(api: Api, sandbox: SandboxHandle, mode: str) -> None:
    sandbox.configure(text_case=mode)
    sandbox.seed_objects(PET, [{"f2001": "Tag-1", "f2002": "Rex"}])
    result = api.ok("POST", "/objects/saveorupdate", json={"objectID": PET, "f2001": "TAG-1"})["data"]
    found = api.ok(
        "GET", "/objects", params={"objectID": PET, "condition": "f2002='REX'", "listFields": "id"}
    )
    if mode == "insensitive":
        assert result["attrs"]["id"] == "1"
        assert found["data"] == [{"id": "1"}]
    else:
        assert result["id"] == "2"
        assert found["data"] == []


@pytest.mark.parametrize("phase", ["before", "after"])
def test_save_failed_on_custom_object_saveorupdate(api: Api, sandbox: SandboxHandle, phase: str) -> None:
    sandbox.configure(save_failed_rate=1, save_failed_status=500, fault_phase=phase)
    response = api.request("POST", "/objects/saveorupdate", json={"objectID": PET, "f2001": "S-1"})
    assert (response.status_code, response.text) == (500, "Save failed!")
    assert len(sandbox.objects(PET)) == (1 if phase == "after" else 0)
    assert api.request("POST", "/objects", json={"objectID": PET, "f2001": "S-2"}).status_code == 200


@pytest.mark.parametrize("object_id", OBJECT_TYPES)
def test_delete_objects_one_many_and_everything_of_one_type(
    api: Api, sandbox: SandboxHandle, object_id: int
) -> None:
    sandbox.seed([{"email": "stays@example.com"}])
    other = COMPANY if object_id != COMPANY else PET
    seed_things(sandbox, other, 2)
    ids = seed_things(sandbox, object_id, 8)
    assert api.ok("DELETE", "/object", params={"objectID": object_id, "id": ids[0]}) == {
        "code": 0,
        "account_id": 50,
    }
    assert api.request("DELETE", "/object", params={"objectID": object_id, "id": ids[0]}).status_code == 404
    assert api.ok("DELETE", "/objects", params={"objectID": object_id, "ids": f"{ids[1]},{ids[2]},999"})[
        "data"
    ] == ("Deleted")
    api.ok("DELETE", "/objects", json={"objectID": object_id, "ids": [ids[3]]})
    api.ok("DELETE", "/objects", params={"objectID": object_id, "condition": f"{NAME[object_id]}='n4'"})
    assert [r["id"] for r in sandbox.objects(object_id)] == [str(i) for i in ids[5:]]
    assert sandbox.stats()["delete_all"] == 0
    api.ok("DELETE", "/objects", params={"objectID": object_id})
    assert sandbox.objects(object_id) == []
    assert sandbox.stats()["delete_all"] == 1
    assert len(sandbox.contacts()) == 1 and len(sandbox.objects(other)) == 2, "only that type went"
    created = api.ok("POST", "/objects", json={"objectID": object_id, **SAMPLE[object_id]})["data"]
    assert created["id"] == "9", "ids are never reused"


@pytest.mark.parametrize("mode", ["ignore", "read"])
def test_delete_form_body_on_custom_objects(api: Api, sandbox: SandboxHandle, mode: str) -> None:
    sandbox.configure(delete_form_body=mode)
    seed_things(sandbox, PET, 4)
    api.ok("DELETE", f"/objects?objectID={PET}", data={"ids": "1,2"})
    if mode == "ignore":
        assert sandbox.objects(PET) == []
        assert sandbox.stats()["delete_all"] == 1
    else:
        assert [r["id"] for r in sandbox.objects(PET)] == ["3", "4"]
        assert sandbox.stats()["delete_all"] == 0


@pytest.mark.parametrize("overreach", [0, 1])
def test_delete_overreach_on_deals(api: Api, sandbox: SandboxHandle, overreach: int) -> None:
    sandbox.configure(delete_overreach=overreach)
    seed_things(sandbox, DEAL, 5)
    api.ok("DELETE", "/objects", params={"objectID": DEAL, "ids": "2,3"})
    assert [r["id"] for r in sandbox.objects(DEAL)] == (["1", "4", "5"] if overreach == 0 else ["4", "5"])
    assert sandbox.stats()["overreach_deleted"] == overreach


@pytest.mark.parametrize("mode", ["selects", "nothing"])
@pytest.mark.parametrize("object_id", OBJECT_TYPES)
def test_condition_without_ids_on_objects(
    api: Api, sandbox: SandboxHandle, mode: str, object_id: int
) -> None:
    sandbox.configure(condition_without_ids=mode)
    seed_things(sandbox, object_id, 6)
    condition = f"{NAME[object_id]} IN ('n1', 'n4')"
    plain = api.ok(
        "GET", "/objects", params={"objectID": object_id, "condition": condition, "listFields": "id"}
    )
    assert plain["data"] == ([] if mode == "nothing" else [{"id": "2"}, {"id": "5"}])
    all_ids = api.ok(
        "GET",
        "/objects",
        params={"objectID": object_id, "ids": 0, "condition": condition, "listFields": "id"},
    )
    assert all_ids["data"] == [{"id": "2"}, {"id": "5"}]
    info = api.ok("GET", "/objects/getInfo", params={"objectID": object_id, "condition": condition})
    assert info["data"]["count"] == "2"
