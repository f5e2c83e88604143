"""Airbyte's standard connector tests, driven by `acceptance-test-config.yml`.

They run `spec` and `check` in-process for every config listed there, check each `check` outcome
against its declared status, that no secret from the config appears in the output, and that the
configs listed under `spec` validate against the published spec. They never run `write`.

The configs name the local Ontraport sandbox as `127.0.0.1:18765`. This module starts a sandbox with
those credentials on a free port and points the scenarios at it, so that test runs in parallel on
one machine neither share a sandbox nor fight over the port.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from airbyte_cdk.test.models import ConnectorTestScenario
from airbyte_cdk.test.standard_tests import DestinationTestSuiteBase

from destination_ontraport.destination import DestinationOntraport
from ontraport_sandbox.testing import running_sandbox

pytest_plugins = ["airbyte_cdk.test.standard_tests.pytest_hooks"]

ROOT = Path(__file__).resolve().parent.parent
SANDBOX_CONFIG = ROOT / "integration_tests" / "acceptance" / "config.json"
CONFIGURED_SANDBOX = "http://127.0.0.1:18765/"
START_TIMEOUT_SECONDS = 15.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


SANDBOX_PORT = _free_port()


class TestDestinationOntraportStandardSuite(DestinationTestSuiteBase):
    """The CDK would guess the class from the folder name; name it explicitly."""

    connector = DestinationOntraport

    @classmethod
    def get_scenarios(cls) -> list[ConnectorTestScenario]:
        """The scenarios of `acceptance-test-config.yml`, those naming the sandbox pointed at this
        run's sandbox (as `config_dict`, so ids, statuses and sections stay the file's)."""
        return [_at_this_runs_sandbox(scenario) for scenario in super().get_scenarios()]


def _at_this_runs_sandbox(scenario: ConnectorTestScenario) -> ConnectorTestScenario:
    config = scenario.get_config_dict(connector_root=ROOT, empty_if_missing=True)
    url = str(config.get("api_url", ""))
    if not url.startswith(CONFIGURED_SANDBOX):
        return scenario
    here = url.replace(CONFIGURED_SANDBOX, f"http://127.0.0.1:{SANDBOX_PORT}/", 1)
    return scenario.model_copy(update={"config_dict": {**config, "api_url": here}})


@pytest.fixture(scope="module", autouse=True)
def sandbox_for_the_scenarios() -> Iterator[None]:
    """The sandbox with the credentials of the sandbox configs, on SANDBOX_PORT."""
    config = json.loads(SANDBOX_CONFIG.read_text())
    assert str(config["api_url"]).startswith(CONFIGURED_SANDBOX)
    with running_sandbox(port=SANDBOX_PORT, app_id=config["app_id"], api_key=config["api_key"]):
        yield


def test_the_acceptance_config_yields_every_scenario() -> None:
    """Without `acceptance-test-config.yml` (or with a typo in it) the suite would pass by running
    nothing; this pins what it runs: six configs, two that succeed and four that fail."""
    scenarios = TestDestinationOntraportStandardSuite.get_scenarios()
    by_config = {scenario.id: scenario for scenario in scenarios}
    assert sorted(by_config) == [
        "config",
        "config_all_options",
        "insecure_api_url",
        "invalid_api_key",
        "unknown_match_field",
        "unreachable_api_url",
    ]
    assert [s.id for s in scenarios if s.status == "succeed"] == ["config", "config_all_options"]
    assert all(scenario.runs("check") for scenario in scenarios)
    assert {s.id for s in scenarios if s.runs("spec")} == {"config", "config_all_options"}
    for scenario in scenarios:
        assert scenario.config_path is not None
        assert (ROOT / scenario.config_path).is_file(), scenario.config_path
    pointed = {s.id for s in scenarios if s.config_dict and str(SANDBOX_PORT) in s.config_dict["api_url"]}
    assert pointed == {"config", "config_all_options", "invalid_api_key", "unknown_match_field"}
