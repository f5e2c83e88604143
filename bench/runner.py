"""Runs one scenario: the connector as users run it (`python main.py write`), then the naive strategy
on a sample of the same input, both against the sandbox, and measures what each did.

What is measured, and where:

- requests and 429s: the sandbox's own counters (what Ontraport would see), reset before each run;
- achieved request rate: a sampler reads the sandbox's request counter ten times a second; the rate
  is the mean, over the run after its first window, of the requests the server counted in the
  trailing window (interpolated between samples), divided by the window. A client that keeps to the
  limit can never exceed 1.0 of it on this measure, and neither the free first window nor the
  start-up of the process inflate or dilute it; it is what the run would sustain for hours;
- CPU of the connector process: `os.wait4` on its pid (user + system seconds); its peak RSS: the
  kernel's high-water mark `VmHWM`, read while it runs; wall time from start to exit, process
  start-up included.

Every run is bounded by a timeout and all traffic goes to the sandbox on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import activation
from bench.naive import run_naive
from bench.scenarios import (
    TAGS,
    UNLIMITED,
    WINDOW_SECONDS,
    Scenario,
    Target,
    catalog,
    make_people,
    seeded_contact,
    write_input,
)
from ontraport_sandbox.testing import SandboxHandle

ROOT = Path(__file__).resolve().parent.parent
MAIN = ROOT / "main.py"
APP_ID = "bench-app"
API_KEY = "bench-key-Vt8Hq2Lw9Xc4"
SAMPLE_INTERVAL = 0.1
SEED_CHUNK = 20_000
SNAPSHOT_LIMIT = 20_000  # above this many contacts the end state is counted, not read back


# --- the connector as a subprocess ---------------------------------------------------------------
@dataclass
class ConnectorRun:
    returncode: int
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    summary: dict[str, Any] | None
    states_out: int
    errors: list[str]
    stderr_tail: str

    def problems(self) -> list[str]:
        found = []
        if self.returncode != 0:
            found.append(f"exit code {self.returncode}")
        found += [f"error: {e}" for e in self.errors]
        if self.summary is None:
            found.append("no SYNC_SUMMARY in the log")
        return found


def connector_config(url: str, scenario: Scenario) -> dict[str, Any]:
    config: dict[str, Any] = {
        "app_id": APP_ID,
        "api_key": API_KEY,
        "api_url": url,
        "tags": ", ".join(TAGS),
        "rate_limit_window_seconds": WINDOW_SECONDS,
    }
    if scenario.max_requests_per_minute is not None:
        config["max_requests_per_minute"] = scenario.max_requests_per_minute
    if scenario.campaigns:
        config["campaigns"] = ", ".join(scenario.campaigns)
    if scenario.sequences:
        config["sequences"] = ", ".join(scenario.sequences)
    return config


def run_connector(
    config: dict[str, Any],
    input_path: Path,
    workdir: Path,
    timeout: float,
    streams: dict[str, Any] | None = None,
) -> ConnectorRun:
    """`python main.py write --config --catalog < input`; CPU and peak RSS from `os.wait4`.
    `streams`: the configured catalog (default: the contacts stream)."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_path, catalog_path = workdir / "config.json", workdir / "catalog.json"
    config_path.write_text(json.dumps(config))
    catalog_path.write_text(json.dumps(streams if streams is not None else catalog()))
    out_path, err_path = workdir / "stdout.jsonl", workdir / "stderr.txt"
    args = [sys.executable, str(MAIN), "write", "--config", str(config_path), "--catalog", str(catalog_path)]
    with input_path.open("rb") as stdin, out_path.open("wb") as stdout, err_path.open("wb") as stderr:
        started = time.monotonic()
        process = subprocess.Popen(args, stdin=stdin, stdout=stdout, stderr=stderr, cwd=ROOT)
        status, usage, peak_mb = _wait(process, started + timeout)
        wall = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    summary, states, errors = parse_stdout(out_path.read_text(encoding="utf-8", errors="replace"))
    return ConnectorRun(
        returncode=process.returncode,
        wall_seconds=wall,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=peak_mb,
        summary=summary,
        states_out=states,
        errors=errors,
        stderr_tail=err_path.read_text(encoding="utf-8", errors="replace")[-2000:],
    )


