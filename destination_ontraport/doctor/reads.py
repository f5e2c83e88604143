"""What the doctor learns with reads alone: the account's counts and the variants a read can show.

Nothing here writes. A read that fails (a permission the key's user lacks, an endpoint the account
does not have) makes its own line `unavailable`/`unknown`, not the whole doctor: a person wants the
rest of the report. Only the first reads (the field metadata, the contact count) stop it, in
`run.py`, because without them the credentials are in doubt.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from destination_ontraport.account.read_probe import ReadProbe, probe_read_path
from destination_ontraport.doctor.calls import (
    CAMPAIGNS_PATH,
    SEQUENCES,
    TRANSACTIONS_PATH,
    DoctorCalls,
    equals_condition,
)
from destination_ontraport.doctor.variants import (
    BUILTIN_TYPES_IN_META,
    CONDITION_WITHOUT_IDS,
    CONTACT_CAT,
    DEALS_AND_COMPANIES,
    MEMBERSHIPS,
    NOT_FOUND_STATUS,
    REQUEST_LINE,
    SEQUENCE_ROWS_ID,
    TAG_NAME_CASE,
    TEXT_CASE,
    TRANSACTION_CONDITION,
    Variant,
    unknown,
)
from destination_ontraport.model.mapping import FieldCatalog, FieldInfo
from destination_ontraport.model.objects import CONTACT_OBJECT_ID, CUSTOM_OBJECT_MIN_ID
from destination_ontraport.ontraport.client import MAX_REQUEST_LINE, PAGE_SIZE, in_condition
from destination_ontraport.ontraport.errors import NotFoundError, OntraportError

UNUSED_CONTACT_ID = "2000000000"
"""A contact id no account reaches (ids count from 1 per account), below 2**31 so that no integer
column overflows: its single GET shows how the account answers an unknown id (notes 13 D12)."""
BUILTIN_TYPE_IDS = frozenset({"5", "16", "46", "140"})  # sequences, products, transactions, campaigns
DEAL, COMPANY = "149", "150"
MEMBERSHIP_FIELDS = ("updateCampaign", "updateSequence")
_CUSTOM_FIELD = re.compile(r"f[0-9]+")


@dataclass(frozen=True)
class AccountFacts:
    """Counts only (no names, no ids, no record data): a value is a number, or why it is missing."""

    contacts: int
    contact_fields: int
    custom_fields: int
    unique_fields: int
    tags: int | str
    campaigns: int | str
    sequences: int | str
    object_types: int | str
    custom_objects: int | str

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def field_counts(fields: FieldCatalog) -> tuple[int, int, int]:
    """(all, custom, unique) contact fields, from the meta the connector already read."""
    every = list(fields)
    custom = sum(1 for info in every if _CUSTOM_FIELD.fullmatch(info.name))
    return len(every), custom, sum(1 for info in every if info.unique)


def _or_why(read: Callable[[], int]) -> int | str:
    try:
        return read()
    except OntraportError as exc:
        return f"unavailable: {_short(exc)}"


def _short(exc: OntraportError) -> str:
    """An error in a few words for a table cell: the status and the body, never the request."""
    said = f" {exc.body_excerpt[:60]}" if exc.body_excerpt else ""
    return f"HTTP {exc.status}{said}" if exc.status else type(exc).__name__


def read_facts(
    calls: DoctorCalls, contacts: int, fields: FieldCatalog, meta: Mapping[str, Any] | None
) -> AccountFacts:
    every, custom, unique = field_counts(fields)
    types: int | str = "unavailable" if meta is None else len(meta)
    customs: int | str = "unavailable" if meta is None else sum(1 for key in meta if _is_custom(key))
    return AccountFacts(
        contacts=contacts,
        contact_fields=every,
        custom_fields=custom,
        unique_fields=unique,
        tags=_or_why(lambda: calls.count("/Tags")),
        campaigns=_or_why(lambda: calls.count(CAMPAIGNS_PATH)),
        sequences=_or_why(lambda: calls.count("/objects", SEQUENCES)),
        object_types=types,
        custom_objects=customs,
    )


def _is_custom(key: str) -> bool:
    return key.isdigit() and int(key) >= CUSTOM_OBJECT_MIN_ID


def read_path_variants(calls: DoctorCalls, match_field: FieldInfo) -> list[Variant]:
    """The read-path probe `check` runs (account/read_probe.py), in the sandbox's words."""
    try:
        probe = probe_read_path(calls.client, match_field)
    except OntraportError as exc:
        why = f"unknown: the read-path probe failed ({_short(exc)})"
        return [Variant(name, why, "") for name in (TEXT_CASE, CONDITION_WITHOUT_IDS, CONTACT_CAT)]
    return [*_lookup_variants(probe, match_field.name), _contact_cat_variant(probe)]


