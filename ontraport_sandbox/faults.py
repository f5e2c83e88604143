"""Fault injection: the failures a real network and a busy API produce.

The connector must survive 5xx answers, dropped connections and very slow responses, and must
treat a write whose response was lost as possibly applied. "before" faults leave the store
untouched, "after" faults happen once the request took effect, which is exactly the ambiguous
case a client cannot tell apart from the outside. Draws come from one seeded generator so that a
test run with a fixed seed is reproducible.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .settings import Settings

FaultKind = Literal["5xx", "drop", "slow"]
FaultPhase = Literal["before", "after"]


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    phase: FaultPhase


class FaultInjector:
    def __init__(self, seed: int | None) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)

    def reseed(self, seed: int | None) -> None:
        with self._lock:
            self._rng = random.Random(seed)

    def draw(self, settings: Settings) -> Fault | None:
        total = settings.fault_rate_5xx + settings.fault_rate_drop + settings.fault_rate_slow
        if total <= 0:
            return None
        with self._lock:
            roll = self._rng.random()
            kind: FaultKind
            if roll < settings.fault_rate_5xx:
                kind = "5xx"
            elif roll < settings.fault_rate_5xx + settings.fault_rate_drop:
                kind = "drop"
            elif roll < total:
                kind = "slow"
            else:
                return None
            return Fault(kind, self._phase(settings))

    def draw_save_failed(self, settings: Settings) -> FaultPhase | None:
        """Whether this saveorupdate answers `Save failed!` (the `save_failed_rate` switch), and
        whether the save happened first (`fault_phase`). Draws nothing at rate 0, so a seeded
        run without the switch sees the same sequence as before the switch existed."""
        if settings.save_failed_rate <= 0:
            return None
        with self._lock:
            if self._rng.random() >= settings.save_failed_rate:
                return None
            return self._phase(settings)

    def _phase(self, settings: Settings) -> FaultPhase:
        """The caller holds the lock."""
        if settings.fault_phase == "random":
            return "before" if self._rng.random() < 0.5 else "after"
        return "after" if settings.fault_phase == "after" else "before"

    def latency_seconds(self, settings: Settings) -> float:
        low, high = settings.latency_ms
        if high <= 0:
            return 0.0
        if low == high:
            return low / 1000.0
        with self._lock:
            return self._rng.uniform(low, high) / 1000.0
