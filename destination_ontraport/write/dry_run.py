"""A dry run, decided once.

`SyncJob` makes the one `DryRun` of a sync when the config says `dry_run`, and hands it (None in a
real sync) to the parts that act differently, each of which asks once, where it is built: a writer
picks the executor that only describes its plan (`DryRunExecutor`) and remembers nothing of records
it did not write; the tag book creates no tag; the remover sends nothing (it still counts removals
against the guard, so a dry run says when a sync would stop); the message loop withholds every STATE
(the next real sync must send these records again); no bucket is opened; the summary says what the
sync would have done, with these examples.
"""

from __future__ import annotations

DRY_RUN_EXAMPLES = 10


class DryRun:
    """What a dry run would do, as examples for the summary: the first DRY_RUN_EXAMPLES creates,
    updates (with their changes) and removals the writers planned, then the leftovers a full refresh
    would remove."""

    def __init__(self) -> None:
        self.examples: list[str] = []

    @property
    def described_enough(self) -> bool:
        """The writers' plans are described no further once this many examples are listed."""
        return len(self.examples) >= DRY_RUN_EXAMPLES


__all__ = ["DRY_RUN_EXAMPLES", "DryRun"]
