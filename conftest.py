"""Session-wide pytest hooks for both suites.

airbyte-cdk's standard tests include `image_tests` (build the connector's Docker image, run `spec`
in it, compare the spec with the published one). They need a running container engine. Where one
answers (`docker info`), as in Airbyte's CI, they run; where none does, as on this project's
machines, they are deselected with a line that says why. The CDK itself only skips them when no
`docker` command exists at all, and a `docker` client without an engine would fail them instead.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import cache

import pytest

IMAGE_TESTS = "image_tests"
DESELECTED = pytest.StashKey[int]()
ENGINE_PROBE_SECONDS = 20


@cache
def container_engine_problem() -> str | None:
    """None when `docker info` answers; otherwise why the image tests cannot run here."""
    docker = shutil.which("docker")
    if docker is None:
        return "no `docker` command"
    try:
        probe = subprocess.run(
            [docker, "info"], capture_output=True, timeout=ENGINE_PROBE_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"`docker info` failed: {exc}"
    if probe.returncode != 0:
        return f"`docker info` exited with {probe.returncode}: no container engine answers"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    image_tests = [item for item in items if item.get_closest_marker(IMAGE_TESTS)]
    if not image_tests:
        return
    problem = container_engine_problem()
    if problem is None:
        return
    config.hook.pytest_deselected(items=image_tests)
    items[:] = [item for item in items if not item.get_closest_marker(IMAGE_TESTS)]
    config.stash[DESELECTED] = len(image_tests)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Say why. Under pytest-xdist the workers collect and deselect, and this controller does not
    hear of it: it says the same when no engine answers here."""
    count = config.stash.get(DESELECTED, 0)
    under_xdist = config.pluginmanager.has_plugin("dsession")
    if count or (under_xdist and container_engine_problem() is not None):
        which = f"{count} {IMAGE_TESTS}" if count else f"the {IMAGE_TESTS} (if any were collected)"
        terminalreporter.write_line(f"deselected {which}: {container_engine_problem()}")
