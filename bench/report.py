"""The benchmark's table (markdown, printed and written to bench/results/) and its raw JSON."""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.runner import ScenarioResult, Side
from bench.scenarios import (
    LATENCY_FAST,
    LATENCY_SLOW,
    RATE_LIMIT,
    RSS_FLAT_GROWTH,
    SCALE,
    UNLIMITED,
    WINDOW_SECONDS,
    Target,
)

RESULTS = Path(__file__).resolve().parent / "results"

COLUMNS = (
    "scenario",
    "records",
    "requests",
    "requests / record",
    "wall s",
    "achieved / allowed rate (req per scaled min)",
    "429s",
    "connector CPU us / record",
    "connector peak RSS MB",
    "naive requests / record",
    "naive achieved / allowed",
    "ratio to naive",
    "dry-run estimate",
    "target",
    "result",
)


LINKING_EXTRA = 0.03
"""Requests a record that links to its contact and company may cost more than one that does not."""


def cross_checks(results: Sequence[ScenarioResult]) -> None:
    """'Flat' memory: the 200,000-record peak RSS may exceed the 50,000-record one by at most 15%.
    Linking: `deals_linked` may spend at most 0.03 requests a record more than `deals`."""
    by_name = {r.scenario.name: r for r in results}
    plain, linked = by_name.get("deals"), by_name.get("deals_linked")
    if plain is not None and linked is not None:
        bound = plain.connector.requests_per_record + LINKING_EXTRA
        value = linked.connector.requests_per_record
        linked.checks.append((Target("requests_per_record", high=round(bound, 4)), value, value <= bound))
    small, large = by_name.get("cpu50k"), by_name.get("cpu200k")
    if small is None or large is None:
        return
    bound = small.run.peak_rss_mb * (1.0 + RSS_FLAT_GROWTH)
    large.checks.append(
        (Target("peak_rss_mb", high=round(bound, 1)), large.run.peak_rss_mb, large.run.peak_rss_mb <= bound)
    )


def _rate(side: Side) -> str:
    if side.allowed_per_second * WINDOW_SECONDS >= UNLIMITED:
        return "n/a (no limit)"
    share = side.rate_share
    if share is None:
        return "n/a (shorter than 1 window)"
    per_window = (side.server.rate_per_second or 0.0) * WINDOW_SECONDS
    allowed = side.allowed_per_second * WINDOW_SECONDS
    return f"{share:.3f} ({per_window:.0f} of {allowed:.0f})"


def _per_record(side: Side, per_contact: bool) -> str:
    if per_contact:
        return f"{side.requests_per_contact:.4f} per contact ({side.requests_per_record:.4f} per record)"
    return f"{side.requests_per_record:.4f}"


def _429(side: Side) -> str:
    return f"{side.server.status_429} ({100 * side.share_429:.2f}%)"


def _estimate(result: ScenarioResult) -> str:
    """`5,038 (+0.0%)`: what a dry run on the same account said, against the requests counted."""
    if result.estimated is None:
        return "n/a"
    spent = result.connector.server.requests
    return f"{result.estimated:,} ({100 * (result.estimated - spent) / spent:+.1f}%)" if spent else "n/a"


def row(result: ScenarioResult) -> list[str]:
    c, n = result.connector, result.naive
    per_contact = result.per_contact
    ratio = result.ratio_to_naive
    failed = [t.describe() for t, _, ok in result.checks if not ok]
    verdict = result.verdict + (f": {'; '.join(failed)}" if failed and not result.sanity else "")
    cpu = result.metric("cpu_us_per_record") or 0.0
    return [
        f"`{result.scenario.name}` {result.scenario.label(result.quick)}",
        f"{c.records:,}" + (f" ({c.contacts:,} contacts)" if per_contact else ""),
        f"{c.server.requests:,}",
        _per_record(c, per_contact),
        f"{result.run.wall_seconds:.1f}",
        _rate(c),
        _429(c),
        f"{cpu:.0f}",
        f"{result.run.peak_rss_mb:.0f}",
        "n/a" if n is None else f"{_per_record(n, per_contact)} ({n.records} records)",
        "n/a" if n is None else _rate(n),
        "n/a" if ratio is None else f"{ratio:.3f}",
        _estimate(result),
        "; ".join(t.describe() for t, _, _ in result.checks),
        verdict,
    ]


