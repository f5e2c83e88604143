"""Fixtures: one sandbox subprocess per test module, reset before each test.

Session-wide, across pytest-xdist workers: the controller (or the only pytest process) makes one
empty folder for the capture files before any worker starts, and once every worker has finished it
searches every byte that any run of any worker printed for the API key (`secrets_check_failure`).
The outcome is reported as a test of its own, so that a leak fails the session visibly.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from integration_tests.harness import (
    API_KEY,
    APP_ID,
    ZYGOTE,
    captured_files,
    new_capture_dir,
    secrets_check_failure,
)
from integration_tests.s3_server import S3Handle, running_s3
from ontraport_sandbox.settings import MAX_REQUEST_LINE_DEFAULT
from ontraport_sandbox.switches import CHOICES
from ontraport_sandbox.testing import SandboxHandle, running_sandbox

SESSION_CHECK = "integration_tests/conftest.py::every_output_of_every_run_is_free_of_the_api_key"


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    if not _is_xdist_worker(config):
        new_capture_dir()  # inherited by the workers, which start later


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    ZYGOTE.stop()
    if _is_xdist_worker(session.config):
        return
    files = captured_files()
    if not files:  # no connector run in this session (unit tests only, or a sandbox test)
        return
    failure = secrets_check_failure(files)
    report = pytest.TestReport(
        SESSION_CHECK,
        location=("integration_tests/conftest.py", None, "the API key in no output of any run"),
        keywords={},
        outcome="failed" if failure else "passed",
        longrepr=failure,
        when="call",
    )
    session.testscollected += 1  # so that the progress count includes it
    session.config.hook.pytest_runtest_logreport(report=report)
    if failure:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[SandboxHandle]:
    with running_sandbox(app_id=APP_ID, api_key=API_KEY, rate_limit=100_000, window=60) as handle:
        yield handle


@pytest.fixture
def sandbox(sandbox_server: SandboxHandle) -> SandboxHandle:
    sandbox_server.reset()
    sandbox_server.configure(
        rate_limit=100_000,
        window_seconds=60,
        latency_ms=0,
        fault_rate_5xx=0,
        fault_rate_drop=0,
        fault_rate_slow=0,
        fault_phase="before",
        not_found_status=404,
        save_failed_rate=0,
        save_failed_status=200,
        delete_overreach=0,
        max_request_line=MAX_REQUEST_LINE_DEFAULT,
        **{choice.name: choice.default for choice in CHOICES},
    )
    return sandbox_server


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Handle]:
    """A moto S3 server process with IAM on (integration_tests/s3_server.py), one per test module."""
    with running_s3() as handle:
        yield handle
