"""The connector's specification as plain data, importable without airbyte-cdk.

`destination-ontraport spec` (and `python main.py spec`) prints the SPEC message from here and
returns: importing airbyte-cdk costs 2.5-3 s of CPU (its `__init__` imports the whole CDK), which a
command that only describes the connector need not pay. `DestinationOntraport.spec()` builds the
CDK's ConnectorSpecification from the same data (a test compares the two outputs).
"""

from __future__ import annotations

import sys
from typing import Any

import orjson

from destination_ontraport.config import connection_specification

DOCUMENTATION_URL = "https://docs.airbyte.com/integrations/destinations/ontraport"
# The destination sync modes the connector accepts (streams.SUPPORTED_MODES holds them as the
# protocol's enum).
SUPPORTED_MODE_NAMES = ("overwrite", "append", "append_dedup", "update", "soft_delete")


def specification() -> dict[str, Any]:
    """The `spec` of the SPEC message, as Airbyte's serializer writes it."""
    return {
        "documentationUrl": DOCUMENTATION_URL,
        "connectionSpecification": connection_specification(),
        "supportsIncremental": True,
        "supportsNormalization": False,
        "supportsDBT": False,
        "supported_destination_sync_modes": list(SUPPORTED_MODE_NAMES),
    }


def print_spec_message() -> None:
    sys.stdout.write(orjson.dumps({"type": "SPEC", "spec": specification()}).decode() + "\n")
    sys.stdout.flush()
