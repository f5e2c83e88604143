"""Runs `main.py` as a subprocess against the sandbox, the way an orchestrator or a person would.

Every byte a run prints (stdout and stderr, failures included) is appended to one capture file so
that `test_zz_secrets.py` can prove the API key never appears in any output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MAIN = ROOT / "main.py"
APP_ID = "it-app"
API_KEY = "it-key-Zq8vK3xw7Lp2"  # distinctive, so a leak cannot hide among other text
CAPTURE = Path(tempfile.gettempdir()) / f"ontraport-it-output-{os.getpid()}.log"
CAPTURE_ENV = "ONTRAPORT_IT_CAPTURE"


def capture_path() -> Path:
    """One capture file per pytest session (the env var is set by conftest at session start)."""
    return Path(os.environ.get(CAPTURE_ENV, str(CAPTURE)))


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
) -> Run:
    """`python main.py <command>`; config may be a dict or raw text (for malformed-config tests)."""
    work = Path(workdir or tempfile.mkdtemp(prefix="ontraport-it-"))
    args = [sys.executable, str(MAIN), command]
    if config is not None:
        path = work / "config.json"
        path.write_text(config if isinstance(config, str) else json.dumps(config))
        args += ["--config", str(path)]
    if catalog is not None:
        path = work / "catalog.json"
        path.write_text(json.dumps(catalog))
        args += ["--catalog", str(path)]
    stdin = messages if isinstance(messages, str) else encode(messages)
    proc = subprocess.run(
        args, input=stdin, capture_output=True, text=True, timeout=timeout, cwd=ROOT, check=False
    )
    with capture_path().open("a", encoding="utf-8") as sink:
        sink.write(proc.stdout)
        sink.write(proc.stderr)
    return Run(proc.returncode, proc.stdout, proc.stderr, parse_output(proc.stdout))


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
    return [sys.executable, str(MAIN), "write", "--config", config, "--catalog", catalog]