def _wait(process: subprocess.Popen[bytes], deadline: float) -> tuple[int, Any, float]:
    """Reaps the process with its resource usage and peak RSS (MB); kills it (and raises) past the
    deadline.

    The peak RSS is the process's own `VmHWM`, read until it exits: `ru_maxrss` would not do, because
    Linux carries it over `exec` from the forking parent, so it reports the benchmark's own size
    whenever that is the larger."""
    peak_kib = 0
    status_path = Path(f"/proc/{process.pid}/status")
    while True:
        peak_kib = max(peak_kib, _vm_hwm_kib(status_path))
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid == process.pid:
            return status, usage, peak_kib / 1024.0
        if time.monotonic() > deadline:
            process.send_signal(signal.SIGKILL)
            os.wait4(process.pid, 0)
            process.returncode = -9
            raise TimeoutError(f"the connector did not finish in time (pid {process.pid} killed)")
        time.sleep(0.02)


def _vm_hwm_kib(status_path: Path) -> int:
    try:
        for line in status_path.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass  # exiting: the last reading stands
    return 0


def start_up_cost(timeout: float = 60.0) -> tuple[float, float]:
    """CPU seconds and peak RSS (MB) of `python main.py spec`: what starting the connector costs."""
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, str(MAIN), "spec"], stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL, cwd=ROOT
    )
    _, usage, peak_mb = _wait(process, started + timeout)
    return usage.ru_utime + usage.ru_stime, peak_mb


def parse_stdout(stdout: str) -> tuple[dict[str, Any] | None, int, list[str]]:
    summary: dict[str, Any] | None = None
    states = 0
    errors: list[str] = []
    for line in stdout.splitlines():
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        kind = message.get("type")
        if kind == "STATE":
            states += 1
        elif kind == "LOG":
            text = str(message["log"].get("message", ""))
            if text.startswith("SYNC_SUMMARY "):
                summary = json.loads(text.removeprefix("SYNC_SUMMARY "))
        elif kind == "TRACE" and message["trace"].get("type") == "ERROR":
            errors.append(str(message["trace"]["error"].get("message")))
    return summary, states, errors


# --- the request rate as the server saw it ---------------------------------------------------------
class RateSampler:
    """Reads the sandbox's request counter (429s excluded: the server does not count them against
    the window) every SAMPLE_INTERVAL seconds on a thread, until stopped."""

    def __init__(self, sandbox: SandboxHandle) -> None:
        self._sandbox = sandbox
        self._stop = threading.Event()
        self.samples: list[tuple[float, int]] = []
        self._thread = threading.Thread(target=self._loop, name="rate-sampler", daemon=True)

    def __enter__(self) -> RateSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            stats = self._sandbox.stats()
            self.samples.append((time.time(), int(stats["total_requests"]) - int(stats["status_429"])))
            self._stop.wait(SAMPLE_INTERVAL)


def windowed_rate(
    samples: Sequence[tuple[float, int]], first: float | None, last: float | None, window: float
) -> tuple[float | None, int | None]:
    """(mean requests per second in the trailing window, most requests seen in one window), over the
    samples from one window after the first request to the last request; (None, None) when the run
    is too short to have a steady state."""
    if first is None or last is None or last - first < window + 1.0:
        return None, None
    times = [t for t, _ in samples]
    counts = [c for _, c in samples]

    def count_at(moment: float) -> float:
        i = bisect_left(times, moment)
        if i == 0:
            return 0.0 if moment < times[0] else float(counts[0])
        if i >= len(times):
            return float(counts[-1])
        t0, t1, c0, c1 = times[i - 1], times[i], counts[i - 1], counts[i]
        return c0 + (c1 - c0) * (moment - t0) / (t1 - t0) if t1 > t0 else float(c1)

    in_window = [counts[i] - count_at(t - window) for i, t in enumerate(times) if first + window <= t <= last]
    if len(in_window) < 5:
        return None, None
    return sum(in_window) / len(in_window) / window, round(max(in_window))


