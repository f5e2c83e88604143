"""`make image-test`: build the Docker image and run it the way an orchestrator does.

`../shared/tools/container-check` builds `Dockerfile` with podman (the FROM image replaced by a local
Python 3.11 stand-in) and runs the image on the host network, with stdin attached. First it compares
what the image holds with the lock: `pip freeze --all` in the image against poetry.lock's main
dependencies, printed as a diff that must be empty (packages the base image itself brings, at the
base image's versions, and the connector itself are set aside). Then, against a sandbox started
here on 127.0.0.1, it runs in the container:

1. `spec`: one SPEC message offering the overwrite, append and append_dedup sync modes;
2. `check` with the right key: SUCCEEDED; with a wrong key: FAILED, the key nowhere in the output;
3. `write` with a small catalog and messages on stdin: every STATE comes out with
   `destinationStats` (accepted and rejected records), the summary counts are right, and the sandbox then
   holds the contacts, with the configured tags.

Not part of CI: the first run installs podman and builds a base image. Exit status 0 when every
check holds.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.markers import Marker
from packaging.utils import canonicalize_name

from ontraport_sandbox.testing import SandboxHandle, running_sandbox

ROOT = Path(__file__).resolve().parent.parent
CONTAINER_CHECK = Path(
    os.environ.get("CONTAINER_CHECK", str(ROOT.parent / "shared" / "tools" / "container-check"))
)
APP_ID = "image-test-app"
API_KEY = "image-key-Tw4Nc8Rb2Lm6"  # distinctive, so that a leak cannot hide
WRONG_KEY = "wrong-key-Pq3Vz7Hd1Ks9"
TAGS = ("Airbyte", "Image Test")
EXPECTED_MODES = {"overwrite", "append", "append_dedup"}
BUILD_TIMEOUT_SECONDS = 1800


class ImageTestFailed(AssertionError):
    pass


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise ImageTestFailed(message)


@dataclass
class ContainerRun:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    messages: list[dict[str, Any]] = field(default_factory=list)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("type") == kind]

    @property
    def logs(self) -> list[str]:
        return [str(m["log"]["message"]) for m in self.of_type("LOG")]

    @property
    def errors(self) -> list[str]:
        return [
            str(m["trace"]["error"]["message"])
            for m in self.of_type("TRACE")
            if m["trace"].get("type") == "ERROR"
        ]


def run_image(args: Sequence[str], data_dir: Path, stdin: str = "") -> ContainerRun:
    """`container-check . -- ARGS` with DATA_DIR mounted read-only at /data."""
    env = {**os.environ, "CONTAINER_RUN_OPTS": f"-v {data_dir}:/data:ro"}
    started = time.monotonic()
    proc = subprocess.run(
        [str(CONTAINER_CHECK), str(ROOT), "--", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=BUILD_TIMEOUT_SECONDS,
        check=False,
    )
    run = ContainerRun(list(args), proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)
    for line in proc.stdout.splitlines():
        if not line.strip():
            continue
        try:
            run.messages.append(json.loads(line))
        except json.JSONDecodeError:
            run.messages.append({"type": "NON_JSON", "text": line})
    print(f"\n$ container-check . -- {' '.join(args)}   (exit {proc.returncode}, {run.seconds:.1f} s)")
    if proc.returncode == 2 or (proc.returncode != 0 and not run.messages):
        print(proc.stderr[-4000:], file=sys.stderr)
        raise ImageTestFailed(f"container-check failed with exit status {proc.returncode} (build log above)")
    return run


def container_check(
    project: Path, args: Sequence[str], run_options: str = ""
) -> subprocess.CompletedProcess[str]:
    """`container-check PROJECT -- ARGS`: build PROJECT/Dockerfile, run it with ARGS, output captured."""
    env = {**os.environ, "CONTAINER_RUN_OPTS": run_options}
    return subprocess.run(
        [str(CONTAINER_CHECK), str(project), "--", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=BUILD_TIMEOUT_SECONDS,
        check=False,
    )


def pip_freeze(project: Path) -> dict[str, str]:
    """`pip freeze --all` in the image PROJECT/Dockerfile builds: canonical name -> version, or the
    `@ url` of a package installed from a directory or a file."""
    proc = container_check(project, ["-m", "pip", "freeze", "--all"], "--entrypoint python")
    if proc.returncode != 0:
        print(proc.stderr[-4000:], file=sys.stderr)
        raise ImageTestFailed(f"pip freeze in the image failed with exit status {proc.returncode}")
    frozen: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        match = re.fullmatch(r"([A-Za-z0-9._-]+)\s*(?:==\s*(\S+)|(@\s*\S+))", line.strip())
        if match:
            frozen[canonicalize_name(match.group(1))] = match.group(2) or match.group(3)
    return frozen


def locked_main_dependencies() -> dict[str, str]:
    """poetry.lock's main group, as pip would install it here (markers evaluated for this Python on
    Linux, the image's)."""
    lock = tomllib.loads((ROOT / "poetry.lock").read_text(encoding="utf-8"))
    locked: dict[str, str] = {}
    for package in lock["package"]:
        if "main" not in package.get("groups", ["main"]):
            continue
        markers = package.get("markers")
        marker = markers.get("main") if isinstance(markers, Mapping) else markers
        if marker and not Marker(marker).evaluate({"sys_platform": "linux", "platform_system": "Linux"}):
            continue
        locked[canonicalize_name(package["name"])] = package["version"]
    return locked


