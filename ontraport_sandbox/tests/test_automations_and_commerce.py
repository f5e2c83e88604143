"""The sandbox's campaigns, sequences, purchases, links and account-doctor switches (issues 19-21).

What each test holds the sandbox to is section 13 of the API notes (`docs/ontraport-api-notes.md`;
the research file `ontraport-api-12-evidence.md`), cited per test, and the sandbox README's
"Automations and purchases" part. Every route is exercised over HTTP exactly as a client sends it
(form or JSON, DELETE parameters in the query string), and every switch under each of its values.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from ontraport_sandbox.switches import CHOICE_BY_NAME, DATE_ONLY_ZONES
from ontraport_sandbox.testing import SandboxError, SandboxHandle, running_sandbox

TIMEOUT = 10
PROCESSING = "The subscription is now being processed."
REFUSED = "Refused by the sandbox"
DEAL, COMPANY, PET = 149, 150, 10000
SEQUENCE, PRODUCT, TRANSACTION, CAMPAIGN = 5, 16, 46, 140


class Api:
    """A keep-alive session with the sandbox's credentials, like the connector's client."""

    def __init__(self, sandbox: SandboxHandle) -> None:
        self.sandbox = sandbox
        self.session = requests.Session()
        self.session.headers.update(sandbox.headers)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        return self.session.request(method, self.sandbox.url + path, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """The decoded envelope of a request that must succeed."""
        response = self.request(method, path, **kwargs)
        assert response.status_code == 200, (method, path, response.status_code, response.text)
        body = response.json()
        assert body["code"] == 0
        return body

    def data(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.ok(method, path, **kwargs)["data"]

    def refused(self, method: str, path: str, status: int = 400, **kwargs: Any) -> str:
        """The plain-text body of a request that must fail with `status`."""
        response = self.request(method, path, **kwargs)
        assert response.status_code == status, (method, path, response.status_code, response.text)
        assert response.headers["Content-Type"].startswith("text/html")
        return response.text


@pytest.fixture
def api(sandbox: SandboxHandle) -> Iterator[Api]:
    client = Api(sandbox)
    yield client
    client.session.close()


def criteria(field: str, op: str, value: Any) -> str:
    if op == "IN":
        return json.dumps(
            [{"field": {"field": field}, "op": op, "value": {"list": [{"value": v} for v in value]}}]
        )
    return json.dumps([{"field": {"field": field}, "op": op, "value": {"value": value}}])


def people(sandbox: SandboxHandle, count: int = 3) -> list[int]:
    return sandbox.seed([{"email": f"p{i}@example.com", "firstname": f"P{i}"} for i in range(count)])


def members(sandbox: SandboxHandle, contact_ids: list[int]) -> dict[int, tuple[list[int], list[int]]]:
    found = sandbox.memberships(contact_ids)
    return {cid: (entry["campaign_ids"], entry["sequence_ids"]) for cid, entry in found.items()}


# =============================================================================================
# A. campaigns and sequences (notes 13 A1-A5)
# =============================================================================================


def test_campaign_list_answers_id_and_name_pages_by_50_and_honours_list_fields(
    api: Api, sandbox: SandboxHandle
) -> None:
    """A4: `id`,`name` without listFields; listFields (subs, pause, deleted...); paged by 50."""
    ids = sandbox.seed_campaigns([f"Campaign {i:02d}" for i in range(60)])
    assert ids == list(range(1, 61))
    first = api.data("GET", "/CampaignBuilderItems")
    assert len(first) == 50
    assert first[0] == {"id": "1", "name": "Campaign 00"}
    assert all(set(row) == {"id", "name"} for row in first)
    rest = api.ok("GET", "/CampaignBuilderItems", params={"start": 50, "range": 50, "count": 1})
    assert [row["id"] for row in rest["data"]] == [str(i) for i in range(51, 61)]
    assert rest["count"] == "60"
    wide = api.data(
        "GET",
        "/CampaignBuilderItems",
        params={"listFields": "id,name,subs,subs_ever,pause,deleted", "range": 2},
    )
    assert wide == [
        {"id": "1", "name": "Campaign 00", "subs": "0", "subs_ever": "0", "pause": "0", "deleted": "0"},
        {"id": "2", "name": "Campaign 01", "subs": "0", "subs_ever": "0", "pause": "0", "deleted": "0"},
    ]
    named = api.data(
        "GET", "/CampaignBuilderItems", params={"condition": criteria("name", "=", "campaign 07")}
    )
    assert named == [{"id": "8", "name": "Campaign 07"}]
    one = api.data("GET", "/CampaignBuilderItem", params={"id": 3})
    assert {"id", "name", "date", "dlm", "object_type_id", "pause", "deleted"} <= set(one)
    info = api.data("GET", "/CampaignBuilderItems/getInfo")
    assert info["count"] == "60"
    assert info["listFields"] == ["name", "state", "date", "dlm", "subs", "subs_ever", "element_num", "todos"]
    meta = api.data("GET", "/CampaignBuilderItems/meta")
    assert list(meta) == ["140"] and "subs" in meta["140"]["fields"]
    generic = api.data("GET", "/objects", params={"objectID": CAMPAIGN, "range": 1})
    assert generic == [{"id": "1", "name": "Campaign 00"}]
    assert api.refused("GET", "/CampaignBuilderItem", 404, params={"id": 99}) == "Object not found"


def test_campaigns_sequences_and_transactions_are_read_only(api: Api, sandbox: SandboxHandle) -> None:
    """A4 (only GET on 140; do not write sequences), B7 (transactions come from processManual)."""
    sandbox.seed_campaigns(["Keep"])
    sandbox.seed_sequences(["Keep too"])
    for method in ("POST", "PUT", "DELETE"):
        assert api.refused(method, "/CampaignBuilderItems", 405, params={"id": 1}) == "Method not allowed"
    for object_id in (CAMPAIGN, SEQUENCE, TRANSACTION):
        expected = f"Object type {object_id} is read-only"
        assert api.refused("POST", "/objects", json={"objectID": object_id, "name": "X"}) == expected
        assert api.refused("PUT", "/objects", json={"objectID": object_id, "id": 1, "name": "X"}) == expected
        assert (
            api.refused("POST", "/objects/saveorupdate", json={"objectID": object_id, "name": "X"})
            == expected
        )
        assert api.refused("DELETE", "/objects", params={"objectID": object_id, "ids": 1}) == expected
        assert api.refused("DELETE", "/object", params={"objectID": object_id, "id": 1}) == expected
    assert [c["name"] for c in sandbox.campaigns()] == ["Keep"]
    assert [s["name"] for s in sandbox.sequences()] == ["Keep too"]
    assert sandbox.stats()["delete_all"] == 0


@pytest.mark.parametrize("mode", ["absent", "present"])
def test_sequences_are_object_5_keyed_by_drip_id(api: Api, sandbox: SandboxHandle, mode: str) -> None:
    """A4: `drip_id`, `name`, `pause`, `subscriber_count`; whether rows also carry `id` is the
    `sequence_rows_id` switch."""
    sandbox.configure(sequence_rows_id=mode)
    sandbox.seed_sequences(["Welcome", {"name": "Old", "pause": "1"}])
    rows = api.data("GET", "/objects", params={"objectID": SEQUENCE})
    expected = [
        {"drip_id": "1", "name": "Welcome", "pause": "0", "subscriber_count": "0"},
        {"drip_id": "2", "name": "Old", "pause": "1", "subscriber_count": "0"},
    ]
    if mode == "present":
        expected = [{"id": row["drip_id"], **row} for row in expected]
    assert rows == expected
    single = api.data("GET", "/object", params={"objectID": SEQUENCE, "id": 2})
    assert ("id" in single) == (mode == "present") and single["drip_id"] == "2"
    listed = api.data("GET", "/objects", params={"objectID": SEQUENCE, "listFields": "id,drip_id,name"})
    assert listed[0] == (
        {"id": "1", "drip_id": "1", "name": "Welcome"}
        if mode == "present"
        else {"drip_id": "1", "name": "Welcome"}
    )
    found = api.data(
        "GET",
        "/objects",
        params={"objectID": SEQUENCE, "condition": criteria("drip_id", "=", 2), "listFields": "drip_id,name"},
    )
    assert found == [{"drip_id": "2", "name": "Old"}]
    by_name = api.data(
        "GET", "/objects", params={"objectID": SEQUENCE, "condition": criteria("name", "=", "welcome")}
    )
    assert [row["drip_id"] for row in by_name] == ["1"]
    assert api.data("GET", "/objects/getInfo", params={"objectID": SEQUENCE})["count"] == "2"


@pytest.mark.parametrize("mode", ["omitted", "listed"])
def test_builtin_types_in_the_all_types_meta(api: Api, sandbox: SandboxHandle, mode: str) -> None:
    """The built-in types are always described by objectID; the all-types meta lists them only
    under `builtin_types_in_meta=listed` (the default keeps discover's objects as they were)."""
    sandbox.configure(builtin_types_in_meta=mode)
    everything = api.data("GET", "/objects/meta", params={"format": "byId"})
    builtin = {"5", "16", "46", "140"}
    assert set(everything) == {"0", "14", "149", "150", "10000"} | (builtin if mode == "listed" else set())
    for object_id, name in ((5, "Sequence"), (16, "Product"), (46, "Transaction"), (140, "Campaign")):
        described = api.data("GET", "/objects/meta", params={"objectID": object_id})
        assert described[str(object_id)]["name"] == name
    assert set(sandbox.meta()["objects"]) == {"149", "150", "10000"}, "the admin schema is the account's own"
    stats = sandbox.stats()
    assert set(stats["objects"]) == {"149", "150", "10000"}
    assert stats["builtin_objects"] == {"5": 0, "16": 0, "46": 0, "140": 0}


def test_a_meta_document_reshapes_or_removes_a_builtin_type() -> None:
    """A built-in type keeps its traits when a document adds fields; `null` removes it."""
    with running_sandbox() as handle:
        client = Api(handle)
        handle.declare({"objects": {"16": {"fields": {"f9001": {"alias": "Colour", "type": "text"}}}}})
        assert "f9001" in client.data("GET", "/Products/meta")["16"]["fields"]
        assert "16" not in client.data("GET", "/objects/meta"), "still hidden"
        assert client.data("POST", "/Products", json={"name": "Mug", "f9001": "red"})["f9001"] == "red"
        handle.declare({"objects": {"140": None}})
        assert client.refused("GET", "/CampaignBuilderItems") == "Invalid objectID 140"
        assert client.refused("GET", "/objects", params={"objectID": 140}) == "Invalid objectID 140"
        client.session.close()


def test_single_read_carries_campaign_and_sequence_lists(api: Api, sandbox: SandboxHandle) -> None:
    """A1, A2: `updateCampaign` / `updateSequence` are `*/*id*/*` lists on the single read, missing
    when empty (or "" when a meta document declares them); never written by a record write."""
    ann, bob, _ = people(sandbox)
    sandbox.seed_campaigns(["A", "B", "C"])
    sandbox.seed_sequences(["S1", "S2"])
    before = api.data("GET", "/Contact", params={"id": ann})
    assert "updateCampaign" not in before and "updateSequence" not in before
    api.ok("PUT", "/objects/subscribe", data={"objectID": 0, "add_list": "3,1", "ids": f"{ann},{bob}"})
    api.ok("PUT", "/objects/sequence", data={"objectID": 0, "add_list": "2", "ids": ann})
    single = api.data("GET", "/Contact", params={"id": ann})
    assert (single["updateCampaign"], single["updateSequence"]) == ("*/*1*/*3*/*", "*/*2*/*")
    assert api.data("GET", "/object", params={"objectID": 0, "id": bob})["updateCampaign"] == "*/*1*/*3*/*"
    assert "updateSequence" not in api.data("GET", "/Contact", params={"id": bob})
    api.ok("PUT", "/Contacts", data={"id": ann, "updateCampaign": "*/*2*/*", "updateSequence": ""})
    api.ok("POST", "/Contacts/saveorupdate", json={"email": "p1@example.com", "updateSequence": 1})
    assert members(sandbox, [ann, bob]) == {ann: ([1, 3], [2]), bob: ([1, 3], [])}, "writes do not touch them"
    sandbox.declare(
        {"fields": {"updateCampaign": {"alias": "Campaigns", "type": "subscription", "editable": "0"}}}
    )
    try:
        carl = sandbox.seed([{"email": "c@example.com"}])[0]
        assert api.data("GET", "/Contact", params={"id": carl})["updateCampaign"] == ""
        assert api.data("GET", "/Contact", params={"id": ann})["updateCampaign"] == "*/*1*/*3*/*"
    finally:
        sandbox.declare({"fields": {"updateCampaign": None}})


@pytest.mark.parametrize("mode", ["returned", "never"])
def test_collection_memberships_switch(api: Api, sandbox: SandboxHandle, mode: str) -> None:
    """A1, A2: whether collection reads return the lists is unsettled (switch); single reads do."""
    sandbox.configure(collection_memberships=mode)
    ann, bob, _ = people(sandbox)
    sandbox.seed_campaigns(["A"])
    sandbox.seed_sequences(["S"])
    sandbox.seed_memberships([ann], campaigns=["A"], sequences=["S"])
    rows = api.data(
        "GET",
        "/Contacts",
        params={"listFields": "id,email,updateCampaign,updateSequence", "ids": f"{ann},{bob}"},
    )
    if mode == "returned":
        assert rows == [
            {
                "id": str(ann),
                "email": "p0@example.com",
                "updateCampaign": "*/*1*/*",
                "updateSequence": "*/*1*/*",
            },
            {"id": str(bob), "email": "p1@example.com", "updateCampaign": "", "updateSequence": ""},
        ]
    else:
        assert rows == [
            {"id": str(ann), "email": "p0@example.com"},
            {"id": str(bob), "email": "p1@example.com"},
        ]
    full = api.data("GET", "/Contacts", params={"ids": ann})[0]
    assert ("updateCampaign" in full) == (mode == "returned")
    generic = api.data("GET", "/objects", params={"objectID": 0, "ids": ann, "listFields": "updateSequence"})
    assert generic == ([{"updateSequence": "*/*1*/*"}] if mode == "returned" else [{}])
    assert api.data("GET", "/Contact", params={"id": ann})["updateCampaign"] == "*/*1*/*"


def test_subscribe_by_form_and_json_campaign_by_default(api: Api, sandbox: SandboxHandle) -> None:
    """A3: the SDK's form (`sub_type` absent = campaign), Elegant Themes' form with
    `sub_type=Sequence`, .NET's JSON arrays; the answer is the same text; membership changes."""
    ann, bob, carl = people(sandbox)
    sandbox.seed_campaigns(["Onboarding", "Winback"])
    sandbox.seed_sequences(["Drip"])
    body = api.ok("PUT", "/objects/subscribe", data={"objectID": 0, "add_list": "1", "ids": f"{ann},{bob}"})
    assert body == {"code": 0, "data": PROCESSING, "account_id": 50}
    assert (
        api.data(
            "PUT",
            "/objects/subscribe",
            data={"objectID": "0", "add_list": "1", "ids": carl, "sub_type": "Sequence"},
        )
        == PROCESSING
    )
    api.ok("PUT", "/objects/subscribe", json={"objectID": 0, "add_list": [2], "ids": [carl]})
    api.ok("PUT", "/objects/subscribe", data={"objectID": 0, "add_list[]": "2", "ids[]": [ann, 999]})
    assert members(sandbox, [ann, bob, carl]) == {ann: ([1, 2], []), bob: ([1], []), carl: ([2], [1])}
    stats = sandbox.stats()
    assert stats["subscriptions"] == 5
    assert stats["subscriptions_by_list"] == {"campaign:1": 2, "campaign:2": 2, "sequence:1": 1}
    assert (stats["restarts"], stats["subscribe_all"]) == (0, 0)
    assert stats["by_route"]["PUT /1/objects/subscribe"] == 4
    names = sandbox.memberships([carl])[carl]
    assert (names["campaigns"], names["sequences"]) == (["Winback"], ["Drip"])


def test_unsubscribe_reads_the_query_string(api: Api, sandbox: SandboxHandle) -> None:
    """A3: `DELETE /objects/subscribe` with `remove_list`, `ids`, `sub_type` in the query string
    (the SDK's rule for every DELETE)."""
    ann, bob, _ = people(sandbox)
    sandbox.seed_campaigns(["A", "B"])
    sandbox.seed_sequences(["S"])
    sandbox.seed_memberships([ann, bob], campaigns=["A", "B"], sequences=["S"])
    api.ok("DELETE", "/objects/subscribe", params={"objectID": 0, "remove_list": "1", "ids": f"{ann},{bob}"})
    api.ok(
        "DELETE",
        "/objects/subscribe",
        params={"objectID": 0, "remove_list": 1, "ids": ann, "sub_type": "Sequence"},
    )
    assert members(sandbox, [ann, bob]) == {ann: ([2], []), bob: ([2], [1])}
    api.ok(
        "DELETE", "/objects/subscribe", params={"objectID": 0, "remove_list": 1, "ids": ann}
    )  # not a member
    stats = sandbox.stats()
    assert stats["unsubscriptions"] == 3
    assert stats["unsubscriptions_by_list"] == {"campaign:1": 2, "sequence:1": 1}
    assert stats["delete_with_body"] == 0


@pytest.mark.parametrize("mode", ["ignore", "read"])
def test_unsubscribe_form_body_follows_delete_form_body(api: Api, sandbox: SandboxHandle, mode: str) -> None:
    """A DELETE's form body is read only under `delete_form_body=read`; under `ignore` the
    request has no ids, so it is refused and counted (Ontraport would act on every contact)."""
    sandbox.configure(delete_form_body=mode)
    ann, bob, _ = people(sandbox)
    sandbox.seed_campaigns(["A"])
    sandbox.seed_memberships([ann, bob], campaigns=["A"])
    response = api.request("DELETE", "/objects/subscribe", data={"objectID": 0, "remove_list": 1, "ids": ann})
    stats = sandbox.stats()
    assert stats["delete_with_body"] == 1
    if mode == "read":
        assert response.status_code == 200
        assert members(sandbox, [ann, bob]) == {ann: ([], []), bob: ([1], [])}
        assert stats["subscribe_all"] == 0
    else:
        assert response.status_code == 400
        assert "objectID" in response.text, "no parameter was read from the body"
        assert members(sandbox, [ann, bob]) == {ann: ([1], []), bob: ([1], [])}
    json_body = api.request(
        "DELETE", "/objects/subscribe", json={"objectID": 0, "remove_list": [1], "ids": [bob]}
    )
    assert json_body.status_code == 200, "a JSON body is read in both modes, as for tagByName"
    assert members(sandbox, [bob]) == {bob: ([], [])}
    assert sandbox.stats()["delete_with_body"] == 2


def test_objects_sequence_adds_and_removes_sequences_only(api: Api, sandbox: SandboxHandle) -> None:
    """A3: `PUT`/`DELETE /objects/sequence` with `add_list`/`remove_list` and `ids` (form, JSON)."""
    ann, bob, _ = people(sandbox)
    sandbox.seed_campaigns(["Not this"])
    sandbox.seed_sequences(["S1", "S2"])
    assert (
        api.data(
            "PUT",
            "/objects/sequence",
            data={"objectID": 0, "add_list": "1,2", "ids": ann, "sub_type": "Campaign"},
        )
        == PROCESSING
    )
    api.ok("PUT", "/objects/sequence", json={"objectID": 0, "add_list": [2], "ids": [bob]})
    assert members(sandbox, [ann, bob]) == {ann: ([], [1, 2]), bob: ([], [2])}
    assert (
        api.data(
            "DELETE", "/objects/sequence", params={"objectID": 0, "remove_list": 2, "ids": f"{ann},{bob}"}
        )
        == PROCESSING
    )
    assert members(sandbox, [ann, bob]) == {ann: ([], [1]), bob: ([], [])}
    assert sandbox.stats()["subscriptions_by_list"] == {"sequence:1": 1, "sequence:2": 2}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/objects/subscribe", {"objectID": 0, "add_list": 1}),
        ("PUT", "/objects/subscribe", {"objectID": 0, "add_list": 1, "ids": 0}),
        ("PUT", "/objects/subscribe", {"objectID": 0, "add_list": 1, "ids": "1,0"}),
        ("PUT", "/objects/subscribe", {"objectID": 0, "add_list": 1, "ids": "abc"}),
        ("PUT", "/objects/subscribe", {"objectID": 0, "add_list": 1, "ids": "", "performAll": 1}),
        ("PUT", "/objects/subscribe", {"objectID": 0, "add_list": 1, "ids": 1, "performAll": 1}),
        ("PUT", "/objects/subscribe", {"objectID": 0, "add_list": 1, "condition": "email LIKE '%'"}),
        ("PUT", "/objects/sequence", {"objectID": 0, "add_list": 1, "ids": 0}),
        ("DELETE", "/objects/subscribe", {"objectID": 0, "remove_list": 1}),
        ("DELETE", "/objects/subscribe", {"objectID": 0, "remove_list": 1, "ids": 0}),
        ("DELETE", "/objects/sequence", {"objectID": 0, "remove_list": 1, "performAll": 1}),
    ],
)
def test_a_change_without_explicit_ids_is_refused_and_counted(
    api: Api, sandbox: SandboxHandle, method: str, path: str, body: dict[str, Any]
) -> None:
    """A3/D12: `ids=0` or `performAll` means every contact on Ontraport; the sandbox refuses it."""
    ids = people(sandbox)
    sandbox.seed_campaigns(["A"])
    sandbox.seed_sequences(["S"])
    sandbox.seed_memberships(ids[:1], campaigns=["A"], sequences=["S"])
    before = sandbox.memberships(ids)
    kwargs: dict[str, Any] = {"params": body} if method == "DELETE" else {"data": body}
    assert api.refused(method, path, **kwargs).startswith(REFUSED)
    assert sandbox.memberships(ids) == before
    stats = sandbox.stats()
    assert (stats["subscribe_all"], stats["subscriptions"], stats["unsubscriptions"]) == (1, 0, 0)


