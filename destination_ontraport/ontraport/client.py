"""The Ontraport REST API v1 endpoints the connector uses, for any object type.

Each method names the API call it wraps and builds one `ApiRequest`; `engine.ApiEngine` sends
it (auth, pacing, retries, the error table). Requests go exactly as Ontraport's PHP SDK sends them:
contacts on their dedicated routes, form-encoded; other objects on the generic routes with
`objectID`, JSON bodies for create and update; DELETE parameters always in the query string.
Every bulk action names explicit, positive ids: a request that would touch every record if one
parameter were dropped or ignored is refused before it is sent.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from typing import Any, Protocol, TypeVar
from urllib.parse import quote_plus, urlencode, urlsplit

import orjson

from destination_ontraport.model.automations import ListKind
from destination_ontraport.model.coercion import whole_number
from destination_ontraport.model.objects import CONTACT_OBJECT_ID, ObjectType
from destination_ontraport.ontraport.engine import ApiEngine, ApiRequest, JsonDict, RequestStats
from destination_ontraport.ontraport.errors import OntraportError, UnexpectedAnswerError, UnsafeRequestError
from destination_ontraport.ontraport.exchange import ExchangeWatcher
from destination_ontraport.ontraport.settings import REAL_TIME, EngineSettings, Timing

logger = logging.getLogger("airbyte")

PAGE_SIZE = 50
"""Ontraport's maximum `range` for collection reads."""
LOOKUP_VALUES = PAGE_SIZE - 1
"""Values per bulk lookup: one below the page size, so that a full page of rows proves duplicates."""
MAX_REQUEST_LINE = 6000
"""Bytes a lookup's request line may take (method, path, query): well under common 8 KB limits."""
MAX_LOOKUP_VALUE = 4000
"""Bytes one value may take, percent-encoded, in a lookup's query string: MAX_REQUEST_LINE less room
for the path and the fields listed (200 of them take about 1,600 bytes). A longer match value or tag
name cannot be looked up in a request a server accepts, on any retry: its record is rejected instead
(see `lookup_value_fits`)."""
_POSITIVE_ID = re.compile(r"[1-9][0-9]*")
Row = TypeVar("Row")


class RecordApi(Protocol):
    """The part of the client the writer, the executor and the removals use (fakes in tests match it)."""

    max_in_flight: int
    condition_needs_ids_zero: bool | None

    def lookup_chunks(
        self, obj: ObjectType, field_name: str, values: Sequence[str], list_fields: Sequence[str]
    ) -> list[list[str]]: ...
    def find(
        self,
        obj: ObjectType,
        field_name: str,
        values: Sequence[str],
        list_fields: Sequence[str],
        *,
        start: int = 0,
    ) -> list[JsonDict]: ...
    def find_by_ids(
        self, obj: ObjectType, ids: Sequence[str], list_fields: Sequence[str]
    ) -> list[JsonDict]: ...
    def count(self, obj: ObjectType, condition: str | None = None) -> int: ...
    def create(self, obj: ObjectType, fields: Mapping[str, str]) -> str: ...
    def save_or_update(self, obj: ObjectType, fields: Mapping[str, str]) -> tuple[str, bool]: ...
    def update(self, obj: ObjectType, record_id: str, fields: Mapping[str, str]) -> None: ...
    def delete(self, obj: ObjectType, ids: Sequence[str]) -> None: ...
    def add_tags(self, obj: ObjectType, ids: Sequence[str], tag_ids: Sequence[str]) -> None: ...
    def remove_tags(self, obj: ObjectType, ids: Sequence[str], tag_ids: Sequence[str]) -> None: ...
    def records_with_tag(
        self, obj: ObjectType, tag_id: str, list_fields: Sequence[str], start: int
    ) -> list[JsonDict]: ...
    def subscribe(self, kind: ListKind, list_ids: Sequence[str], contact_ids: Sequence[str]) -> None: ...
    def unsubscribe(self, kind: ListKind, list_ids: Sequence[str], contact_ids: Sequence[str]) -> None: ...
    def read_contact(self, contact_id: str) -> JsonDict: ...


