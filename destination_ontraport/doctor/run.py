"""`doctor`: what this account is and does, read (and with `write_test`, written) in about 20 requests.

The first reads are the ones `check` makes (field metadata, the contact count, the read-path probe),
so a config `check` refuses is refused here with the same message, before any probe. Then the counts,
the rate headers, and each undocumented behaviour a read can show; the write test last.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from destination_ontraport.account.connection import Account
from destination_ontraport.config import OntraportConfig
from destination_ontraport.doctor.calls import DoctorCalls
from destination_ontraport.doctor.reads import (
    builtin_types_in_meta,
    collection_memberships,
    deals_and_companies,
    not_found_status,
    read_facts,
    read_path_variants,
    request_line,
    sequence_rows_id,
    tag_name_case,
    transaction_condition,
)
from destination_ontraport.doctor.report import DoctorReport
from destination_ontraport.doctor.variants import (
    DATE_ONLY_ZONE,
    DELETE_FORM_BODY,
    NOT_FOUND_STATUS_UPDATE,
    not_tested,
    unknown,
)
from destination_ontraport.doctor.write_test import WriteTest
from destination_ontraport.ontraport.errors import OntraportError


def run_doctor(
    config: OntraportConfig, *, write_test: bool, sleep: Callable[[float], None] | None = None
) -> DoctorReport:
    """Raises what `check` would report (a config the account refuses, the credentials): the
    command turns it into check's message and exit code 1. Everything later is a line of the report."""
    account = Account.open(config, quick=True)
    try:
        calls = DoctorCalls(account.client)
        contacts = account.client.count(account.contacts)
        variants = {v.name: v for v in read_path_variants(calls, account.match_field)}
        meta = _object_meta(account)
        for variant in (
            tag_name_case(calls),
            collection_memberships(calls),
            not_found_status(calls),
            unknown(
                NOT_FOUND_STATUS_UPDATE, "a PUT needs an id known not to exist: the deleted test contact's"
            ),
            unknown(DATE_ONLY_ZONE, "a date must be written to be read back"),
            unknown(DELETE_FORM_BODY, "only a DELETE shows it"),
            sequence_rows_id(calls),
            builtin_types_in_meta(meta),
            transaction_condition(calls),
            request_line(calls),
            deals_and_companies(meta),
            *not_tested(),
        ):
            variants[variant.name] = variant
        facts = read_facts(calls, contacts, account.fields, meta)
        test = None
        if write_test:
            test = WriteTest(calls, account.fields, sleep or time.sleep).run(variants)
            variants.update(test.variants)
        return DoctorReport(facts, calls.rate, variants, test, account.client.stats.requests)
    finally:
        account.client.close()


def _object_meta(account: Account) -> dict[str, Any] | None:
    try:
        return account.client.all_object_meta()
    except OntraportError:
        return None


__all__ = ["run_doctor"]