def test_subscribe_parameter_errors(api: Api, sandbox: SandboxHandle) -> None:
    ann = people(sandbox, 1)[0]
    sandbox.seed_campaigns(["A", {"name": "Gone", "deleted": "1"}])
    path = "/objects/subscribe"
    assert (
        api.refused("PUT", path, data={"add_list": 1, "ids": ann}) == "Missing required parameter: objectID"
    )
    assert (
        api.refused("PUT", path, data={"objectID": 0, "ids": ann}) == "Missing required parameter: add_list"
    )
    assert (
        api.refused("DELETE", path, params={"objectID": 0, "ids": ann})
        == "Missing required parameter: remove_list"
    )
    assert (
        api.refused("PUT", path, data={"objectID": 12345, "add_list": 1, "ids": ann})
        == "Invalid objectID 12345"
    )
    assert "contacts only" in api.refused("PUT", path, data={"objectID": PET, "add_list": 1, "ids": 1})
    assert api.request("GET", path, params={"objectID": 0}).status_code == 405, "no membership read (A1)"
    # unknown and deleted campaigns, unknown contacts: ignored, like unknown tag ids
    api.ok("PUT", path, data={"objectID": 0, "add_list": "1,2,77", "ids": f"{ann},999"})
    assert members(sandbox, [ann]) == {ann: ([1], [])}
    assert sandbox.stats()["subscriptions"] == 1


