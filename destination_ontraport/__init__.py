"""Airbyte destination that syncs records into Ontraport contacts.

`DestinationOntraport` is imported on first use, so that importing a light module of this package
(`config`, `spec`) does not import airbyte-cdk.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from destination_ontraport.destination import DestinationOntraport


def __getattr__(name: str) -> Any:
    if name == "DestinationOntraport":
        from destination_ontraport.destination import DestinationOntraport

        return DestinationOntraport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["DestinationOntraport"]