@dataclass
class ServerView:
    requests: int
    status_429: int
    by_route: dict[str, int]
    peak_in_flight: int
    span_seconds: float | None
    rate_per_second: float | None  # windowed, see the module docstring
    plain_rate_per_second: float | None  # requests / (last - first), for comparison
    peak_per_window: int | None
    contacts: int

    @classmethod
    def read(cls, sandbox: SandboxHandle, samples: Sequence[tuple[float, int]]) -> ServerView:
        stats = sandbox.stats()
        first, last = stats["first_request_at"], stats["last_request_at"]
        span = None if first is None or last is None else float(last) - float(first)
        rate, peak = windowed_rate(samples, first, last, WINDOW_SECONDS)
        counted = int(stats["total_requests"]) - int(stats["status_429"])
        return cls(
            requests=int(stats["total_requests"]),
            status_429=int(stats["status_429"]),
            by_route=dict(stats["by_route"]),
            peak_in_flight=int(stats["peak_in_flight"]),
            span_seconds=span,
            rate_per_second=rate,
            plain_rate_per_second=counted / span if span else None,
            peak_per_window=peak,
            contacts=int(stats["contacts"]),
        )


# --- one scenario --------------------------------------------------------------------------------
@dataclass
class Side:
    """What one strategy did on one input."""

    records: int
    contacts: int
    seconds: float
    server: ServerView
    allowed_per_second: float

    @property
    def requests_per_record(self) -> float:
        return self.server.requests / self.records if self.records else 0.0

    @property
    def requests_per_contact(self) -> float:
        return self.server.requests / self.contacts if self.contacts else 0.0

    @property
    def rate_share(self) -> float | None:
        rate = self.server.rate_per_second
        return None if rate is None else rate / self.allowed_per_second

    @property
    def share_429(self) -> float:
        return self.server.status_429 / self.server.requests if self.server.requests else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "requests_per_record": self.requests_per_record,
            "requests_per_contact": self.requests_per_contact,
            "rate_share": self.rate_share,
            "share_429": self.share_429,
        }


@dataclass
class ScenarioResult:
    scenario: Scenario
    quick: bool
    connector: Side
    run: ConnectorRun
    naive: Side | None
    sanity: list[str] = field(default_factory=list)
    checks: list[tuple[Target, float | None, bool]] = field(default_factory=list)
    baseline_requests_per_record: float | None = None  # the same sync without campaigns and sequences

    @property
    def extra_requests_per_record(self) -> float | None:
        """Requests per record (429s left out) above the same sync without campaigns and sequences."""
        if self.baseline_requests_per_record is None or not self.connector.records:
            return None
        server = self.connector.server
        return (
            server.requests - server.status_429
        ) / self.connector.records - self.baseline_requests_per_record

    estimated: int | None = None  # the requests a dry run on the same account said the sync would spend

    def metric(self, name: str) -> float | None:
        if name == "extra_requests_per_record":
            return self.extra_requests_per_record
        if name == "cpu_us_per_record":
            return 1e6 * self.run.cpu_seconds / self.connector.records if self.connector.records else None
        if name == "peak_rss_mb":
            return self.run.peak_rss_mb
        if name == "estimate_error":
            spent = self.connector.server.requests
            return abs(self.estimated - spent) / spent if self.estimated is not None and spent else None
        value: float | None = getattr(self.connector, name)
        return value

    @property
    def per_contact(self) -> bool:
        return self.scenario.copies > 1

    @property
    def ratio_to_naive(self) -> float | None:
        if self.naive is None:
            return None
        attribute = "requests_per_contact" if self.per_contact else "requests_per_record"
        naive = float(getattr(self.naive, attribute))
        return float(getattr(self.connector, attribute)) / naive if naive else None

    def evaluate(self) -> None:
        self.checks = [
            (t, self.metric(t.metric), t.holds(self.metric(t.metric))) for t in self.scenario.targets
        ]

    @property
    def verdict(self) -> str:
        if self.sanity:
            return "INVALID"
        return "PASS" if all(ok for _, _, ok in self.checks) else "FAIL"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.scenario.name,
            "title": self.scenario.label(self.quick),
            "notes": self.scenario.notes,
            "quick": self.quick,
            "latency_ms": self.scenario.latency_ms,
            "rate_limit_per_window": self.scenario.rate_limit,
            "window_seconds": WINDOW_SECONDS,
            "allowed_per_window": self.scenario.allowed_per_window,
            "connector": {
                **self.connector.as_dict(),
                **asdict(self.run),
                "cpu_us_per_record": self.metric("cpu_us_per_record"),
            },
            "naive": self.naive.as_dict() if self.naive else None,
            "dry_run_estimate": self.estimated,
            "ratio_to_naive": self.ratio_to_naive,
            "baseline_requests_per_record": self.baseline_requests_per_record,
            "extra_requests_per_record": self.extra_requests_per_record,
            "checks": [
                {"target": t.describe(), "metric": t.metric, "value": v, "ok": ok} for t, v, ok in self.checks
            ],
            "sanity": self.sanity,
            "verdict": self.verdict,
        }