def freeze_diff(
    expected: Mapping[str, str], image: Mapping[str, str], base: Mapping[str, str], ours: str
) -> tuple[list[str], dict[str, str]]:
    """The unified diff of the locked packages against what the image holds, and what it holds: every
    locked package, and whatever else is not the base image's own (at the base image's version) or
    the connector itself."""
    installed = {
        name: version
        for name, version in image.items()
        if name != ours and (name in expected or base.get(name) != version)
    }
    diff = difflib.unified_diff(
        [f"{name}=={version}" for name, version in sorted(expected.items())],
        [f"{name}=={version}" for name, version in sorted(installed.items())],
        "poetry.lock (main)",
        "pip freeze (image)",
        lineterm="",
    )
    return list(diff), installed


def step_pip_freeze_matches_the_lock() -> None:
    """The image's site-packages against the lock's main group: the diff must be empty."""
    base_image = next(
        line.split()[1]
        for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
        if line.startswith("FROM ")
    )
    with tempfile.TemporaryDirectory(prefix="ontraport-base-") as base_dir:
        (Path(base_dir) / "Dockerfile").write_text(f"FROM {base_image}\n", encoding="utf-8")
        base = pip_freeze(Path(base_dir))
    image = pip_freeze(ROOT)
    ours = canonicalize_name(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["poetry"]["name"])
    expected = locked_main_dependencies()
    diff, installed = freeze_diff(expected, image, base, ours)
    from_base = sorted(name for name in image if name not in installed and name != ours)
    print(
        f"\n$ pip freeze --all, in the image: {len(image)} packages; "
        f"{len(expected)} locked main dependencies; "
        f"from the base image, unchanged: {', '.join(from_base) or 'none'}; "
        f"the connector: {ours} {image.get(ours)}"
    )
    print(f"  diff against poetry.lock ({len(diff)} lines):")
    for line in diff:
        print(f"  {line}")
    expect(not diff, "the image's packages differ from poetry.lock's main dependencies (diff above)")
    expect(ours in image, f"{ours} is not installed in the image")