class OntraportClient:
    """Thread-safe. What it learns about the account (whether lookups need `ids=0`) holds for the
    whole sync: `condition_needs_ids_zero` is None until an answer settles it."""

    def __init__(self, settings: EngineSettings, timing: Timing = REAL_TIME) -> None:
        self._engine = ApiEngine(settings, timing)
        self.max_in_flight = settings.max_in_flight
        self.condition_needs_ids_zero: bool | None = None
        # Object types sampled empty, with no record created since: an empty lookup of one needs no
        # second look. Per type: an account without contacts may well hold custom-object records.
        self._empty_types: set[int] = set()

    def __repr__(self) -> str:
        return f"OntraportClient(base_url={self._engine.base_url!r}, api_key=<hidden>)"

    @property
    def stats(self) -> RequestStats:
        return self._engine.stats

    def allowed_requests_per_minute(self) -> float:
        return self._engine.allowed_requests_per_minute()

    def close(self) -> None:
        self._engine.close()

    def watch(self, watcher: ExchangeWatcher) -> None:
        """Every later request attempt goes to `watcher` too (the HTTP trace, the account doctor)."""
        self._engine.watch(watcher)

    def send(self, request: ApiRequest) -> Any:
        """A request its caller built (the account doctor's probes, each named where it is built), on
        the one send path: pacing, retries, the error table, the watchers."""
        return self._engine.send(request)

    def _send(self, request: ApiRequest) -> Any:
        return self._engine.send(request)

    # --- metadata ----------------------------------------------------------------------------------
    def all_object_meta(self) -> dict[str, JsonDict]:
        """GET /objects/meta?format=byId -> {object type id: {"name", "fields"}} for every object type
        of the account (custom objects are the ids >= 10000, as the SDK's retrieveCustomObjects reads
        them)."""
        data = self._send(ApiRequest("GET", "/objects/meta", params={"format": "byId"}))
        if isinstance(data, dict) and data:
            return {str(key): value for key, value in data.items() if isinstance(value, dict)}
        raise _shape_error("GET", "/objects/meta", "no object list")

    def contact_fields(self) -> dict[str, JsonDict]:
        """GET /Contacts/meta -> data["0"]["fields"] (field name -> {alias, type, options, ...})."""
        data = self._send(ApiRequest("GET", "/Contacts/meta"))
        if isinstance(data, dict) and data:
            section = data.get(str(CONTACT_OBJECT_ID), next(iter(data.values())))
            if isinstance(section, dict) and isinstance(section.get("fields"), dict):
                return dict(section["fields"])
        raise _shape_error("GET", "/Contacts/meta", "no field list")

    # --- reads -------------------------------------------------------------------------------------
    def count(self, obj: ObjectType, condition: str | None = None) -> int:
        """GET /Contacts/getInfo (or /objects/getInfo?objectID=) [condition] -> data.count."""
        path = f"{obj.collection_path}/getInfo"
        params = {**obj.selector, **({"condition": condition} if condition else {})}
        data = self._send(ApiRequest("GET", path, params=params))
        count = whole_number(data.get("count")) if isinstance(data, dict) else None
        if count is None:
            raise _shape_error("GET", path, "no data.count as a whole number")
        return count

    def sample(self, obj: ObjectType, list_fields: Sequence[str]) -> list[JsonDict]:
        """GET /Contacts range=50 listFields, no condition: a few rows for the read-path probe. None at
        all means no record of this type, where an empty lookup needs no second look until one is made
        (this type only: the other types of the account are not known to be empty)."""
        params = {**obj.selector, "listFields": ",".join(list_fields), "start": "0", "range": str(PAGE_SIZE)}
        rows = _rows(self._send(ApiRequest("GET", obj.collection_path, params=params)), obj.collection_path)
        if rows:
            self._empty_types.discard(obj.id)
        else:
            self._empty_types.add(obj.id)
        return rows

    def holds_no_records(self, obj: ObjectType) -> bool:
        """Whether this type was sampled empty and nothing has been created in it since."""
        return obj.id in self._empty_types

    def find(
        self,
        obj: ObjectType,
        field_name: str,
        values: Sequence[str],
        list_fields: Sequence[str],
        *,
        start: int = 0,
    ) -> list[JsonDict]:
        """GET /Contacts (or /objects?objectID=) with condition `<field> IN [values]` (at most 50
        values), listFields, range=50.

        One page only: with duplicates in Ontraport a full page (50 rows) may hide more; `start` lets
        the caller page on. Whether Ontraport needs `ids=0` beside a condition is not settled by any
        source: an empty answer is checked once against the count of the same condition (getInfo),
        and when that count says the answer was wrong, every later condition read sends `ids=0`.
        """
        unique = list(dict.fromkeys(values))
        if len(unique) > PAGE_SIZE:
            raise ValueError(f"find takes at most {PAGE_SIZE} values per request, got {len(unique)}")
        if not unique:
            return []
        condition = in_condition(field_name, unique)
        params = {
            **obj.selector,
            "condition": condition,
            "listFields": ",".join(list_fields),
            "start": str(start),
            "range": str(PAGE_SIZE),
        }
        rows = self._condition_read(obj.collection_path, params)
        if rows or start or obj.id in self._empty_types or self.condition_needs_ids_zero is not None:
            if rows and self.condition_needs_ids_zero is None:
                self.condition_needs_ids_zero = False
            return rows
        if self.count(obj, condition) == 0:
            return rows
        logger.warning(
            "Ontraport answered a lookup by condition with no records although its count of the same "
            "condition is not 0: from now on every lookup also sends ids=0, which this account needs."
        )
        self.condition_needs_ids_zero = True
        return self._condition_read(obj.collection_path, params)

    def find_by_ids(self, obj: ObjectType, ids: Sequence[str], list_fields: Sequence[str]) -> list[JsonDict]:
        """GET /Contacts?ids=1,2,3 (or /objects?objectID=&ids=) listFields: records by Ontraport id."""
        checked = _explicit_ids(ids, "GET", obj.collection_path, what="record ids")
        if len(checked) > PAGE_SIZE:
            raise ValueError(f"find_by_ids takes at most {PAGE_SIZE} ids per request, got {len(checked)}")
        params = {
            **obj.selector,
            "ids": ",".join(checked),
            "listFields": ",".join(list_fields),
            "range": str(PAGE_SIZE),
        }
        return _rows(self._send(ApiRequest("GET", obj.collection_path, params=params)), obj.collection_path)

    def lookup_chunks(
        self, obj: ObjectType, field_name: str, values: Sequence[str], list_fields: Sequence[str]
    ) -> list[list[str]]:
        """`values` cut into lookups of at most 49 values whose request line stays under 6,000
        bytes: long match values (49 of 254 characters made 14 KB) would otherwise meet a server's
        or proxy's limit on request lines (HTTP 414, on every retry). A single value longer than
        that goes alone. For `id` the estimate is the condition's, which is longer than `ids=`."""
        fixed_params = {
            **obj.selector,
            "condition": in_condition(field_name, []),
            "listFields": ",".join(list_fields),
            "start": "0" * 10,  # room for paging on duplicates
            "range": str(PAGE_SIZE),
            "ids": "0",
        }
        fixed = self._request_line("GET", obj.collection_path, fixed_params)
        return _cut_to_fit(values, fixed, _condition_cost, LOOKUP_VALUES)

    def _request_line(self, method: str, path: str, params: Mapping[str, str]) -> int:
        """Bytes of `METHOD /1/path?params HTTP/1.1`, the line a server's limit counts."""
        full_path = urlsplit(self._engine.base_url).path + path
        return len(f"{method} {full_path}? HTTP/1.1") + len(urlencode(params))

    def records_with_tag(
        self, obj: ObjectType, tag_id: str, list_fields: Sequence[str], start: int
    ) -> list[JsonDict]:
        """GET /objects/tag objectID tag_id start range=50 listFields -> one page of tagged records."""
        params = {
            "objectID": str(obj.id),
            "tag_id": str(tag_id),
            "start": str(start),
            "range": str(PAGE_SIZE),
            "listFields": ",".join(list_fields),
        }
        return _rows(self._send(ApiRequest("GET", "/objects/tag", params=params)), "/objects/tag")

    def _condition_read(self, path: str, params: dict[str, str]) -> list[JsonDict]:
        """A collection GET with a condition; adds `ids=0` once the account proved to need it."""
        if self.condition_needs_ids_zero:
            params = {**params, "ids": "0"}
        return _rows(self._send(ApiRequest("GET", path, params=params)), path)

    # --- writes ------------------------------------------------------------------------------------
    def create(self, obj: ObjectType, fields: Mapping[str, str]) -> str:
        """POST /Contacts (form) or POST /objects (JSON, objectID): always creates. Never re-sent by the
        engine once it may have arrived: a lost answer raises AmbiguousWriteError so that the caller
        can look up before trying again. Returns the new id."""
        self._empty_types.discard(obj.id)  # from the moment it is sent: it may take effect even if it fails
        data = self._send(self._write_request("POST", obj, dict(fields), repeat_safe=False))
        if isinstance(data, dict) and data.get("id") not in (None, ""):
            return str(data["id"])
        raise _shape_error("POST", obj.collection_path, "no data.id")

    def save_or_update(self, obj: ObjectType, fields: Mapping[str, str]) -> tuple[str, bool]:
        """POST /Contacts/saveorupdate (or /objects/saveorupdate with objectID), form-encoded: merges on
        the unique field (a contact's email), so it is repeat-safe and retried. Returns (id, created).

        Ontraport tells the outcomes apart only by shape: a merge answers `data.attrs` (with the id),
        a create answers the new record (`data.id`). Any other answer (`Save failed!`, a body that is
        not the envelope, an envelope without an id) is deterministic as far as anyone knows, so it
        raises UnexpectedAnswerError at once instead of being re-sent: the caller resolves it.
        """
        path = f"{obj.collection_path}/saveorupdate"
        self._empty_types.discard(obj.id)
        form = {**obj.selector, **fields}
        data = self._send(ApiRequest("POST", path, form=form, odd_answer_is_final=True))
        if isinstance(data, dict):
            attrs = data.get("attrs")
            if isinstance(attrs, dict) and attrs.get("id") not in (None, ""):
                return str(attrs["id"]), False
            if attrs is None and data.get("id") not in (None, ""):
                return str(data["id"]), True
        raise UnexpectedAnswerError(
            f"Ontraport answered POST {path} without the record's id (neither data.id nor data.attrs.id)",
            method="POST",
            path=path,
        )

    def update(self, obj: ObjectType, record_id: str, fields: Mapping[str, str]) -> None:
        """PUT /Contacts (form) or PUT /objects (JSON, objectID) with id + only the given fields. An
        unknown id raises NotFoundError (`Object not found` with 404, or with 400 on some accounts)."""
        (checked,) = _explicit_ids([record_id], "PUT", obj.collection_path, what="record ids")
        self._send(self._write_request("PUT", obj, {**fields, "id": checked}, repeat_safe=True))

    def delete(self, obj: ObjectType, ids: Sequence[str]) -> None:
        """DELETE /Contacts?ids=... (or /objects?objectID=&ids=): in the query string, as Ontraport's
        SDK sends it (a form body on DELETE is not read by PHP, and Ontraport deletes every record when
        a bulk delete names no ids), in as many requests as keep each request line under 6,000 bytes.
        Refuses empty ids, `0`, or non-numeric ids; never `performAll`, `group_id` or `condition`."""
        checked = _explicit_ids(ids, "DELETE", obj.collection_path, what="record ids")
        fixed = self._request_line("DELETE", obj.collection_path, {**obj.selector, "ids": ""})
        for chunk in _cut_to_fit(checked, fixed, _id_cost, len(checked)):
            params = {**obj.selector, "ids": ",".join(chunk)}
            self._send(ApiRequest("DELETE", obj.collection_path, params=params))

    def _write_request(
        self, method: str, obj: ObjectType, fields: dict[str, str], *, repeat_safe: bool
    ) -> ApiRequest:
        if obj.is_contact:
            return ApiRequest(method, "/Contacts", form=fields, repeat_safe=repeat_safe)
        if obj.route is not None:  # `POST /Products`: JSON without objectID, as the SDK's Products.php
            return ApiRequest(method, obj.route, json=dict(fields), repeat_safe=repeat_safe)
        return ApiRequest(method, "/objects", json={"objectID": obj.id, **fields}, repeat_safe=repeat_safe)

    # --- purchases ---------------------------------------------------------------------------------
    def log_purchase(self, body: Mapping[str, Any]) -> str:
        """POST /transaction/processManual, JSON, as the SDK's Transactions.php sends it: records a sale
        (the caller sends `chargeNow: "chargeLog"`, which never charges a card) and answers
        `data.invoice_id`, returned as text. Not repeat-safe: a second send would log the sale twice,
        so a lost answer raises AmbiguousWriteError and the caller looks the order up before trying
        again. An unknown contact is Ontraport's plain `Invalid Contact ID` (RequestRejectedError, or
        NotFoundError where the account answers it with 404)."""
        path = "/transaction/processManual"
        data = self._send(ApiRequest("POST", path, json=dict(body), repeat_safe=False))
        invoice = data.get("invoice_id") if isinstance(data, dict) else None
        if invoice in (None, "") or isinstance(invoice, bool | dict | list):
            raise _shape_error("POST", path, "no data.invoice_id")
        return str(invoice)

    # --- tags --------------------------------------------------------------------------------------
    def find_tags(self, names: Sequence[str], object_type_id: int = CONTACT_OBJECT_ID) -> dict[str, str]:
        """GET /Tags with condition tag_name IN names -> {our name: tag_id} among the object's tags.

        The names go in lookups cut as `lookup_chunks` cuts values (1,000 tag names in one request
        line made a 414 on every retry), each paged by 50 until a short page. A tag is ours when its
        name is exactly ours or, failing that, equal ignoring case and the only one that is (whether
        Ontraport compares tag names by case is not settled: it refuses a second tag that differs
        only in case on a case-insensitive account).
        """
        unique = list(dict.fromkeys(names))
        fixed_params = {
            "condition": in_condition("tag_name", []),
            "start": "0" * 10,
            "range": str(PAGE_SIZE),
            "ids": "0",
        }
        fixed = self._request_line("GET", "/Tags", fixed_params)
        rows: list[JsonDict] = []
        for chunk in _cut_to_fit(unique, fixed, _condition_cost, LOOKUP_VALUES):
            rows.extend(pages(partial(self._tags_page, in_condition("tag_name", chunk))))
        return _tags_by_name(unique, rows, object_type_id)

    def all_tags(self, names: Sequence[str], object_type_id: int = CONTACT_OBJECT_ID) -> dict[str, str]:
        """GET /Tags without a condition, every page -> {our name: tag_id}: the fallback when a
        condition read missed a tag that Ontraport says exists."""
        rows = list(pages(partial(self._tags_page, None)))
        return _tags_by_name(list(dict.fromkeys(names)), rows, object_type_id)

    def _tags_page(self, condition: str | None, start: int) -> list[JsonDict]:
        """GET /Tags [condition] start range=50: one page of tags (`ids=0` beside a condition once the
        account proved to need it; never without one, where it is not needed)."""
        page = {"start": str(start), "range": str(PAGE_SIZE)}
        if condition is None:
            return _rows(self._send(ApiRequest("GET", "/Tags", params=page)), "/Tags")
        return self._condition_read("/Tags", {"condition": condition, **page})

    def create_tag(self, name: str, object_type_id: int = CONTACT_OBJECT_ID) -> str:
        """POST /Tags with tag_name, object_type_id -> tag id.

        Not repeat-safe (a second send would hit "already exists"), so a lost answer raises
        AmbiguousWriteError and the caller looks the tag up again.
        """
        form = {"tag_name": name, "object_type_id": str(object_type_id)}
        data = self._send(ApiRequest("POST", "/Tags", form=form, repeat_safe=False))
        if isinstance(data, dict):
            for key in ("tag_id", "id"):
                if data.get(key) not in (None, ""):
                    return str(data[key])
        raise _shape_error("POST", "/Tags", "no data.tag_id")

    def add_tags(self, obj: ObjectType, ids: Sequence[str], tag_ids: Sequence[str]) -> None:
        """PUT /objects/tag objectID add_list ids, form-encoded as Ontraport's WooCommerce plugin
        sends it. Refuses empty ids (UnsafeRequestError)."""
        records, tags = _bulk_selection("PUT", ids, tag_ids)
        form = {"objectID": str(obj.id), "add_list": tags, "ids": records}
        self._send(ApiRequest("PUT", "/objects/tag", form=form))

    def remove_tags(self, obj: ObjectType, ids: Sequence[str], tag_ids: Sequence[str]) -> None:
        """DELETE /objects/tag?objectID=&remove_list=&ids=: parameters in the query string, as
        Ontraport's SDK sends every DELETE (a tag action that lost its ids would apply to every
        record), in as many requests as keep each request line under 6,000 bytes. Refuses empty ids."""
        records, tags = _bulk_selection("DELETE", ids, tag_ids)
        fixed_params = {"objectID": str(obj.id), "remove_list": tags, "ids": ""}
        fixed = self._request_line("DELETE", "/objects/tag", fixed_params)
        every = records.split(",")
        for chunk in _cut_to_fit(every, fixed, _id_cost, len(every)):
            params = {"objectID": str(obj.id), "remove_list": tags, "ids": ",".join(chunk)}
            self._send(ApiRequest("DELETE", "/objects/tag", params=params))

    # --- campaigns and sequences (docs/ontraport-api-notes.md §13 A1-A5) ------------------------
    def automation_lists(self, kind: ListKind) -> list[JsonDict]:
        """Every campaign (GET /CampaignBuilderItems) or sequence (GET /objects?objectID=5) of the
        account, paged by 50: `id`/`drip_id`, `name` (and `deleted` of a campaign)."""
        path = kind.list_path

        def page(start: int) -> list[JsonDict]:
            params = {**kind.list_params, "start": str(start), "range": str(PAGE_SIZE)}
            return _rows(self._send(ApiRequest("GET", path, params=params)), path)

        return list(pages(page))

    def subscribe(self, kind: ListKind, list_ids: Sequence[str], contact_ids: Sequence[str]) -> None:
        """PUT /objects/subscribe, form-encoded as Ontraport's SDK sends it: objectID=0, add_list,
        ids, sub_type `Campaign` or `Sequence`. Not repeat-safe: whether subscribing a contact already
        on a campaign restarts it is not settled (§13 A5), so an answer that never came raises
        AmbiguousWriteError instead of a second send. Refuses anything but explicit positive ids."""
        records, lists = _subscription_ids("PUT", contact_ids, list_ids)
        form = {
            "objectID": str(CONTACT_OBJECT_ID),
            "add_list": lists,
            "ids": records,
            "sub_type": kind.sub_type,
        }
        self._send(ApiRequest("PUT", "/objects/subscribe", form=form, repeat_safe=False))

    def unsubscribe(self, kind: ListKind, list_ids: Sequence[str], contact_ids: Sequence[str]) -> None:
        """DELETE /objects/subscribe?objectID=0&remove_list=&ids=&sub_type=: every parameter in the
        query string, as the SDK sends every DELETE, in as many requests as keep each request line
        under 6,000 bytes. Taking a contact off a list it is not on changes nothing: repeat-safe."""
        records, lists = _subscription_ids("DELETE", contact_ids, list_ids)
        fixed_params = {
            "objectID": str(CONTACT_OBJECT_ID),
            "remove_list": lists,
            "ids": "",
            "sub_type": kind.sub_type,
        }
        fixed = self._request_line("DELETE", "/objects/subscribe", fixed_params)
        every = records.split(",")
        for chunk in _cut_to_fit(every, fixed, _id_cost, len(every)):
            params = {**fixed_params, "ids": ",".join(chunk)}
            self._send(ApiRequest("DELETE", "/objects/subscribe", params=params))

    def read_contact(self, contact_id: str) -> JsonDict:
        """GET /Contact?id=: one contact with every field (its campaigns and sequences included,
        which every source reads from this single read, §13 A1)."""
        (checked,) = _explicit_ids([contact_id], "GET", "/Contact", what="record ids")
        data = self._send(ApiRequest("GET", "/Contact", params={"id": checked}))
        if isinstance(data, dict):
            return data
        raise _shape_error("GET", "/Contact", "data is not a record")


