"""Fixtures: one sandbox subprocess per test module, reset before each test."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from integration_tests.harness import API_KEY, APP_ID, CAPTURE, CAPTURE_ENV
from integration_tests.s3_server import S3Handle, running_s3
from ontraport_sandbox.switches import CHOICES
from ontraport_sandbox.testing import SandboxHandle, running_sandbox


def pytest_sessionstart(session: pytest.Session) -> None:
    os.environ.setdefault(CAPTURE_ENV, str(CAPTURE))
    open(os.environ[CAPTURE_ENV], "w").close()


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
        **{choice.name: choice.default for choice in CHOICES},
    )
    return sandbox_server


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Handle]:
    """A moto S3 server process with IAM on (integration_tests/s3_server.py), one per test module."""
    with running_s3() as handle:
        yield handle
