"""`python -m destination_ontraport.spec_file` rewrites the published `spec.json` from the config model."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from airbyte_cdk.models import ConnectorSpecificationSerializer

from destination_ontraport.destination import DestinationOntraport

SPEC_PATH = Path(__file__).resolve().parent.parent / "spec.json"


def render() -> str:
    spec = DestinationOntraport().spec(logging.getLogger("airbyte"))
    return json.dumps(ConnectorSpecificationSerializer.dump(spec), indent=2) + "\n"


if __name__ == "__main__":
    SPEC_PATH.write_text(render())
    print(f"wrote {SPEC_PATH}")