# --- module helpers ----------------------------------------------------------------------------
def in_condition(field_name: str, values: Sequence[str]) -> str:
    """Ontraport criteria JSON for `<field> IN [values]` (the SDK's Criteria shape)."""
    clause = {"field": {"field": field_name}, "op": "IN", "value": {"list": [{"value": v} for v in values]}}
    return orjson.dumps([clause]).decode()


def pages(read_page: Callable[[int], Sequence[Row]]) -> Iterator[Row]:
    """Every row of a collection read that Ontraport pages with `start` and `range=50`.

    `read_page(start)` sends one request for the page at `start`. A full page may hide more rows
    (duplicates of a match value, more tags, more tagged records), so paging goes on from the rows
    read so far; the first short page (empty included) is the last. Lazy: a caller that stops early
    sends no further request. The one paging loop: every paged read goes through it.

    A server that ignored `start` would answer the same full page for ever, and the loop would never
    end: two full pages alike (distinct records never are) stop it with an error instead.
    """
    start = 0
    previous: Sequence[Row] = ()
    while True:
        page = read_page(start)
        if len(page) >= PAGE_SIZE and list(page) == list(previous):
            raise OntraportError(
                f"Ontraport answered the page at start={start} with the same {len(page)} rows as the page "
                "before it, as if it ignored `start`; the read stops here instead of asking for ever. "
                "Not retried."
            )
        yield from page
        if len(page) < PAGE_SIZE:
            return
        previous = page
        start += len(page)