def _lookup_variants(probe: ReadProbe, field: str) -> list[Variant]:
    if probe.finds_by_in is None:
        why = f"no contact with a value in {field} to look up"
        return [unknown(TEXT_CASE, why), unknown(CONDITION_WITHOUT_IDS, why)]
    if not probe.finds_by_in:
        value = "unknown: a lookup by condition did not find a contact the account holds"
        return [Variant(TEXT_CASE, value, ""), Variant(CONDITION_WITHOUT_IDS, value, "")]
    ids = (
        Variant(CONDITION_WITHOUT_IDS, "nothing", "a lookup by condition found a contact only with ids=0")
        if probe.needs_ids_zero
        else Variant(CONDITION_WITHOUT_IDS, "selects", "a lookup by condition found a contact without ids=0")
    )
    return [case_variant(TEXT_CASE, probe.ignores_case, f"a lookup by {field}"), ids]


def case_variant(name: str, ignores_case: bool | None, what: str) -> Variant:
    if ignores_case is None:
        return unknown(name, f"no value with letters to change the case of ({what})")
    if ignores_case:
        return Variant(name, "insensitive", f"{what} with its case changed found it")
    return Variant(name, "sensitive", f"{what} with its case changed found nothing; the exact value did")


def _contact_cat_variant(probe: ReadProbe) -> Variant:
    if probe.carries_contact_cat is None:
        return unknown(CONTACT_CAT, "no contact to read")
    if probe.carries_contact_cat:
        return Variant(CONTACT_CAT, "returned", "collection reads list contact_cat when asked")
    return Variant(CONTACT_CAT, "never", "collection reads leave contact_cat out although asked")


def tag_name_case(calls: DoctorCalls) -> Variant:
    """A contact tag whose name has letters, looked up by condition with its case changed."""
    try:
        rows = calls.rows("/Tags", {"start": "0", "range": str(PAGE_SIZE)})
        name = _case_probe_name(rows)
        if name is None:
            return unknown(TAG_NAME_CASE, "no contact tag whose name has letters")
        return tag_case_of(calls, name)
    except OntraportError as exc:
        return Variant(TAG_NAME_CASE, f"unknown: {_short(exc)}", "")


def tag_case_of(calls: DoctorCalls, name: str) -> Variant:
    """`name` is a contact tag's exact name: the exact lookup must find it, or nothing is learned."""
    if name not in calls.client.find_tags([name], CONTACT_OBJECT_ID):
        return Variant(TAG_NAME_CASE, "unknown: a lookup of a listed tag by its name found nothing", "")
    ignores = name.swapcase() in calls.client.find_tags([name.swapcase()], CONTACT_OBJECT_ID)
    return case_variant(TAG_NAME_CASE, ignores, "a tag lookup by name")


def _case_probe_name(rows: list[dict[str, Any]]) -> str | None:
    names = [
        str(row.get("tag_name") or "")
        for row in rows
        if str(row.get("object_type_id", CONTACT_OBJECT_ID)) == str(CONTACT_OBJECT_ID)
    ]
    folded = [name.casefold() for name in names]
    for name in names:
        if name.swapcase() != name and folded.count(name.casefold()) == 1:
            return name
    return None


def not_found_status(calls: DoctorCalls) -> Variant:
    """GET /Contact?id=<an id no account has>: 404 or 400 `Object not found`."""
    try:
        calls.contact(UNUSED_CONTACT_ID)
    except NotFoundError:
        status = calls.last_status
        return Variant(NOT_FOUND_STATUS, str(status), f"a single GET of an unknown id answered HTTP {status}")
    except OntraportError as exc:
        return Variant(NOT_FOUND_STATUS, f"unknown: {_short(exc)}", "a single GET of an unknown id")
    return Variant(NOT_FOUND_STATUS, f"unknown: contact {UNUSED_CONTACT_ID} exists", "")


def memberships_variant(rows: list[dict[str, Any]] | None, how: str) -> Variant:
    """From rows read with listFields naming updateCampaign and updateSequence."""
    if not rows:
        return unknown(MEMBERSHIPS, "no contact to read")
    listed = [all(name in row for name in MEMBERSHIP_FIELDS) for row in rows]
    if all(listed):
        return Variant(MEMBERSHIPS, "returned", f"{how} list updateCampaign and updateSequence")
    if not any(listed):
        return Variant(MEMBERSHIPS, "never", f"{how} leave updateCampaign and updateSequence out")
    return Variant(MEMBERSHIPS, "unknown: some rows list them, some do not", how)


