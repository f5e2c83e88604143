"""A dry run's estimate of the requests a real sync spends, against the requests the sandbox then
counts for that real sync on the same data: within 2% for a cold account, an unchanged re-sync and a
re-sync where 10% of the records changed (the benchmark's scenarios, at a size a test can afford)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bench.scenarios import change_some, make_people
from integration_tests.harness import catalog_of, config_for, record, run_on_platform, state, stream_entry
from ontraport_sandbox.testing import SandboxHandle

PEOPLE = 300
TAGS = "Airbyte, Bench"


def source(people: list[dict[str, Any]]) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    for n, person in enumerate(people, start=1):
        messages.append(record("contacts", person))
        if n % 50 == 0:
            messages.append(state("contacts", n))
    return messages


def sync(
    sandbox: SandboxHandle, people: list[dict[str, Any]], *, dry_run: bool
) -> tuple[dict[str, Any], int, list[str]]:
    """(the summary, the requests the sandbox counted, the log) of one `write`."""
    config = config_for(sandbox.url, tags=TAGS, batch_size=100, dry_run=dry_run)
    before = sandbox.stats()["total_requests"]
    run = run_on_platform(config, catalog_of(stream_entry("contacts")), source(people))
    assert run.returncode == 0, run.stdout[-3000:]
    return run.summary, sandbox.stats()["total_requests"] - before, run.logs


@pytest.mark.parametrize("case", ["cold", "warm", "warm10"])
def test_the_dry_runs_estimate_is_within_two_percent_of_the_real_syncs_requests(
    sandbox: SandboxHandle, case: str
) -> None:
    people = make_people(PEOPLE)
    if case != "cold":
        sync(sandbox, people, dry_run=False)  # the account as a first sync leaves it
    if case == "warm10":
        people = change_some(people, 0.10)
    dry, _, logs = sync(sandbox, people, dry_run=True)
    real, spent, _ = sync(sandbox, people, dry_run=False)
    estimate = dry["estimate"]
    assert abs(estimate["total"] - spent) <= 0.02 * spent, (
        f"estimated {estimate}, the real sync spent {spent}"
    )
    assert real["requests"] == spent
    assert estimate["creates"] == real["created"] and estimate["updates"] == real["updated"]
    (line,) = [line for line in logs if "the real sync would spend" in line]
    assert re.search(
        rf"would spend about {estimate['total']:,} requests: under a minute at 100,000 a minute \(lookups "
        rf"{estimate['lookups']}, creates {estimate['creates']}, updates {estimate['updates']}, tag calls "
        rf"{estimate['tag_calls']}, removals 0, set-up {estimate['set_up']}\)",
        line,
    ), line