@pytest.mark.parametrize("mode", ["insensitive", "exact"])
def test_sub_type_case(api: Api, sandbox: SandboxHandle, mode: str) -> None:
    """A3: the SDK documents "campaign", the clients send "Campaign"/"Sequence" (switch)."""
    sandbox.configure(sub_type_case=mode)
    cases = [("Campaign", 0), ("Sequence", 1), ("campaign", 0), ("SEQUENCE", 1), ("cAmPaIgN", 0)]
    contacts = people(sandbox, len(cases))
    sandbox.seed_campaigns(["A"])
    sandbox.seed_sequences(["S"])
    for contact, (value, lands_on) in zip(contacts, cases, strict=True):
        accepted = mode == "insensitive" or value in ("Campaign", "Sequence")
        body = {"objectID": 0, "add_list": 1, "ids": contact, "sub_type": value}
        response = api.request("PUT", "/objects/subscribe", data=body)
        assert response.status_code == (200 if accepted else 400), value
        if not accepted:
            assert response.text == f"Invalid sub_type: {value}"
        expected = ([1], []) if lands_on == 0 else ([], [1])
        assert members(sandbox, [contact])[contact] == (expected if accepted else ([], []))
    bogus = {"objectID": 0, "add_list": 1, "ids": contacts[0], "sub_type": "Tag"}
    assert api.refused("PUT", "/objects/subscribe", data=bogus) == "Invalid sub_type: Tag"
    assert sandbox.stats()["subscriptions"] == (5 if mode == "insensitive" else 2)


