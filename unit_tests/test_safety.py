"""No request that could touch every contact ever leaves, whatever Ontraport answers.

`test_client.py` proves the client refuses bulk actions without explicit ids. This module proves the
layers above it (the writer's CDC removals and tags, the full-refresh leftover removal) never get
such a request onto the wire either, when the ids they act on come from Ontraport's own answers and
those answers are odd: an id of "0", "", "abc", "-1", "1e3", null or missing. The real client runs
against requests-mock; every request that went out is inspected.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests_mock
from airbyte_cdk.models import (
    ConfiguredAirbyteCatalog,
    ConfiguredAirbyteStreamSerializer,
    DestinationSyncMode,
)

from destination_ontraport.config import OntraportConfig
from destination_ontraport.model.mapping import FieldCatalog, RecordMapper
from destination_ontraport.model.objects import ObjectType
from destination_ontraport.ontraport.client import OntraportClient
from destination_ontraport.ontraport.errors import RemovalTripwireError, UnsafeRequestError
from destination_ontraport.sync.leftovers import SyncEvidence, remove_missing_contacts
from destination_ontraport.sync.report import SyncReport
from destination_ontraport.sync.stream_rules import CatalogStream, catalog_streams
from destination_ontraport.sync.streams import StreamRoute
from destination_ontraport.write.batch import MappedRecord
from destination_ontraport.write.object_writer import ObjectWriter
from destination_ontraport.write.removal import (
    RemovalAction,
    RemovalGuard,
    Remover,
    tagged_records_missing_from,
)
from destination_ontraport.write.settings import WriterSettings
from ontraport_sandbox.meta_fixtures import SANDBOX_CONTACT_FIELDS
from unit_tests.fakes import BASE, CountedWriter, RecordingSink, envelope

CATALOG = FieldCatalog.from_meta(SANDBOX_CONTACT_FIELDS)
CONTACTS = ObjectType(0, "Contact", CATALOG)
EMAIL = CATALOG.require("email", "test")
TAG = "7"
POSITIVE = re.compile(r"[1-9][0-9]*")
ODD_IDS: list[Any] = ["0", "", "abc", "-1", "1e3", " 5", None, 0, "00"]
SELECTORS = ("performAll", "condition", "group_id", "search")


@pytest.fixture
def mock() -> Iterator[requests_mock.Mocker]:
    with requests_mock.Mocker() as m:
        m.put(f"{BASE}/objects/tag", **envelope("The tag is now being processed."))
        m.delete(f"{BASE}/objects/tag", **envelope("The tag is now being processed."))
        m.delete(f"{BASE}/Contacts", **envelope("Deleted"))
        m.get(f"{BASE}/Contacts/getInfo", **envelope({"count": "1000"}))
        yield m


def bulk_requests(mock: requests_mock.Mocker) -> list[tuple[str, str, dict[str, list[str]]]]:
    """(method, path, parameters) of every request that acts on a set of contacts: a DELETE's from its
    query string (it must carry no body: PHP does not read one), a PUT's from its body."""
    found = []
    for request in mock.request_history:
        if request.method in ("DELETE", "PUT") and request.path.lower().endswith(
            ("/contacts", "/objects/tag")
        ):
            body = request.text or ""
            if request.method == "DELETE":
                assert not body, f"DELETE {request.path} carries a body: {body!r}"
                query = request.url.partition("?")[2]
                form = parse_qs(query, keep_blank_values=True)
            else:
                form = json.loads(body) if body.startswith("{") else parse_qs(body, keep_blank_values=True)
            found.append((request.method, request.path, form))
    return found


def remove(client: OntraportClient, ids: list[str], action: RemovalAction) -> None:
    Remover(client, RemovalGuard(10_000), [TAG]).remove(CONTACTS, ids, action, "test")


