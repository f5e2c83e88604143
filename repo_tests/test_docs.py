"""docs/ontraport.md, the user's page, against the code it describes.

Every option of the published spec is in the options table with its real default, under the
form's card it is in (or among the hidden ones); every supported sync mode is in the sync modes
table; every message the troubleshooting table quotes is text the connector's source really
contains (so a reworded message cannot leave the docs behind); the IP allow list and the ways to
run the connector name the host, the package and the command that really are.
"""

from __future__ import annotations

import ast
import json
import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from destination_ontraport.config import GROUPS, OntraportConfig, connection_specification
from destination_ontraport.sync.stream_rules import SUPPORTED_MODES

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "ontraport.md"
PACKAGE = ROOT / "destination_ontraport"
PLACEHOLDER = "…"
MIN_FRAGMENT = 6  # shorter pieces between placeholders ("')", ": ") say nothing about the message


def section(title: str) -> str:
    """The text of the `## title` section, up to the next `## ` heading."""
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, flags=re.MULTILINE | re.DOTALL)
    assert match, f"docs/ontraport.md has no '## {title}' section"
    return match.group(1)


def table_rows(text: str) -> list[list[str]]:
    """The cells of every Markdown table row in `text`, header and separator rows left out."""
    rows = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line.startswith("|") or re.fullmatch(r"\|[\s:|-]+\|", line):
            continue
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows[1:]


def options_table() -> dict[str, list[str]]:
    rows = table_rows(section("Setup guide").split("### Options", 1)[1])
    return {row[0].strip("`"): row for row in rows if row[0].startswith("`")}


def test_every_spec_option_is_documented_with_its_default() -> None:
    properties: dict[str, Any] = connection_specification()["properties"]
    required = set(connection_specification()["required"])
    table = options_table()
    assert sorted(table) == sorted(properties), "the options table must list exactly the spec's options"
    for name, prop in properties.items():
        _option, title, default_cell, description = table[name]
        assert title == prop["title"], f"{name}: the UI name is {prop['title']!r}"
        assert description, f"{name} has no description"
        if name in required:
            assert default_cell == "required", f"{name} is required"
            continue
        model_default = OntraportConfig.model_fields[name].get_default(call_default_factory=True)
        if isinstance(model_default, BaseModel):  # a settings block: documented as its JSON
            model_default = model_default.model_dump(mode="json")
        if model_default is None:
            assert default_cell == "none", f"{name} has no default; the table says {default_cell!r}"
            continue
        literal = re.fullmatch(r"`(.+)`", default_cell)
        assert literal, f"{name}: the default cell {default_cell!r} must be a `literal`"
        documented = json.loads(literal.group(1))
        assert documented == model_default, (
            f"{name}: documented default {documented!r}, real {model_default!r}"
        )
        if "default" in prop:
            assert documented == prop["default"], f"{name}: the spec's default is {prop['default']!r}"


def subsection(text: str, title: str) -> str:
    """The text of the `#### title` subsection of `text`, up to the next heading."""
    match = re.search(rf"^#### {re.escape(title)}\n(.*?)(?=^#|\Z)", text, flags=re.MULTILINE | re.DOTALL)
    assert match, f"no '#### {title}' under Options"
    return match.group(1)


def test_the_options_are_documented_card_by_card_as_the_form_shows_them() -> None:
    options = section("Setup guide").split("### Options", 1)[1]
    properties: dict[str, Any] = connection_specification()["properties"]
    cards = [
        (title, {n for n, p in properties.items() if p.get("group") == group}) for group, title in GROUPS
    ]
    hidden = {name for name, prop in properties.items() if prop.get("airbyte_hidden")}
    for title, expected in [*cards, ("Hidden from the form", hidden)]:
        rows = table_rows(subsection(options, title))
        assert {row[0].strip("`") for row in rows if row[0].startswith("`")} == expected, title
    headings = re.findall(r"^#### (.+)$", options, flags=re.MULTILINE)
    assert headings == [title for _, title in GROUPS] + ["Hidden from the form"], "the form's order"


