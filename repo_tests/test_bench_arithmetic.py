"""The benchmark's own arithmetic and inputs, without a sandbox: the windowed rate it reports, and the
scenario generator's promises (deterministic, distinct emails, copies and changes as described)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.runner import parse_stdout, windowed_rate
from bench.scenarios import (
    BY_NAME,
    PLANS,
    STATE_EVERY,
    Target,
    change_some,
    make_people,
    wire_values,
    with_copies,
    write_input,
)

WINDOW = 6.0


def cumulative(sends: list[float], step: float = 0.1) -> list[tuple[float, int]]:
    """What the sampler would read every `step` seconds for requests arriving at `sends`."""
    end = max(sends) + step
    samples, t = [], 0.0
    while t <= end:
        samples.append((t, sum(1 for s in sends if s <= t)))
        t += step
    return samples


def test_windowed_rate_of_a_client_bursting_at_each_window_start_is_the_limit() -> None:
    limit = 180
    sends = [k * WINDOW + 0.001 * i for k in range(10) for i in range(limit)]
    rate, peak = windowed_rate(cumulative(sends), sends[0], sends[-1], WINDOW)
    assert rate is not None and peak is not None
    assert rate * WINDOW / limit == pytest.approx(1.0, abs=0.03)
    assert peak <= limit + 2  # interpolation between samples may blur a burst by a request or two


def test_windowed_rate_of_a_steady_client_is_its_rate() -> None:
    sends = [i / 18.0 for i in range(18 * 40)]  # 18 requests per second for 40 s
    rate, _ = windowed_rate(cumulative(sends), sends[0], sends[-1], WINDOW)
    assert rate == pytest.approx(18.0, rel=0.02)


def test_windowed_rate_is_undefined_for_a_run_shorter_than_a_window() -> None:
    sends = [0.01 * i for i in range(100)]
    assert windowed_rate(cumulative(sends), sends[0], sends[-1], WINDOW) == (None, None)


def test_people_are_deterministic_with_distinct_emails() -> None:
    people = make_people(2000)
    assert people == make_people(2000)
    assert len({p["email"] for p in people}) == 2000
    assert {p["plan"] for p in people} == set(PLANS)


def test_change_some_changes_exactly_one_mapped_field_of_the_share() -> None:
    people = make_people(1000)
    changed = change_some(people, 0.10)
    diffs = [
        {k for k in wire_values(a) if wire_values(a)[k] != wire_values(b)[k]}
        for a, b in zip(people, changed, strict=True)
    ]
    assert sum(1 for d in diffs if d) == 100
    assert all(len(d) <= 1 for d in diffs)


def test_copies_keep_mapped_values_and_follow_the_original() -> None:
    people = make_people(300)
    stream = with_copies(people, 3, spread=50)
    assert len(stream) == 900
    first_seen: dict[str, int] = {}
    for position, record in enumerate(stream):
        first_seen.setdefault(record["email"], position)
        original = people[record["customer_id"] - 1]
        assert wire_values(record) == wire_values(original)
    assert [first_seen[p["email"]] for p in people] == sorted(first_seen.values())


def test_input_has_a_state_every_500_records_and_at_the_end(tmp_path: Path) -> None:
    path = tmp_path / "input.jsonl"
    records, states = write_input(path, make_people(1234))
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert (records, states) == (1234, 3)
    assert [i for i, m in enumerate(lines) if m["type"] == "STATE"] == [
        STATE_EVERY,
        2 * STATE_EVERY + 1,
        len(lines) - 1,
    ]


def test_naive_sample_of_the_duplicate_scenario_is_a_restriction_of_its_stream() -> None:
    scenario = BY_NAME["dup3"]
    full = scenario.records(quick=True)
    sample = scenario.records(quick=True, contacts=20)
    emails = {r["email"] for r in sample}
    assert len(emails) == 20 and len(sample) == 60
    assert [r for r in full if r["email"] in emails] == sample


def test_targets() -> None:
    assert Target("rate_share", low=0.9, high=1.0).holds(0.95)
    assert not Target("rate_share", low=0.9, high=1.0).holds(1.01)
    assert not Target("requests_per_record", high=1.05).holds(None)


def test_parse_stdout_reads_summary_states_and_errors() -> None:
    lines = [
        {"type": "STATE", "state": {}},
        {"type": "LOG", "log": {"level": "INFO", "message": 'SYNC_SUMMARY {"requests": 3}'}},
        {"type": "TRACE", "trace": {"type": "ERROR", "error": {"message": "boom"}}},
    ]
    summary, states, errors = parse_stdout("\n".join(json.dumps(m) for m in lines) + "\nnot json\n")
    assert (summary, states, errors) == ({"requests": 3}, 1, ["boom"])


def test_the_image_freeze_diff_sees_extra_missing_and_other_versions_but_not_the_base() -> None:
    from bench.image_test import freeze_diff, locked_main_dependencies

    expected = {"requests": "2.34.2", "six": "1.17.0"}
    base = {"pip": "23.0.1", "six": "1.17.0", "requests": "2.28.1"}
    ours = "airbyte-destination-ontraport"
    same = {"pip": "23.0.1", "six": "1.17.0", "requests": "2.34.2", ours: "@ file:///x"}
    assert freeze_diff(expected, same, base, ours)[0] == []
    diff, _ = freeze_diff(expected, {**same, "boto3": "1.0", "requests": "2.33.0"}, base, ours)
    assert {line for line in diff if line[:1] in "+-" and line[:3] not in {"+++", "---"}} == {
        "-requests==2.34.2",
        "+requests==2.33.0",
        "+boto3==1.0",
    }
    missing, _ = freeze_diff(expected, {k: v for k, v in same.items() if k != "six"}, base, ours)
    assert "-six==1.17.0" in missing
    locked = locked_main_dependencies()
    assert locked["airbyte-cdk"] == "7.39.1" and "moto" not in locked and "colorama" not in locked
