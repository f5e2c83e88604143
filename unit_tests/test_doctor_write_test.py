"""The doctor's write test against a fake account (requests-mock) that misbehaves in ways the sandbox
cannot play: tags that show late (Ontraport tags asynchronously), a DELETE form body answered 200 and
ignored, a delete that removes more than the one contact, an id that holds another contact by the
time of the delete, a create whose answer is lost. Each time the report says what happened, and no
request names anything but the test contact."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import requests_mock

from destination_ontraport.doctor.calls import DoctorCalls
from destination_ontraport.doctor.variants import DATE_ONLY_ZONE, DELETE_FORM_BODY, ORDER, Variant
from destination_ontraport.doctor.write_test import TEST_DAY, WriteTest, date_zone
from destination_ontraport.model.mapping import FieldCatalog
from destination_ontraport.ontraport.client import OntraportClient
from destination_ontraport.ontraport.settings import EngineSettings, Timing
from ontraport_sandbox.meta_fixtures import SANDBOX_CONTACT_FIELDS

BASE = "https://api.test/1"
FIELDS = FieldCatalog.from_meta(SANDBOX_CONTACT_FIELDS)
KNOWN = {name: Variant(name, "x", "") for name in ORDER}  # the reads learned everything already


@dataclass
class FakeAccount:
    """One account: `others` contacts nobody may touch, and whatever the doctor creates."""

    tag_shows_after_reads: int = 0  # single reads before a tag change shows
    reads_form_body: bool = True
    delete_takes_extra: int = 0
    id_taken_before_delete: bool = False
    lose_create_answer: bool = False
    others: int = 5
    contacts: dict[str, dict[str, str]] = field(default_factory=dict)
    pending: list[tuple[int, str, str, bool]] = field(default_factory=list)  # (reads left, id, tag, add)
    touched: list[str] = field(default_factory=list)  # ids named by writes

    def answer(self, request: Any, context: Any) -> Any:
        query = {k: v[-1] for k, v in parse_qs(urlsplit(request.url).query).items()}
        form = {k: v[-1] for k, v in parse_qs(request.text or "").items()} if request.body else {}
        route = f"{request.method} {urlsplit(request.url).path.removeprefix('/1')}"
        data = self.route(route, query, form, context)
        if isinstance(data, Exception):
            raise data
        if context.status_code >= 400:
            return data  # Ontraport's errors are plain text
        return json.dumps({"code": 0, "data": data})

    def route(self, route: str, query: dict[str, str], form: dict[str, str], context: Any) -> Any:
        handlers: dict[str, Callable[[], Any]] = {
            "GET /Contacts/getInfo": lambda: {"count": str(self.others + len(self.contacts))},
            "POST /Contacts": lambda: self.create(form),
            "GET /Contacts": lambda: self.rows(query),
            "PUT /Contacts": lambda: self.update(form, context),
            "GET /Tags": lambda: [],
            "POST /Tags": lambda: {"tag_id": "9"},
            "PUT /objects/tag": lambda: self.tag(route, query, form, context),
            "DELETE /objects/tag": lambda: self.tag(route, query, form, context),
        }
        handler = handlers.get(route)
        return handler() if handler is not None else self.single(route, query, context)

    def create(self, form: dict[str, str]) -> Any:
        new_id = str(100 + len(self.contacts))
        self.contacts[new_id] = {"id": new_id, "contact_cat": "", **form}
        return requests.exceptions.ConnectionError("lost") if self.lose_create_answer else {"id": new_id}

    def update(self, form: dict[str, str], context: Any) -> Any:
        self.touched.append(form["id"])
        if form["id"] not in self.contacts:
            context.status_code = 404
            return "Object not found"
        self.contacts[form["id"]].update(form)
        return {"attrs": {"id": form["id"]}}

    def rows(self, query: dict[str, str]) -> list[dict[str, str]]:
        if "ids" in query:
            return [self.contacts[i] for i in query["ids"].split(",") if i in self.contacts]
        wanted = {item["value"] for item in json.loads(query["condition"])[0]["value"]["list"]}
        return [row for row in self.contacts.values() if row.get("email") in wanted]

    def tag(self, route: str, query: dict[str, str], form: dict[str, str], context: Any) -> Any:
        params = {**query, **(form if self.reads_form_body or route.startswith("PUT") else {})}
        ids = params["ids"].split(",")
        self.touched.extend(ids)
        if "remove_list" not in params and route.startswith("DELETE"):
            return "The tag is now being processed."  # 200 and nothing done: the body was ignored
        tag = params.get("add_list") or params["remove_list"]
        for record_id in ids:
            self.pending.append((self.tag_shows_after_reads, record_id, tag, route.startswith("PUT")))
        return "The tag is now being processed."

    def single(self, route: str, query: dict[str, str], context: Any) -> Any:
        record_id = query["id"]
        if route == "DELETE /Contact":
            self.touched.append(record_id)
            self.contacts.pop(record_id, None)
            self.others -= self.delete_takes_extra
            return {}
        self.settle()
        if record_id not in self.contacts:
            context.status_code = 400
            return "Object not found"
        if self.id_taken_before_delete and self.contacts[record_id].get("contact_cat") == "":
            return {"id": record_id, "email": "someone@else.example"}
        return self.contacts[record_id]

    def settle(self) -> None:
        still = []
        for reads, record_id, tag, add in self.pending:
            if reads > 0:
                still.append((reads - 1, record_id, tag, add))
            elif record_id in self.contacts:
                self.contacts[record_id]["contact_cat"] = f"*/*{tag}*/*" if add else ""
        self.pending = still


@pytest.fixture
def mock() -> Iterator[requests_mock.Mocker]:
    with requests_mock.Mocker() as mocker:
        yield mocker


def run(mock: requests_mock.Mocker, account: FakeAccount) -> tuple[Any, list[float]]:
    mock.register_uri(requests_mock.ANY, requests_mock.ANY, text=account.answer)
    client = OntraportClient(
        EngineSettings(BASE, "app", "key", max_attempts=2), Timing(sleep=lambda _: None, jitter=lambda: 0.0)
    )
    slept: list[float] = []
    try:
        result = WriteTest(DoctorCalls(client), FIELDS, slept.append).run(dict(KNOWN))
    finally:
        client.close()
    return result, slept


def test_a_tag_that_shows_late_is_waited_for(mock: requests_mock.Mocker) -> None:
    account = FakeAccount(tag_shows_after_reads=2)
    result, slept = run(mock, account)
    assert not result.problem and result.cleaned_up, result.problem
    assert sum(slept) > 0  # it waited instead of concluding at once
    assert result.variants[DELETE_FORM_BODY].value == "read"
    assert set(account.touched) == {"100"} and account.contacts == {}


def test_a_form_body_answered_200_and_ignored_is_named_ignore_after_waiting(
    mock: requests_mock.Mocker,
) -> None:
    account = FakeAccount(reads_form_body=False)
    result, slept = run(mock, account)
    assert result.variants[DELETE_FORM_BODY].value == "ignore", result.variants[DELETE_FORM_BODY]
    assert "answered HTTP 200" in result.variants[DELETE_FORM_BODY].how
    assert sum(slept) >= 10  # patient: Ontraport untags asynchronously
    assert [step.name for step in result.steps][-2:] == ["untag", "delete"]
    assert not result.problem and account.contacts == {}


def test_a_delete_that_removes_more_than_the_test_contact_is_an_alert(mock: requests_mock.Mocker) -> None:
    result, _ = run(mock, FakeAccount(delete_takes_extra=3))
    assert result.alerts == ["delete: the contact count changed by -4, -1 was asked"]


def test_an_id_that_holds_another_contact_is_not_deleted(mock: requests_mock.Mocker) -> None:
    account = FakeAccount(id_taken_before_delete=True)
    result, _ = run(mock, account)
    assert not result.cleaned_up and "holds another contact" in result.problem
    assert "delete" not in [step.name for step in result.steps]
    assert not any(
        r.method == "DELETE" and urlsplit(r.url).path == "/1/Contact" for r in mock.request_history
    )


def test_a_lost_create_answer_is_resolved_by_looking_the_test_contact_up(mock: requests_mock.Mocker) -> None:
    account = FakeAccount(lose_create_answer=True)
    result, _ = run(mock, account)
    assert not result.problem and result.cleaned_up and account.contacts == {}
    assert sum(1 for r in mock.request_history if r.method == "POST" and r.path == "/1/contacts") == 1


def test_the_date_field_written_is_midnight_utc_and_read_back(mock: requests_mock.Mocker) -> None:
    account = FakeAccount()
    result, _ = run(mock, account)
    puts = [parse_qs(r.text) for r in mock.request_history if r.method == "PUT" and r.path == "/1/contacts"]
    assert puts[0]["birthday"] == [str(TEST_DAY)]
    assert result.variants[DATE_ONLY_ZONE].value == "utc"


@pytest.mark.parametrize(
    ("stored", "value"),
    [
        (TEST_DAY, "utc"),
        (TEST_DAY - 10 * 3600, "+10"),
        (TEST_DAY + 5 * 3600, "-5"),
        (TEST_DAY + 14 * 3600, "-14"),
    ],
)
def test_date_zone_names_the_offset_as_the_sandbox_switch_does(stored: int, value: str) -> None:
    assert date_zone("birthday", str(stored)).value == value


def test_date_zone_says_unknown_for_what_is_no_whole_hour_or_no_number() -> None:
    assert date_zone("birthday", str(TEST_DAY - 1800)).value.startswith("unknown")
    assert date_zone("birthday", "2001-02-03").value.startswith("unknown")
    assert date_zone("birthday", "").value.startswith("unknown")
