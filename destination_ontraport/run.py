"""Console entry point (`destination-ontraport`), used by the Docker image and by `main.py`."""

from __future__ import annotations

import sys

from destination_ontraport.destination import DestinationOntraport


def run() -> None:
    DestinationOntraport().run(sys.argv[1:])


__all__ = ["run"]
