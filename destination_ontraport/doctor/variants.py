"""Which variant of each undocumented Ontraport behaviour an account shows, in the sandbox's words.

Every behaviour here is a behaviour switch of the sandbox (`ontraport_sandbox/switches.py`, README
"Assumed"), and a variant is named by the switch's own value, so that a doctor report can be played
back against the sandbox: `text_case: sensitive` is `running_sandbox(text_case="sensitive")`.
What no read can tell is `unknown without a write` (the write test settles it); what the doctor
never tests, because it would touch more than its one test contact, says so.
"""

from __future__ import annotations

from dataclasses import dataclass

UNKNOWN_WITHOUT_A_WRITE = "unknown without a write"
NOT_TESTED = "not tested"


@dataclass(frozen=True)
class Variant:
    """`value` is a switch value ("insensitive", "404", "+10"), UNKNOWN_WITHOUT_A_WRITE, "not
    tested", or a short sentence starting "unknown:"; `how` says what the doctor saw, or why not."""

    name: str
    value: str
    how: str

    @property
    def known(self) -> bool:
        return not self.value.startswith(("unknown", "not tested"))


def unknown(name: str, why: str) -> Variant:
    return Variant(name, UNKNOWN_WITHOUT_A_WRITE, why)


# The behaviours in the order of the report; each is the sandbox switch (or setting) of that name,
# except the two that split one switch by where the doctor sees it (text_case in tag names,
# not_found_status on PUT) and Deals and Companies, which a sandbox meta document installs or not.
TEXT_CASE = "text_case"
TAG_NAME_CASE = "text_case_tags"
CONTACT_CAT = "collection_contact_cat"
CONDITION_WITHOUT_IDS = "condition_without_ids"
NOT_FOUND_STATUS = "not_found_status"
NOT_FOUND_STATUS_UPDATE = "not_found_status_update"
DATE_ONLY_ZONE = "date_only_zone"
MEMBERSHIPS = "collection_memberships"
DELETE_FORM_BODY = "delete_form_body"
SEQUENCE_ROWS_ID = "sequence_rows_id"
BUILTIN_TYPES_IN_META = "builtin_types_in_meta"
TRANSACTION_CONDITION = "transaction_condition"
REQUEST_LINE = "max_request_line"
DEALS_AND_COMPANIES = "deals_and_companies"

ORDER = (
    TEXT_CASE,
    TAG_NAME_CASE,
    CONDITION_WITHOUT_IDS,
    CONTACT_CAT,
    MEMBERSHIPS,
    NOT_FOUND_STATUS,
    NOT_FOUND_STATUS_UPDATE,
    DATE_ONLY_ZONE,
    DELETE_FORM_BODY,
    SEQUENCE_ROWS_ID,
    BUILTIN_TYPES_IN_META,
    TRANSACTION_CONDITION,
    REQUEST_LINE,
    DEALS_AND_COMPANIES,
)

NEEDS_OTHER_WRITES = {
    "sub_type_case": "subscribing the test contact would start a campaign or a sequence",
    "resubscribe": "subscribing the test contact would start a campaign or a sequence",
    "subscription_processing": "subscribing the test contact would start a campaign or a sequence",
    "invalid_contact_status": "processManual logs a sale when its contact exists",
    "duplicate_external_order_id": "it would log two sales",
    "invoice_id": "it would log a sale",
    "invoice_template_zero": "it would log a sale and may send an invoice",
    "shipping_shape": "it would log a sale",
    "product_post_id": "it would create or change a product",
}
"""Behaviours the doctor never tests: each needs a write beyond its one test contact."""


def not_tested() -> list[Variant]:
    return [Variant(name, NOT_TESTED, why) for name, why in NEEDS_OTHER_WRITES.items()]


__all__ = [
    "NEEDS_OTHER_WRITES",
    "NOT_TESTED",
    "ORDER",
    "UNKNOWN_WITHOUT_A_WRITE",
    "Variant",
    "not_tested",
    "unknown",
]
