"""Runs `main.py` as a subprocess against the sandbox, the way an orchestrator or a person would.

Each run is a process of its own, with its own stdin, stdout and stderr; `launcher.py` forks it from
an interpreter that has already imported the connector, so that a run does not spend 3 s importing
airbyte-cdk (`ONTRAPORT_IT_FRESH_PROCESS=1`: a fresh `python main.py` each time instead).

Every byte a run prints (stdout and stderr, failures included) is appended to this pytest process's
capture file (one per pytest-xdist worker, all in one folder per session), so that the secrets checks
can prove that no secret appears in any output: each leak test over the output of its own runs
(`captured_since`), and `conftest.py` over every run of the session once every worker has finished.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from integration_tests.launcher import FRESH_ENV, LAUNCHER, SOCKET_ENV
from integration_tests.platform import ReplicationWorker, StateCheck

ROOT = Path(__file__).resolve().parent.parent
MAIN = ROOT / "main.py"
APP_ID = "it-app"
API_KEY = "it-key-Zq8vK3xw7Lp2"  # distinctive, so a leak cannot hide among other text
CAPTURE_DIR_ENV = "ONTRAPORT_IT_CAPTURE_DIR"
ZYGOTE_STOP_SECONDS = 30
FRESH = bool(os.environ.get(FRESH_ENV))
# How long a run spends before its sync starts: a fresh interpreter imports airbyte-cdk first.
START_UP_SECONDS = 3.0 if FRESH else 0.0


def new_capture_dir() -> Path:
    """A fresh, empty folder for this session's capture files (conftest, before any worker starts)."""
    folder = Path(tempfile.mkdtemp(prefix="ontraport-it-output-"))
    os.environ[CAPTURE_DIR_ENV] = str(folder)
    return folder


def capture_dir() -> Path:
    folder = os.environ.get(CAPTURE_DIR_ENV)
    return Path(folder) if folder else new_capture_dir()


def capture_path() -> Path:
    """This pytest process's capture file: `gw0.log`, `gw1.log`, ... under xdist, `main.log` without.
    One writer per file, so that no two runs' bytes interleave."""
    return capture_dir() / f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.log"


def captured_files() -> list[Path]:
    """Every capture file of this session, every worker's."""
    return sorted(capture_dir().glob("*.log"))


def capture_mark() -> int:
    """Where this pytest process's capture file ends now; `captured_since(mark)` is then exactly what
    the runs started after it printed (one pytest process runs one test at a time)."""
    path = capture_path()
    return path.stat().st_size if path.exists() else 0


def captured_since(mark: int) -> str:
    """What this pytest process's runs printed after `mark` (see `capture_mark`)."""
    with capture_path().open("rb") as capture:
        capture.seek(mark)
        return capture.read().decode("utf-8", errors="replace")