def table(results: Sequence[ScenarioResult]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row(r)) + " |" for r in results]
    return "\n".join(lines)


def preamble(command: str, quick: bool) -> str:
    return (
        f"`{command}` ({'quick sizes' if quick else 'full sizes'}), "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs.\n"
        f"Sandbox scaled by {SCALE}: {RATE_LIMIT} requests per {WINDOW_SECONDS:g}-s window "
        f"(= {RATE_LIMIT} per scaled minute), latency {LATENCY_FAST} ms (stands for 300-700 ms) or "
        f"{LATENCY_SLOW} ms (stands for 1-3 s). The connector runs as `python main.py write` with "
        f"`rate_limit_window_seconds: {WINDOW_SECONDS:g}` and default batch size and concurrency; the "
        "naive strategy (saveorupdate + tagByName per record, one request at a time) runs on the "
        "records of the scenario's first contacts, on the same sandbox state."
    )


def footnotes(results: Sequence[ScenarioResult], start_up: tuple[float, float] | None) -> str:
    lines = [
        "Requests and 429s are the sandbox's counts. Achieved rate: the mean, over the run after its "
        "first window, of the requests the sandbox counted in the trailing window, against the limit "
        "(or, for `cap`, the configured cap); '171 of 180' is requests per scaled minute. CPU (user + "
        "system) and peak RSS are the connector process's, start-up included. Ratio to naive: "
        "connector requests / naive requests, per record (per distinct contact for `dup3`).",
    ]
    if start_up is not None:
        lines.append(
            f"Connector start-up alone (`python main.py spec`): {start_up[0]:.2f} s CPU, "
            f"{start_up[1]:.0f} MB peak RSS."
        )
    by_name = {r.scenario.name: r for r in results}
    small, large = by_name.get("cpu50k"), by_name.get("cpu200k")
    if small and large and large.connector.records > small.connector.records:
        extra = large.connector.records - small.connector.records
        marginal = 1e6 * (large.run.cpu_seconds - small.run.cpu_seconds) / extra
        lines.append(
            f"Marginal connector CPU from `cpu50k` to `cpu200k` (start-up cancels out): {marginal:.0f} us "
            "per record."
        )
    for result in results:
        if result.scenario.notes:
            lines.append(f"`{result.scenario.name}`: {result.scenario.notes}.")
        above, baseline = result.extra_requests_per_record, result.baseline_requests_per_record
        if above is not None and baseline is not None:
            lines.append(
                f"`{result.scenario.name}`: {baseline + above:.4f} requests per record, {baseline:.4f} for "
                f"the same sync without campaigns and sequences: {above:+.4f}."
            )
        for problem in result.sanity:
            lines.append(f"`{result.scenario.name}` INVALID: {problem}")
    return "\n".join(f"- {line}" for line in lines)


def render(
    results: Sequence[ScenarioResult], command: str, quick: bool, start_up: tuple[float, float] | None = None
) -> str:
    return f"{preamble(command, quick)}\n\n{table(results)}\n\n{footnotes(results, start_up)}\n"


def save(
    results: Sequence[ScenarioResult],
    text: str,
    command: str,
    quick: bool,
    start_up: tuple[float, float] | None = None,
) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.md").write_text(text, encoding="utf-8")
    payload: dict[str, Any] = {
        "command": command,
        "quick": quick,
        "python": sys.version,
        "cpus": os.cpu_count(),
        "finished_at": datetime.now(UTC).isoformat(),
        "start_up": None if start_up is None else {"cpu_seconds": start_up[0], "peak_rss_mb": start_up[1]},
        "scenarios": [r.as_dict() for r in results],
    }
    (RESULTS / "latest.json").write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
    return RESULTS / "latest.md"
