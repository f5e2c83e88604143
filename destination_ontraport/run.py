"""Console entry point (`destination-ontraport`), used by the Docker image and by `main.py`."""

from __future__ import annotations

import sys

OWN_PACKAGE = "destination_ontraport"


def run() -> None:
    """`spec` alone prints the specification without importing airbyte-cdk (see spec.py); every
    other command line goes to the CDK's argument parsing and DestinationOntraport.

    `python main.py check ...` with a Python that lacks the dependencies (the system's, not the
    project's `.venv`) would end in a traceback about `airbyte_cdk`, while `spec` works: a person
    reading the README cannot tell what is wrong. One line says it instead, and the exit code is 1."""
    try:
        _dispatch(sys.argv[1:])
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").split(".")[0]
        if not missing or missing == OWN_PACKAGE:
            raise  # our own module missing is a bug, not a set-up step
        sys.stderr.write(missing_dependency_message(missing) + "\n")
        sys.exit(1)


def missing_dependency_message(module: str) -> str:
    return (
        f"destination-ontraport: the Python at {sys.executable} lacks the connector's dependencies "
        f"(no module named {module!r}). Run `make venv` in the repository, then use "
        "`.venv/bin/python main.py ...` (or the `destination-ontraport` command of an installed "
        "package)."
    )


def _dispatch(args: list[str]) -> None:
    if args == ["spec"]:
        from destination_ontraport.spec import print_spec_message

        print_spec_message()
        return
    from destination_ontraport.destination import DestinationOntraport

    DestinationOntraport().run(args)


__all__ = ["missing_dependency_message", "run"]
