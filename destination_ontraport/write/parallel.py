"""Several requests in flight, so that slow answers do not waste the rate budget, and no request
left running behind an error."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

PROGRESS_POLL_SECONDS = 5.0


class Workers:
    """One thread pool per writer; `map` keeps the progress line coming while requests are slow."""

    def __init__(self, size: int, progress: Callable[[], None] = lambda: None) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max(size, 1), thread_name_prefix="ontraport")
        self._progress = progress

    def map(self, work: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """Every result (in no particular order); the first failure is raised only after every call
        settled."""
        return self.gather([self._pool.submit(work, item) for item in items])

    def gather(self, futures: Sequence[Future[R]]) -> list[R]:
        results: list[R] = []
        failure: BaseException | None = None
        remaining: set[Future[R]] = set(futures)
        while remaining:
            # the wait gives up after the timeout even when nothing finished (a slow answer, a paced
            # wait); waiting again then keeps the progress line coming on long syncs
            done, remaining = wait(remaining, timeout=PROGRESS_POLL_SECONDS)
            self._progress()
            for future in done:
                exc = future.exception()
                if exc is not None:
                    failure = failure or exc
                else:
                    results.append(future.result())
        if failure is not None:
            raise failure
        return results

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
