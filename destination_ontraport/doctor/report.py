"""The doctor's output: a table for a person, and one `DOCTOR_REPORT {json}` line for a bug report.

The line holds counts and variants only: no App ID, no key, no record data (no email, name or id of
any contact), so that a user can paste it anywhere. The table may say a little more (what the doctor
saw), but nothing of a contact either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from destination_ontraport.doctor.reads import AccountFacts
from destination_ontraport.doctor.variants import ORDER, Variant
from destination_ontraport.doctor.write_test import TEST_TAG, WriteTestResult
from destination_ontraport.ontraport.pacing import RateHeaders

REPORT_PREFIX = "DOCTOR_REPORT "
REPORT_VERSION = 1
_FACT_LABELS = {
    "contacts": "contacts",
    "contact_fields": "contact fields",
    "custom_fields": "  of them custom (fNNNN)",
    "unique_fields": "  of them unique",
    "tags": "tags (all object types)",
    "campaigns": "campaigns",
    "sequences": "sequences",
    "object_types": "object types (GET /objects/meta)",
    "custom_objects": "  of them custom objects",
}


@dataclass(frozen=True)
class DoctorReport:
    facts: AccountFacts
    rate: RateHeaders
    variants: Mapping[str, Variant]
    write_test: WriteTestResult | None
    requests: int

    def as_dict(self) -> dict[str, Any]:
        """The DOCTOR_REPORT line's content."""
        test = self.write_test
        return {
            "doctor": REPORT_VERSION,
            "mode": "write-test" if test is not None else "read-only",
            "account": self.facts.as_dict(),
            "rate_limit": {
                "limit": self.rate.limit,
                "remaining": self.rate.remaining,
                "reset": self.rate.reset,
            },
            "variants": {variant.name: variant.value for variant in _ordered(self.variants)},
            "write_test": None
            if test is None
            else {
                "steps": [step.as_dict() for step in test.steps],
                "alerts": len(test.alerts),
                "completed": not test.problem,
                "cleaned_up": test.cleaned_up,
            },
            "requests": self.requests,
        }

    def line(self) -> str:
        return REPORT_PREFIX + orjson.dumps(self.as_dict()).decode()

    def text(self) -> str:
        """The whole output: the table, then the DOCTOR_REPORT line."""
        mode = "with the write test" if self.write_test is not None else "read only"
        parts = [
            f"Ontraport account doctor ({mode})",
            _block("Account", [(_FACT_LABELS[k], _number(v)) for k, v in self.facts.as_dict().items()]),
            _block("Rate limit (headers of the last answer)", _rate_rows(self.rate)),
            _variant_block(self.variants),
            _write_test_block(self.write_test),
            f"Requests spent: {self.requests}",
            "Send us the next line with a bug report (counts and variants only: no key, no App ID, no "
            "contact data):\n" + self.line(),
        ]
        return "\n\n".join(parts) + "\n"


def _number(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _block(title: str, rows: Sequence[tuple[str, str]]) -> str:
    width = max(len(label) for label, _ in rows)
    return "\n".join([title, *(f"  {label.ljust(width)}  {value}" for label, value in rows)])


def _rate_rows(rate: RateHeaders) -> list[tuple[str, str]]:
    def shown(value: float | None, unit: str) -> str:
        return "not sent" if value is None else f"{value:g}{unit}"

    return [
        ("X-Rate-Limit-Limit", shown(rate.limit, " requests a minute")),
        ("X-Rate-Limit-Remaining", shown(rate.remaining, "")),
        ("X-Rate-Limit-Reset", shown(rate.reset, " s until the window resets")),
    ]


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    return [
        "  " + "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]])
        for row in [header, *rows]
    ]


def _ordered(variants: Mapping[str, Variant]) -> list[Variant]:
    """The report's order: the behaviours a read or the write test can show, then the untested."""
    ordered = [variants[name] for name in ORDER if name in variants]
    return ordered + [variant for name, variant in variants.items() if name not in ORDER]


def _variant_block(variants: Mapping[str, Variant]) -> str:
    rows = [(variant.name, variant.value, variant.how) for variant in _ordered(variants)]
    title = "Behaviours Ontraport does not document (named as the sandbox's switches)"
    return "\n".join([title, *_table(("behaviour", "this account", "what the doctor saw"), rows)])


def _write_test_block(test: WriteTestResult | None) -> str:
    if test is None:
        return (
            "Write test: not run. `doctor --write-test` creates one contact (@example.invalid), updates,\n"
            "tags, untags and deletes it, to settle the lines that say 'unknown without a write'."
        )
    rows = [
        (step.name, _signed(step.change), _signed(step.expected), "ok" if step.as_asked else "DIFFERENT")
        for step in test.steps
    ]
    lines = [
        f"Write test (one contact @example.invalid, tagged {TEST_TAG!r}, deleted at the end)",
        *_table(("step", "contact count change", "asked", ""), rows),
    ]
    lines += [f"  ALERT: {alert}" for alert in test.alerts]
    if test.problem:
        lines.append(f"  Stopped early: {test.problem}")
    if not test.cleaned_up:
        lines.append("  The test contact may still be in the account: search for @example.invalid.")
    lines.append(
        f"  The tag {TEST_TAG!r} stays in the account, on no contact; delete it in Ontraport if you like."
    )
    return "\n".join(lines)


def _signed(value: int | None) -> str:
    return "unread" if value is None else f"{value:+d}"


__all__ = ["REPORT_PREFIX", "DoctorReport"]