def note_issued_secret(secret: str) -> None:
    """A storage key handed to a connector run: kept beside the captures (one file per worker) so that
    the session's final check looks for it in every run's output, whichever worker made it."""
    with (capture_dir() / f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.secrets").open("a") as sink:
        sink.write(secret + "\n")


def issued_secrets() -> list[str]:
    return [line for path in sorted(capture_dir().glob("*.secrets")) for line in path.read_text().split()]


SECRET_PART = API_KEY.removeprefix("it-key-")  # the distinctive part
LEAK_WINDOW = 8  # any 8 consecutive characters of it count as a leak (a cut or partly masked key)


def leaks(text: str, secrets: Iterable[str] = ()) -> list[str]:
    """Pieces of the API key (and of the given storage keys) found in `text`. An access key id's
    `AKIA` prefix is not distinctive, so only the rest of it counts."""
    parts = [SECRET_PART, *(secret.removeprefix("AKIA") for secret in secrets)]
    pieces = {part[i : i + LEAK_WINDOW] for part in parts for i in range(len(part) - LEAK_WINDOW + 1)}
    return sorted(piece for piece in pieces if piece in text)


def capture_written_file(path: Path) -> None:
    """A file a run wrote for people to read or send (the HTTP trace) is output too: its bytes join this
    process's capture file, so that the session's secrets check searches it like stdout and stderr."""
    with capture_path().open("a", encoding="utf-8") as sink:
        sink.write(path.read_text(encoding="utf-8", errors="replace"))


def secrets_check_failure(files: Iterable[Path]) -> str | None:
    """None when no file holds any piece of the API key or of a storage key a run was given; else what
    leaked, where, in context."""
    secrets = issued_secrets()
    for path in files:
        captured = path.read_text(encoding="utf-8", errors="replace")
        failure = leak_failure(captured, f"the output captured in {path.name}", secrets)
        if failure:
            return failure
    return None


def leak_failure(text: str, where: str, secrets: Iterable[str]) -> str | None:
    """None when `text` holds no piece of the API key or of `secrets`; else what leaked, in context."""
    found = leaks(text, secrets)
    if not found:
        return None
    at = text.find(found[0])
    return f"a secret leaked into {where}: {found}; context: {text[max(0, at - 300) : at + 100]!r}"


def connector_command(*args: str) -> list[str]:
    """The command line of `python main.py ARGS` for one run (see launcher.py)."""
    if FRESH:
        return [sys.executable, str(MAIN), *args]
    ZYGOTE.start()
    return [sys.executable, "-S", str(LAUNCHER), str(MAIN), *args]


class Zygote:
    """This pytest process's launcher zygote: started for the first run, stopped at session end."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        path = Path(tempfile.mkdtemp(prefix="ontraport-zygote-")) / "zygote.sock"
        self.process = subprocess.Popen(
            [sys.executable, str(LAUNCHER), "--serve", str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            cwd=ROOT,
        )
        assert self.process.stdout is not None
        ready = self.process.stdout.readline()  # after the connector's imports
        assert ready.strip() == b"ready", f"the launcher's zygote did not start: {ready!r}"
        os.environ[SOCKET_ENV] = str(path)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        self.process.wait(timeout=ZYGOTE_STOP_SECONDS)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.process = None


ZYGOTE = Zygote()
atexit.register(ZYGOTE.stop)


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def states(self) -> list[dict[str, Any]]:
        return [m["state"] for m in self.messages if m.get("type") == "STATE"]

    @property
    def logs(self) -> list[str]:
        return [m["log"]["message"] for m in self.messages if m.get("type") == "LOG"]

    @property
    def traces(self) -> list[dict[str, Any]]:
        return [m["trace"] for m in self.messages if m.get("type") == "TRACE"]

    @property
    def errors(self) -> list[str]:
        return [t["error"]["message"] for t in self.traces if t.get("type") == "ERROR"]

    @property
    def summary(self) -> dict[str, Any]:
        lines = [line for line in self.logs if line.startswith("SYNC_SUMMARY ")]
        assert lines, f"no SYNC_SUMMARY in the log:\n{self.stdout[-3000:]}\n{self.stderr[-2000:]}"
        result: dict[str, Any] = json.loads(lines[-1].removeprefix("SYNC_SUMMARY "))
        return result

    def connection_status(self) -> dict[str, Any]:
        found = [m["connectionStatus"] for m in self.messages if m.get("type") == "CONNECTION_STATUS"]
        assert len(found) == 1, self.stdout
        status: dict[str, Any] = found[0]
        return status


@dataclass
class PlatformRun(Run):
    """A `write` run through the platform replica (`platform.py`): its output passed the platform's
    reading (every STATE's id one the platform stamped, in order, every checksum equal), else
    `run_on_platform` raised PlatformError."""

    catalog: dict[str, Any] = field(default_factory=dict)  # as the connector received it
    sent: list[dict[str, Any]] = field(default_factory=list)  # its stdin, as the platform forwarded it
    stamped: list[int] = field(default_factory=list)  # the ids of the STATEs the connector received
    checks: list[StateCheck] = field(default_factory=list)  # one per STATE it echoed

    @property
    def unacknowledged(self) -> list[int]:
        """Stamped ids no STATE came back with (a dry run withholds them all; a failed run the last)."""
        echoed = {check.id for check in self.checks}
        return [state_id for state_id in self.stamped if state_id not in echoed]


def config_for(url: str, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {"app_id": APP_ID, "api_key": API_KEY, "api_url": url}
    config.update(overrides)
    return config


def stream_entry(
    name: str,
    mode: str = "append",
    primary_key: Sequence[Sequence[str]] | None = None,
    cursor: Sequence[str] | None = None,
    namespace: str | None = None,
) -> dict[str, Any]:
    stream: dict[str, Any] = {
        "name": name,
        "json_schema": {"type": "object"},
        "supported_sync_modes": ["full_refresh", "incremental"],
    }
    if namespace:
        stream["namespace"] = namespace
    entry: dict[str, Any] = {
        "stream": stream,
        "sync_mode": "incremental" if mode != "overwrite" else "full_refresh",
        "destination_sync_mode": mode,
    }
    if primary_key:
        entry["primary_key"] = [list(p) for p in primary_key]
    if cursor:
        entry["cursor_field"] = list(cursor)
    return entry


def catalog_of(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"streams": list(entries)}


def record(stream: str, data: Mapping[str, Any], namespace: str | None = None) -> dict[str, Any]:
    rec: dict[str, Any] = {"stream": stream, "data": dict(data), "emitted_at": 1_700_000_000_000}
    if namespace:
        rec["namespace"] = namespace
    return {"type": "RECORD", "record": rec}


def stream_status(name: str, status: str) -> dict[str, Any]:
    """A TRACE STREAM_STATUS, as a source sends it when a stream starts, runs or ends."""
    return {
        "type": "TRACE",
        "trace": {
            "type": "STREAM_STATUS",
            "emitted_at": 1_700_000_000_000,
            "stream_status": {"stream_descriptor": {"name": name}, "status": status},
        },
    }


def state(stream: str, value: Any) -> dict[str, Any]:
    return {
        "type": "STATE",
        "state": {
            "type": "STREAM",
            "stream": {"stream_descriptor": {"name": stream}, "stream_state": {"cursor": value}},
        },
    }


def encode(messages: Iterable[Mapping[str, Any] | str]) -> str:
    return "".join((m if isinstance(m, str) else json.dumps(m)) + "\n" for m in messages)


def run_connector(
    command: str,
    config: Mapping[str, Any] | str | None = None,
    catalog: Mapping[str, Any] | None = None,
    messages: Iterable[Mapping[str, Any] | str] | str = (),
    timeout: float = 240,
    workdir: Path | None = None,
    flags: Sequence[str] = (),
) -> Run:
    """`python main.py <command> [--config] [--catalog] [flags]`; config may be a dict or raw text
    (for malformed-config tests); `flags` such as `--write-test` or `--trace-http FILE` go last."""
    work = Path(workdir or tempfile.mkdtemp(prefix="ontraport-it-"))
    args = connector_command(command)
    if config is not None:
        path = work / "config.json"
        path.write_text(config if isinstance(config, str) else json.dumps(config))
        args += ["--config", str(path)]
    if catalog is not None:
        path = work / "catalog.json"
        path.write_text(json.dumps(catalog))
        args += ["--catalog", str(path)]
    args += list(flags)
    stdin = messages if isinstance(messages, str) else encode(messages)
    proc = subprocess.run(
        args, input=stdin, capture_output=True, text=True, timeout=timeout, cwd=ROOT, check=False
    )
    with capture_path().open("a", encoding="utf-8") as sink:
        sink.write(proc.stdout)
        sink.write(proc.stderr)
    return Run(proc.returncode, proc.stdout, proc.stderr, parse_output(proc.stdout))


@dataclass(frozen=True)
class PlatformJob:
    """The job the platform runs, as it shapes the catalog it hands the connector: `job_id` becomes
    each stream's `sync_id`; `generations`: each stream's generation before this job (0 when absent);
    `refresh`: the streams a refresh job refreshes, "truncate" (removes records) or "merge"."""

    job_id: int = 1
    generations: Mapping[str, int] | None = None
    refresh: Mapping[str, str] | None = None


DEFAULT_JOB = PlatformJob()


def run_on_platform(
    config: Mapping[str, Any],
    catalog: Mapping[str, Any],
    source: Iterable[Mapping[str, Any] | str],
    *,
    source_succeeded: bool = True,
    job: PlatformJob = DEFAULT_JOB,
    on_state: Any = None,
    timeout: float = 240,
) -> PlatformRun:
    """`write` as the Airbyte platform runs it (integration_tests/platform.py): `catalog` as the user
    configured the connection (`overwrite` and all) becomes the catalog the platform hands over
    (modes rewritten, generation ids, `sync_id` = `job_id`); `source` is what the source printed
    (RECORD, STATE, its own traces: only RECORD and STATE get through, each STATE stamped with an
    `id` and `sourceStats`); when `source_succeeded`, the platform's end follows (an empty STATE for a
    full-refresh stream that sent none, one STREAM_STATUS COMPLETE per stream). `job`: the job's id,
    each stream's generation before it and the streams it refreshes (see `PlatformJob`);
    `on_state(state)`: called as each STATE line is printed (see `run_watching_states`).
    The connector's STATEs are then read as the platform reads them; a violation raises PlatformError."""
    worker = ReplicationWorker(catalog, job_id=job.job_id, generations=job.generations, refresh=job.refresh)
    destination_catalog = worker.destination_catalog()
    messages = worker.forward(source, source_succeeded=source_succeeded)
    if on_state is None:
        run = run_connector("write", config, destination_catalog, messages, timeout=timeout)
    else:
        run = run_watching_states(config, destination_catalog, messages, on_state, timeout=timeout)
    checks = worker.read_destination(run.messages)
    return PlatformRun(
        run.returncode,
        run.stdout,
        run.stderr,
        run.messages,
        catalog=destination_catalog,
        sent=messages,
        stamped=list(worker.stamped),
        checks=checks,
    )


def parse_output(stdout: str) -> list[dict[str, Any]]:
    messages = []
    for raw in stdout.splitlines():
        line = raw.strip()
        if not line:
            continue
        try:
            messages.append(json.loads(line))
        except json.JSONDecodeError:
            messages.append({"type": "NON_JSON", "text": line})
    return messages


def run_watching_states(
    config: Mapping[str, Any],
    catalog: Mapping[str, Any],
    messages: Iterable[Mapping[str, Any] | str],
    on_state: Any,
    timeout: float = 240,
) -> Run:
    """Like run_connector for `write`, but calls `on_state(state)` the moment each STATE line is
    printed, while the connector is still running: what the sandbox holds then is what was written
    before the STATE came out."""
    work = write_files(config, catalog, encode(messages))
    args = write_command(work)
    with (
        (work / "input.jsonl").open("rb") as stdin,
        subprocess.Popen(
            args, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
        ) as proc,
    ):
        assert proc.stdout is not None and proc.stderr is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            parsed = parse_output(line)
            if parsed and parsed[0].get("type") == "STATE":
                on_state(parsed[0]["state"])
        stderr = proc.stderr.read()
        proc.wait(timeout=timeout)
    stdout = "".join(lines)
    with capture_path().open("a", encoding="utf-8") as sink:
        sink.write(stdout)
        sink.write(stderr)
    return Run(proc.returncode, stdout, stderr, parse_output(stdout))


def write_files(config: Mapping[str, Any], catalog: Mapping[str, Any], input_text: str) -> Path:
    """A fresh folder with config.json, catalog.json and input.jsonl for one `write` run."""
    work = Path(tempfile.mkdtemp(prefix="ontraport-it-"))
    (work / "config.json").write_text(json.dumps(config))
    (work / "catalog.json").write_text(json.dumps(catalog))
    (work / "input.jsonl").write_text(input_text)
    return work


def write_command(work: Path) -> list[str]:
    """`python main.py write` on the files of `write_files`."""
    config, catalog = str(work / "config.json"), str(work / "catalog.json")
    return connector_command("write", "--config", config, "--catalog", catalog)
