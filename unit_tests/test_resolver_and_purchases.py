"""The shared resolver (records by key -> ids) and the purchase writer, with a real OntraportClient
against requests-mock: the requests as they go on the wire, and what each rule does with the answers
(several records for one key, a condition the server ignored, a create whose answer was lost)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import requests_mock

from destination_ontraport.model.mapping import FieldCatalog, FieldInfo
from destination_ontraport.model.objects import ObjectType
from destination_ontraport.model.orders import Order, order_id_of, read_order_part
from destination_ontraport.model.purchases import PRODUCTS
from destination_ontraport.ontraport.client import OntraportClient
from destination_ontraport.ontraport.settings import EngineSettings, Timing
from destination_ontraport.write.purchases import PurchaseWriter
from destination_ontraport.write.resolver import Resolvers

BASE = "https://api.test/1"
EMAIL = FieldInfo("email", "Email", "email")
CONTACTS = ObjectType(0, "Contact", FieldCatalog([EMAIL]))
NAME = FieldInfo("name", "Name", "text")
COMPANIES = ObjectType(150, "Company", FieldCatalog([NAME]))


class Account:
    """Ontraport's answers, kept in dicts: records per path, every request in `mock.request_history`."""

    def __init__(self, mock: requests_mock.Mocker) -> None:
        self.mock = mock
        self.records: dict[str, list[dict[str, Any]]] = {
            "/Contacts": [],
            "/objects": [],
            "/Products": [],
            "/Transactions": [],
        }
        self.ignore_condition = False
        self.log_answers: dict[
            str, list[dict[str, Any]]
        ] = {}  # processManual answers per order, then success
        for path in self.records:
            mock.get(BASE + path, json=self._read)
            mock.get(BASE + path + "/getInfo", json=self._count)
        mock.post(BASE + "/Contacts/saveorupdate", json=self._save)
        mock.post(BASE + "/Products", json=self._create_product)
        mock.post(BASE + "/transaction/processManual", json=self._log)

    @staticmethod
    def _query(request: Any) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}

    def _selected(self, request: Any) -> list[dict[str, Any]]:
        query = self._query(request)
        rows = self.records[urlsplit(request.url).path.removeprefix("/1").removesuffix("/getInfo")]
        if "condition" not in query or self.ignore_condition:
            return rows
        (clause,) = json.loads(query["condition"])
        field = clause["field"]["field"]
        wanted = {str(item["value"]).casefold() for item in clause["value"]["list"]}
        return [row for row in rows if str(row.get(field, "")).casefold() in wanted]

    def _read(self, request: Any, context: Any) -> dict[str, Any]:
        query = self._query(request)
        start = int(query.get("start", 0))
        return {"code": 0, "data": self._selected(request)[start : start + 50], "account_id": 50}

    def _count(self, request: Any, context: Any) -> dict[str, Any]:
        return {"code": 0, "data": {"count": str(len(self._selected(request)))}, "account_id": 50}

    def add(self, path: str, **fields: Any) -> str:
        new_id = str(len(self.records[path]) + 1)
        self.records[path].append({"id": new_id, **fields})
        return new_id

    def _save(self, request: Any, context: Any) -> dict[str, Any]:
        form = {k: v[0] for k, v in parse_qs(request.text).items()}
        return {"code": 0, "data": {"id": self.add("/Contacts", **form)}, "account_id": 50}

    def _create_product(self, request: Any, context: Any) -> dict[str, Any]:
        return {"code": 0, "data": {"id": self.add("/Products", **request.json())}, "account_id": 50}

    def _log(self, request: Any, context: Any) -> Any:
        body = request.json()
        answers = self.log_answers.get(body["external_order_id"])
        if answers:
            answer = answers.pop(0)
            if answer.get("applies"):
                self.add("/Transactions", external_order_id=body["external_order_id"], subtotal="1.00")
            if "exc" in answer:
                raise answer["exc"]
            context.status_code = answer["status"]
            return answer["text"]
        new_id = self.add("/Transactions", external_order_id=body["external_order_id"], subtotal="1.00")
        return {"code": 0, "data": {"invoice_id": int(new_id)}, "account_id": 50}

    def sent(self, method: str, path: str) -> list[Any]:
        return [
            r for r in self.mock.request_history if r.method == method and urlsplit(r.url).path == "/1" + path
        ]