@pytest.mark.parametrize("mode", ["noop", "restart"])
def test_resubscribing_a_member(api: Api, sandbox: SandboxHandle, mode: str) -> None:
    """A5: unsettled whether it restarts; the switch decides and `restarts` counts it."""
    sandbox.configure(resubscribe=mode)
    ann, bob, _ = people(sandbox)
    sandbox.seed_campaigns(["A", "B"])
    sandbox.seed_sequences(["S"])
    api.ok("PUT", "/objects/subscribe", data={"objectID": 0, "add_list": 1, "ids": ann})
    api.ok("PUT", "/objects/subscribe", data={"objectID": 0, "add_list": "1,2", "ids": f"{ann},{bob}"})
    api.ok("PUT", "/objects/sequence", data={"objectID": 0, "add_list": 1, "ids": ann})
    api.ok(
        "PUT", "/objects/subscribe", data={"objectID": 0, "add_list": 1, "ids": ann, "sub_type": "Sequence"}
    )
    assert members(sandbox, [ann, bob]) == {ann: ([1, 2], [1]), bob: ([1, 2], [])}
    stats = sandbox.stats()
    assert stats["subscriptions"] == 5
    if mode == "restart":
        assert stats["restarts"] == 2
        assert stats["restarts_by_list"] == {"campaign:1": 1, "sequence:1": 1}
    else:
        assert (stats["restarts"], stats["restarts_by_list"]) == (0, {})
    assert {c["name"]: c["subs_ever"] for c in sandbox.campaigns()} == {"A": "2", "B": "2"}


@pytest.mark.parametrize("mode", ["immediate", "queued"])
def test_subscription_processing(api: Api, sandbox: SandboxHandle, mode: str) -> None:
    """A3: Ontraport processes subscriptions later; under `queued` a change waits for
    `POST /__sandbox/process` (then restarts are judged), under `immediate` it lands at once."""
    sandbox.configure(subscription_processing=mode, resubscribe="restart")
    ann = people(sandbox, 1)[0]
    sandbox.seed_campaigns(["A"])
    api.ok("PUT", "/objects/subscribe", data={"objectID": 0, "add_list": 1, "ids": ann})
    api.ok("PUT", "/objects/subscribe", data={"objectID": 0, "add_list": 1, "ids": ann})
    if mode == "queued":
        assert members(sandbox, [ann]) == {ann: ([], [])}
        assert "updateCampaign" not in api.data("GET", "/Contact", params={"id": ann})
        assert sandbox.stats()["queued_subscriptions"] == 2
        assert sandbox.process_subscriptions() == 2
    assert sandbox.process_subscriptions() == 0
    assert members(sandbox, [ann]) == {ann: ([1], [])}
    stats = sandbox.stats()
    assert (stats["subscriptions"], stats["restarts"], stats["queued_subscriptions"]) == (1, 1, 0)


