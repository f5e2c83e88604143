"""`make demo`: real syncs of `sample_files/` into a local sandbox, shown the way a person reads them.

Starts the sandbox, runs `python main.py write --config ... --catalog ...` with the sample records
on stdin (twice: the second run shows that an unchanged re-sync writes nothing), prints the STATE
messages, the log's summary and the contacts the sandbox then holds. Then plays Airbyte's data
activation: `discover` lists the objects and modes, and a sync whose streams name an object (the
sandbox's custom object Pet, and Contacts) writes records renamed to those objects' fields.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from ontraport_sandbox.testing import running_sandbox

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_files"


def _sync(
    config_path: Path, title: str, catalog: str = "configured_catalog.json", messages: str = "messages.jsonl"
) -> None:
    print(
        f"\n=== {title}: python main.py write --config {config_path.name} "
        f"--catalog sample_files/{catalog} < sample_files/{messages}"
    )
    with (SAMPLES / messages).open("rb") as stdin:
        proc = subprocess.run(
            [
                sys.executable,
                str(ROOT / "main.py"),
                "write",
                "--config",
                str(config_path),
                "--catalog",
                str(SAMPLES / catalog),
            ],
            stdin=stdin,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
    for line in proc.stdout.splitlines():
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            print(f"  (non-JSON output) {line}")
            continue
        if message.get("type") == "STATE":
            state = message["state"]
            stream_state = state.get("stream", {}).get("stream_state")
            count = state.get("destinationStats", {}).get("recordCount")
            print(f"  STATE {json.dumps(stream_state)} (records since previous state: {count:g})")
        elif message.get("type") == "LOG":
            text = message["log"]["message"]
            if not text.startswith("SYNC_SUMMARY"):
                print(f"  {message['log']['level']:<5} {text}")
        elif message.get("type") == "TRACE" and message["trace"].get("type") == "ERROR":
            print(f"  ERROR {message['trace']['error']['message']}")
    if proc.returncode != 0:
        print(proc.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"the sync failed with exit code {proc.returncode}")


def _show(contacts: list[dict[str, Any]]) -> None:
    print(f"\n=== The sandbox now holds {len(contacts)} contacts")
    columns = ["id", "email", "firstname", "lastname", "city", "f1003", "f1006", "tags"]
    print("  " + " | ".join(["id", "email", "first", "last", "city", "Plan", "Signup Date", "tags"]))
    for contact in sorted(contacts, key=lambda c: int(c["id"])):
        cells = [", ".join(contact.get(c, [])) if c == "tags" else str(contact.get(c, "")) for c in columns]
        print("  " + " | ".join(cells))


def _discover(config_path: Path) -> None:
    print(f"\n=== Data activation: python main.py discover --config {config_path.name}")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "discover", "--config", str(config_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    for line in proc.stdout.splitlines():
        message = json.loads(line)
        if message.get("type") == "LOG":
            print(f"  {message['log']['level']:<5} {message['log']['message']}")
        elif message.get("type") == "DESTINATION_CATALOG":
            modes: dict[str, list[str]] = {}
            for op in message["destination_catalog"]["operations"]:
                keys = " or ".join("+".join(key) for key in op.get("matching_keys") or []) or "no key"
                modes.setdefault(op["object_name"], []).append(f"{op['sync_mode']} ({keys})")
            for name, offered in modes.items():
                print(f"  {name}: {', '.join(offered)}")
    if proc.returncode != 0:
        print(proc.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"discover failed with exit code {proc.returncode}")


def _show_pets(pets: list[dict[str, Any]]) -> None:
    print(f"\n=== The sandbox now holds {len(pets)} pets (custom object 10000)")
    print("  id | Pet ID | Pet Name | Species (option id) | Birth Date | tags")
    for pet in pets:
        cells = [
            pet["id"],
            pet["f2001"],
            pet["f2002"],
            pet["f2003"],
            pet["f2004"],
            ", ".join(pet.get("tags", [])),
        ]
        print("  " + " | ".join(str(cell) for cell in cells))


def main() -> None:
    config = json.loads((SAMPLES / "config.json").read_text())
    with running_sandbox(app_id=config["app_id"], api_key=config["api_key"], latency_ms="20-60") as sandbox:
        print(f"Sandbox listening on {sandbox.url}")
        with tempfile.TemporaryDirectory() as tmp:
            config_path = Path(tmp) / "config.json"
            config_path.write_text(json.dumps({**config, "api_url": sandbox.url}))
            _sync(config_path, "First sync")
            _show(sandbox.contacts())
            before = sandbox.stats()
            _sync(config_path, "Second sync of the same records")
            after = sandbox.stats()
            print(
                f"\n  The second sync sent {after['write_requests'] - before['write_requests']} write "
                f"requests and {after['read_requests'] - before['read_requests']} reads."
            )
            _discover(config_path)
            _sync(config_path, "Data-activation sync", "activation_catalog.json", "activation_messages.jsonl")
            _show_pets(sandbox.objects(10000))
    print("\nSandbox stopped.")


if __name__ == "__main__":
    main()