@pytest.fixture
def account() -> Iterator[Account]:
    with requests_mock.Mocker() as mock:
        yield Account(mock)


@pytest.fixture
def client() -> Iterator[OntraportClient]:
    settings = EngineSettings(BASE, "app", "Key-unit-secret-123", max_attempts=2)
    made = OntraportClient(settings, Timing(clock=lambda: 0.0, sleep=lambda _: None, jitter=lambda: 0.0))
    made.condition_needs_ids_zero = False  # settled: no getInfo cross-checks in these tests
    yield made
    made.close()


@pytest.fixture
def resolvers(client: OntraportClient) -> Iterator[Resolvers]:
    made = Resolvers(client, ignores_case=None)
    yield made
    made.close()


# --- the resolver -------------------------------------------------------------------------------------


def test_keys_are_looked_up_49_a_request_once_per_distinct_value_per_sync(
    account: Account, resolvers: Resolvers
) -> None:
    ids = {f"p{n}@x.io": account.add("/Contacts", email=f"p{n}@x.io") for n in range(120)}
    resolver = resolvers.of(CONTACTS, EMAIL, oldest_of_several=True)
    found = resolver.resolve([*ids, *ids])  # each value twice
    assert found.ids == ids and found.refused == {}
    lookups = account.sent("GET", "/Contacts")
    assert len(lookups) == 3, "120 values: 49 + 49 + 22"
    assert {tuple(parse_qs(urlsplit(r.url).query)["listFields"]) for r in lookups} == {("id,email",)}
    again = resolver.resolve([email.upper() for email in ids])
    assert again.ids == ids and len(account.sent("GET", "/Contacts")) == 3, "cached for the rest of the sync"


def test_long_keys_are_cut_so_that_a_request_line_stays_short(account: Account, resolvers: Resolvers) -> None:
    names = [f"{'Long company name ' * 10}{n}" for n in range(40)]
    resolvers.of(COMPANIES, NAME, oldest_of_several=False).resolve(names)
    lines = [len(r.url) for r in account.sent("GET", "/objects")]
    assert len(lines) > 1 and max(lines) < 6000


def test_rows_for_values_not_asked_are_never_a_match(account: Account, resolvers: Resolvers) -> None:
    """A server that ignored the condition answers every record: each row is checked."""
    account.add("/objects", name="Other Co")
    account.ignore_condition = True
    found = resolvers.of(COMPANIES, NAME, oldest_of_several=False).resolve(["Acme"])
    assert found.ids == {} and found.refused == {}


def test_several_records_for_a_unique_key_name_the_oldest_and_for_a_name_none(
    account: Account, resolvers: Resolvers, caplog: pytest.LogCaptureFixture
) -> None:
    account.add("/Contacts", email="twin@x.io")
    account.add("/Contacts", email="Twin@x.io")
    account.add("/objects", name="Twin Corp")
    account.add("/objects", name="Twin Corp")
    with caplog.at_level(logging.WARNING, logger="airbyte"):
        contact = resolvers.of(CONTACTS, EMAIL, oldest_of_several=True).resolve(["twin@x.io"])
    assert contact.ids == {"twin@x.io": "1"}
    assert "linking to the oldest, 1" in caplog.text
    company = resolvers.of(COMPANIES, NAME, oldest_of_several=False).resolve(["Twin Corp"])
    assert company.ids == {}
    assert company.refused["Twin Corp"].startswith("2 Company records have Name 'Twin Corp' (ids 1, 2)")


def test_a_name_differing_only_in_case_is_found_when_it_is_the_only_one(
    account: Account, resolvers: Resolvers
) -> None:
    account.add("/objects", name="ACME Inc")
    account.add("/objects", name="Beta")
    account.add("/objects", name="BETA")
    found = resolvers.of(COMPANIES, NAME, oldest_of_several=False).resolve(["Acme Inc", "beta"])
    assert found.ids == {"Acme Inc": "1"}, "two records that differ from 'beta' only in case: none guessed"


