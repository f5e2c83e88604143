"""What a newcomer hits first, run as a newcomer runs it: `main.py` as a subprocess against the
sandbox (issue 22, items 13 to 16 and 18): the README's command with a Python that lacks the
dependencies, a misspelled option, a field mapping that names a source no record has or a target the
writer refuses, and records for a stream the catalog lacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from integration_tests.harness import ROOT, capture_path

# `python main.py ...` with a Python that has pydantic (so `spec` works) but not airbyte-cdk: what a
# person gets who runs the README's command outside the project's virtualenv.
WITHOUT_CDK = (
    "import runpy, sys; sys.modules['airbyte_cdk'] = None; sys.argv = ['main.py', *sys.argv[1:]]; "
    "runpy.run_path('main.py', run_name='__main__')"
)


def run_main(*args: str, prelude: str = WITHOUT_CDK) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-c", prelude, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    with capture_path().open("a", encoding="utf-8") as sink:
        sink.write(proc.stdout + proc.stderr)
    return proc


def test_check_without_the_dependencies_says_to_run_make_venv(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"app_id": "a", "api_key": "b"}))
    proc = run_main("check", "--config", str(config))
    assert proc.returncode == 1
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr  # one line, no traceback
    assert "no module named 'airbyte_cdk'" in lines[0]
    assert "make venv" in lines[0] and ".venv/bin/python main.py" in lines[0]
    assert sys.executable in lines[0]


def test_spec_still_works_without_the_cdk() -> None:
    proc = run_main("spec")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["type"] == "SPEC"


def test_a_python_without_any_dependency_gets_the_same_line_for_spec() -> None:
    proc = subprocess.run(
        [sys.executable, "-S", "main.py", "spec"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 1
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "make venv" in proc.stderr
