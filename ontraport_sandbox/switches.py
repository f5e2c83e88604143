"""Behaviour switches: one per Ontraport behaviour that no source settles.

The sandbox is our model of Ontraport, not Ontraport. Where `docs/ontraport-api-notes.md` (section 11,
the evidence audit, and section 13: campaigns, sequences, purchases, links, the account doctor)
leaves a behaviour open, guessing one answer would let the connector pass its
tests against the guess and fail against the real API. So each open question gets a switch whose
values are the plausible answers, and the connector's test matrix runs under every value. The
defaults are the sandbox's behaviour before the switches existed, except `delete_form_body`, whose
default follows the vendor evidence (PHP does not parse a form body on DELETE). The section-13
switches default to where the evidence leans; where it leans nowhere, to the value that keeps the
existing suites' expectations (each README row says which).

This module is the one table of the switches' names, values and defaults: settings validation,
the command line and the README all follow it.
"""

from __future__ import annotations

from dataclasses import dataclass

# `date_only_zone`: UTC, or an account offset in whole hours (UTC-12 to UTC+14, every zone in use).
DATE_ONLY_ZONES: tuple[str, ...] = ("utc", *(f"{hours:+d}" for hours in range(-12, 15) if hours != 0))


@dataclass(frozen=True)
class Choice:
    """A switch between named behaviours; `values[0]` is not special, `default` is."""

    name: str
    values: tuple[str, ...]
    default: str
    help: str


CHOICES: tuple[Choice, ...] = (
    Choice(
        "delete_form_body",
        ("ignore", "read"),
        "ignore",
        "a form or multipart body on DELETE: 'ignore' (only the query string counts, as PHP "
        "reads it) or 'read' (merged with the query); JSON bodies are read either way",
    ),
    Choice(
        "text_case",
        ("insensitive", "sensitive"),
        "insensitive",
        "every text comparison (conditions, search, sort, tag names, email and unique-field "
        "matching, value indexes)",
    ),
    Choice(
        "collection_contact_cat",
        ("returned", "never"),
        "returned",
        "whether collection reads include the tag-list field (contact_cat) in their rows",
    ),
    Choice(
        "condition_without_ids",
        ("selects", "nothing"),
        "selects",
        "a collection GET with condition/search but no ids: 'selects' the matches or returns "
        "'nothing' (ids=0 means all records in both modes)",
    ),
    Choice(
        "collection_memberships",
        ("returned", "never"),
        "returned",
        "whether collection reads include a contact's campaign and sequence lists (updateCampaign, "
        "updateSequence), listFields or not; single reads always do (notes 13 A1, A2)",
    ),
    Choice(
        "sub_type_case",
        ("insensitive", "exact"),
        "insensitive",
        "objects/subscribe's sub_type: any case of campaign/sequence, or 'exact' (only Campaign or "
        "Sequence; anything else is 400) (notes 13 A3)",
    ),
    Choice(
        "resubscribe",
        ("noop", "restart"),
        "noop",
        "subscribing a contact already on the campaign or sequence: nothing happens, or it starts "
        "again (counted in restarts) (notes 13 A5)",
    ),
    Choice(
        "subscription_processing",
        ("immediate", "queued"),
        "immediate",
        "subscribe/unsubscribe take effect at once, or wait in a queue until POST "
        "/__sandbox/process (Ontraport answers 'now being processed') (notes 13 A3)",
    ),
    Choice(
        "sequence_rows_id",
        ("absent", "present"),
        "absent",
        "whether sequence rows (object 5) carry id beside drip_id (notes 13 A4)",
    ),
    Choice(
        "builtin_types_in_meta",
        ("omitted", "listed"),
        "omitted",
        "whether GET /objects/meta without objectID also lists the built-in types 5, 16, 46, 140",
    ),
    Choice(
        "invalid_contact_status",
        ("400", "404"),
        "400",
        "HTTP status of processManual's plain 'Invalid Contact ID' (notes 13 B6, D12)",
    ),
    Choice(
        "duplicate_external_order_id",
        ("accept", "reject"),
        "accept",
        "processManual with an external_order_id a transaction already has: a second transaction, "
        "or 400 plain text (notes 13 B9)",
    ),
    Choice(
        "transaction_condition",
        ("filtered", "ignored"),
        "filtered",
        "GET /Transactions with a condition naming external_order_id: filtered, or the condition is "
        "ignored and every transaction comes back (notes 13 B7)",
    ),
    Choice(
        "invoice_id",
        ("same", "different"),
        "same",
        "processManual's data.invoice_id: the new transaction's id, or another number (notes 13 B6)",
    ),
    Choice(
        "invoice_template_zero",
        ("sends", "suppresses"),
        "sends",
        "processManual with invoice_template 0: the invoice is sent, or suppressed like -1 (notes 13 B6)",
    ),
    Choice(
        "shipping_shape",
        ("both", "array"),
        "both",
        "processManual's offer.shipping: an object or an array, or only an array (notes 13 B6)",
    ),
    Choice(
        "product_post_id",
        ("create", "update"),
        "create",
        "POST /Products with an id: the id is ignored and a product created, or that product is "
        "updated (notes 13 B8)",
    ),
    Choice(
        "date_only_zone",
        DATE_ONLY_ZONES,
        "utc",
        "a date-only (fulldate) value written as Unix seconds is kept as midnight UTC of its day, or "
        "as midnight of its day at that whole-hour account offset (notes 13 D12)",
    ),
)

CHOICE_BY_NAME = {choice.name: choice for choice in CHOICES}

# Numeric switches, validated in settings.py: (name, default, help).
SAVE_FAILED_RATE = "save_failed_rate"
SAVE_FAILED_STATUS = "save_failed_status"
DELETE_OVERREACH = "delete_overreach"
NUMERIC_HELP = {
    SAVE_FAILED_RATE: "share (0..1) of saveorupdate requests that answer the plain text 'Save failed!'",
    SAVE_FAILED_STATUS: "HTTP status of a 'Save failed!' answer (default 200)",
    DELETE_OVERREACH: "extra records a bulk delete naming explicit ids also removes (lowest ids first)",
}

SAVE_FAILED_BODY = "Save failed!"