def test_missing_contacts_are_created_repeat_safely_with_their_email(
    account: Account, resolvers: Resolvers
) -> None:
    resolver = resolvers.of(CONTACTS, EMAIL, oldest_of_several=True)
    created = resolver.create({"new@x.io": {"email": "New@x.io"}})
    assert created.ids == {"new@x.io": "1"} and created.made == 1
    (save,) = account.sent("POST", "/Contacts/saveorupdate")
    assert parse_qs(save.text) == {"email": ["New@x.io"]}, "form-encoded, as the SDK sends contacts"
    assert resolver.resolve(["new@x.io"]).ids == {"new@x.io": "1"}
    assert account.sent("GET", "/Contacts") == [], "known since it was created"


def test_a_product_create_whose_answer_was_lost_is_looked_up_not_sent_twice(
    account: Account, resolvers: Resolvers
) -> None:
    product_name = PRODUCTS.fields.require("name", "test")
    resolver = resolvers.of(PRODUCTS, product_name, oldest_of_several=True)

    def lost(request: Any, context: Any) -> Any:
        account.add("/Products", **request.json())  # it took effect, then the connection dropped
        raise requests.exceptions.ConnectionError("reset")

    account.mock.post(BASE + "/Products", json=lost)
    created = resolver.create({"Mug": {"name": "Mug", "price": "12.50", "sku": "M-1"}})
    assert created.ids == {"Mug": "1"}
    (post,) = account.sent("POST", "/Products")
    assert post.json() == {"name": "Mug", "price": "12.50", "sku": "M-1"}, "JSON, no objectID, as the SDK"
    assert len(account.sent("GET", "/Products")) == 1


# --- the purchase writer ----------------------------------------------------------------------------


def order(order_id: str, email: str = "a@x.io") -> Order:
    data = {"External Order ID": order_id, "Email": email, "Product": "Mug", "Quantity": 2, "Price": "1.50"}
    return Order.start(read_order_part(data, order_id_of(data)), 1, "orders")


def writer(client: OntraportClient, resolvers: Resolvers) -> PurchaseWriter:
    return PurchaseWriter(client, CONTACTS, resolvers)


def flush(purchases: PurchaseWriter) -> Any:
    (outcome,) = list(purchases.flush())
    return outcome


def test_an_order_is_logged_with_chargelog_json_and_found_on_the_next_flush(
    account: Account, client: OntraportClient, resolvers: Resolvers
) -> None:
    purchases = writer(client, resolvers)
    purchases.add_order(order("A-1"))
    outcome = flush(purchases)
    assert (outcome.created, outcome.refused) == (1, [])
    (logged,) = account.sent("POST", "/transaction/processManual")
    assert logged.headers["Content-Type"] == "application/json"
    body = logged.json()
    assert (body["chargeNow"], body["invoice_template"], body["external_order_id"]) == (
        "chargeLog",
        -1,
        "A-1",
    )
    assert (
        body["offer"]["products"][0]["price"] == [{"price": 1.5}]
        and body["offer"]["products"][0]["quantity"] == 2
    )
    lookup = account.sent("GET", "/Transactions")[0]
    condition = json.loads(parse_qs(urlsplit(lookup.url).query)["condition"][0])
    assert condition[0]["field"] == {"field": "external_order_id"} and condition[0]["op"] == "IN"


def test_a_purchase_whose_answer_was_lost_is_looked_up_and_never_logged_twice(
    account: Account, client: OntraportClient, resolvers: Resolvers
) -> None:
    account.log_answers = {"A-1": [{"exc": requests.exceptions.ReadTimeout("slow"), "applies": True}]}
    purchases = writer(client, resolvers)
    purchases.add_order(order("A-1"))
    assert flush(purchases).created == 1
    assert len(account.sent("POST", "/transaction/processManual")) == 1
    assert [row["external_order_id"] for row in account.records["/Transactions"]] == ["A-1"]


