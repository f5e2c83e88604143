"""`main.py doctor` against the sandbox under every value of every behaviour switch.

For each switch value the sandbox plays (ontraport_sandbox/switches.py CHOICES, plus the numeric
`not_found_status` and `delete_overreach`), on an account with contacts, tags, campaigns, sequences,
products, a transaction and records of the other object types: the read-only doctor names each
variant a read can show as the switch says, sends no write, and leaves every record as it was; the
doctor with `--write-test` names the rest, and leaves every record as it was except for the tag
`Airbyte doctor`, which it documents as staying. An empty account shows what only the write test
can settle. The report line holds counts and variants, never a key, an App ID or a contact's data.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from integration_tests.harness import API_KEY, APP_ID, Run, capture_path, config_for, run_connector
from ontraport_sandbox.switches import CHOICES
from ontraport_sandbox.testing import SandboxHandle

UNKNOWN = "unknown without a write"
TEST_TAG = "Airbyte doctor"
PREFIX = "DOCTOR_REPORT "
PEOPLE: list[dict[str, Any]] = [
    {"email": "Ann.Lee@Example.com", "firstname": "Ann", "lastname": "Lee", "tags": ["VIP"]},
    {"email": "bob@example.com", "firstname": "Bob", "birthday": "981158400", "tags": ["VIP", "Newsletter"]},
    {"email": "cy@example.org", "firstname": "Cy"},
]
CASES: list[tuple[str, Any]] = [
    *((choice.name, value) for choice in CHOICES for value in choice.values),
    ("not_found_status", 400),
    ("delete_overreach", 1),
    ("max_request_line", 4000),
]
BUILTIN_TYPES = (5, 16, 46, 140)  # sequences, products, transactions, campaigns


def seed_account(sandbox: SandboxHandle) -> None:
    """Something of every kind the doctor reads, so that every read-path variant can show."""
    ids = sandbox.seed(PEOPLE)
    sandbox.seed_campaigns(["Welcome"])
    sandbox.seed_sequences(["Onboarding"])
    sandbox.seed_products(["Widget"])
    sandbox.seed_memberships(ids[:1], campaigns=["Welcome"], sequences=["Onboarding"])
    sandbox.seed_objects(46, [{"contact_id": str(ids[0]), "total": "5.00", "external_order_id": "A-1"}])
    sandbox.seed_objects(149, [{"name": "Big deal", "primary_contact": str(ids[0]), "tags": ["Hot"]}])
    sandbox.seed_objects(150, [{"name": "Acme"}])
    sandbox.seed_objects(10000, [{"f2001": "P-1", "f2002": "Rex", "tags": ["Good"]}])


def snapshot(sandbox: SandboxHandle) -> dict[str, Any]:
    """Every record of every object type, every tag, every membership, the schema."""
    meta = sandbox.meta()
    types = sorted({*(int(key) for key in meta["objects"]), *BUILTIN_TYPES})
    return {
        "meta": meta,
        "contacts": sandbox.contacts(),
        "objects": {object_id: sandbox.objects(object_id) for object_id in types},
        "tags": sandbox.tags(),
        "memberships": sandbox.memberships(),
        "transactions": sandbox.transactions(),
    }


def doctor(sandbox: SandboxHandle, *flags: str) -> tuple[Run, dict[str, Any]]:
    run = run_connector("doctor", config_for(sandbox.url), flags=flags)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    lines = [line for line in run.stdout.splitlines() if line.startswith(PREFIX)]
    assert len(lines) == 1, run.stdout
    return run, json.loads(lines[0].removeprefix(PREFIX))


def expected_variants(config: dict[str, Any], *, wrote: bool) -> dict[str, str]:
    """What the doctor must name under the sandbox's current switches (`wrote`: with the write test)."""
    return {
        "text_case": config["text_case"],
        "text_case_tags": config["text_case"],
        "condition_without_ids": config["condition_without_ids"],
        "collection_contact_cat": config["collection_contact_cat"],
        "collection_memberships": config["collection_memberships"],
        "not_found_status": str(config["not_found_status"]),
        "not_found_status_update": str(config["not_found_status"]) if wrote else UNKNOWN,
        "date_only_zone": config["date_only_zone"] if wrote else UNKNOWN,
        "delete_form_body": config["delete_form_body"] if wrote else UNKNOWN,
        "sequence_rows_id": config["sequence_rows_id"],
        "builtin_types_in_meta": config["builtin_types_in_meta"],
        "transaction_condition": config["transaction_condition"],
        # the connector's longest request line is 6,000 bytes; the probe's is a little longer
        "max_request_line": "6000 or more" if config["max_request_line"] > 6500 else "under 6000",
        "deals_and_companies": "installed",
    }


