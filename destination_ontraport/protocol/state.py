"""The STATE that goes back out: the message exactly as it arrived, plus `destinationStats`.

The Airbyte platform stamps every source STATE with an integer `id` (and `sourceStats`) before the
destination sees it and reads that `id` back from every STATE the destination emits
(airbyte-platform `worker/state/StateWithId.kt`, `getIdFromStateMessage`, which casts it to an
integer and throws when it is missing). airbyte-cdk 7.39.1's models drop keys they do not know, and
their `AirbyteStateStats` (protocol models 0.17) has no `rejectedRecordCount`; so the echo is built
on the JSON object itself, every key kept as it came (an integer stays an integer).

`destinationStats`: for each STATE the platform checks that `recordCount + rejectedRecordCount`
equals the records it forwarded since the previous STATE of that stream, and the STATE's
`sourceStats.recordCount` (`bookkeeping/StateCheckSumCountEventHandler.kt`, `validateStateChecksum`);
`recordCount` counts the records accepted (written, unchanged, superseded, skipped on purpose),
`rejectedRecordCount` those refused, which the platform subtracts from what it reports committed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def echoed_state(raw: Mapping[str, Any], accepted: int, rejected: int) -> dict[str, Any]:
    """`raw` (a STATE message as it arrived) with `state.destinationStats` set, nothing else changed."""
    state = dict(raw["state"])
    state["destinationStats"] = {"recordCount": float(accepted), "rejectedRecordCount": float(rejected)}
    return {**raw, "state": state}
