"""The root conftest runs airbyte-cdk's `image_tests` where a container engine answers and deselects
them where none does: checked with a stand-in `docker` command that answers `docker info` or not."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
TESTS = """
import pytest

@pytest.mark.image_tests
def test_needs_an_engine():
    pass

def test_plain():
    pass
"""


def run_with_docker_info_exiting(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, code: int
) -> pytest.RunResult:
    pytester.makeconftest((ROOT / "conftest.py").read_text(encoding="utf-8"))
    pytester.makeini("[pytest]\nmarkers =\n    image_tests: need a Docker engine\n")
    pytester.makepyfile(test_sample=TESTS)
    bin_dir = pytester.mkdir("bin")
    docker = bin_dir / "docker"
    docker.write_text(f"#!/bin/sh\nexit {code}\n")
    docker.chmod(docker.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return pytester.runpytest_subprocess("-p", "no:xdist", "-p", "no:cacheprovider")


def test_image_tests_run_where_docker_info_answers(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run_with_docker_info_exiting(pytester, monkeypatch, 0)
    result.assert_outcomes(passed=2)


def test_image_tests_are_deselected_with_the_reason_where_no_engine_answers(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run_with_docker_info_exiting(pytester, monkeypatch, 1)
    result.assert_outcomes(passed=1, deselected=1)
    result.stdout.fnmatch_lines(["deselected 1 image_tests: `docker info` exited with 1*"])