def collection_memberships(calls: DoctorCalls) -> Variant:
    params = {"start": "0", "range": str(PAGE_SIZE), "listFields": ",".join(("id", *MEMBERSHIP_FIELDS))}
    try:
        rows = calls.rows("/Contacts", params)
    except OntraportError as exc:
        return Variant(MEMBERSHIPS, f"unknown: {_short(exc)}", "")
    return memberships_variant(rows, "collection reads")


def sequence_rows_id(calls: DoctorCalls) -> Variant:
    try:
        rows = calls.rows("/objects", {**SEQUENCES, "start": "0", "range": "1"})
    except OntraportError as exc:
        return Variant(SEQUENCE_ROWS_ID, f"unknown: {_short(exc)}", "")
    if not rows:
        return Variant(SEQUENCE_ROWS_ID, "unknown: no sequence to read", "")
    if "id" in rows[0]:
        return Variant(SEQUENCE_ROWS_ID, "present", "sequence rows carry id beside drip_id")
    return Variant(SEQUENCE_ROWS_ID, "absent", "sequence rows carry drip_id, no id")


def builtin_types_in_meta(meta: Mapping[str, Any] | None) -> Variant:
    if meta is None:
        return Variant(BUILTIN_TYPES_IN_META, "unknown: GET /objects/meta failed", "")
    if BUILTIN_TYPE_IDS & set(meta):
        return Variant(BUILTIN_TYPES_IN_META, "listed", "GET /objects/meta lists sequences, products ...")
    return Variant(BUILTIN_TYPES_IN_META, "omitted", "GET /objects/meta lists none of the built-in types")


def deals_and_companies(meta: Mapping[str, Any] | None) -> Variant:
    """Deal (149) and Company (150) exist only where the account has their app (notes 13 C11)."""
    if meta is None:
        return Variant(DEALS_AND_COMPANIES, "unknown: GET /objects/meta failed", "")
    has = (DEAL in meta, COMPANY in meta)
    value = {(True, True): "installed", (False, False): "absent"}.get(
        has, "deals only" if has[0] else "companies only"
    )
    return Variant(DEALS_AND_COMPANIES, value, "GET /objects/meta")


def request_line(calls: DoctorCalls) -> Variant:
    """A count by a condition of unused addresses whose query string alone is MAX_REQUEST_LINE bytes:
    the longest request line the connector sends (notes 11: "keep request lines short"). A server
    that refuses it (HTTP 414) would refuse a sync's longest lookups."""
    values: list[str] = []
    while len(urlencode({"condition": in_condition("email", values)})) < MAX_REQUEST_LINE:
        values.append(f"airbyte-doctor-{len(values):04d}@example.invalid")
    longest = f"{MAX_REQUEST_LINE:,} bytes"
    try:
        calls.count("/Contacts", {"condition": in_condition("email", values)})
    except OntraportError as exc:
        if exc.status == 414:
            return Variant(
                REQUEST_LINE, f"under {MAX_REQUEST_LINE}", f"a request line of over {longest}: HTTP 414"
            )
        return Variant(REQUEST_LINE, f"unknown: {_short(exc)}", "")
    return Variant(
        REQUEST_LINE, f"{MAX_REQUEST_LINE} or more", f"a request line of over {longest} was answered"
    )


def transaction_condition(calls: DoctorCalls) -> Variant:
    """Two counts: every transaction, and those with an external_order_id no order has."""
    try:
        total = calls.count(TRANSACTIONS_PATH)
        if total == 0:
            return Variant(TRANSACTION_CONDITION, "unknown: no transaction to count", "")
        nobody = f"airbyte-doctor-{uuid.uuid4().hex}"
        found = calls.count(TRANSACTIONS_PATH, {"condition": equals_condition("external_order_id", nobody)})
    except OntraportError as exc:
        return Variant(TRANSACTION_CONDITION, f"unknown: {_short(exc)}", "")
    if found == 0:
        return Variant(TRANSACTION_CONDITION, "filtered", "a count by an unused external_order_id is 0")
    if found == total:
        return Variant(TRANSACTION_CONDITION, "ignored", "a count by an unused external_order_id counts all")
    return Variant(TRANSACTION_CONDITION, f"unknown: {found} of {total} counted", "")


__all__ = [
    "AccountFacts",
    "builtin_types_in_meta",
    "case_variant",
    "collection_memberships",
    "deals_and_companies",
    "field_counts",
    "memberships_variant",
    "not_found_status",
    "read_facts",
    "read_path_variants",
    "request_line",
    "sequence_rows_id",
    "tag_case_of",
    "tag_name_case",
    "transaction_condition",
]
