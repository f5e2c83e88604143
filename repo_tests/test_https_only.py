"""Airbyte's connectors-qa check "Connectors must use HTTPS only", run over this repository.

A re-implementation of its rule, from airbytehq/airbyte
`airbyte-ci/connectors/connectors_qa/src/connectors_qa/checks/security.py`
(`CheckConnectorUsesHTTPSOnly`): every line of every file of the connector's folder, except the
folders and file patterns it ignores, is lower-cased; comment lines (by file suffix) and lines
holding `# ignore-https-check` are skipped; the plain-HTTP prefixes of json-schema.org and
localhost are removed; any plain-HTTP scheme left fails the check. The files are those of a fresh
checkout (what connectors-qa sees in Airbyte's repository): tracked, or new and not ignored. This
folder is not one connectors-qa skips, so this file marks its own samples of the scheme.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent

IGNORE_COMMENT = "# ignore-https-check"
IGNORED_DIRECTORIES = {
    ".venv", "tests", "unit_tests", "integration_tests", "build", "source-file", ".pytest_cache",
    "acceptance_tests_logs", ".hypothesis", ".ruff_cache", "htmlcov",
}  # fmt: skip
IGNORED_FILE_PATTERNS = {
    "*Test.java",
    "*.jar",
    "*.pyc",
    "*.gz",
    "*.svg",
    "expected_records.jsonl",
    "expected_records.json",
}
IGNORED_URL_PREFIXES = {"http://json-schema.org", "http://localhost"}  # ignore-https-check
COMMENT_PREFIX = {".py": "#", ".yml": "#", ".yaml": "#", ".java": "//", ".md": "<!--"}


def checkout_files() -> list[PurePosixPath]:
    git = shutil.which("git")
    assert git, "git lists the files of a checkout; it is not on PATH"
    listed = subprocess.run(
        [git, "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode()  # fmt: skip
    return [PurePosixPath(name) for name in sorted(set(listed.split("\0"))) if name]


def http_lines(path: PurePosixPath, text: str) -> list[str]:
    """The lines of one file that the check counts as a plain-HTTP URL."""
    if any(part in IGNORED_DIRECTORIES for part in path.parts):
        return []
    if any(path.match(pattern) for pattern in IGNORED_FILE_PATTERNS):
        return []
    found = []
    for raw in text.splitlines():
        line = raw.lower()
        comment = COMMENT_PREFIX.get(path.suffix)
        if comment and line.lstrip().startswith(comment):
            continue
        if IGNORE_COMMENT in line:
            continue
        for prefix in IGNORED_URL_PREFIXES:
            line = line.replace(prefix, "")
        if "http://" in line:  # ignore-https-check: what it looks for
            found.append(raw.strip())
    return found


def test_no_file_of_the_connector_has_a_plain_http_url() -> None:
    failing: dict[str, list[str]] = {}
    for path in checkout_files():
        file = ROOT / path
        if not file.is_file():
            continue  # deleted in the work tree, not yet committed
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # connectors-qa skips files it cannot read as text
        lines = http_lines(path, text)
        if lines:
            failing[str(path)] = lines
    assert failing == {}, "connectors-qa's HTTPS-only check would fail on: " + repr(failing)


# (path, line, whether the check counts it): samples of connectors-qa's rule. Each line of this table
# holds the marker itself, since the samples must spell the scheme out and this file is checked too.
SAMPLES = [
    ("destination_ontraport/x.py", 'URL = "http://api.example.com"', True),  # ignore-https-check
    ("docs/x.md", "Use HTTP://example.com", True),  # ignore-https-check: lower-cased first
    ("x.py", 'URL = "http://127.0.0.1:1"  # ignore-https-check: a sandbox', False),
    ("x.py", "    # see http://example.com", False),  # ignore-https-check: a comment line
    ("x.json", '{"$schema": "http://json-schema.org/draft-07/schema#"}', False),  # ignore-https-check
    ("x.json", '{"api_url": "http://localhost:8765/1"}', False),  # ignore-https-check
    ("x.json", '{"api_url": "http://127.0.0.1:8765/1"}', True),  # ignore-https-check
    ("integration_tests/x.py", '"http://127.0.0.1"', False),  # ignore-https-check: a test folder
    ("icon.svg", '<svg xmlns="http://www.w3.org/2000/svg">', False),  # ignore-https-check
    ("x.md", "    <!-- http://x -->", False),  # ignore-https-check: a comment line
    ("x.md", "text <!-- http://x -->", True),  # ignore-https-check: only a line that starts with it
]


def test_the_rule_catches_what_connectors_qa_catches_and_spares_what_it_spares() -> None:
    for path, line, counted in SAMPLES:
        assert bool(http_lines(PurePosixPath(path), line)) is counted, (path, line)
