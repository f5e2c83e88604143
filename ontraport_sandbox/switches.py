"""Behaviour switches: one per Ontraport behaviour that no source settles.

The sandbox is our model of Ontraport, not Ontraport. Where `docs/ontraport-api-notes.md` (section 11,
the evidence audit) leaves a behaviour open, guessing one answer would let the connector pass its
tests against the guess and fail against the real API. So each open question gets a switch whose
values are the plausible answers, and the connector's test matrix runs under every value. The
defaults are the sandbox's behaviour before the switches existed, except `delete_form_body`, whose
default follows the vendor evidence (PHP does not parse a form body on DELETE).

This module is the one table of the switches' names, values and defaults: settings validation,
the command line and the README all follow it.
"""

from __future__ import annotations

from dataclasses import dataclass


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