def write_inputs(data_dir: Path, sandbox: SandboxHandle) -> None:
    """config.json, catalog.json and messages.jsonl, readable by the image's non-root user."""
    config = {
        "app_id": APP_ID,
        "api_key": API_KEY,
        "api_url": sandbox.url,
        "tags": ", ".join(TAGS),
        "field_mapping": [{"source": "plan_name", "target": "Plan"}],
        "rejected_records_threshold": 50,
    }
    catalog = {
        "streams": [
            {
                "stream": {
                    "name": "customers",
                    "json_schema": {"type": "object"},
                    "supported_sync_modes": ["full_refresh", "incremental"],
                },
                "sync_mode": "incremental",
                "destination_sync_mode": "append_dedup",
                "primary_key": [["customer_id"]],
                "cursor_field": ["updated_at"],
            }
        ]
    }

    def record(customer_id: int, email: str, first: str, plan: str, updated: str) -> dict[str, Any]:
        data = {
            "customer_id": customer_id,
            "email": email,
            "first_name": first,
            "plan_name": plan,
            "address": {"city": "London"},
            "updated_at": updated,
        }
        return {
            "type": "RECORD",
            "record": {"stream": "customers", "data": data, "emitted_at": 1_700_000_000_000},
        }

    def state(cursor: str) -> dict[str, Any]:
        stream_state = {"stream_descriptor": {"name": "customers"}, "stream_state": {"updated_at": cursor}}
        return {"type": "STATE", "state": {"type": "STREAM", "stream": stream_state}}

    messages = [
        record(1, "ada@example.com", "Ada", "Pro", "2024-05-01"),
        record(2, "grace@example.com", "Grace", "Free", "2024-05-02"),
        record(3, "not-an-email", "Broken", "Free", "2024-05-03"),
        state("2024-05-03"),
        record(1, "ada@example.com", "Ada", "Enterprise", "2024-06-01"),
        record(4, "alan@example.com", "Alan", "Pro", "2024-06-02"),
        state("2024-06-02"),
    ]
    data_dir.chmod(0o755)
    for name, content in (
        ("config.json", json.dumps(config)),
        ("catalog.json", json.dumps(catalog)),
        ("messages.jsonl", "".join(json.dumps(m) + "\n" for m in messages)),
    ):
        path = data_dir / name
        path.write_text(content, encoding="utf-8")
        path.chmod(0o644)


def step_spec(data_dir: Path) -> None:
    run = run_image(["spec"], data_dir)
    specs = run.of_type("SPEC")
    expect(run.returncode == 0 and len(specs) == 1, f"expected one SPEC message, got {run.stdout[:500]!r}")
    spec = specs[0]["spec"]
    modes = set(spec.get("supported_destination_sync_modes", []))
    options = list(spec["connectionSpecification"]["properties"])
    shown = ", ".join(options[:4])
    print(f"  SPEC: {len(options)} options ({shown}, ...); sync modes {', '.join(sorted(modes))}")
    expect(modes >= EXPECTED_MODES, f"sync modes {sorted(modes)} lack some of {sorted(EXPECTED_MODES)}")
    expect(
        spec["connectionSpecification"]["properties"]["api_key"].get("airbyte_secret") is True,
        "api_key is not marked airbyte_secret",
    )


def step_check(data_dir: Path, config_name: str, want: str) -> ContainerRun:
    run = run_image(["check", "--config", f"/data/{config_name}"], data_dir)
    statuses = [m["connectionStatus"] for m in run.of_type("CONNECTION_STATUS")]
    expect(len(statuses) == 1, f"expected one CONNECTION_STATUS, got {run.stdout[-800:]!r}")
    status = statuses[0]
    print(
        f"  CONNECTION_STATUS {status['status']}"
        + (f": {status['message']}" if status.get("message") else "")
    )
    expect(status["status"] == want, f"check with {config_name}: {status['status']}, expected {want}")
    return run