def test_subscriber_counts_follow_membership(api: Api, sandbox: SandboxHandle) -> None:
    """A4: a campaign's `subs`/`subs_ever` and a sequence's `subscriber_count` as of now."""
    ann, bob, carl = people(sandbox)
    sandbox.seed_campaigns(["A"])
    sandbox.seed_sequences(["S"])
    api.ok("PUT", "/objects/subscribe", data={"objectID": 0, "add_list": 1, "ids": f"{ann},{bob},{carl}"})
    api.ok("PUT", "/objects/sequence", data={"objectID": 0, "add_list": 1, "ids": f"{ann},{bob}"})
    api.ok("DELETE", "/objects/subscribe", params={"objectID": 0, "remove_list": 1, "ids": carl})
    api.ok("DELETE", "/Contact", params={"id": bob})
    row = api.data("GET", "/CampaignBuilderItems", params={"listFields": "id,subs,subs_ever"})
    assert row == [{"id": "1", "subs": "1", "subs_ever": "3"}]
    sequence = api.data(
        "GET", "/objects", params={"objectID": SEQUENCE, "listFields": "drip_id,subscriber_count"}
    )
    assert sequence == [{"drip_id": "1", "subscriber_count": "1"}]
    assert sandbox.sequences()[0]["subscriber_count"] == "1"


def test_admin_membership_seed_and_read(api: Api, sandbox: SandboxHandle) -> None:
    ann, bob, _ = people(sandbox)
    sandbox.seed_campaigns(["A", "B"])
    sandbox.seed_sequences(["S"])
    seeded = sandbox.seed_memberships([ann, bob], campaigns=["B", 1], sequences=["S"])
    assert seeded[ann] == {
        "campaign_ids": [1, 2],
        "campaigns": ["A", "B"],
        "sequence_ids": [1],
        "sequences": ["S"],
    }
    assert set(sandbox.memberships()) == {ann, bob}, "every contact on something"
    stats = sandbox.stats()
    assert (stats["total_requests"], stats["subscriptions"]) == (0, 0), "a seed is not a subscription"
    with pytest.raises(SandboxError):
        sandbox.seed_memberships([ann], campaigns=["Nope"])
    sandbox.reset()
    assert sandbox.memberships() == {} and sandbox.campaigns() == []


# =============================================================================================
# B. purchases (notes 13 B6-B9)
# =============================================================================================


