"""The problems the model and the layers above it raise for a person to act on, kept low so that
every layer can raise them without importing `failures.py` (which classifies them for Airbyte).

- `MappingConfigError`: the config names a field the account does not have, or maps one it cannot.
- `ConfigProblem`: any other setting to change (a sync mode, a removal over the guard, a tag).
- `RecordRejected`: one record cannot be written; the sync goes on and counts it.
"""

from __future__ import annotations


class ConfigProblem(Exception):
    """A setting the user must change (e.g. an unsupported sync mode, a removal over the guard)."""


class MappingConfigError(ValueError):
    """The config names a field the account does not have; the message lists the nearest valid fields."""


class RecordRejected(Exception):
    """A record that cannot be written; `reason` is a plain sentence naming the field and the value's problem
    (never the whole value when it is long: at most ~80 chars of it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


__all__ = ["ConfigProblem", "MappingConfigError", "RecordRejected"]
