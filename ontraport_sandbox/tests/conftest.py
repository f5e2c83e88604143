"""The sandbox against the checklist of docs/ontraport-api-notes.md ("What a faithful fake server must
do"), one test module per concern; the checklist's item numbers head the sections they check.

The sandbox runs as a subprocess (`python -m ontraport_sandbox --port 0`), exactly as the
connector's end-to-end tests, the benchmarks and the demo start it; every test talks HTTP to
127.0.0.1 only. One process serves every module of a pytest process (a pytest-xdist worker) and is
reset before each test: a test that changes what reset keeps (the schema) restores it itself.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ontraport_sandbox.testing import SandboxHandle, running_sandbox
from ontraport_sandbox.tests.support import API_KEY, APP_ID, DEFAULTS, Api


@pytest.fixture(scope="session")
def server() -> Iterator[SandboxHandle]:
    with running_sandbox(app_id=APP_ID, api_key=API_KEY, seed=1) as handle:
        yield handle


@pytest.fixture
def sandbox(server: SandboxHandle) -> SandboxHandle:
    server.reset()
    server.configure(**DEFAULTS)
    return server


@pytest.fixture
def api(sandbox: SandboxHandle) -> Iterator[Api]:
    client = Api(sandbox)
    yield client
    client.close()
