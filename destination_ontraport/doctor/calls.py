"""The account doctor's own requests, each named for the API call it wraps, on the client's one send
path; and what the doctor saw of each answer (the status as Ontraport sent it, the rate headers).

The engine turns a 400 `Object not found` into a NotFoundError like a 404, which is right for a
sync; the doctor wants to know which of the two this account sends, so it watches the exchanges and
reads the raw status of its last request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from destination_ontraport.model.objects import CONTACT_ROUTES
from destination_ontraport.ontraport.client import OntraportClient
from destination_ontraport.ontraport.engine import ApiRequest, JsonDict
from destination_ontraport.ontraport.errors import OntraportError
from destination_ontraport.ontraport.exchange import Exchange
from destination_ontraport.ontraport.pacing import RateHeaders

CAMPAIGNS_PATH = "/CampaignBuilderItems"
SEQUENCES = {"objectID": "5"}  # sequences have no dedicated path (notes 13 A4)
TRANSACTIONS_PATH = "/Transactions"


class DoctorCalls:
    """Wraps a client the doctor owns: it watches every exchange from now on."""

    def __init__(self, client: OntraportClient) -> None:
        self.client = client
        self.last: Exchange | None = None
        self.rate = RateHeaders()
        client.watch(self._seen)

    def _seen(self, exchange: Exchange) -> None:
        self.last = exchange
        if exchange.rate.limit is not None or exchange.rate.remaining is not None:
            self.rate = exchange.rate

    @property
    def last_status(self) -> int | None:
        return self.last.status if self.last is not None else None

    def _data(self, method: str, path: str, params: Mapping[str, str] | None = None) -> Any:
        return self.client.send(ApiRequest(method, path, params=dict(params or {})))

    def count(self, path: str, params: Mapping[str, str] | None = None) -> int:
        """GET <path>/getInfo [params] -> data.count (`/Tags`, `/CampaignBuilderItems`, `/objects` with
        objectID, `/Transactions`): a count, no record data (notes 13 D12)."""
        data = self._data("GET", f"{path}/getInfo", params)
        count = data.get("count") if isinstance(data, dict) else None
        if not str(count or "").strip().isdigit():
            raise OntraportError(f"Ontraport answered GET {path}/getInfo without a count.", path=path)
        return int(str(count).strip())

    def rows(self, path: str, params: Mapping[str, str]) -> list[JsonDict]:
        """GET <path> with paging or listFields: one page of rows (collection read)."""
        data = self._data("GET", path, params)
        return [row for row in data if isinstance(row, dict)] if isinstance(data, list) else []

    def contact(self, record_id: str) -> JsonDict:
        """GET /Contact?id=N: one contact with every field (its tags and memberships included)."""
        data = self._data("GET", "/Contact", {"id": record_id})
        return data if isinstance(data, dict) else {}

    def contacts_by_ids(self, ids: Sequence[str], list_fields: Sequence[str]) -> list[JsonDict]:
        """GET /Contacts?ids=..&listFields=..: the collection read a sync's lookups use."""
        return self.client.find_by_ids(CONTACT_ROUTES, ids, list_fields)

    def delete_contact(self, record_id: str) -> None:
        """DELETE /Contact?id=N: the single delete, which names one contact and no list (a bulk
        delete's `ids` is the kind of selector whose loss would delete every contact)."""
        self._data("DELETE", "/Contact", {"id": record_id})

    def untag_by_form_body(self, record_id: str, tag_id: str) -> None:
        """DELETE /objects/tag?objectID=0&ids=N with `remove_list` only in a form body: whether the
        account reads a DELETE's form body. The query names the one contact, so a server that drops
        the body untags nobody (or that one contact), never everyone."""
        request = ApiRequest(
            "DELETE",
            "/objects/tag",
            params={"objectID": "0", "ids": record_id},
            form={"remove_list": tag_id},
            form_on_delete=True,
        )
        self.client.send(request)


def equals_condition(field: str, value: str) -> str:
    """Ontraport criteria JSON for `<field> = value` (the SDK's Criteria shape)."""
    return orjson.dumps([{"field": {"field": field}, "op": "=", "value": {"value": value}}]).decode()


__all__ = ["CAMPAIGNS_PATH", "SEQUENCES", "TRANSACTIONS_PATH", "DoctorCalls", "equals_condition"]