def assert_names_the_variants(report: dict[str, Any], config: dict[str, Any], *, wrote: bool) -> None:
    variants = report["variants"]
    expected = expected_variants(config, wrote=wrote)
    assert {name: variants.get(name) for name in expected} == expected
    for choice in CHOICES:  # every switch has a line; the ones never tested say so
        assert choice.name in variants, choice.name
        if choice.name not in expected:
            assert variants[choice.name] == "not tested", (choice.name, variants[choice.name])


def assert_nothing_personal(run: Run) -> None:
    line = next(line for line in run.stdout.splitlines() if line.startswith(PREFIX))
    assert "@" not in line and APP_ID not in run.stdout and API_KEY not in run.stdout + run.stderr
    for person in PEOPLE:
        for value in (person["email"], person["firstname"], person.get("lastname", "")):
            if value:
                assert value not in run.stdout, value


@pytest.mark.parametrize(("switch", "value"), CASES, ids=[f"{name}={value}" for name, value in CASES])
def test_the_doctor_names_every_variant_and_touches_nothing_but_its_test_contact(
    sandbox: SandboxHandle, switch: str, value: Any
) -> None:
    sandbox.configure(**{switch: value})
    seed_account(sandbox)
    config = sandbox.config()
    before = snapshot(sandbox)

    read_only, report = doctor(sandbox)
    assert_names_the_variants(report, config, wrote=False)
    assert report["mode"] == "read-only" and report["write_test"] is None
    assert report["account"]["contacts"] == len(PEOPLE)
    assert (report["account"]["campaigns"], report["account"]["sequences"]) == (1, 1)
    assert sandbox.stats()["write_requests"] == 0, sandbox.stats()["by_route"]
    assert snapshot(sandbox) == before
    assert_nothing_personal(read_only)

    written, report = doctor(sandbox, "--write-test")
    assert_names_the_variants(report, config, wrote=True)
    test = report["write_test"]
    assert test["completed"] and test["cleaned_up"] and test["alerts"] == 0, written.stdout
    again = ["untag"] if config["delete_form_body"] == "ignore" else []  # the body did not untag it
    steps = ["create", "update", "tag", "untag (form body)", *again, "delete"]
    assert [step["step"] for step in test["steps"]] == steps
    assert all(step["count_change"] == step["expected"] for step in test["steps"]), test["steps"]
    after = snapshot(sandbox)
    added = [tag for tag in after["tags"] if tag not in before["tags"]]
    assert [(tag["tag_name"], tag["object_type_id"]) for tag in added] == [(TEST_TAG, "0")]
    assert {**after, "tags": before["tags"]} == before  # every record as it was, the tag aside
    stats = sandbox.stats()
    assert (stats["delete_all"], stats["tag_all"], stats["overreach_deleted"], stats["subscribe_all"]) == (
        0,
        0,
        0,
        0,
    )
    assert_nothing_personal(written)


EMPTY_CASES: list[dict[str, Any]] = [
    {},
    {"text_case": "sensitive"},
    {"condition_without_ids": "nothing"},
    {"collection_contact_cat": "never", "collection_memberships": "never"},
    {"text_case": "sensitive", "condition_without_ids": "nothing", "date_only_zone": "-5"},
]


@pytest.mark.parametrize("switches", EMPTY_CASES, ids=[json.dumps(case) for case in EMPTY_CASES])
def test_on_an_empty_account_the_write_test_settles_what_reads_cannot(
    sandbox: SandboxHandle, switches: dict[str, Any]
) -> None:
    sandbox.configure(**switches)
    config = sandbox.config()
    read_only = doctor(sandbox)[1]["variants"]
    for name in ("text_case", "condition_without_ids", "collection_contact_cat", "collection_memberships"):
        assert read_only[name] == UNKNOWN, (name, read_only[name])
    assert read_only["text_case_tags"] == UNKNOWN  # no tag yet either

    run, report = doctor(sandbox, "--write-test")
    variants = report["variants"]
    for name in ("text_case", "condition_without_ids", "collection_contact_cat", "collection_memberships"):
        assert variants[name] == config[name], (name, variants[name], run.stdout)
    assert variants["text_case_tags"] == config["text_case"]
    assert variants["date_only_zone"] == config["date_only_zone"]
    assert sandbox.contacts() == []
    assert [tag["tag_name"] for tag in sandbox.tags()] == [TEST_TAG]


