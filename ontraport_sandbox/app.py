"""The sandbox's state: one object shared by every request thread."""

from __future__ import annotations

import random
import sys
import threading
from typing import Any

from .faults import FaultInjector
from .meta import Meta, apply_document
from .ratelimit import RateLimiter
from .settings import Settings, updated
from .stats import Stats
from .store import Store
from .subscriptions import SubscriptionBook


class Sandbox:
    def __init__(self, settings: Settings, meta: Meta) -> None:
        self.settings = settings
        self.meta = meta
        self.store = Store(meta, random.Random(settings.seed))
        self.store.set_text_case(settings.text_case == "sensitive")
        self.limiter = RateLimiter()
        self.faults = FaultInjector(settings.seed)
        self.stats = Stats()
        self.subscriptions = SubscriptionBook()
        self._config_lock = threading.Lock()

    def configure(self, changes: dict[str, Any]) -> Settings:
        with self._config_lock:
            new = updated(self.settings, changes)
            if "seed" in changes:
                self.faults.reseed(new.seed)
                self.store.reseed(random.Random(new.seed))
            self.store.set_text_case(new.text_case == "sensitive")
            self.settings = new  # one reference swap: readers see the old or the new set
            return new

    def declare(self, document: Any) -> Meta:
        """Applies a meta document (the `--meta` shape) on top of the current schema: object
        types and fields are added, replaced or removed. Validated as a whole first."""
        with self._config_lock:
            new = apply_document(self.meta, document)
            with self.store.lock:
                self.store.set_meta(new)
                self.meta = new
            return new

    def reset(self) -> None:
        """Empties the account (every object type), the counters and the rate windows; keeps the
        configuration and the schema."""
        self.store.clear()
        self.subscriptions.reset()
        self.stats.reset()
        self.limiter.reset()
        self.faults.reseed(self.settings.seed)
        self.store.reseed(random.Random(self.settings.seed))

    def log(self, message: str) -> None:
        print(f"ontraport_sandbox: {message}", file=sys.stderr, flush=True)