def order(contact_id: int, lines: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """processManual's body as WP Fusion and the SDK send it (JSON, chargeLog)."""
    return {"contact_id": contact_id, "chargeNow": "chargeLog", "offer": {"products": lines}, **extra}


def test_products_create_find_update_and_page(api: Api, sandbox: SandboxHandle) -> None:
    """B8: `POST /Products` JSON (name required) answers data.id; found by condition on name or
    sku; `PUT /Products` form; paged by 50; object 16 on the generic routes."""
    created = api.data(
        "POST", "/Products", json={"name": "Mug", "price": "12.50", "sku": "M-1", "external_id": "w-9"}
    )
    assert created["id"] == "1" and created["name"] == "Mug"
    assert api.refused("POST", "/Products", json={"price": 3}) == "Missing required parameter: name"
    assert (
        api.refused("POST", "/objects", data={"objectID": PRODUCT, "name": " "})
        == "Missing required parameter: name"
    )
    assert api.data("POST", "/objects", data={"objectID": PRODUCT, "name": "Hat", "price": "5"})["id"] == "2"
    by_name = api.data("GET", "/Products", params={"condition": criteria("name", "=", "mug")})
    assert [row["id"] for row in by_name] == ["1"]
    assert by_name[0]["price"] == "12.50" and by_name[0]["sku"] == "M-1"
    by_sku = api.data(
        "GET", "/Products", params={"condition": criteria("sku", "IN", ["M-1", "X"]), "listFields": "id,sku"}
    )
    assert by_sku == [{"id": "1", "sku": "M-1"}]
    api.ok("PUT", "/Products", data={"id": 2, "name": "Cap"})
    assert api.data("GET", "/Product", params={"id": 2})["name"] == "Cap"
    sandbox.seed_products([{"name": f"P{i}", "price": "1.00"} for i in range(53)])
    page = api.ok("GET", "/Products", params={"start": 50, "count": 1, "listFields": "id"})
    assert (len(page["data"]), page["count"]) == (5, "55")
    assert len(api.data("GET", "/objects", params={"objectID": PRODUCT})) == 50
    assert api.data("GET", "/Products/getInfo")["count"] == "55"
    fields = api.data("GET", "/Products/meta")["16"]["fields"]
    assert {"name", "price", "sku", "external_id", "taxable"} <= set(fields) and "owner" not in fields
    assert [p["name"] for p in sandbox.products()][:2] == ["Mug", "Cap"]


@pytest.mark.parametrize("mode", ["create", "update"])
def test_product_post_with_an_id(api: Api, sandbox: SandboxHandle, mode: str) -> None:
    """B8: WP Fusion posts the id of a product it already has; unsettled what that does."""
    sandbox.configure(product_post_id=mode)
    sandbox.seed_products([{"name": "Mug", "price": "12.50"}])
    answer = api.data("POST", "/Products", json={"id": 1, "name": "Mug", "price": "13.00"})
    products = sandbox.products()
    if mode == "update":
        assert answer["id"] == "1"
        assert [(p["id"], p["price"]) for p in products] == [("1", "13.00")]
    else:
        assert answer["id"] == "2"
        assert [(p["id"], p["price"]) for p in products] == [("1", "12.50"), ("2", "13.00")]
    assert api.data("POST", "/Products", json={"id": 77, "name": "New"})["id"] == str(len(products) + 1)


def test_process_manual_logs_one_transaction_with_exact_totals(api: Api, sandbox: SandboxHandle) -> None:
    """B6/B7: JSON body, chargeLog, trans_date in ms, lines (a product without price takes its
    own), answer `data.invoice_id` (a number, the transaction's id); stored total exact."""
    ann = sandbox.seed([{"email": "ann@example.com", "firstname": "Ann", "lastname": "Lee"}])[0]
    mug, pen, hat = sandbox.seed_products(
        [
            {"name": "Mug", "price": "12.50"},
            {"name": "Pen", "price": "0.10"},
            {"name": "Hat", "price": "3.333"},
        ]
    )
    body = order(
        ann,
        [
            {
                "id": mug,
                "quantity": 2,
                "price": [{"price": 12.5, "payment_count": 1, "unit": "day"}],
                "type": "single",
            },
            {"id": pen, "quantity": "3"},
            {"id": hat, "quantity": 3, "price": []},
        ],
        trans_date=1_700_000_123_456,
        invoice_template=-1,
        external_order_id="WC-1001",
    )
    answer = api.ok("POST", "/transaction/processManual", json=body)
    assert answer == {"code": 0, "data": {"invoice_id": 1}, "account_id": 50}
    (stored,) = sandbox.transactions()
    assert stored["id"] == "1" and stored["contact_id"] == str(ann)
    assert stored["date"] == "1700000123", "milliseconds in, seconds stored"
    assert (stored["total"], stored["subtotal"], stored["tax"], stored["shipping"]) == (
        "35.29",
        "35.29",
        "0.00",
        "0.00",
    )
    assert (stored["status"], stored["external_order_id"], stored["contact_name"]) == (
        "1",
        "WC-1001",
        "Ann Lee",
    )
    assert stored["lines"] == [
        {"product_id": mug, "quantity": 2, "unit_price": "12.50", "total": "25.00"},
        {"product_id": pen, "quantity": 3, "unit_price": "0.10", "total": "0.30"},
        {"product_id": hat, "quantity": 3, "unit_price": "3.33", "total": "9.99"},
    ]
    rows = api.data(
        "GET", "/Transactions", params={"listFields": "id,contact_id,total,date,external_order_id"}
    )
    assert rows == [
        {
            "id": "1",
            "contact_id": str(ann),
            "total": "35.29",
            "date": "1700000123",
            "external_order_id": "WC-1001",
        }
    ]
    assert api.data("GET", "/Transaction", params={"id": 1})["offer_data"].startswith('{"products"')
    assert api.data("GET", "/objects", params={"objectID": TRANSACTION, "listFields": "total"}) == [
        {"total": "35.29"}
    ]
    stats = sandbox.stats()
    assert (stats["process_manual"], stats["invoices_sent"], stats["builtin_objects"]["46"]) == (1, 0, 1)


def test_process_manual_without_a_date_is_dated_now(api: Api, sandbox: SandboxHandle) -> None:
    ann = people(sandbox, 1)[0]
    (mug,) = sandbox.seed_products([{"name": "Mug", "price": "1"}])
    api.ok("POST", "/transaction/processManual", json=order(ann, [{"id": mug, "quantity": 1}]))
    stored = sandbox.transactions()[0]
    contact = sandbox.contacts()[0]
    assert abs(int(stored["date"]) - int(contact["date"])) < 600
    assert stored["total"] == "1.00" and stored["external_order_id"] == ""


@pytest.mark.parametrize("status", ["400", "404"])
def test_unknown_contact_is_plain_invalid_contact_id(api: Api, sandbox: SandboxHandle, status: str) -> None:
    """B6/D12: the body `Invalid Contact ID` is seen, its status is not (switch)."""
    sandbox.configure(invalid_contact_status=status)
    (mug,) = sandbox.seed_products(["Mug"])
    for contact in (99, 0, "x"):
        body = order(0, [{"id": mug, "quantity": 1}])
        body["contact_id"] = contact
        assert (
            api.refused("POST", "/transaction/processManual", int(status), json=body) == "Invalid Contact ID"
        )
    missing = order(0, [{"id": mug, "quantity": 1}])
    del missing["contact_id"]
    assert (
        api.refused("POST", "/transaction/processManual", int(status), json=missing) == "Invalid Contact ID"
    )
    assert sandbox.transactions() == [] and sandbox.stats()["process_manual"] == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"chargeNow": None}, "Missing required parameter: chargeNow"),
        ({"chargeNow": "chargeNow"}, "Missing required parameter: gateway_id"),
        ({"chargeNow": "chargeNow", "gateway_id": 1}, "The sandbox never charges a card"),
        ({"chargeNow": "requestPayment"}, "Invalid chargeNow: requestPayment"),
        ({"offer": None}, "Missing required parameter: offer"),
        ({"offer": {"products": []}}, "Missing required parameter: offer.products"),
        ({"offer": {"products": [{"id": 1}]}}, "Missing required parameter: offer.products[0].quantity"),
        (
            {"offer": {"products": [{"id": 1, "quantity": ""}]}},
            "Missing required parameter: offer.products[0].quantity",
        ),
        ({"offer": {"products": [{"id": 1, "quantity": 0}]}}, "Invalid quantity for offer.products[0]"),
        ({"offer": {"products": [{"id": 1, "quantity": 1.5}]}}, "Invalid quantity for offer.products[0]"),
        ({"offer": {"products": [{"id": 99, "quantity": 1}]}}, "Invalid Product ID 99"),
        ({"offer": {"products": [{"quantity": 1}]}}, "Invalid Product ID"),
        ({"offer": {"products": [{"id": 1, "quantity": 1, "price": [{"price": "abc"}]}]}}, "Invalid price"),
        ({"offer": {"products": [{"id": 1, "quantity": 1, "price": [{"price": -1}]}]}}, "Invalid price"),
        ({"offer": {"products": [{"id": 1, "quantity": 1, "price": 5}]}}, "Invalid price"),
    ],
)
def test_process_manual_refuses_what_it_cannot_log(
    api: Api, sandbox: SandboxHandle, change: dict[str, Any], message: str
) -> None:
    """B6: chargeNow needs a gateway and the sandbox never charges; an empty quantity is an
    error ("Ontraport will throw an error for empty quantity"); nothing is stored."""
    ann = people(sandbox, 1)[0]
    sandbox.seed_products([{"name": "Mug", "price": "2.00"}])
    body = order(ann, [{"id": 1, "quantity": 1}])
    for key, value in change.items():
        if value is None:
            body.pop(key)
        else:
            body[key] = value
    assert api.refused("POST", "/transaction/processManual", json=body).startswith(message)
    assert sandbox.transactions() == []


@pytest.mark.parametrize("zero", ["sends", "suppresses"])
def test_invoice_template_decides_invoices_sent(api: Api, sandbox: SandboxHandle, zero: str) -> None:
    """B6: -1 suppresses (the SDK), absent is template 1, 0 is unsettled (WP Fusion sends it)."""
    sandbox.configure(invoice_template_zero=zero)
    ann = people(sandbox, 1)[0]
    (mug,) = sandbox.seed_products(["Mug"])
    line = [{"id": mug, "quantity": 1}]
    for template in (-1, "-1", None, 1, 0, "0"):
        extra = {} if template is None else {"invoice_template": template}
        api.ok("POST", "/transaction/processManual", json=order(ann, line, **extra))
    sent = 2 + (2 if zero == "sends" else 0)
    stats = sandbox.stats()
    assert (stats["process_manual"], stats["invoices_sent"]) == (6, sent)
    assert [t["template_id"] for t in sandbox.transactions()] == ["-1", "-1", "1", "1", "0", "0"]