class Bench:
    """Runs scenarios on one sandbox; remembers what a cold sync leaves, for the warm scenarios."""

    def __init__(
        self, sandbox: SandboxHandle, workdir: Path, quick: bool, log: Callable[[str], None] = print
    ) -> None:
        self.sandbox = sandbox
        self.workdir = workdir
        self.quick = quick
        self.log = log
        self._after_cold: dict[int, list[dict[str, Any]]] = {}

    # sandbox set-up ---------------------------------------------------------------------------
    def _configure(self, scenario: Scenario) -> None:
        self.sandbox.configure(
            rate_limit=scenario.rate_limit, window_seconds=WINDOW_SECONDS, latency_ms=scenario.latency_ms
        )

    def _prepare(self, scenario: Scenario) -> None:
        """Resets the sandbox (contacts, tags, stats, rate windows) to the scenario's starting point."""
        if scenario.warm:
            snapshot = self._cold_end_state(scenario)
            self.sandbox.reset()
            self.sandbox.seed(snapshot)
        else:
            self.sandbox.reset()
        if scenario.seed_unchanged:
            people = make_people(scenario.size(self.quick))
            for offset in range(0, len(people), SEED_CHUNK):
                self.sandbox.seed([seeded_contact(p) for p in people[offset : offset + SEED_CHUNK]])
        self.sandbox.seed_campaigns(list(scenario.campaigns))
        self.sandbox.seed_sequences(list(scenario.sequences))
        self._configure(scenario)

    def _cold_end_state(self, scenario: Scenario) -> list[dict[str, Any]]:
        """The contacts a cold sync of the scenario's base records leaves (synced once, unmeasured,
        on an unlimited sandbox, then read back), to seed a warm scenario with."""
        size = scenario.size(self.quick)
        if size not in self._after_cold:
            self.log(f"  set-up: cold sync of {size} contacts (unlimited rate, not measured)")
            self.sandbox.reset()
            self.sandbox.configure(rate_limit=UNLIMITED, window_seconds=WINDOW_SECONDS, latency_ms="0")
            work = self.workdir / f"setup-{size}"
            work.mkdir(parents=True, exist_ok=True)
            write_input(work / "input.jsonl", make_people(size))
            config = connector_config(self.sandbox.url, scenario)
            config.pop("max_requests_per_minute", None)
            run = run_connector(config, work / "input.jsonl", work, timeout=120 + size / 10)
            if run.problems():
                raise RuntimeError(f"set-up sync failed: {run.problems()}\n{run.stderr_tail}")
            contacts = self.sandbox.contacts()
            for contact in contacts:
                contact.pop("contact_cat", None)  # tags travel by name
            self._after_cold[size] = contacts
        return self._after_cold[size]

    # one scenario -----------------------------------------------------------------------------
    def run(self, scenario: Scenario) -> ScenarioResult:
        if scenario.kind != "contacts":
            return self._run_activation(scenario)
        work = self.workdir / scenario.name
        work.mkdir(parents=True, exist_ok=True)
        records = scenario.records(self.quick)
        distinct = scenario.size(self.quick)
        input_path = work / "input.jsonl"
        n_records, n_states = write_input(input_path, records)
        allowed = scenario.allowed_per_window / WINDOW_SECONDS

        estimated = self._estimate(scenario, input_path, work, n_records)
        self._prepare(scenario)
        config = connector_config(self.sandbox.url, scenario)
        self.log(f"  connector: {n_records} records ({distinct} contacts), latency {scenario.latency_ms} ms")
        with RateSampler(self.sandbox) as sampler:
            run = run_connector(config, input_path, work, timeout=self._timeout(scenario, n_records))
        server = ServerView.read(self.sandbox, sampler.samples)
        side = Side(n_records, distinct, run.wall_seconds, server, allowed)
        result = ScenarioResult(scenario, self.quick, side, run, None, estimated=estimated)
        result.sanity = self._sanity(scenario, run, server, n_records, n_states, distinct)

        sample = scenario.naive_size(self.quick)
        if sample:
            naive_records = scenario.records(self.quick, contacts=sample)
            self.log(f"  naive: {len(naive_records)} records ({sample} contacts), one request at a time")
            self._prepare(scenario)
            with RateSampler(self.sandbox) as sampler:
                naive = run_naive(self.sandbox.url, self.sandbox.headers, naive_records)
            naive_server = ServerView.read(self.sandbox, sampler.samples)
            result.naive = Side(len(naive_records), sample, naive.seconds, naive_server, allowed)
        if scenario.automations:
            result.baseline_requests_per_record = self._without_automations(scenario, input_path, n_records)
        result.evaluate()
        return result

    def _without_automations(self, scenario: Scenario, input_path: Path, records: int) -> float:
        """Requests per record (429s left out) of the same sync without campaigns and sequences, on an
        unlimited sandbox: what they add is measured against it."""
        self._prepare(scenario)
        self.sandbox.configure(rate_limit=UNLIMITED, window_seconds=WINDOW_SECONDS, latency_ms="0")
        config = connector_config(self.sandbox.url, scenario)
        config.pop("campaigns", None)
        config.pop("sequences", None)
        self.log(f"  the same {records} records without campaigns and sequences (unlimited rate)")
        work = self.workdir / f"{scenario.name}-without"
        run = run_connector(config, input_path, work, timeout=self._timeout(scenario, records))
        if run.problems():
            raise RuntimeError(f"the sync without campaigns and sequences failed: {run.problems()}")
        stats = self.sandbox.stats()
        return (int(stats["total_requests"]) - int(stats["status_429"])) / records

    def _run_activation(self, scenario: Scenario) -> ScenarioResult:
        """A purchases or deals scenario (bench/activation.py): no naive side."""
        work = self.workdir / scenario.name
        work.mkdir(parents=True, exist_ok=True)
        rows = activation.records(scenario, self.quick)
        lines = [json.dumps(message, separators=(",", ":")) for message in activation.messages(rows)]
        input_path = work / "input.jsonl"
        input_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        states = sum(1 for line in lines if line.startswith('{"type":"STATE"'))
        config = connector_config(self.sandbox.url, scenario)
        config.pop("tags")  # the config's tags go to contacts a classic stream writes: none here
        streams = activation.catalog(scenario)
        self.sandbox.reset()
        activation.seed(self.sandbox, scenario, self.quick)
        if scenario.kind == "orders_resync":
            self._log_orders_first(config, input_path, work, streams)
        self._configure(scenario)
        self.log(f"  connector: {len(rows)} records ({scenario.kind}), latency {scenario.latency_ms} ms")
        with RateSampler(self.sandbox) as sampler:
            run = run_connector(
                config, input_path, work, self._timeout(scenario, 2 * len(rows)), streams=streams
            )
        server = ServerView.read(self.sandbox, sampler.samples)
        allowed = scenario.allowed_per_window / WINDOW_SECONDS
        side = Side(len(rows), scenario.size(self.quick), run.wall_seconds, server, allowed)
        result = ScenarioResult(scenario, self.quick, side, run, None)
        result.sanity = run.problems() + activation.sanity(
            self.sandbox, scenario, self.quick, run.summary or {}
        )
        if run.states_out != states:
            result.sanity.append(f"{run.states_out} STATE messages out for {states} in")
        result.evaluate()
        return result

    def _log_orders_first(
        self, config: dict[str, Any], input_path: Path, work: Path, streams: dict[str, Any]
    ) -> None:
        """The same orders synced once, unmeasured and unlimited; then only what it left is kept
        (the sandbox's counters start again from zero)."""
        self.sandbox.configure(rate_limit=UNLIMITED, window_seconds=WINDOW_SECONDS, latency_ms="0")
        run = run_connector(config, input_path, work / "setup", timeout=600, streams=streams)
        if run.problems():
            raise RuntimeError(f"set-up sync failed: {run.problems()}\n{run.stderr_tail}")
        contacts = [{k: v for k, v in c.items() if k != "tags"} for c in self.sandbox.contacts()]
        products = self.sandbox.products()
        transactions = [{k: v for k, v in t.items() if k != "lines"} for t in self.sandbox.transactions()]
        self.sandbox.reset()
        self.sandbox.seed(contacts)
        self.sandbox.seed_objects(16, products)
        self.sandbox.seed_objects(46, transactions)

    def _estimate(self, scenario: Scenario, input_path: Path, work: Path, records: int) -> int | None:
        """A dry run of the same input on the same account (for scenarios with the estimate target):
        the total its summary says the real sync will spend."""
        if not any(target.metric == "estimate_error" for target in scenario.targets):
            return None
        self._prepare(scenario)
        self.log("  dry run: the estimate of the requests the sync will spend")
        config = {**connector_config(self.sandbox.url, scenario), "dry_run": True}
        run = run_connector(config, input_path, work / "dry-run", timeout=self._timeout(scenario, records))
        if run.problems() or run.summary is None or "estimate" not in run.summary:
            raise RuntimeError(f"the dry run failed: {run.problems()}\n{run.stderr_tail}")
        return int(run.summary["estimate"]["total"])

    def _timeout(self, scenario: Scenario, records: int) -> float:
        """Generous: three times the time the scenario's request budget needs, plus start-up."""
        requests = 1.2 * records
        per_second = scenario.allowed_per_window / WINDOW_SECONDS
        return 120.0 + 3.0 * requests / per_second + records / 500.0

    def _sanity(
        self,
        scenario: Scenario,
        run: ConnectorRun,
        server: ServerView,
        records: int,
        states: int,
        distinct: int,
    ) -> list[str]:
        """What must hold for the run to measure what the scenario claims (not the targets)."""
        problems = run.problems()
        summary = run.summary or {}
        expected: dict[str, int] = {"records_read": records, "rejected": 0}
        if scenario.warm or scenario.seed_unchanged:
            changed = round(scenario.changed_share * distinct)
            expected.update(created=0, updated=changed, unchanged=distinct - changed)
        else:
            expected.update(created=distinct, updated=0)
        for key, value in expected.items():
            if summary and summary.get(key) != value:
                problems.append(f"summary {key} = {summary.get(key)}, expected {value}")
        if scenario.automations:
            lists = len(scenario.campaigns) + len(scenario.sequences)
            expected_subscriptions = {"subscribed": distinct * lists, "subscriptions_left_off": 0}
            for key, value in expected_subscriptions.items():
                if summary and summary.get(key) != value:
                    problems.append(f"summary {key} = {summary.get(key)}, expected {value}")
        if run.states_out != states:
            problems.append(f"{run.states_out} STATE messages out for {states} in")
        if server.contacts != distinct:
            problems.append(f"the sandbox holds {server.contacts} contacts, expected {distinct}")
        elif distinct <= SNAPSHOT_LIMIT:
            untagged = [c["id"] for c in self.sandbox.contacts() if not set(TAGS) <= set(c.get("tags", []))]
            if untagged:
                problems.append(f"{len(untagged)} contacts lack a configured tag (first: id {untagged[0]})")
        return problems
