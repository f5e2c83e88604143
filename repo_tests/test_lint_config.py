"""Ruff keeps the code's size in check: the complexity rules stay on at their limits, nothing is
excused from them or from the line length, file by file or line by line.

A function over the limits is split along its seams; raising a limit, ignoring a rule for a folder or
a `noqa` on the line would let the next one grow unnoticed.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from repo_tests.test_api_notes import checkout_files

ROOT = Path(__file__).resolve().parent.parent
COMPLEXITY = {"PLR0911", "PLR0912", "PLR0913", "PLR0915"}
# the project's limits (HELPER_RULES: 7 parameters, 6 returns, 12 branches, 50 statements)
LIMITS = {"max-args": 7, "max-returns": 6, "max-branches": 12, "max-statements": 50}
EXCUSED = COMPLEXITY | {"E501", "C901"}
NOQA = re.compile(r"#\s*noqa\b:?([^#\n]*)", re.IGNORECASE)


def lint() -> dict[str, Any]:
    """pyproject.toml's [tool.ruff.lint]."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    lint_config: dict[str, Any] = config["tool"]["ruff"]["lint"]
    return lint_config


def excused_by_noqa(line: str) -> set[str]:
    """The complexity or line-length codes a `noqa` comment on `line` silences (a bare one: all)."""
    match = NOQA.search(line)
    if match is None:
        return set()
    codes = set(re.findall(r"[A-Z]+[0-9]+", match.group(1)))
    return (codes or EXCUSED) & EXCUSED


def test_the_complexity_rules_are_on_at_the_projects_limits() -> None:
    config = lint()
    assert {"PL", "E"} <= set(config["select"])
    assert COMPLEXITY.isdisjoint(config["ignore"])
    pylint = config.get("pylint", {})
    for name, limit in LIMITS.items():
        assert pylint.get(name, limit) <= limit, f"{name} raised to {pylint[name]}"


def test_no_folder_or_file_is_excused_from_them_or_the_line_length() -> None:
    per_file = lint().get("per-file-ignores", {})
    assert {pattern: sorted(EXCUSED & set(codes)) for pattern, codes in per_file.items()} == {
        pattern: [] for pattern in per_file
    }


def test_no_line_is_excused_from_them_by_noqa() -> None:
    here = Path(__file__).resolve()
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in checkout_files()
        if path.suffix == ".py" and path != here and path.is_file()
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if excused_by_noqa(line)
    ]
    assert found == []


def test_the_noqa_check_sees_an_excuse() -> None:
    assert excused_by_noqa("def f(a, b):  # noqa: PLR0913") == {"PLR0913"}
    assert excused_by_noqa("x = 1  # noqa: E501, S101") == {"E501"}
    assert excused_by_noqa("x = 1  # noqa") == EXCUSED
    assert excused_by_noqa("import boto3  # noqa: PLC0415 - lazy") == set()
    assert excused_by_noqa("x = 1") == set()
