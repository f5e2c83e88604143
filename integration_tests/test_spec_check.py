"""`spec` and `check` as subprocesses against the sandbox."""

from __future__ import annotations

import json
import subprocess
import sys

from integration_tests.harness import (
    API_KEY,
    ROOT,
    capture_path,
    config_for,
    parse_output,
    run_connector,
    write_files,
)
from ontraport_sandbox.testing import SandboxHandle


def test_spec_lists_modes_and_matches_the_published_spec_json() -> None:
    run = run_connector("spec")
    assert run.returncode == 0, run.stderr
    specs = [m["spec"] for m in run.messages if m.get("type") == "SPEC"]
    assert len(specs) == 1
    spec = specs[0]
    assert set(spec["supported_destination_sync_modes"]) >= {"overwrite", "append", "append_dedup"}
    published = json.loads((ROOT / "spec.json").read_text())
    assert published == spec, (
        "spec.json is stale: regenerate it with `python -m destination_ontraport.spec_file`"
    )
    props = spec["connectionSpecification"]["properties"]
    assert props["api_key"]["airbyte_secret"] is True
    assert set(spec["connectionSpecification"]["required"]) == {"app_id", "api_key"}


def test_check_succeeds_with_good_credentials_and_writes_nothing(sandbox: SandboxHandle) -> None:
    run = run_connector("check", config_for(sandbox.url, tags="A, B"))
    assert run.returncode == 0
    assert run.connection_status()["status"] == "SUCCEEDED", run.stdout
    stats = sandbox.stats()
    assert stats["write_requests"] == 0
    assert stats["by_route"].get("GET /1/Contacts/getInfo") == 1


def test_check_reports_rejected_credentials_plainly(sandbox: SandboxHandle) -> None:
    run = run_connector("check", config_for(sandbox.url, api_key="wrong-key-123"))
    status = run.connection_status()
    assert status["status"] == "FAILED"
    assert status["message"].startswith("Ontraport rejected the App ID / API Key")
    assert "wrong-key-123" not in run.stdout + run.stderr


def test_check_accepts_a_key_pasted_with_a_line_break_around_it(sandbox: SandboxHandle) -> None:
    run = run_connector("check", config_for(sandbox.url, api_key=f"  {API_KEY}\n"))
    assert run.connection_status()["status"] == "SUCCEEDED", run.stdout


def test_check_names_a_line_break_inside_the_key_without_quoting_it(sandbox: SandboxHandle) -> None:
    broken = API_KEY[:10] + "\n" + API_KEY[10:]
    run = run_connector("check", config_for(sandbox.url, api_key=broken))
    status = run.connection_status()
    assert status["status"] == "FAILED"
    assert "the API key contains a space, line break or other invisible character" in status["message"]
    assert API_KEY[:10] not in run.stdout + run.stderr
    assert sandbox.stats()["total_requests"] == 0  # refused before anything was sent


def test_check_reports_an_unreachable_api_url() -> None:
    run = run_connector("check", config_for("http://127.0.0.1:9/1"))
    status = run.connection_status()
    assert status["status"] == "FAILED"
    assert "Could not reach Ontraport at http://127.0.0.1:9/1" in status["message"]
    assert "could not connect (ConnectionRefusedError)" in status["message"]
    assert API_KEY not in run.stdout + run.stderr


def test_check_refuses_plain_http_to_a_remote_host() -> None:
    run = run_connector("check", config_for("http://api.example.com/1"))
    status = run.connection_status()
    assert status["status"] == "FAILED"
    assert "clear text" in status["message"]
    assert "api_url" in status["message"]


def test_check_names_the_nearest_fields_for_an_unknown_match_field(sandbox: SandboxHandle) -> None:
    run = run_connector("check", config_for(sandbox.url, match_field="Extrnal ID"))
    status = run.connection_status()
    assert status["status"] == "FAILED"
    assert "Extrnal ID" in status["message"]
    assert "External ID" in status["message"]


def test_check_names_an_unknown_mapping_target(sandbox: SandboxHandle) -> None:
    mapping = [{"source": "plan", "target": "Plann"}]
    run = run_connector("check", config_for(sandbox.url, field_mapping=mapping))
    status = run.connection_status()
    assert status["status"] == "FAILED"
    assert "Plann" in status["message"] and "Plan" in status["message"]


def test_check_rejects_a_config_with_wrong_types_without_quoting_values(sandbox: SandboxHandle) -> None:
    config = config_for(sandbox.url, batch_size="lots", max_requests_per_minute=-5, api_key=12345678987)
    run = run_connector("check", config)
    status = run.connection_status()
    assert status["status"] == "FAILED"
    assert status["message"].startswith("Invalid configuration:")
    assert "batch_size" in status["message"] and "max_requests_per_minute" in status["message"]
    assert "12345678987" not in run.stdout + run.stderr


def test_check_requires_tags_for_removal_of_missing_contacts(sandbox: SandboxHandle) -> None:
    run = run_connector("check", config_for(sandbox.url, missing_contacts="delete"))
    status = run.connection_status()
    assert status["status"] == "FAILED"
    assert "needs non-empty tags" in status["message"]


def test_check_with_unparseable_config_file_fails_cleanly() -> None:
    run = run_connector("check", "{not json")
    assert run.returncode != 0
    assert not any("Traceback" in line for line in run.logs), (
        "a config problem is a message, not a stack trace"
    )
    assert any("Could not read the config file" in e for e in run.errors)


def test_spec_in_a_fresh_interpreter_imports_no_airbyte_cdk() -> None:
    """Not through the launcher: a new `python main.py spec`, as Airbyte starts it. It answers from
    spec.py without importing airbyte-cdk (2.5-3 s of CPU), and prints the published spec."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", str(ROOT / "main.py"), "spec"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "|" in line]
    assert "destination_ontraport.spec" in imported
    assert not [name for name in imported if name.startswith("airbyte_cdk")]
    (message,) = parse_output(proc.stdout)
    assert message["spec"] == json.loads((ROOT / "spec.json").read_text())


def test_check_in_a_fresh_interpreter(sandbox: SandboxHandle) -> None:
    """The other tests' runs are forked from an interpreter that imported the connector already
    (launcher.py); this one starts `python main.py check` from nothing."""
    work = write_files(config_for(sandbox.url), {"streams": []}, "")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "check", "--config", str(work / "config.json")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    with capture_path().open("a", encoding="utf-8") as sink:
        sink.write(proc.stdout + proc.stderr)
    statuses = [m for m in parse_output(proc.stdout) if m.get("type") == "CONNECTION_STATUS"]
    assert proc.returncode == 0 and statuses[0]["connectionStatus"]["status"] == "SUCCEEDED", proc.stdout