def test_an_account_without_deals_and_companies_is_named_so(sandbox: SandboxHandle) -> None:
    """The sandbox plays an account without the Deals and Companies app with a meta document, which
    outlives the reset between tests: the types are put back as they were."""
    original = sandbox.meta()["objects"]
    try:
        sandbox.declare({"objects": {"149": None, "150": None}})
        assert doctor(sandbox)[1]["variants"]["deals_and_companies"] == "absent"
        sandbox.declare({"objects": {"150": original["150"]}})
        assert doctor(sandbox)[1]["variants"]["deals_and_companies"] == "companies only"
    finally:
        sandbox.declare({"objects": {key: original[key] for key in ("149", "150")}})
    assert sandbox.meta()["objects"] == original


def test_the_table_says_what_each_line_means(sandbox: SandboxHandle) -> None:
    sandbox.configure(rate_limit=180)
    seed_account(sandbox)
    run = doctor(sandbox, "--write-test")[0]
    for heading in ("Account", "Rate limit", "Behaviours Ontraport does not document", "Write test"):
        assert heading in run.stdout, heading
    assert "X-Rate-Limit-Limit      180 requests a minute" in run.stdout
    assert "delete_form_body             ignore" in run.stdout
    assert f"The tag {TEST_TAG!r} stays in the account" in run.stdout
    assert run.stderr.startswith("INFO ") or not run.stderr  # plain lines, not Airbyte messages
    assert not any(line.startswith("{") for line in run.stdout.splitlines())


BAD_CONFIGS: dict[str, dict[str, Any]] = {
    "wrong-key": {"api_key": "wrong-key"},
    "invalid-option": {"max_removals": -1},
    "unknown-match-field": {"match_field": "no_such_field"},
    "unreachable": {"api_url": "http://127.0.0.1:9/1"},
}


@pytest.mark.parametrize("name", list(BAD_CONFIGS))
def test_a_config_check_refuses_stops_the_doctor_with_checks_message(
    sandbox: SandboxHandle, name: str
) -> None:
    config = config_for(sandbox.url, **BAD_CONFIGS[name])
    status = run_connector("check", config).connection_status()
    assert status["status"] == "FAILED"
    run = run_connector("doctor", config, flags=["--write-test"])
    assert run.returncode == 1, run.stdout
    assert run.stderr.strip().endswith(status["message"]), (run.stderr, status["message"])
    assert PREFIX not in run.stdout
    assert sandbox.stats()["write_requests"] == 0
    assert API_KEY not in run.stdout + run.stderr


def test_an_unreadable_config_file_stops_the_doctor(sandbox: SandboxHandle) -> None:
    run = run_connector("doctor", json.dumps(config_for(sandbox.url))[:-5])
    assert run.returncode == 1
    assert "Could not read the config file" in run.stderr
    assert API_KEY[-8:] not in run.stdout + run.stderr


def test_the_installed_command_runs_the_doctor(sandbox: SandboxHandle, tmp_path: Path) -> None:
    """`destination-ontraport doctor` (the package's script, the image's entrypoint) as a person types it."""
    script = Path(sys.executable).parent / "destination-ontraport"
    assert script.exists(), f"{script}: the project's virtualenv installs the package's script (make venv)"
    config = tmp_path / "config.json"
    config.write_text(json.dumps(config_for(sandbox.url)))
    proc = subprocess.run(
        [str(script), "doctor", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    with capture_path().open("a", encoding="utf-8") as sink:
        sink.write(proc.stdout + proc.stderr)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert any(line.startswith(PREFIX) for line in proc.stdout.splitlines())
    assert sandbox.stats()["write_requests"] == 0


def test_the_doctor_costs_about_what_the_docs_say(sandbox: SandboxHandle) -> None:
    """docs/ontraport.md, "The account doctor": about N requests read only, about M more with the
    write test (measured on an account with something of every kind, default switches)."""
    text = " ".join((Path(__file__).resolve().parent.parent / "docs" / "ontraport.md").read_text().split())
    read_only = re.search(r"About (\d+) requests, every one a `GET`", text)
    more = re.search(r"with about (\d+) requests more", text)
    assert read_only and more, "the docs no longer give the doctor's request counts"
    seed_account(sandbox)
    reads = doctor(sandbox)[1]["requests"]
    assert sandbox.stats()["total_requests"] == reads  # the report counts what it sent
    written = doctor(sandbox, "--write-test")[1]["requests"]
    assert abs(reads - int(read_only.group(1))) <= 2, reads
    assert abs(written - reads - int(more.group(1))) <= 3, written - reads
