"""The request counts the user's page gives for the connection test and for discover, measured
against the sandbox under each behaviour of the read path that changes them (docs/ontraport.md,
"Setup guide", step 5). A change that costs another request must change the page too."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from integration_tests.harness import config_for, run_connector
from ontraport_sandbox.testing import SandboxHandle

DOCS = Path(__file__).resolve().parent.parent / "docs" / "ontraport.md"


def step_five() -> str:
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(
        r"^5\. Click \*\*Set up destination\*\*\.(.*?)(?=^\S)", text, flags=re.MULTILINE | re.DOTALL
    )
    assert match, "docs/ontraport.md: no step 5 in the setup guide"
    return " ".join(match.group(1).split())


@pytest.mark.parametrize(
    ("account", "switches", "documented"),
    [
        ("holds contacts", {}, "**4 requests** on an account that holds contacts"),
        ("empty", {}, "3 on an empty one"),
        ("holds contacts", {"text_case": "sensitive"}, "6 where lookups compare case or need `ids=0`"),
        (
            "holds contacts",
            {"condition_without_ids": "nothing"},
            "6 where lookups compare case or need `ids=0`",
        ),
        (
            "holds contacts",
            {"text_case": "sensitive", "condition_without_ids": "nothing"},
            "8 where both hold",
        ),
    ],
)
def test_the_connection_test_costs_what_the_docs_say(
    sandbox: SandboxHandle, account: str, switches: dict[str, str], documented: str
) -> None:
    sandbox.configure(**switches)
    if account == "holds contacts":
        sandbox.seed([{"email": "ann@example.com"}])
    status = run_connector("check", config_for(sandbox.url)).connection_status()
    assert status == {"status": "SUCCEEDED"}, status
    stats = sandbox.stats()
    assert stats["write_requests"] == 0
    requests = stats["total_requests"]
    assert documented in step_five(), f"the docs no longer say {documented!r}"
    figure = re.match(r"\**(\d+)", documented)
    assert figure is not None
    assert int(figure.group(1)) == requests, (
        f"check cost {requests} requests ({stats['by_route']}) where the docs say {documented!r}"
    )


def test_discover_costs_what_the_docs_say(sandbox: SandboxHandle) -> None:
    run = run_connector("discover", config_for(sandbox.url))
    assert run.returncode == 0
    assert sandbox.stats()["total_requests"] == 2
    assert "`discover` costs 2 requests" in step_five()
