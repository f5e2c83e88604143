"""Shared building blocks for the fault, crash, match-field and hostile-input tests.

Everything here drives `main.py` the way an orchestrator does, or reads the sandbox's true state
through its admin endpoints (which faults and the rate limit never touch).
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from integration_tests.harness import (
    ROOT,
    Run,
    capture_path,
    encode,
    parse_output,
    record,
    state,
    write_command,
    write_files,
)
from ontraport_sandbox.testing import SandboxHandle

# --- input ---------------------------------------------------------------------------------------


def people(count: int, prefix: str = "p", start: int = 0, **extra: Any) -> list[dict[str, Any]]:
    """`count` records with distinct emails and a few mapped fields (first/last name, company)."""
    rows = []
    for i in range(start, start + count):
        row = {
            "email": f"{prefix}{i}@example.com",
            "first_name": f"First{i}",
            "last_name": f"Last{i}",
            "company": f"Co {i % 7}",
        }
        row.update(extra)
        rows.append(row)
    return rows


def with_states(stream: str, rows: Sequence[Mapping[str, Any]], every: int) -> list[dict[str, Any]]:
    """RECORD messages with a STATE (cursor = number of records before it) after every `every` rows
    and one at the end."""
    messages: list[dict[str, Any]] = []
    for i, row in enumerate(rows, start=1):
        messages.append(record(stream, row))
        if i % every == 0:
            messages.append(state(stream, i))
    if len(rows) % every:
        messages.append(state(stream, len(rows)))
    return messages


def cursor_of(st: Mapping[str, Any]) -> Any:
    return st["stream"]["stream_state"]["cursor"]


# --- what the sandbox holds ------------------------------------------------------------------------


def count_by(sandbox: SandboxHandle, field_name: str) -> Counter[str]:
    """How many contacts hold each (lower-cased, trimmed) value of a field."""
    return Counter(str(c.get(field_name, "")).strip().lower() for c in sandbox.contacts())


def duplicates(counts: Counter[str]) -> dict[str, int]:
    return {key: n for key, n in counts.items() if n > 1}


def by_key(sandbox: SandboxHandle, field_name: str = "email") -> dict[str, dict[str, Any]]:
    return {str(c.get(field_name, "")).strip().lower(): c for c in sandbox.contacts()}


def quiesce(sandbox: SandboxHandle, seconds: float = 6.0) -> None:
    """Wait (bounded) until no request is being handled: a request the client gave up on (a slow
    fault past its timeout) still lands in the store when its sleep ends, and must not land in the
    next test's freshly reset sandbox."""
    deadline = time.monotonic() + seconds
    while sandbox.stats()["in_flight"] > 0 and time.monotonic() < deadline:
        time.sleep(0.1)


def accounted(summary: Mapping[str, Any]) -> int:
    """Records the summary accounts for; with one record per contact this equals records_read."""
    return sum(
        int(summary[name])
        for name in ("created", "updated", "unchanged", "rejected", "superseded", "skipped")
    )


def rejected_lines(run: Run) -> list[str]:
    return [line for line in run.logs if line.startswith("Rejected: ")]


def warning_lines(run: Run) -> list[str]:
    return [
        m["log"]["message"] for m in run.messages if m.get("type") == "LOG" and m["log"]["level"] == "WARN"
    ]


# --- a run that is killed ----------------------------------------------------------------------


@dataclass
class KilledRun(Run):
    """One `write` run that was SIGKILLed after `kill_after` seconds (or finished before that)."""

    killed: bool = False
    seconds: float = 0.0


def run_and_kill(
    config: Mapping[str, Any],
    catalog: Mapping[str, Any],
    messages: Iterable[Mapping[str, Any] | str],
    kill_after: float | None,
    timeout: float = 120,
) -> KilledRun:
    """`main.py write` with stdin from a file; SIGKILL after `kill_after` s (None: never). stdout is
    read line by line in a thread, so what is returned is exactly what came out before the kill."""
    work = write_files(config, catalog, encode(messages))
    args = write_command(work)
    lines: list[str] = []
    errors: list[str] = []
    started = time.monotonic()
    with (
        (work / "input.jsonl").open("rb") as stdin,
        subprocess.Popen(
            args, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
        ) as proc,
    ):
        assert proc.stdout is not None and proc.stderr is not None
        out, err = proc.stdout, proc.stderr
        readers = [
            threading.Thread(target=lambda: lines.extend(out), daemon=True),
            threading.Thread(target=lambda: errors.append(err.read()), daemon=True),
        ]
        for reader in readers:
            reader.start()
        killed = False
        try:
            proc.wait(timeout=kill_after if kill_after is not None else timeout)
        except subprocess.TimeoutExpired:
            if kill_after is None:
                proc.kill()
                raise
            proc.send_signal(signal.SIGKILL)
            killed = True
            proc.wait(timeout=10)
        for reader in readers:
            reader.join(timeout=10)
    seconds = time.monotonic() - started
    stdout, stderr = "".join(lines), "".join(errors)
    with capture_path().open("a", encoding="utf-8") as sink:
        sink.write(stdout)
        sink.write(stderr)
    return KilledRun(proc.returncode, stdout, stderr, parse_output(stdout), killed=killed, seconds=seconds)


@dataclass
class CrashReplay:
    """The orchestrator's side of a crash: what each attempt saw and where the next one resumed."""

    attempts: list[KilledRun] = field(default_factory=list)
    resumed_at: list[int] = field(default_factory=list)  # index in the input of each attempt's first message

    @property
    def kills(self) -> int:
        return sum(1 for a in self.attempts if a.killed)


def replay_until_done(
    config: Mapping[str, Any],
    catalog: Mapping[str, Any],
    messages: Sequence[dict[str, Any]],
    rng: random.Random,
    kill_window: tuple[float, float],
    max_attempts: int = 6,
    after_kill: Callable[[KilledRun], None] | None = None,
) -> CrashReplay:
    """Run, SIGKILL at a random moment, resume with the messages after the last STATE that came out,
    until a run completes (the last attempt is never killed). STATE cursors must be unique."""
    index_of = {json.dumps(cursor_of(m["state"])): i for i, m in enumerate(messages) if m["type"] == "STATE"}
    replay = CrashReplay()
    start = 0
    for attempt in range(max_attempts):
        last = attempt == max_attempts - 1
        kill_after = None if last else rng.uniform(*kill_window)
        run = run_and_kill(config, catalog, messages[start:], kill_after)
        replay.attempts.append(run)
        replay.resumed_at.append(start)
        if run.killed and after_kill is not None:
            after_kill(run)
        if not run.killed:
            assert run.returncode == 0, (
                f"attempt {attempt + 1} failed:\n{run.stdout[-3000:]}\n{run.stderr[-2000:]}"
            )
            return replay
        if run.states:
            start = index_of[json.dumps(cursor_of(run.states[-1]))] + 1
    raise AssertionError("unreachable: the last attempt is never killed")