def _condition_cost(value: str) -> int:
    """Bytes one value adds to an IN condition in a query string (percent-encoding works character by
    character, so the shares add up exactly)."""
    return len(quote_plus(orjson.dumps({"value": value}).decode())) + len(quote_plus(","))


def lookup_value_fits(value: str) -> bool:
    """Whether one value can be looked up by condition (see MAX_LOOKUP_VALUE). A character takes at
    most 12 bytes encoded (4 UTF-8 bytes, each `%XX`), so short values, most of them, skip encoding."""
    return len(value) * 12 + 40 <= MAX_LOOKUP_VALUE or _condition_cost(value) <= MAX_LOOKUP_VALUE


def _id_cost(value: str) -> int:
    """Bytes one id adds to `ids=1,2,3` in a query string."""
    return len(value) + len(quote_plus(","))


def _cut_to_fit(values: Sequence[str], fixed: int, cost: Callable[[str], int], most: int) -> list[list[str]]:
    """`values` in pieces of at most `most`, each keeping a request line of `fixed` bytes plus its
    values' costs under MAX_REQUEST_LINE (a value too long on its own goes alone). Every request that
    names a list of values is cut here: a server refuses a line that is too long on every retry."""
    chunks: list[list[str]] = []
    current: list[str] = []
    size = fixed
    for value in values:
        share = cost(value)
        if current and (len(current) >= most or size + share > MAX_REQUEST_LINE):
            chunks.append(current)
            current, size = [], fixed
        current.append(value)
        size += share
    if current:
        chunks.append(current)
    return chunks


