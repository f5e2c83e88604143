"""Airbyte destination that syncs records into Ontraport contacts."""

from destination_ontraport.destination import DestinationOntraport

__all__ = ["DestinationOntraport"]