def test_a_purchase_lost_before_it_took_effect_is_sent_again(
    account: Account, client: OntraportClient, resolvers: Resolvers
) -> None:
    account.log_answers = {"A-1": [{"exc": requests.exceptions.ReadTimeout("slow"), "applies": False}]}
    purchases = writer(client, resolvers)
    purchases.add_order(order("A-1"))
    assert flush(purchases).created == 1
    assert len(account.sent("POST", "/transaction/processManual")) == 2
    assert [row["external_order_id"] for row in account.records["/Transactions"]] == ["A-1"]


@pytest.mark.parametrize("status", [400, 404])
def test_a_refused_purchase_is_rejected_with_the_reason_unless_it_is_there_after_all(
    account: Account, client: OntraportClient, resolvers: Resolvers, status: int
) -> None:
    account.log_answers = {
        "A-1": [{"status": status, "text": "Invalid Contact ID"}],
        "B-2": [
            {
                "status": 400,
                "text": "A transaction with external_order_id B-2 already exists",
                "applies": True,
            }
        ],
    }
    purchases = writer(client, resolvers)
    purchases.add_order(order("A-1"))
    purchases.add_order(order("B-2"))
    outcome = flush(purchases)
    (refused,) = outcome.refused
    assert refused.key == "A-1" and "Ontraport refused the purchase" in refused.reason
    assert "Invalid Contact ID" in refused.reason
    assert (outcome.created, outcome.unchanged) == (0, 1), "B-2 is in Ontraport: another run logged it"


def test_lines_of_an_order_that_come_apart_from_it_are_refused(
    account: Account, client: OntraportClient, resolvers: Resolvers
) -> None:
    purchases = writer(client, resolvers)
    purchases.add_order(order("A-1"))
    flush(purchases)
    purchases.add_order(order("A-1"))
    outcome = flush(purchases)
    assert "must come one after another" in outcome.refused[0].reason
    assert len(account.sent("POST", "/transaction/processManual")) == 1


def test_an_order_already_in_ontraport_with_another_subtotal_is_kept_and_named(
    account: Account, client: OntraportClient, resolvers: Resolvers, caplog: pytest.LogCaptureFixture
) -> None:
    account.add("/Transactions", external_order_id="A-1", subtotal="9.99")
    purchases = writer(client, resolvers)
    purchases.add_order(order("A-1"))
    with caplog.at_level(logging.WARNING, logger="airbyte"):
        outcome = flush(purchases)
    assert (outcome.created, outcome.unchanged) == (0, 1)
    assert "with subtotal 9.99, the source now says 3.00" in caplog.text
    assert account.sent("POST", "/transaction/processManual") == []


def test_a_lost_answer_is_looked_up_from_its_own_thread_even_with_one_request_in_flight(
    account: Account,
) -> None:
    """The lookup after a lost answer runs in the thread that sent the write: handed to the pool, it
    would wait forever for a thread the pool has not got (one request in flight: one thread)."""
    settings = EngineSettings(BASE, "app", "Key-unit-secret-123", max_attempts=2, max_in_flight=1)
    client = OntraportClient(settings, Timing(clock=lambda: 0.0, sleep=lambda _: None, jitter=lambda: 0.0))
    client.condition_needs_ids_zero = False
    resolvers = Resolvers(client, ignores_case=None)
    account.log_answers = {"A-1": [{"exc": requests.exceptions.ReadTimeout("slow"), "applies": True}]}

    def lost(request: Any, context: Any) -> Any:
        account.add("/Products", **request.json())
        raise requests.exceptions.ConnectionError("reset")

    account.mock.post(BASE + "/Products", json=lost)
    purchases = writer(client, resolvers)
    purchases.add_order(order("A-1"))
    outcomes: list[Any] = []
    thread = threading.Thread(target=lambda: outcomes.append(flush(purchases)), daemon=True)
    thread.start()
    thread.join(timeout=20)
    try:
        assert not thread.is_alive(), (
            "the flush never ended: a lookup waited for a thread the pool had not got"
        )
        assert outcomes[0].created == 1
        assert len(account.sent("POST", "/Products")) == 1
        assert len(account.sent("POST", "/transaction/processManual")) == 1
    finally:
        if not thread.is_alive():
            resolvers.close()
            client.close()