@pytest.mark.parametrize("mode", ["accept", "reject"])
def test_duplicate_external_order_id(api: Api, sandbox: SandboxHandle, mode: str) -> None:
    """B9: unsettled whether Ontraport refuses it; a connector must look up before logging."""
    sandbox.configure(duplicate_external_order_id=mode)
    ann = people(sandbox, 1)[0]
    (mug,) = sandbox.seed_products(["Mug"])
    body = order(ann, [{"id": mug, "quantity": 1}], external_order_id="A-1")
    api.ok("POST", "/transaction/processManual", json=body)
    again = api.request("POST", "/transaction/processManual", json=body)
    api.ok("POST", "/transaction/processManual", json=order(ann, [{"id": mug, "quantity": 1}]))
    api.ok("POST", "/transaction/processManual", json=order(ann, [{"id": mug, "quantity": 1}]))
    stats = sandbox.stats()
    if mode == "reject":
        assert (again.status_code, again.text) == (
            400,
            "A transaction with external_order_id A-1 already exists",
        )
        assert [t["external_order_id"] for t in sandbox.transactions()] == ["A-1", "", ""]
        assert (stats["process_manual"], stats["duplicate_orders"]) == (3, 0)
    else:
        assert again.json()["data"] == {"invoice_id": 2}
        assert [t["external_order_id"] for t in sandbox.transactions()] == ["A-1", "A-1", "", ""]
        assert (stats["process_manual"], stats["duplicate_orders"]) == (4, 1)


@pytest.mark.parametrize("mode", ["filtered", "ignored"])
def test_transactions_condition_on_external_order_id(api: Api, sandbox: SandboxHandle, mode: str) -> None:
    """B7: no client filters transactions by `external_order_id`; under `ignored` the condition
    is dropped and every transaction comes back (a connector must re-check each row)."""
    sandbox.configure(transaction_condition=mode)
    ann, bob, _ = people(sandbox)
    (mug,) = sandbox.seed_products([{"name": "Mug", "price": "2.50"}])
    for number, contact in ((1, ann), (2, bob), (3, ann)):
        api.ok(
            "POST",
            "/transaction/processManual",
            json=order(contact, [{"id": mug, "quantity": number}], external_order_id=f"W-{number}"),
        )
    wanted = criteria("external_order_id", "IN", ["W-1", "W-3", "W-9"])
    rows = api.data("GET", "/Transactions", params={"condition": wanted, "listFields": "external_order_id"})
    expected = ["W-1", "W-3"] if mode == "filtered" else ["W-1", "W-2", "W-3"]
    assert [row["external_order_id"] for row in rows] == expected
    by_contact = api.data(
        "GET", "/Transactions", params={"condition": criteria("contact_id", "=", bob), "listFields": "id"}
    )
    assert by_contact == [{"id": "2"}], "other conditions always filter"
    info = api.data("GET", "/Transactions/getInfo", params={"condition": wanted})
    assert info["count"] == str(len(expected))
    assert info["listFields"] == ["status", "total", "contact_name", "date"]
    assert info["sums"] == {"total": 10 if mode == "filtered" else 15}
    assert api.data("GET", "/objects/getInfo", params={"objectID": TRANSACTION})["sums"] == {"total": 15}
    paged = api.ok("GET", "/Transactions", params={"start": 1, "range": 1, "count": 1, "listFields": "id"})
    assert (paged["data"], paged["count"]) == ([{"id": "2"}], "3")


@pytest.mark.parametrize("mode", ["same", "different"])
def test_invoice_id_is_the_transaction_id_or_not(api: Api, sandbox: SandboxHandle, mode: str) -> None:
    """B6: "Is invoice_id the Transaction id? Likely, but UNCONFIRMED"."""
    sandbox.configure(invoice_id=mode)
    ann = people(sandbox, 1)[0]
    (mug,) = sandbox.seed_products(["Mug"])
    ids = [
        api.data("POST", "/transaction/processManual", json=order(ann, [{"id": mug, "quantity": 1}]))[
            "invoice_id"
        ]
        for _ in range(2)
    ]
    assert all(isinstance(value, int) for value in ids)
    assert ids == ([1, 2] if mode == "same" else [5001, 5002])
    assert [t["id"] for t in sandbox.transactions()] == ["1", "2"]


@pytest.mark.parametrize("mode", ["both", "array"])
def test_shipping_shape(api: Api, sandbox: SandboxHandle, mode: str) -> None:
    """B6: the SDK's model sends `shipping` as an object, its test and .NET as an array."""
    sandbox.configure(shipping_shape=mode)
    ann = people(sandbox, 1)[0]
    (mug,) = sandbox.seed_products([{"name": "Mug", "price": "10"}])
    lines = [{"id": mug, "quantity": 1}]
    as_array = order(ann, lines)
    as_array["offer"]["shipping"] = [{"id": 1, "name": "Post", "price": "4.95", "form_id": 0}]
    api.ok("POST", "/transaction/processManual", json=as_array)
    as_object = order(ann, lines)
    as_object["offer"]["shipping"] = {"id": 1, "name": "Post", "price": 4.95}
    response = api.request("POST", "/transaction/processManual", json=as_object)
    totals = [(t["shipping"], t["total"]) for t in sandbox.transactions()]
    if mode == "both":
        assert response.status_code == 200
        assert totals == [("4.95", "14.95"), ("4.95", "14.95")]
    else:
        assert (response.status_code, response.text) == (400, "Invalid shipping")
        assert totals == [("4.95", "14.95")]


# =============================================================================================
# C. linked records (notes 13 C10, C11)
# =============================================================================================


def test_relationship_fields_in_the_meta(api: Api, sandbox: SandboxHandle) -> None:
    """C10/C11: `type: "parent"` with `parent_object` (a string type id). The Deal's two are
    modelled so though UNCONFIRMED; the custom object links to contacts; transactions too."""
    deal = api.data("GET", "/objects/meta", params={"objectID": DEAL})[str(DEAL)]["fields"]
    assert (deal["primary_contact"]["type"], deal["primary_contact"]["parent_object"]) == ("parent", "0")
    assert (deal["company"]["type"], deal["company"]["parent_object"]) == ("parent", "150")
    pet = api.data("GET", "/objects/meta", params={"objectID": PET})[str(PET)]["fields"]
    assert (pet["f2009"]["type"], pet["f2009"]["parent_object"]) == ("parent", "0")
    sale = api.data("GET", "/Transactions/meta")["46"]["fields"]
    assert (sale["contact_id"]["type"], sale["contact_id"]["parent_object"]) == ("parent", "0")