def assert_only_explicit_ids(mock: requests_mock.Mocker) -> list[str]:
    """Every bulk request names ids, each a positive integer, and no other selector; returns the ids."""
    named: list[str] = []
    for method, path, form in bulk_requests(mock):
        assert not any(key in form for key in SELECTORS), f"{method} {path} carries a selector: {form}"
        raw = form.get("ids")
        assert raw, f"{method} {path} names no ids: {form}"
        ids = ",".join(raw).split(",")
        bad = [i for i in ids if not POSITIVE.fullmatch(i)]
        assert not bad, f"{method} {path} names {bad}: Ontraport reads those as every contact"
        named.extend(ids)
    return named


def writer(client: OntraportClient, removal: Any) -> CountedWriter:
    settings = WriterSettings(CONTACTS, EMAIL, tag_ids=frozenset([TAG]), removal=removal)
    remover = Remover(client, RemovalGuard(1000), [TAG])
    return CountedWriter(ObjectWriter(client, settings, remover=remover), SyncReport())


def flush_then_close(w: CountedWriter) -> None:
    """Flush (which may raise) and always stop the writer's worker threads."""
    try:
        w.flush()
    finally:
        w.close()


def lookup_answers(mock: requests_mock.Mocker, rows: list[dict[str, Any]]) -> None:
    mock.get(f"{BASE}/Contacts", **envelope(rows))


@pytest.mark.parametrize("odd", ODD_IDS)
@pytest.mark.parametrize("removal", ["delete", "remove_tags"])
def test_a_cdc_removal_of_a_contact_whose_id_is_odd_sends_nothing(
    mock: requests_mock.Mocker, client: OntraportClient, odd: Any, removal: str
) -> None:
    row = {"email": "gone@example.com", "contact_cat": f"*/*{TAG}*/*"}
    if odd is not None:
        row["id"] = odd
    lookup_answers(mock, [row])
    w = writer(client, removal)
    w.add_removal(MappedRecord("gone@example.com", {"email": "gone@example.com"}, 1, "people"))
    try:
        flush_then_close(w)
    except UnsafeRequestError as exc:
        assert "Nothing was sent" in str(exc)
    assert bulk_requests(mock) == [], "refused (or left out), never sent"


def test_a_cdc_removal_batch_with_one_odd_id_sends_nothing_for_any_of_them(
    mock: requests_mock.Mocker, client: OntraportClient
) -> None:
    rows = [
        {"id": "11", "email": "a@example.com", "contact_cat": ""},
        {"id": "0", "email": "b@example.com", "contact_cat": ""},
        {"id": "12", "email": "c@example.com", "contact_cat": ""},
    ]
    lookup_answers(mock, rows)
    w = writer(client, "delete")
    for n, row in enumerate(rows, start=1):
        w.add_removal(MappedRecord(row["email"], {"email": row["email"]}, n, "people"))
    with pytest.raises(UnsafeRequestError):
        flush_then_close(w)
    assert bulk_requests(mock) == []


def test_cdc_removals_name_exactly_the_contacts_found(
    mock: requests_mock.Mocker, client: OntraportClient
) -> None:
    lookup_answers(mock, [{"id": "21", "email": "x@example.com", "contact_cat": ""}])
    w = writer(client, "delete")
    w.add_removal(MappedRecord("x@example.com", {"email": "x@example.com"}, 1, "people"))
    w.add_removal(
        MappedRecord("not-in-ontraport@example.com", {"email": "not-in-ontraport@example.com"}, 2, "people")
    )
    flush_then_close(w)
    assert assert_only_explicit_ids(mock) == ["21"]
    assert [m for m, _, _ in bulk_requests(mock)] == ["DELETE"]


@pytest.mark.parametrize("odd", ["0", "abc", "-4"])
def test_tagging_a_contact_whose_looked_up_id_is_odd_sends_no_tag_call(
    mock: requests_mock.Mocker, client: OntraportClient, odd: str
) -> None:
    """An unchanged contact that lacks the tag: the tag call would name the id Ontraport gave."""
    lookup_answers(mock, [{"id": odd, "email": "t@example.com", "contact_cat": ""}])
    w = writer(client, None)
    w.add(MappedRecord("t@example.com", {"email": "t@example.com"}, 1, "people"))
    with pytest.raises(UnsafeRequestError):
        flush_then_close(w)
    assert bulk_requests(mock) == []


