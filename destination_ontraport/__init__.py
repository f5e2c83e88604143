"""Airbyte destination that syncs records into Ontraport contacts.

`DestinationOntraport` is imported on first use, so that importing a light module of this package
(`config`, `spec`) does not import airbyte-cdk.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

# airbyte-cdk imports requests_cache, which imports boto3 at start-up whenever it is installed, only to
# offer a DynamoDB cache backend this connector never uses (about 0.1 s of CPU in every run and test
# subprocess). boto3 is here for the rejected-records bucket and is imported when a bucket is used.
sys.modules.setdefault("requests_cache.backends.dynamodb", None)  # type: ignore[arg-type]

if TYPE_CHECKING:
    from destination_ontraport.destination import DestinationOntraport


def __getattr__(name: str) -> Any:
    if name == "DestinationOntraport":
        from destination_ontraport.destination import DestinationOntraport

        return DestinationOntraport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["DestinationOntraport"]