def step_write(data_dir: Path, sandbox: SandboxHandle) -> ContainerRun:
    stdin = (data_dir / "messages.jsonl").read_text(encoding="utf-8")
    run = run_image(
        ["write", "--config", "/data/config.json", "--catalog", "/data/catalog.json"], data_dir, stdin
    )
    for line in run.logs:
        if not line.startswith("SYNC_SUMMARY "):
            print(f"  LOG  {line[:300]}")
    states = [m["state"] for m in run.of_type("STATE")]
    for st in states:
        print(
            f"  STATE {json.dumps(st['stream']['stream_state'])} "
            f"destinationStats={json.dumps(st.get('destinationStats'))}"
        )
    for error in run.errors:
        print(f"  ERROR {error}")
    expect(run.returncode == 0, f"write exited with {run.returncode}: {run.stderr[-1500:]}")
    expect(
        [s["stream"]["stream_state"]["updated_at"] for s in states] == ["2024-05-03", "2024-06-02"],
        f"expected both STATE messages, in order; got {states}",
    )
    counts = [s.get("destinationStats") for s in states]
    expected = [
        {"recordCount": 2.0, "rejectedRecordCount": 1.0},
        {"recordCount": 2.0, "rejectedRecordCount": 0.0},
    ]
    expect(counts == expected, f"destinationStats per STATE: {counts}, expected {expected}")
    summaries = [line for line in run.logs if line.startswith("SYNC_SUMMARY ")]
    expect(len(summaries) == 1, "expected one SYNC_SUMMARY log line")
    summary = json.loads(summaries[0].removeprefix("SYNC_SUMMARY "))
    shown = ("records_read", "created", "updated", "superseded", "tagged", "rejected", "requests")
    print("  SYNC_SUMMARY " + ", ".join(f"{key} {summary[key]}" for key in shown))
    expect(summary["records_read"] == 5 and summary["rejected"] == 1, f"summary counts: {summary}")
    expect(summary["created"] == 3 and summary["tagged"] == 3, f"summary counts: {summary}")
    return run


def step_contacts(sandbox: SandboxHandle) -> None:
    contacts = {c["email"]: c for c in sandbox.contacts()}
    print(f"\n  the sandbox holds {len(contacts)} contacts:")
    for email, contact in sorted(contacts.items()):
        print(
            f"    {email:<20} {contact.get('firstname', ''):<6} city={contact.get('city', '')!s:<7} "
            f"plan={contact.get('f1003', '')} tags={', '.join(contact.get('tags', []))}"
        )
    expect(
        set(contacts) == {"ada@example.com", "grace@example.com", "alan@example.com"},
        f"contacts: {sorted(contacts)}",
    )
    for email, contact in contacts.items():
        expect(
            set(TAGS) <= set(contact.get("tags", [])), f"{email} lacks the tags {TAGS}: {contact.get('tags')}"
        )
        expect(contact.get("city") == "London", f"{email}: nested address.city was not mapped")
    expect(
        str(contacts["ada@example.com"].get("f1003")) == "3",
        "Ada's later record (plan Enterprise) did not win",
    )


def main() -> int:
    if not CONTAINER_CHECK.is_file():
        print(f"image-test: {CONTAINER_CHECK} not found (set CONTAINER_CHECK)", file=sys.stderr)
        return 2
    runs: list[ContainerRun] = []
    try:
        with (
            running_sandbox(app_id=APP_ID, api_key=API_KEY, host="127.0.0.1") as sandbox,
            tempfile.TemporaryDirectory(prefix="ontraport-image-") as tmp,
        ):
            data_dir = Path(tmp)
            print(f"sandbox at {sandbox.url}; inputs in {data_dir} (mounted at /data)")
            write_inputs(data_dir, sandbox)
            wrong = json.loads((data_dir / "config.json").read_text()) | {"api_key": WRONG_KEY}
            (data_dir / "wrong_key.json").write_text(json.dumps(wrong))
            (data_dir / "wrong_key.json").chmod(0o644)

            step_pip_freeze_matches_the_lock()
            step_spec(data_dir)
            runs.append(step_check(data_dir, "config.json", "SUCCEEDED"))
            runs.append(step_check(data_dir, "wrong_key.json", "FAILED"))
            runs.append(step_write(data_dir, sandbox))
            step_contacts(sandbox)
            for run in runs:
                for secret in (API_KEY, WRONG_KEY):
                    expect(
                        secret not in run.stdout + run.stderr,
                        f"an API key appears in the output of {run.args[0]}",
                    )
            print("  no API key in any output")
    except ImageTestFailed as exc:
        print(f"\nIMAGE TEST FAILED: {exc}", file=sys.stderr)
        return 1
    print(
        "\nIMAGE TEST PASSED: the image holds exactly the locked main dependencies; spec, check (right "
        "and wrong key) and write, in the container"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
