"""Hostile input: each case is one `main.py write` run against the sandbox. Every case must end with a
clear message and no crash, every rejected record must be counted and listed with its reason (in
the log and in the rejected-records file), and nothing may be silently dropped: the summary accounts
for every record read."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from destination_ontraport.rejected.rejection_groups import FULL_LINES_PER_REASON, reason_kind
from integration_tests.harness import (
    Run,
    catalog_of,
    config_for,
    record,
    run_connector,
    state,
    stream_entry,
)
from integration_tests.scenarios import accounted, by_key, rejected_lines, warning_lines
from ontraport_sandbox.testing import SandboxHandle

MARCH_1 = 1709251200  # 2024-03-01T00:00:00Z
NOON = MARCH_1 + 12 * 3600
MB = 1024 * 1024


def rec(email: Any, **data: Any) -> dict[str, Any]:
    return record("people", {"email": email, **data})


def raw_record(data_json: str) -> str:
    """A RECORD line written by hand (for JSON that json.dumps would not produce)."""
    return '{"type":"RECORD","record":{"stream":"people","emitted_at":1,"data":' + data_json + "}}"


def nested(depth: int, leaf: Any) -> Any:
    value = leaf
    for _ in range(depth):
        value = {"level": value}
    return value


@dataclass
class Case:
    name: str
    messages: list[Any]
    rejected: int = 0
    reasons: tuple[str, ...] = ()  # each appears in a rejection reason (log and file)
    contacts: dict[str, dict[str, str]] | None = None  # the exact emails in the sandbox, with fields
    config: dict[str, Any] = field(default_factory=dict)
    catalog: dict[str, Any] | None = None
    raw_config: str | None = None
    seed: list[dict[str, Any]] = field(default_factory=list)
    returncode: int = 0
    error: str | None = None  # substring of the TRACE error (for failing runs)
    logs: tuple[str, ...] = ()  # substrings that appear in some LOG line
    states: list[Any] | None = None  # cursors of the STATE messages that must come out
    check: Callable[[Run, SandboxHandle], None] | None = None


def data_dependent_keys_case() -> Case:
    """A source whose keys are data (one new key per record) must not log a line per record nor
    grow without bound; a field claimed twice says which source field won."""
    count = 1_500
    records = [rec("both@example.com", first_name="Kept", **{"First Name": "Dropped"})]
    records += [rec(f"k{i}@example.com", **{f"attr_{i}": i}) for i in range(count)]

    def bounded_logs(run: Run, sandbox: SandboxHandle) -> None:
        unmatched = [line for line in run.logs if "match no Ontraport contact field and are not sent" in line]
        assert len(unmatched) == 1, f"at most one line per batch, not one per record: {len(unmatched)}"
        listed = {
            name
            for line in unmatched
            for name in line.split("source field(s) ")[1].split(" match")[0].split(", ")
        }
        assert len(listed) == 999  # and 'First Name', logged with its own reason
        overflow = [
            line
            for line in run.logs
            if "more than 1,000 source fields match no Ontraport contact field" in line
        ]
        assert len(overflow) == 1

    return Case(
        "data_dependent_keys",
        records,
        contacts={
            **{f"k{i}@example.com": {} for i in range(count)},
            "both@example.com": {"firstname": "Kept"},
        },
        logs=(
            "source field 'First Name' is not sent: it matches firstname "
            "(taken by 'first_name' in the same record)",
        ),
        check=bounded_logs,
    )


def dates_case() -> Case:
    formats = {
        "iso-date": "2024-03-01",
        "iso-utc": "2024-03-01T12:00:00Z",
        "iso-offset": "2024-03-01T14:00:00+02:00",
        "iso-space": "2024-03-01 12:00:00",
        "iso-millis": "2024-03-01T12:00:00.123Z",
        "slashes": "2024/03/01",
        "us": "03/01/2024",
        "dotted": "01.03.2024",
        "month-first": "March 1, 2024",
        "day-first": "1 Mar 2024",
        "rfc2822": "Fri, 01 Mar 2024 12:00:00 GMT",
        "epoch": MARCH_1,
        "epoch-ms": MARCH_1 * 1000,
        "epoch-string": str(NOON),
        "epoch-float": NOON + 0.75,
    }
    return Case(  # Signup Date is date-only (fulldate): every format, noon ones too, gives that day
        "dates_in_many_formats",
        [rec(f"{name}@example.com", signup_date=value) for name, value in formats.items()],
        contacts={f"{name}@example.com": {"f1006": str(MARCH_1)} for name in formats},
    )


def invalid_dates_case() -> Case:
    bad = [
        "2024-02-30",
        "yesterday",
        "13/13/2024",
        "2024-13-01",
        "1800-01-01",
        "32 Mar 2024",
        "2024-03-01T25:00",
    ]
    return Case(
        "invalid_dates",
        [rec(f"d{i}@example.com", signup_date=value) for i, value in enumerate(bad)]
        + [rec("good-date@example.com", signup_date="2024-03-01")],
        rejected=len(bad),
        reasons=("signup_date: '2024-02-30' is not a date", "'1800-01-01' is out of range"),
        contacts={"good-date@example.com": {"f1006": str(MARCH_1)}},
    )


def thousand_fields_case() -> Case:
    wide = {f"extra_{i}": i for i in range(1000)}

    def one_log_line(run: Run, sandbox: SandboxHandle) -> None:
        lines = [line for line in run.logs if "match no Ontraport contact field" in line]
        assert len(lines) == 1, "unmapped fields are named once, not once per record"
        assert "extra_0" in lines[0] and "extra_999" in lines[0]

    return Case(
        "thousand_fields_in_one_record",
        [rec("wide@example.com", first_name="Wide", **wide), rec("wide2@example.com", **wide)],
        contacts={"wide@example.com": {"firstname": "Wide"}, "wide2@example.com": {}},
        check=one_log_line,
    )


def null_case() -> Case:
    return Case(
        "null_leaves_the_field_untouched",
        [rec("kept@example.com", first_name=None, company="New Co", lifetime_value=None)],
        seed=[{"email": "kept@example.com", "firstname": "Keep", "company": "Old Co", "f1002": "7"}],
        contacts={"kept@example.com": {"firstname": "Keep", "company": "New Co", "f1002": "7"}},
    )


def no_streams_case() -> Case:
    return Case(
        "catalog_names_no_streams",
        [rec("a@example.com"), rec("b@example.com"), state("people", 1)],
        catalog={"streams": []},
        rejected=2,
        reasons=("stream 'people' is not in the configured catalog",),
        contacts={},
        logs=("The configured catalog names no streams",),
        states=[1],
    )


def state_echoed_whole_case() -> Case:
    """A STATE comes back as it arrived: its id, a key no model knows, an integer beyond 64 bits."""
    line = (
        '{"type":"STATE","state":{"type":"STREAM","id":12,"unknownKey":[1],"stream":{"stream_descriptor":'
        '{"name":"people"},"stream_state":{"cursor":123456789012345678901234567890}}}}'
    )

    def every_key_kept(run: Run, sandbox: SandboxHandle) -> None:
        assert [(s["id"], s["unknownKey"]) for s in run.states] == [(12, [1])], run.states

    return Case(
        "state_echoed_whole_with_an_integer_beyond_64_bits",
        [rec("big@example.com"), line],
        contacts={"big@example.com": {}},
        states=[123456789012345678901234567890],
        check=every_key_kept,
    )


def empty_stream_case() -> Case:
    catalog = catalog_of(stream_entry("people"), stream_entry("orders"))
    return Case(
        "empty_stream",
        [rec("only@example.com"), state("people", 1), state("orders", "never-had-records")],
        catalog=catalog,
        contacts={"only@example.com": {}},
        states=[1, "never-had-records"],
    )


CASES: list[Case] = [
    # --- lines that are not Airbyte messages ---------------------------------------------------
    Case(
        "line_is_not_json",
        ["this is {not json", rec("after-garbage@example.com")],
        rejected=1,
        reasons=("line is not valid JSON",),
        contacts={"after-garbage@example.com": {}},
    ),
    Case(
        "json_that_is_a_list",
        ["[1, 2, 3]", rec("l@example.com")],
        rejected=1,
        reasons=("line is JSON but not an Airbyte message (a list)",),
        contacts={"l@example.com": {}},
    ),
    Case(
        "json_with_unknown_type",
        [json.dumps({"type": "BANANA", "record": {}}), json.dumps({"no": "type"}), rec("t@example.com")],
        rejected=2,
        reasons=("not an Airbyte message (type 'BANANA')", "not an Airbyte message (type None)"),
        contacts={"t@example.com": {}},
    ),
    Case(
        "record_without_data_or_stream",
        [
            json.dumps({"type": "RECORD", "record": {"stream": "people"}}),
            json.dumps({"type": "RECORD", "record": {"data": {"email": "nostream@example.com"}}}),
            json.dumps({"type": "RECORD"}),
        ],
        rejected=3,
        reasons=("has no `data` object", "has no stream name", "has no `record` object"),
        contacts={},
    ),
    Case(
        "malformed_state",
        [json.dumps({"type": "STATE", "state": "oops"}), rec("s@example.com"), state("people", 1)],
        rejected=1,
        reasons=("STATE message is malformed",),
        contacts={"s@example.com": {}},
        states=[1],
    ),
    Case(
        "record_for_a_stream_not_in_the_catalog",
        [record("ghosts", {"email": "ghost@example.com"}), rec("real@example.com")],
        rejected=1,
        reasons=("stream 'ghosts' is not in the configured catalog",),
        contacts={"real@example.com": {}},
    ),
    # --- the match key -----------------------------------------------------------------------------
    Case(
        "record_without_the_match_key",
        [record("people", {"first_name": "Nobody"}), rec(""), rec(None), rec("   ")],
        rejected=4,
        reasons=("no value for the match field email",),
        contacts={},
    ),
    Case(
        "invalid_emails",
        [rec("not-an-email"), rec("a b@example.com"), rec("two@@example.com"), rec("x@y"), rec(12345)],
        rejected=5,
        reasons=("'not-an-email' is not a valid email address", "12345 is not a valid email address"),
        contacts={},
    ),
    Case(
        "email_with_spaces_and_capitals_is_normalised",
        [rec("  Mixed.Case@Example.COM  ", first_name="Mixed")],
        contacts={"mixed.case@example.com": {"email": "Mixed.Case@Example.COM", "firstname": "Mixed"}},
    ),
    # --- types -------------------------------------------------------------------------------------
    Case(
        "numeric_strings_for_a_number_field",
        [
            rec("n1@example.com", lifetime_value="1234.50"),
            rec("n2@example.com", lifetime_value="1,234"),
            rec("n3@example.com", lifetime_value=" -7 "),
        ],
        contacts={
            "n1@example.com": {"f1002": "1234.5"},
            "n2@example.com": {"f1002": "1234"},
            "n3@example.com": {"f1002": "-7"},
        },
    ),
    Case(
        "words_and_booleans_for_a_number_field",
        [
            rec("w1@example.com", lifetime_value="lots"),
            rec("w2@example.com", lifetime_value=True),
            rec("w3@example.com", lifetime_value="12abc"),
        ],
        rejected=3,
        reasons=("'lots' is not a number", "true is a true/false value, not a number"),
        contacts={},
    ),
    Case(
        "numbers_and_booleans_for_text_fields",
        [rec("num@example.com", first_name=42, last_name=3.5, company=False)],
        contacts={"num@example.com": {"firstname": "42", "lastname": "3.5", "company": "false"}},
    ),
    Case(
        "lists_in_text_fields",
        [rec("list@example.com", first_name=["a", "b"]), rec("list2@example.com", company=[])],
        rejected=2,
        reasons=("first_name: is a list; a text field holds one value",),
        contacts={},
    ),
    Case(
        "object_in_an_explicitly_mapped_text_field",
        [rec("obj@example.com", nickname={"first": "A"})],
        config={"field_mapping": [{"source": "nickname", "target": "firstname"}]},
        rejected=1,
        reasons=("is an object; a text field holds one value",),
        contacts={},
    ),
    Case(
        "object_under_a_field_name_is_walked_not_sent",
        [rec("walk@example.com", first_name={"given": "A"}, address={"city": "Paris"})],
        contacts={"walk@example.com": {"firstname": "", "city": "Paris"}},
        logs=("first_name.given match no Ontraport contact field",),
    ),
    Case(
        "one_megabyte_string",
        [rec("big@example.com", company="x" * MB), rec("fine@example.com", company="y" * 60_000)],
        rejected=1,
        reasons=("is 1,048,576 characters long; Ontraport text fields hold at most 65,535",),
        contacts={"fine@example.com": {"company": "y" * 60_000}},
    ),
    Case(
        "one_megabyte_line_that_is_not_json",
        ["{" + "z" * MB, rec("after-big@example.com")],
        rejected=1,
        reasons=("line is not valid JSON",),
        contacts={"after-big@example.com": {}},
    ),
    Case(
        "huge_integers_in_a_number_field",
        [
            rec("h1@example.com", lifetime_value=10**15),
            rec("h2@example.com", lifetime_value=2**63 - 1),
            raw_record('{"email":"h3@example.com","lifetime_value":123456789012345678901234567890}'),
            rec("h4@example.com", lifetime_value="1e999999999"),
            rec("h5@example.com", lifetime_value=10**15 - 1),
        ],
        rejected=4,
        reasons=("is out of range (Ontraport numbers stay below 10^15)",),
        contacts={"h5@example.com": {"f1002": str(10**15 - 1)}},
    ),
    Case(
        "huge_integer_in_a_text_field_is_kept_exactly_or_rejected",
        [raw_record('{"email":"digits@example.com","company":123456789012345678901234567890}')],
        check=lambda run, sandbox: _kept_exactly_or_rejected(
            run, sandbox, "digits@example.com", "company", "123456789012345678901234567890"
        ),
    ),
    Case(
        "huge_integer_match_keys_are_never_merged",
        [
            raw_record('{"email":"k1@example.com","external_id":123456789012345678901234567890}'),
            raw_record('{"email":"k2@example.com","external_id":123456789012345678901234567891}'),
        ],
        config={"match_field": "External ID"},
        check=lambda run, sandbox: _never_merged(run, sandbox, ["k1@example.com", "k2@example.com"]),
    ),
    Case(
        "nan_and_infinity",
        [
            rec("nan1@example.com", lifetime_value="NaN"),
            rec("nan2@example.com", lifetime_value="-Infinity"),
            raw_record('{"email":"nan3@example.com","lifetime_value":NaN}'),
            raw_record('{"email":"nan4@example.com","lifetime_value":Infinity}'),
            raw_record('{"email":"nan5@example.com","lifetime_value":1e400}'),
        ],
        rejected=5,
        reasons=("'NaN' is not a finite number", "'-Infinity' is not a finite number", "not valid JSON"),
        contacts={},
    ),
    Case(
        "bad_option_and_checkbox_values",
        [
            rec("o1@example.com", plan="Platinum"),
            rec("o2@example.com", vip="maybe"),
            rec("o3@example.com", plan="pro"),
        ],
        rejected=2,
        reasons=("'Platinum' is not an option of this drop-down", "'maybe' is not a yes/no value"),
        contacts={"o3@example.com": {"f1003": "2"}},
    ),
    dates_case(),
    Case(
        "compact_iso_date_string",
        [rec("compact@example.com", signup_date="20240301")],
        contacts={"compact@example.com": {"f1006": str(MARCH_1)}},  # not 1970-08-23, read as epoch seconds
    ),
    invalid_dates_case(),
    # --- text content ------------------------------------------------------------------------------
    Case(
        "unicode_emoji_and_right_to_left_text_preserved",
        [
            rec(
                "uni@example.com",
                first_name="Zoë Ångström-Łukasz",
                last_name="日本語テキスト",
                company="🎉🚀 Ünïcødé 👩‍👩‍👧",
                city="\u200f\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627\u200f",
            )
        ],
        contacts={
            "uni@example.com": {
                "firstname": "Zoë Ångström-Łukasz",
                "lastname": "日本語テキスト",
                "company": "🎉🚀 Ünïcødé 👩‍👩‍👧",
                "city": "\u200f\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627\u200f",
            }
        },
    ),
    Case(
        "control_characters_kept_and_nul_rejected",
        [
            rec("ctl@example.com", company="a\tb\nc\rd", last_name="bell\x07esc\x1b"),
            rec("nul@example.com", company="before\x00after"),
        ],
        rejected=1,
        reasons=("contains a NUL character",),
        contacts={"ctl@example.com": {"company": "a\tb\nc\rd", "lastname": "bell\x07esc\x1b"}},
    ),
    Case(
        "unicode_email_and_stream_names",
        [record("pëople-ünknown", {"email": "x@example.com"}), rec("ü@bücher.example", first_name="Ü")],
        rejected=2,
        reasons=(
            "stream 'pëople-ünknown' is not in the configured catalog",
            "Ontraport refused the contact: Ontraport rejected POST /Contacts/saveorupdate with HTTP 422: "
            "Invalid email address",
        ),
        contacts={},
    ),
    # --- shape -------------------------------------------------------------------------------------
    thousand_fields_case(),
    data_dependent_keys_case(),
    Case(
        "deep_nesting_200_levels",
        [rec("deep@example.com", first_name="Deep", profile=nested(200, "bottom"))],
        contacts={"deep@example.com": {"firstname": "Deep"}},
        logs=("match no Ontraport contact field",),
    ),
    Case(
        "nesting_beyond_the_json_parser_limit",
        [
            raw_record(
                '{"email":"deeper@example.com","profile":' + '{"level":' * 2000 + "1" + "}" * 2000 + "}"
            ),
            rec("shallow@example.com"),
        ],
        rejected=1,
        reasons=("line is not valid JSON",),
        contacts={"shallow@example.com": {}},
    ),
    null_case(),
    # --- states and catalogs -----------------------------------------------------------------------
    empty_stream_case(),
    Case(
        "state_with_no_records", [state("people", "a"), state("people", "b")], contacts={}, states=["a", "b"]
    ),
    Case(
        "repeated_identical_state",
        [rec("r@example.com"), state("people", 5), state("people", 5), state("people", 5)],
        contacts={"r@example.com": {}},
        states=[5, 5, 5],
    ),
    state_echoed_whole_case(),
    Case("empty_input", [], contacts={}, states=[]),
    no_streams_case(),
    # --- configs -----------------------------------------------------------------------------------
    Case(
        "config_with_wrong_types",
        [rec("cfg@example.com")],
        config={"batch_size": "lots", "tags": 5, "rejected_records_threshold": "ten"},
        returncode=1,
        error="Invalid configuration: tags: Input should be a valid string",
        contacts={},
    ),
    Case(
        "config_that_is_not_json",
        [rec("cfg@example.com")],
        raw_config="{this is not json",
        returncode=1,
        error="Could not read the config file",
        contacts={},
    ),
    Case(
        "config_that_is_a_list",
        [rec("cfg@example.com")],
        raw_config="[]",
        returncode=1,
        error="is not an object and therefore is not a valid config",
        contacts={},
    ),
    Case(
        "config_with_an_unknown_match_field",
        [rec("cfg@example.com")],
        config={"match_field": "Customer Number"},
        returncode=1,
        error='Ontraport has no contact field "Customer Number" (used as match_field)',
        contacts={},
    ),
]


def _kept_exactly_or_rejected(run: Run, sandbox: SandboxHandle, email: str, name: str, digits: str) -> None:
    """A number too big for a 64-bit integer must never be written altered (a float rounding it)."""
    held = by_key(sandbox).get(email)
    if held is not None:
        assert held[name] == digits, f"{name} was written as {held[name]!r}, the source said {digits}"
    else:
        assert run.summary["rejected"] == 1


def _never_merged(run: Run, sandbox: SandboxHandle, emails: list[str]) -> None:
    """Two records with different keys are two contacts (or rejections), never one contact."""
    held = by_key(sandbox)
    assert len(held) + run.summary["rejected"] == len(emails), f"contacts {sorted(held)} for {emails}"


def _run_case(case: Case, sandbox: SandboxHandle, tmp_path: Path) -> Run:
    if case.seed:
        sandbox.seed(case.seed)
    rejected_file = tmp_path / "rejected.jsonl"
    options = {"rejected_records_threshold": 100, "rejected_records_path": str(rejected_file), **case.config}
    config: dict[str, Any] | str = case.raw_config or config_for(sandbox.url, **options)
    catalog = case.catalog if case.catalog is not None else catalog_of(stream_entry("people"))
    return run_connector("write", config, catalog, case.messages, timeout=120)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input(case: Case, sandbox: SandboxHandle, tmp_path: Path) -> None:
    run = _run_case(case, sandbox, tmp_path)
    output = run.stdout[-3000:] + run.stderr[-2000:]
    print(f"HOSTILE {case.name}: {describe(run, sandbox)}")
    assert run.returncode == case.returncode, output
    if case.check is not None:
        case.check(run, sandbox)
    assert not [m for m in run.messages if m.get("type") == "NON_JSON"], "stdout holds only Airbyte messages"
    assert not any("Traceback" in line for line in run.logs), "no stack trace in the log:\n" + output
    if case.error is not None:
        assert run.errors and case.error in run.errors[0], run.errors
        assert all(t["error"]["failure_type"] == "config_error" for t in run.traces if t["type"] == "ERROR")
    else:
        assert not run.errors, run.errors
        check_accounting(case, run, tmp_path / "rejected.jsonl")
    if case.contacts is not None:
        held = by_key(sandbox)
        assert set(held) == set(case.contacts), f"contacts: {sorted(held)}"
        for email, fields in case.contacts.items():
            for name, value in fields.items():
                assert held[email][name] == value, f"{email}.{name} = {held[email][name][:100]!r}"
    for wanted in case.logs:
        assert any(wanted in line for line in run.logs), f"no log line with {wanted!r}"
    if case.states is not None:
        assert [m["stream"]["stream_state"]["cursor"] for m in run.states] == case.states


def describe(run: Run, sandbox: SandboxHandle) -> str:
    """One line for the closing note: what the case produced."""
    if run.errors:
        return f"exit {run.returncode}, error: {run.errors[0][:140]}"
    s = run.summary
    reasons = sorted({line.split("): ", 1)[-1][:90] for line in rejected_lines(run)})
    return (
        f"exit {run.returncode}, read {s['records_read']}, created {s['created']}, updated {s['updated']}, "
        f"rejected {s['rejected']}, states {len(run.states)}, contacts {len(sandbox.contacts())}; {reasons}"
    )


def check_accounting(case: Case, run: Run, rejected_file: Path) -> None:
    """Every record read is created, updated, unchanged, rejected, superseded or skipped; every
    rejection is in the log (a warning at once, a `Rejected:` line in the summary) and in the file."""
    summary = run.summary
    assert accounted(summary) == summary["records_read"], summary
    assert summary["rejected"] == case.rejected, rejected_lines(run)
    listed = rejected_lines(run)
    assert len(listed) == min(case.rejected, 20)
    written = [json.loads(line) for line in rejected_file.read_text().splitlines()] if case.rejected else []
    assert len(written) == case.rejected
    # a warning at once for each, up to FULL_LINES_PER_REASON per reason; the rest are counted
    per_reason = Counter(reason_kind(item["reason"]) for item in written)
    at_once = sum(min(count, FULL_LINES_PER_REASON) for count in per_reason.values())
    assert len([w for w in warning_lines(run) if w.startswith("Rejected record at line")]) == at_once
    assert all(item["reason"] and item["position"] >= 1 for item in written)
    for reason in case.reasons:
        assert any(reason in line for line in listed), f"no rejection says {reason!r}: {listed}"
        assert any(reason in item["reason"] for item in written), f"the file lacks {reason!r}"


def test_there_are_at_least_30_hostile_cases() -> None:
    assert len(CASES) >= 30
    assert len({c.name for c in CASES}) == len(CASES)


# --- the rejected-records options ---------------------------------------------------------------------


def test_default_threshold_fails_the_sync_above_10_percent_and_still_reports(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    """2 of 12 records rejected (16.7% > 10%): the sync fails with a config error after writing the
    good records, listing the rejections in the log and the file."""
    rejected_file = tmp_path / "out" / "rejected.jsonl"
    messages = [rec(f"ok{i}@example.com") for i in range(10)] + [rec("bad one"), rec("bad two")]
    messages.append(state("people", 1))
    config = config_for(sandbox.url, rejected_records_path=str(rejected_file))
    run = run_connector("write", config, catalog_of(stream_entry("people")), messages)
    assert run.returncode == 1
    assert run.errors and "rejected_records_threshold of 10%" in run.errors[0]
    assert "2 of 12 records (16.7%)" in run.errors[0] and str(rejected_file) in run.errors[0]
    assert [t["error"]["failure_type"] for t in run.traces if t["type"] == "ERROR"] == ["config_error"]
    assert len(by_key(sandbox)) == 10
    assert len(rejected_lines(run)) == 2 and run.summary["rejected"] == 2
    assert len(rejected_file.read_text().splitlines()) == 2
    assert run.states, "the records before the STATE were all written or rejected: the STATE is due"


def test_default_threshold_passes_at_10_percent(sandbox: SandboxHandle) -> None:
    messages = [rec(f"ok{i}@example.com") for i in range(9)] + [rec("bad one")]
    run = run_connector("write", config_for(sandbox.url), catalog_of(stream_entry("people")), messages)
    assert run.returncode == 0, run.stdout[-2000:]
    assert run.summary["rejected"] == 1 and len(rejected_lines(run)) == 1


@pytest.mark.parametrize(("threshold", "returncode"), [(33, 1), (34, 0)])
def test_configured_threshold(sandbox: SandboxHandle, threshold: float, returncode: int) -> None:
    messages = [rec("a@example.com"), rec("b@example.com"), rec("not valid")]
    config = config_for(sandbox.url, rejected_records_threshold=threshold)
    run = run_connector("write", config, catalog_of(stream_entry("people")), messages)
    assert run.returncode == returncode, run.stdout[-2000:]
    assert len(by_key(sandbox)) == 2


def test_rejected_records_file_holds_each_record_with_its_reason(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    rejected_file = tmp_path / "rejected.jsonl"
    messages: list[Any] = [
        rec("good@example.com"),
        rec("bad-email", first_name="Ann"),
        "not json at all",
        record("elsewhere", {"email": "e@example.com"}),
        rec("v@example.com", lifetime_value="many"),
        rec("nul@example.com", company="a\x00b"),
    ]
    config = config_for(sandbox.url, rejected_records_threshold=100, rejected_records_path=str(rejected_file))
    run = run_connector("write", config, catalog_of(stream_entry("people")), messages)
    assert run.returncode == 0, run.stdout[-2000:]
    items = [json.loads(line) for line in rejected_file.read_text(encoding="utf-8").splitlines()]
    assert [item["position"] for item in items] == [2, 3, 4, 5, 6]
    by_position = {item["position"]: item for item in items}
    assert by_position[2]["record"] == {"email": "bad-email", "first_name": "Ann"}
    assert "not a valid email address" in by_position[2]["reason"]
    assert by_position[3]["record"] is None and "not valid JSON" in by_position[3]["reason"]
    assert by_position[4]["stream"] == "elsewhere" and by_position[4]["record"] == {"email": "e@example.com"}
    assert "'many' is not a number" in by_position[5]["reason"]
    assert by_position[6]["record"]["company"] == "a\x00b" and "NUL" in by_position[6]["reason"]
    assert set(by_key(sandbox)) == {"good@example.com"}
