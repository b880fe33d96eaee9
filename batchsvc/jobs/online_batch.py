"""Adaptive batching of online scoring: concurrent requests for one model version scored in one engine call.

Scoring runs in Starlette's thread pool, so the batcher is made of threads. The first request for a key opens a
batch and leads it: it waits (under a Condition) until the batch holds `max_batch_size` rows or `max_wait_us`
have passed, while requests arriving meanwhile join it and wait for their share. The leader scores every item in
one call, hands each item its own result and wakes the others. If the batched call fails, each item is scored
alone, so each gets its own outcome. A leader alone in flight for its key does not wait: a lone client pays
nothing. Pure of HTTP: the caller says what an item is and how a list of them is scored.
"""

import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")
US_PER_S = 1_000_000


@dataclass(frozen=True)
class BatchPolicy:
    """How much one engine call may take (rows) and how long a leader waits for more (microseconds)."""
    max_batch_size: int
    max_wait_us: int


@dataclass
class Outcome(Generic[R]):
    """One item's result (or its own error) and how many items its engine call scored."""
    value: R | None
    error: BaseException | None
    batch: int


@dataclass
class _Batch:
    cond: threading.Condition
    items: list = field(default_factory=list)
    rows: int = 0
    outcomes: list[Outcome] | None = None


class Batcher:
    """Batches per key (the model version and engine that score); one per API process, shared by its threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[Hashable, _Batch] = {}
        self._inflight: Counter[Hashable] = Counter()

    def score(self, key: Hashable, item: T, rows: int, policy: BatchPolicy,
              score_many: Callable[[list[T]], list[R]]) -> Outcome[R]:
        """`item` scored, alone or with others of the same key: `score_many` takes items and returns one result
        per item, in order. The outcome carries the item's own error rather than raising it."""
        with self._lock:
            self._inflight[key] += 1
        try:
            batch, index, leader = self._join(key, item, rows, policy)
            if leader:
                self._lead(batch, score_many)
            else:
                with self._lock:
                    while batch.outcomes is None:
                        batch.cond.wait()
            assert batch.outcomes is not None
            return batch.outcomes[index]
        finally:
            with self._lock:
                self._inflight[key] -= 1
                if not self._inflight[key]:
                    del self._inflight[key]

    def _lead(self, batch: _Batch, score_many: Callable[[list], list]) -> None:
        """Score the batch and wake the others; whatever stops the leader, they are woken with an outcome."""
        stopped = RuntimeError("the request leading this batch stopped before scoring it")
        outcomes: list[Outcome] = [Outcome(None, stopped, len(batch.items)) for _ in batch.items]
        try:
            outcomes = _run(batch.items, score_many)
        finally:
            with self._lock:
                batch.outcomes = outcomes
                batch.cond.notify_all()

    def _join(self, key: Hashable, item, rows: int, policy: BatchPolicy) -> tuple[_Batch, int, bool]:
        """The batch the item is in, its place there, and whether this thread leads it (waiting for followers)."""
        with self._lock:
            batch = self._open.get(key)
            if batch is not None and batch.rows + rows <= policy.max_batch_size:
                batch.items.append(item)
                batch.rows += rows
                if batch.rows >= policy.max_batch_size:
                    self._close(key, batch)
                return batch, len(batch.items) - 1, False
            if batch is not None:
                self._close(key, batch)  # it cannot take this item: it goes now, this item leads a new one
            batch = _Batch(threading.Condition(self._lock), [item], rows)
            if rows < policy.max_batch_size and self._inflight[key] > 1 and policy.max_wait_us > 0:
                self._open[key] = batch
                deadline = time.monotonic() + policy.max_wait_us / US_PER_S
                while self._open.get(key) is batch and (left := deadline - time.monotonic()) > 0:
                    batch.cond.wait(left)
                if self._open.get(key) is batch:
                    del self._open[key]
            return batch, 0, True

    def _close(self, key: Hashable, batch: _Batch) -> None:
        """No more items for this batch: its leader stops waiting (called with the lock held)."""
        if self._open.get(key) is batch:
            del self._open[key]
        batch.cond.notify_all()


def _run(items: list[T], score_many: Callable[[list[T]], list[R]]) -> list[Outcome[R]]:
    """Every item's outcome from one call; if that call fails (or a batch of one fails), each item on its own."""
    try:
        results = score_many(items)
        if len(results) != len(items):
            raise ValueError(f"{len(results)} results for {len(items)} items")
        return [Outcome(r, None, len(items)) for r in results]
    except Exception as exc:
        if len(items) == 1:
            return [Outcome(None, exc, 1)]
    return [_alone(item, score_many) for item in items]


def _alone(item: T, score_many: Callable[[list[T]], list[R]]) -> Outcome[R]:
    try:
        (result,) = score_many([item])
    except Exception as exc:
        return Outcome(None, exc, 1)
    return Outcome(result, None, 1)
