"""`spec.json` at the root is generated (`python -m destination_ontraport.spec_file`), not written by
hand: it must be what the config model gives today, or the published spec and the connector's differ
(integration_tests/test_spec_check.py compares it with what `main.py spec` prints as well)."""

from __future__ import annotations

import json
from pathlib import Path

from destination_ontraport.config import connection_specification

ROOT = Path(__file__).resolve().parent.parent


def test_the_published_spec_json_is_generated_from_the_model() -> None:
    published = json.loads((ROOT / "spec.json").read_text(encoding="utf-8"))
    assert published["connectionSpecification"] == connection_specification(), (
        "spec.json is stale: regenerate it with `python -m destination_ontraport.spec_file`"
    )
