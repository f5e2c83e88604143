"""Console entry point (`destination-ontraport`), used by the Docker image and by `main.py`."""

from __future__ import annotations

import sys


def run() -> None:
    """`spec` alone prints the specification without importing airbyte-cdk (see spec.py); every
    other command line goes to the CDK's argument parsing and DestinationOntraport."""
    args = sys.argv[1:]
    if args == ["spec"]:
        from destination_ontraport.spec import print_spec_message

        print_spec_message()
        return
    from destination_ontraport.destination import DestinationOntraport

    DestinationOntraport().run(args)


__all__ = ["run"]