def test_parent_fields_take_a_record_id_or_0_to_clear(api: Api, sandbox: SandboxHandle) -> None:
    """C10: the value is the linked record's id; the sandbox refuses anything else."""
    people(sandbox, 2)
    sandbox.seed_objects(COMPANY, [{"name": "Acme"}, {"name": "Globex"}])
    created = api.data(
        "POST", "/objects", json={"objectID": DEAL, "name": "Big", "primary_contact": 2, "company": "1"}
    )
    assert (created["primary_contact"], created["company"]) == ("2", "1")
    api.ok("PUT", "/objects", data={"objectID": DEAL, "id": 1, "company": "2"})
    assert [(d["primary_contact"], d["company"]) for d in sandbox.objects(DEAL)] == [("2", "2")]
    attrs = api.data(
        "PUT", "/objects", data={"objectID": DEAL, "id": 1, "primary_contact": "0", "company": ""}
    )["attrs"]
    assert (attrs["primary_contact"], attrs["company"]) == ("", "")
    assert [(d["primary_contact"], d["company"]) for d in sandbox.objects(DEAL)] == [("", "")]
    for bad in ("ann@example.com", "-1", "1.5", "Acme"):
        text = api.refused("PUT", "/objects", data={"objectID": DEAL, "id": 1, "company": bad})
        assert text == "Invalid value for field company: expected a record id"
    pet = api.data("POST", "/objects/saveorupdate", json={"objectID": PET, "f2001": "P-1", "f2009": " 1 "})
    assert pet["f2009"] == "1"
    assert sandbox.objects(PET)[0]["f2009"] == "1"
    assert api.refused("POST", "/Contacts", data={"email": "x@example.com", "owner": "me"}).startswith(
        "Invalid value for field owner"
    )


def test_a_parent_field_may_publish_editable_null_and_no_parent_object(
    api: Api, sandbox: SandboxHandle
) -> None:
    """C10: the SDK's mocked meta has `"editable": null` on a contact parent field, and a parent
    field without `parent_object` on the custom object."""
    sandbox.declare(
        {
            "fields": {
                "f1568": {"alias": "Pet", "type": "parent", "editable": None, "parent_object": "10000"}
            },
            "objects": {str(PET): {"fields": {"f1567": {"alias": "Vet", "type": "parent"}}}},
        }
    )
    try:
        contact = api.data("GET", "/Contacts/meta")["0"]["fields"]["f1568"]
        assert contact == {
            "alias": "Pet", "type": "parent", "required": "0", "unique": "0",
            "editable": None, "deletable": "0", "parent_object": "10000",
        }  # fmt: skip
        vet = api.data("GET", "/objects/meta", params={"objectID": PET})[str(PET)]["fields"]["f1567"]
        assert vet["type"] == "parent" and "parent_object" not in vet
        contact_id = api.data("POST", "/Contacts", data={"email": "o@example.com", "f1568": "4"})["id"]
        assert api.data("GET", "/Contact", params={"id": contact_id})["f1568"] == "4"
    finally:
        sandbox.declare({"fields": {"f1568": None}, "objects": {str(PET): {"fields": {"f1567": None}}}})


# =============================================================================================
# D. the account doctor's switches (notes 13 D12)
# =============================================================================================


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("PUT", "/objects/tag", {"data": {"objectID": 0, "add_list": 1, "performAll": 1}}),
        ("PUT", "/objects/tag", {"data": {"objectID": 0, "add_list": 1, "ids": 0}}),
        ("DELETE", "/objects/tag", {"params": {"objectID": 0, "remove_list": 1, "ids": "x"}}),
        ("PUT", "/objects/tagByName", {"json": {"objectID": 0, "add_names": ["T"], "performAll": 1}}),
        ("DELETE", "/objects/tagByName", {"json": {"objectID": 0, "remove_names": ["T"], "ids": [0]}}),
    ],
)
def test_a_tag_action_on_everyone_is_counted(
    api: Api, sandbox: SandboxHandle, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    """D12: `ids=0` / `performAll` select every record; Ontraport acts, so the sandbox acts too,
    but counts it in `tag_all` so that a test can assert no client sent one."""
    ids = sandbox.seed([{"email": "a@example.com", "tags": ["T"]}, {"email": "b@example.com"}])
    api.ok("PUT", "/objects/tag", data={"objectID": 0, "add_list": 1, "ids": ids[0]})
    assert sandbox.stats()["tag_all"] == 0, "explicit ids are not everyone"
    api.ok(method, path, **kwargs)
    assert sandbox.stats()["tag_all"] == 1
    tagged = [contact["tags"] for contact in sandbox.contacts()]
    assert tagged == ([["T"], ["T"]] if method == "PUT" else [[], []])


@pytest.mark.parametrize("zone", ["utc", "+10", "-5", "+14", "-12"])
def test_date_only_zone(api: Api, sandbox: SandboxHandle, zone: str) -> None:
    """D12: whether a date-only value comes back as midnight UTC or midnight of the account's
    zone is unsettled; with an offset N it is kept as 00:00 of its UTC day at UTC+N."""
    sandbox.configure(date_only_zone=zone)
    day = 1_717_200_000  # 2024-06-01 00:00 UTC
    created = api.data(
        "POST", "/Contacts", data={"email": "d@example.com", "f1006": day, "birthday": day + 3600}
    )
    expected = day if zone == "utc" else day - int(zone) * 3600
    expected_birthday = day + 3600 if zone == "utc" else expected
    assert (created["f1006"], created["birthday"]) == (str(expected), str(expected_birthday))
    contact = api.data("GET", "/Contact", params={"id": created["id"]})
    assert (contact["f1006"], contact["birthday"]) == (str(expected), str(expected_birthday))
    api.ok("PUT", "/Contacts", data={"id": created["id"], "f1006": "2024-06-01"})
    assert sandbox.contacts()[0]["f1006"] == "2024-06-01", "only Unix seconds are moved"
    pet = api.data("POST", "/objects", data={"objectID": PET, "f2001": "P", "f2004": day})
    assert pet["f2004"] == str(expected), "every object type"


def test_new_switches_are_validated_shown_and_kept_across_reset(sandbox: SandboxHandle) -> None:
    names = [
        "collection_memberships", "sub_type_case", "resubscribe", "subscription_processing",
        "sequence_rows_id", "builtin_types_in_meta", "invalid_contact_status",
        "duplicate_external_order_id", "transaction_condition", "invoice_id",
        "invoice_template_zero", "shipping_shape", "product_post_id", "date_only_zone",
    ]  # fmt: skip
    config = sandbox.config()
    assert {name: config[name] for name in names} == {name: CHOICE_BY_NAME[name].default for name in names}
    for name in names:
        with pytest.raises(SandboxError):
            sandbox.configure(**{name: "nonsense"})
    for bad in ("+15", "-13", "0", "+0", "10", "UTC", 5):
        with pytest.raises(SandboxError):
            sandbox.configure(date_only_zone=bad)
    switched = {name: CHOICE_BY_NAME[name].values[-1] for name in names}
    assert switched["date_only_zone"] == DATE_ONLY_ZONES[-1] == "+14"
    sandbox.configure(**switched)
    sandbox.reset()
    config = sandbox.config()
    assert {name: config[name] for name in names} == switched


def test_new_switches_from_the_command_line() -> None:
    options = {
        "collection_memberships": "never",
        "sub_type_case": "exact",
        "resubscribe": "restart",
        "invalid_contact_status": "404",
        "transaction_condition": "ignored",
        "date_only_zone": "-5",
    }
    with running_sandbox(**options) as handle:
        config = handle.config()
        assert {key: config[key] for key in options} == options
    with pytest.raises(SandboxError), running_sandbox(date_only_zone="+99"):
        pass