def _rows(data: Any, path: str) -> list[JsonDict]:
    """A collection read's `data`: a list of records (an empty result may come back as {} or "")."""
    if isinstance(data, list):
        return [row for row in data if isinstance(row, dict)]
    if data in (None, "", {}):
        return []
    raise _shape_error("GET", path, "data is not a list")


def _shape_error(method: str, path: str, what: str) -> OntraportError:
    return OntraportError(
        f"Ontraport answered {method} {path} with an unexpected shape ({what}). Not retried.",
        method=method,
        path=path,
    )


def _tags_by_name(names: Sequence[str], rows: Sequence[JsonDict], object_type_id: int) -> dict[str, str]:
    """{our name: tag id} among one object type's tags: the exact name first, else the one tag whose
    name equals ours ignoring case (several such tags: none is guessed)."""
    exact: dict[str, str] = {}
    folded: dict[str, set[str]] = {}
    for row in rows:
        name, tag_id = row.get("tag_name"), row.get("tag_id", row.get("id"))
        if str(row.get("object_type_id", "0")) != str(object_type_id) or not isinstance(name, str):
            continue
        if tag_id in (None, ""):
            continue
        exact.setdefault(name, str(tag_id))
        folded.setdefault(name.casefold(), set()).add(str(tag_id))
    found: dict[str, str] = {}
    for name in names:
        if name in exact:
            found[name] = exact[name]
        elif len(candidates := folded.get(name.casefold(), set())) == 1:
            found[name] = next(iter(candidates))
    return found


