"""`destinationStats.rejectedRecordCount` on STATE messages, which airbyte-cdk 7.39.1 cannot carry.

The platform subtracts each STATE's `rejectedRecordCount` from the records it counts as committed and
shows it in the sync's statistics. The key exists from protocol models 0.18 on; airbyte-cdk 7.39.1
pins 0.17, whose `AirbyteStateStats` has only `recordCount` and whose serializer drops anything else.
So the count rides along on a subclass the serializer ignores, and `with_rejected_count` writes it
into the serialized message, the one place that knows both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airbyte_cdk.models import AirbyteMessage, AirbyteStateStats, Type


@dataclass
class StateStats(AirbyteStateStats):
    """`recordCount` as before, plus the rejected records among them (protocol 0.18's key name)."""

    rejectedRecordCount: float | None = None


def with_rejected_count(message: AirbyteMessage, payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` (the serialized `message`) with `state.destinationStats.rejectedRecordCount` added."""
    if message.type != Type.STATE or message.state is None:
        return payload
    stats = message.state.destinationStats
    if isinstance(stats, StateStats) and stats.rejectedRecordCount is not None:
        payload["state"].setdefault("destinationStats", {})["rejectedRecordCount"] = stats.rejectedRecordCount
    return payload
