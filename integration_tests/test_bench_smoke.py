"""`python -m bench` end to end on tiny inputs: the connector subprocess and the naive strategy run
against a real sandbox, and the table comes out with its columns and plausible figures. Request
counts are checked, not timings (those are the benchmark's job, not a test's)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.report import COLUMNS, cross_checks, render
from bench.runner import API_KEY, APP_ID, Bench, ScenarioResult
from bench.scenarios import BY_NAME, RATE_LIMIT, WINDOW_SECONDS
from ontraport_sandbox.testing import SandboxHandle, running_sandbox

CONTACTS = 60


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ScenarioResult]]:
    sandbox: SandboxHandle
    with running_sandbox(
        app_id=APP_ID, api_key=API_KEY, rate_limit=RATE_LIMIT, window=WINDOW_SECONDS
    ) as sandbox:
        bench = Bench(sandbox, Path(tmp_path_factory.mktemp("bench")), quick=True, log=lambda _: None)
        out = {}
        for name, naive in (("cold", 10), ("warm10", 10), ("dup3", 5), ("automations", 0)):
            tiny = dataclasses.replace(
                BY_NAME[name], quick_contacts=CONTACTS, quick_naive_contacts=naive, latency_ms="0-5"
            )
            out[name] = bench.run(tiny)
        yield out


def test_the_runs_are_valid_and_have_no_429s(results: dict[str, ScenarioResult]) -> None:
    for result in results.values():
        assert result.sanity == [], result.run.stderr_tail
        assert result.connector.server.status_429 == 0


def test_a_dry_run_on_the_same_account_estimated_the_requests_each_run_then_spent(
    results: dict[str, ScenarioResult],
) -> None:
    estimated = {name: r for name, r in results.items() if r.scenario.name in ("cold", "warm10", "dup3")}
    assert len(estimated) == 3, "the scenarios with the estimate's target ran a dry run first"
    for name, result in estimated.items():
        assert result.estimated == result.connector.server.requests, name


def test_cold_spends_about_one_request_per_record_and_naive_two(results: dict[str, ScenarioResult]) -> None:
    cold = results["cold"]
    # 60 creates (no lookup: the account held no contact), 1 tag call, plus start-up reads (fields,
    # tags, the read-path probe's sample), 2 tag creations and one lookup of a created contact (which
    # settles how lookups must be sent).
    assert CONTACTS < cold.connector.server.requests <= CONTACTS + 7
    assert cold.naive is not None and cold.naive.requests_per_record == 2.0
    ratio = cold.ratio_to_naive
    assert ratio is not None and 0.5 < ratio < 0.6


def test_warm_with_changes_writes_only_the_changed(results: dict[str, ScenarioResult]) -> None:
    warm = results["warm10"]
    changed = round(0.10 * CONTACTS)
    assert warm.run.summary is not None and warm.run.summary["updated"] == changed
    assert warm.connector.server.requests <= changed + 8  # + fields, tags, 2 lookups, 2 probe reads


def test_duplicates_cost_per_distinct_contact_what_cold_costs(results: dict[str, ScenarioResult]) -> None:
    dup = results["dup3"]
    assert dup.connector.records == 3 * CONTACTS
    assert dup.connector.requests_per_contact <= results["cold"].connector.requests_per_contact + 0.05
    assert dup.naive is not None and dup.naive.requests_per_contact == 6.0


def test_campaigns_and_sequences_cost_their_calls_and_nothing_per_contact(
    results: dict[str, ScenarioResult],
) -> None:
    """Above the same sync without them: the two lists read, one subscribe per kind (60 contacts),
    and the read-back at the end; the membership fields ride in the lookups."""
    automations = results["automations"]
    assert automations.run.summary is not None and automations.run.summary["subscribed"] == 2 * CONTACTS
    extra = automations.extra_requests_per_record
    assert extra is not None and round(extra * CONTACTS) == 5
    assert "for the same sync without campaigns and sequences: +0.0833" in render(
        [automations], "x", quick=True
    )


def test_the_table_has_every_column_and_a_row_per_scenario(results: dict[str, ScenarioResult]) -> None:
    text = render(list(results.values()), "python -m bench --quick", quick=True)
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("| scenario"))
    assert [cell.strip() for cell in header.strip("|").split("|")] == list(COLUMNS)
    rows = [line for line in lines if line.startswith("| `")]
    assert len(rows) == 4
    assert all(len(row.strip("|").split("|")) == len(COLUMNS) for row in rows)


ORDERS = 24  # 80 order lines, 12 buyers (6 new), 2 products
DEALS = 80  # 8 contacts, 2 companies


@pytest.fixture(scope="module")
def activation_results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ScenarioResult]]:
    with running_sandbox(
        app_id=APP_ID, api_key=API_KEY, rate_limit=RATE_LIMIT, window=WINDOW_SECONDS
    ) as sandbox:
        bench = Bench(sandbox, Path(tmp_path_factory.mktemp("bench")), quick=True, log=lambda _: None)
        out = {}
        for name, size in (
            ("order_lines", ORDERS),
            ("orders_resync", ORDERS),
            ("deals", DEALS),
            ("deals_linked", DEALS),
        ):
            tiny = dataclasses.replace(BY_NAME[name], quick_contacts=size, latency_ms="0-5")
            out[name] = bench.run(tiny)
        cross_checks(list(out.values()))
        yield out


def test_purchases_cost_one_purchase_an_order_and_a_resync_only_its_lookups(
    activation_results: dict[str, ScenarioResult],
) -> None:
    for result in activation_results.values():
        assert result.sanity == [], result.run.stderr_tail
    cold, again = activation_results["order_lines"], activation_results["orders_resync"]
    by_route = cold.connector.server.by_route
    assert by_route["POST /1/transaction/processManual"] == ORDERS
    assert by_route["POST /1/Products"] == 2 and by_route["POST /1/Contacts/saveorupdate"] == 6
    assert "POST /1/transaction/processManual" not in again.connector.server.by_route
    assert again.connector.server.requests <= 8  # one lookup of 24 orders, the set-up reads


def test_linking_adds_only_the_lookups_of_the_distinct_keys(
    activation_results: dict[str, ScenarioResult],
) -> None:
    plain, linked = activation_results["deals"], activation_results["deals_linked"]
    assert linked.connector.server.requests - plain.connector.server.requests == 2  # 8 emails, 2 names
    target, value, holds = linked.checks[-1]  # the cross-check: at most `deals` + 0.03 a record
    assert target.high == round(plain.connector.requests_per_record + 0.03, 4) and holds, value
