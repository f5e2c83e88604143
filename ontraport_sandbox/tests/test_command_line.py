"""`python -m ontraport_sandbox`: the LISTENING line, the options, a bad option, a `--meta` file."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from ontraport_sandbox.testing import PACKAGE_PARENT, SandboxError, running_sandbox
from ontraport_sandbox.tests.support import TIMEOUT

# ---------------------------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------------------------


def test_first_stdout_line_is_listening_with_the_picked_port() -> None:
    env = {"PYTHONPATH": str(PACKAGE_PARENT), "PATH": "/usr/bin:/bin"}
    process = subprocess.Popen(
        [sys.executable, "-m", "ontraport_sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        word, port = line.split()
        assert word == "LISTENING"
        assert int(port) > 0
        response = requests.get(f"http://127.0.0.1:{port}/__sandbox/stats", timeout=TIMEOUT)
        assert response.status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=5)
        assert process.stdout is not None
        process.stdout.close()


def test_cli_options_set_credentials_limit_window_and_latency() -> None:
    options = {
        "app_id": "cli-app",
        "api_key": "cli-key",
        "rate_limit": 7,
        "window": 30,
        "latency_ms": "30-40",
    }
    with running_sandbox(**options) as handle:
        assert handle.config()["latency_ms"] == "30-40"
        started = time.monotonic()
        response = requests.get(f"{handle.url}/Contacts/getInfo", headers=handle.headers, timeout=TIMEOUT)
        assert time.monotonic() - started >= 0.03
        assert response.status_code == 200
        assert response.headers["X-Rate-Limit-Limit"] == "7"
        assert response.headers["X-Rate-Limit-Remaining"] == "6"
        assert response.headers["X-Rate-Limit-Reset"] == "30"
        default_creds = {"Api-Appid": "demo-app", "Api-Key": "demo-key"}
        refused = requests.get(f"{handle.url}/Contacts", headers=default_creds, timeout=TIMEOUT)
        assert refused.status_code == 401


def test_bad_cli_option_exits_with_an_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ontraport_sandbox", "--port", "0", "--latency-ms", "9-3"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=PACKAGE_PARENT,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    with pytest.raises(SandboxError), running_sandbox(latency_ms="oops"):
        pass


def test_meta_file_adds_replaces_and_removes_fields(tmp_path: Path) -> None:
    meta = {
        "fields": {
            "f2001": {"alias": "Region", "type": "drop", "options": {"1": "EU", "2": "US"}},
            "f1002": {"alias": "LTV", "type": "price"},
            "f1007": None,
        }
    }
    path = tmp_path / "meta.json"
    path.write_text(json.dumps(meta))
    with running_sandbox(meta=str(path)) as handle:
        response = requests.get(f"{handle.url}/Contacts/meta", headers=handle.headers, timeout=TIMEOUT)
        fields = response.json()["data"]["0"]["fields"]
        assert fields["f2001"]["options"] == {"1": "EU", "2": "US"}
        assert fields["f2001"]["editable"] == "1"
        assert fields["f1002"]["alias"] == "LTV"
        assert "f1007" not in fields
        created = requests.post(
            f"{handle.url}/Contacts",
            data={"f2001": "2", "f1007": "x"},
            headers=handle.headers,
            timeout=TIMEOUT,
        ).json()["data"]
        assert created["f2001"] == "2"
        assert "f1007" not in created