def test_a_batch_of_only_rejected_contacts_sends_no_tag_call(
    mock: requests_mock.Mocker, client: OntraportClient
) -> None:
    """No contact id to tag must mean no tag request at all, not a request with an empty id list."""
    lookup_answers(mock, [])
    mock.post(f"{BASE}/Contacts/saveorupdate", status_code=422, text="Invalid email address")
    w = writer(client, None)
    w.add(MappedRecord("bad@example.com", {"email": "bad@example.com"}, 1, "people"))
    flush_then_close(w)
    assert bulk_requests(mock) == []


def test_leftovers_with_odd_ids_are_never_sent_to_a_delete(
    mock: requests_mock.Mocker, client: OntraportClient
) -> None:
    """A full refresh's leftovers come from listing the tag: odd ids in that answer must not reach a
    DELETE (refused, or left out), and good ones are named explicitly."""
    tagged = f"*/*{TAG}*/*"
    page = [{"id": odd, "contact_cat": tagged} for odd in ["0", "abc", "", "-3"]]
    page += [
        {"contact_cat": tagged},
        {"id": "31", "contact_cat": tagged},
        {"id": "32", "contact_cat": tagged},
    ]
    mock.get(f"{BASE}/objects/tag", **envelope(page))
    try:
        missing = tagged_records_missing_from(client, CONTACTS, [TAG], seen_ids={"32"})
        remove(client, [str(row["id"]) for row in missing], "delete")
    except UnsafeRequestError:
        pass
    assert set(assert_only_explicit_ids(mock)) <= {"31"}


def test_removal_of_no_contacts_sends_no_request(mock: requests_mock.Mocker, client: OntraportClient) -> None:
    remove(client, [], "delete")
    remove(client, [], "remove_tags")
    assert mock.call_count == 0


def test_large_removals_go_in_chunks_that_each_name_their_ids(
    mock: requests_mock.Mocker, client: OntraportClient
) -> None:
    ids = [str(n) for n in range(1, 451)]
    remove(client, ids, "delete")
    requests_sent = bulk_requests(mock)
    assert len(requests_sent) == 3
    assert sorted(assert_only_explicit_ids(mock), key=int) == ids


# --- the tripwire ---------------------------------------------------------------------------------
def deletes(mock: requests_mock.Mocker) -> list[str]:
    return [r.url.partition("?")[2] for r in mock.request_history if r.method == "DELETE"]


def test_a_delete_that_removed_more_than_asked_stops_every_further_removal(
    mock: requests_mock.Mocker, client: OntraportClient
) -> None:
    """Counts before and after the first delete: 10 gone for 2 named means the server did not read
    the ids; nothing more is removed (the next call is refused before sending)."""
    mock.get(f"{BASE}/Contacts/getInfo", [envelope({"count": "500"}), envelope({"count": "490"})])
    remover = Remover(client, RemovalGuard(10_000), [TAG])
    with pytest.raises(RemovalTripwireError, match=r"fell by 10 .* asked it to delete 2"):
        remover.remove(CONTACTS, ["3", "4"], "delete", "test")
    with pytest.raises(RemovalTripwireError):
        remover.remove(CONTACTS, ["5"], "remove_tags", "test")
    assert deletes(mock) == ["ids=3%2C4"]


def test_the_tripwire_costs_two_counts_once_per_sync(
    mock: requests_mock.Mocker, client: OntraportClient
) -> None:
    mock.get(f"{BASE}/Contacts/getInfo", [envelope({"count": "500"}), envelope({"count": "498"})])
    remover = Remover(client, RemovalGuard(10_000), [TAG])
    remover.remove(CONTACTS, [str(n) for n in range(1, 251)], "delete", "test")  # two chunks: 200 + 50
    remover.remove(CONTACTS, ["900"], "delete", "test")
    assert len(deletes(mock)) == 3
    assert sum(1 for r in mock.request_history if r.path.endswith("/getinfo")) == 2