def test_the_ip_allow_list_names_the_hosts_the_connector_calls() -> None:
    text = section("IP allow list")
    metadata = yaml.safe_load((ROOT / "metadata.yaml").read_text(encoding="utf-8"))["data"]
    for host in metadata["allowedHosts"]["hosts"]:
        assert f"`{host}`" in text, host
    assert "https://docs.airbyte.com/platform/operating-airbyte/ip-allowlist" in text
    headings = re.findall(r"^## (.+)$", DOCS.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert headings[-2:] == ["IP allow list", "Changelog"], "Airbyte's pages put it before the changelog"


def test_running_the_connector_names_the_real_package_command_and_pyairbyte_arguments() -> None:
    text = section("Running the connector")
    poetry = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["poetry"]
    (command,) = poetry["scripts"]
    for needed in (
        poetry["name"],
        f'"{command}"',
        "pip_url=",
        "local_executable=",
        "docker run",
        "poetry build",
    ):
        assert needed in text, needed


def test_overwrite_deduped_has_a_row_that_matches_what_the_spec_offers() -> None:
    rows = {row[0]: row[1] for row in table_rows(section("Supported sync modes"))}
    (deduped,) = [answer for mode, answer in rows.items() if "Overwrite + Deduped" in mode]
    offered = {mode.value for mode in SUPPORTED_MODES}
    assert ("overwrite_dedup" in offered) == deduped.startswith("Yes"), deduped


def test_enum_options_list_their_values() -> None:
    table = options_table()
    for name, prop in connection_specification()["properties"].items():
        for value in prop.get("enum", []):
            assert f"`{value}`" in table[name][3], f"{name}: value {value!r} is not described"


def test_every_supported_sync_mode_is_in_the_sync_modes_table() -> None:
    rows = table_rows(section("Sync modes"))
    leading = (re.match(r"`(\w+)`", row[0]) for row in rows)
    documented = {match.group(1) for match in leading if match}
    assert {mode.value for mode in SUPPORTED_MODES} == documented
    # the columns the table promises: present unchanged, changed, new, gone
    assert all(len(row) == 5 for row in rows)


def test_every_missing_contacts_value_has_a_row() -> None:
    rows = table_rows(section("Sync modes"))
    for value in connection_specification()["properties"]["missing_contacts"]["enum"]:
        assert any(f"`{value}`" in row[0] for row in rows if row[0].startswith("`overwrite`")), value


@cache
def source_literals() -> tuple[str, ...]:
    """Every string the package's source spells out: plain constants, and the literal parts of
    f-strings (implicit concatenation already joined by the parser)."""
    pieces: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                pieces.append(node.value)
    return tuple(pieces)


def occurs_in_source(fragment: str) -> bool:
    return any(fragment in piece for piece in source_literals())


def troubleshooting_messages() -> list[str]:
    rows = table_rows(section("Troubleshooting"))
    messages = []
    for row in rows:
        quoted = re.fullmatch(r"`([^`]+)`", row[0])
        assert quoted, f"the first cell of each troubleshooting row must quote a message: {row[0]!r}"
        messages.append(quoted.group(1))
    return messages


def test_the_troubleshooting_table_covers_the_main_failures() -> None:
    messages = " ".join(troubleshooting_messages())
    for stem in (
        "App ID / API Key",
        "lacks a permission",
        "Could not reach Ontraport",
        "Invalid configuration",
        "has no contact field",
        "rejected_records_threshold",
        "Rejected record at",
        "rate limit",
    ):
        assert stem in messages, f"no troubleshooting entry for {stem!r}"


@pytest.mark.parametrize("message", troubleshooting_messages())
def test_each_quoted_message_is_printed_by_the_connector(message: str) -> None:
    fragments = [part.strip() for part in message.split(PLACEHOLDER)]
    checked = [part for part in fragments if len(part) >= MIN_FRAGMENT]
    assert checked, f"{message!r} quotes nothing checkable"
    for fragment in checked:
        assert occurs_in_source(fragment), (
            f"the docs quote {fragment!r}, which no string in destination_ontraport/ contains; "
            "update the troubleshooting table to the message the connector prints now"
        )


def test_the_literal_check_can_fail() -> None:
    assert occurs_in_source("Check both values in the connector settings.")
    assert not occurs_in_source("Check both values in the connector's settings.")


def test_the_page_has_airbyte_sections_and_a_changelog_for_this_version() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for heading in (
        "Prerequisites",
        "Setup guide",
        "Supported sync modes",
        "Sync modes",
        "Tags",
        "Rate limits and what a sync costs",
        "Rejected records",
        "Troubleshooting",
        "Running the connector",
        "IP allow list",
        "Changelog",
    ):
        assert re.search(rf"^## {re.escape(heading)}$", text, flags=re.MULTILINE), heading
    assert "destinationStats.recordCount" in text
    assert "SYNC_SUMMARY" in text
    version = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), flags=re.MULTILINE)
    assert version
    changelog = table_rows(section("Changelog"))
    assert changelog and changelog[0][0] == version.group(1), (
        "the newest changelog row must be the package version"
    )