def _bulk_selection(method: str, ids: Sequence[str], tag_ids: Sequence[str]) -> tuple[str, str]:
    """objects/tag names records by explicit ids only: no performAll, group_id or condition."""
    records = _explicit_ids(ids, method, "/objects/tag")
    tags = _explicit_ids(tag_ids, method, "/objects/tag", what="tag ids")
    return ",".join(records), ",".join(tags)


def _subscription_ids(method: str, contact_ids: Sequence[str], list_ids: Sequence[str]) -> tuple[str, str]:
    """objects/subscribe names contacts by explicit ids only: no performAll, group_ids or condition."""
    records = _explicit_ids(contact_ids, method, "/objects/subscribe")
    lists = _explicit_ids(list_ids, method, "/objects/subscribe", what="campaign or sequence ids")
    return ",".join(records), ",".join(lists)


def _explicit_ids(ids: Sequence[str], method: str, path: str, *, what: str = "contact ids") -> list[str]:
    """Positive integer ids, or UnsafeRequestError before anything is sent: Ontraport applies a bulk
    action with no ids (or `0`) to every record of the type."""
    problem = ""
    if isinstance(ids, str | bytes):
        problem = "a single string instead of a list of ids"
    elif not ids:
        problem = "an empty list"
    checked: list[str] = []
    for raw in [] if problem else ids:
        text = str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else raw
        if not isinstance(text, str) or not _POSITIVE_ID.fullmatch(text):
            problem = f"{str(raw)[:20]!r}, which is not a positive integer id"
            break
        checked.append(text)
    if problem:
        records = what in ("contact ids", "record ids")
        why = " (without explicit ids Ontraport applies it to every record)" if records else ""
        raise UnsafeRequestError(
            f"Refusing to send {method} {path}: {what} must be explicit positive integers, got {problem}. "
            f"Nothing was sent{why}.",
            method=method,
            path=path,
        )
    return list(dict.fromkeys(checked))


__all__ = [
    "LOOKUP_VALUES",
    "MAX_LOOKUP_VALUE",
    "PAGE_SIZE",
    "OntraportClient",
    "RecordApi",
    "in_condition",
    "lookup_value_fits",
    "pages",
]