# --- which streams mirror, and when ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "generation", "minimum", "replaces"),
    [
        ("overwrite", None, None, True),  # PyAirbyte, a person, a platform without refreshes
        ("overwrite", 3, 0, True),
        ("append", 2, 2, True),  # a platform that supports refreshes sends overwrite so
        ("append_dedup", 1, 1, True),
        ("append", 0, 0, False),  # generation 0: never bumped, no refresh
        ("append", 3, 0, False),  # a normal sync, or a refresh that keeps records
        ("append", None, None, False),
        ("update", 2, 2, False),
        ("soft_delete", 2, 2, False),
    ],
)
def test_which_streams_replace_what_is_there(
    mode: str, generation: int | None, minimum: int | None, replaces: bool
) -> None:
    configured = ConfiguredAirbyteStreamSerializer.load(
        {
            "stream": {"name": "s", "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
            "sync_mode": "full_refresh",
            "destination_sync_mode": mode,
            **({"generation_id": generation} if generation is not None else {}),
            **({"minimum_generation_id": minimum} if minimum is not None else {}),
        }
    )
    (stream,) = catalog_streams(ConfiguredAirbyteCatalog(streams=[configured]))
    assert stream.replaces is replaces


def mirror(
    client: OntraportClient, statuses: Mapping[tuple[str | None, str], str], report: SyncReport
) -> None:
    config = OntraportConfig.model_validate(
        {"app_id": "a", "api_key": "k", "tags": "Audience", "missing_contacts": "delete"}
    )
    plan = StreamRoute(
        CatalogStream("people", None, DestinationSyncMode.append, [], [], replacing_generation=1),
        RecordMapper(CATALOG, EMAIL),
        RecordingSink(CONTACTS, EMAIL),
    )
    evidence = SyncEvidence([plan], statuses, {"31"}, report.rejections)
    remover = Remover(client, RemovalGuard(100), [TAG])
    report.add(remove_missing_contacts(remover, CONTACTS, config, evidence))


def tagged_page(mock: requests_mock.Mocker) -> None:
    tagged = f"*/*{TAG}*/*"
    rows = [{"id": str(n), "email": f"c{n}@x.io", "contact_cat": tagged} for n in (31, 32, 33)]
    mock.get(f"{BASE}/objects/tag", **envelope(rows))


def test_without_complete_a_mirror_sends_no_request_at_all(
    mock: requests_mock.Mocker, client: OntraportClient, caplog: pytest.LogCaptureFixture
) -> None:
    tagged_page(mock)
    cases: list[dict[tuple[str | None, str], str]] = [
        {},
        {(None, "people"): "INCOMPLETE"},
        {(None, "other"): "COMPLETE"},
    ]
    for statuses in cases:
        mirror(client, statuses, SyncReport())
    assert mock.call_count == 0
    assert "stream(s) people received no STREAM_STATUS COMPLETE" in caplog.text


def test_a_rejected_record_that_names_a_contact_spares_it_and_one_that_names_none_blocks(
    mock: requests_mock.Mocker, client: OntraportClient
) -> None:
    tagged_page(mock)
    report = SyncReport()
    report.rejections.reject(5, "people", "c32@x.io", "refused", names=(CONTACTS.id, "email", "C32@X.io "))
    mirror(client, {(None, "people"): "COMPLETE"}, report)
    assert assert_only_explicit_ids(mock) == ["33"], "31 was in the sync, 32 is named by a rejected record"
    mock.reset_mock()
    report.rejections.reject(6, "people", None, "no value for the match field")
    mirror(client, {(None, "people"): "COMPLETE"}, report)
    assert bulk_requests(mock) == []
