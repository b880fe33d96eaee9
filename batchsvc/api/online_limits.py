"""Limits that shed load: an online request past its deployment's limits is refused at once (429 with
Retry-After) or answered 504 at its timeout, never left to queue without bound.

Every dialect's scoring route calls `run_limited` with the deployment's record (or a bare model reference)
and the blocking scoring call. Limits hold per API process: `max_concurrency` requests score at once,
`max_queue` more wait for a slot, and `timeout_ms` bounds the wait and the scoring together. A request that runs
out of time gets its 504 at once; its thread cannot be stopped, so it keeps its slot until it finishes, and its
result is dropped. 429s and 504s are counted in Redis for /metrics.
"""

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import redis
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from batchsvc.errors import OverCapacity, ScoringTimeout
from batchsvc.settings import Settings
from batchsvc.storage.counters import ONLINE_SHED

T = TypeVar("T")
RETRY_AFTER_S = 1  # what a 429 tells the client to wait: slots free as fast as requests score (milliseconds)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    max_concurrency: int
    max_queue: int
    timeout_ms: int


def limits_for(record: dict | None, settings: Settings) -> Limits:
    """A deployment's own limits, each one it leaves out taken from the server-wide BATCHSVC_ONLINE_* settings."""
    own = (record or {}).get("limits") or {}
    return Limits(own.get("max_concurrency") or settings.online_max_concurrency,
                  own["max_queue"] if own.get("max_queue") is not None else settings.online_max_queue,
                  own.get("timeout_ms") or settings.online_timeout_ms)


@dataclass
class Gate:
    """One deployment's slots in this process; touched only on the event loop's thread."""
    running: int = 0
    waiters: deque[asyncio.Future] = field(default_factory=deque)

    def try_enter(self, limits: Limits) -> bool:
        if self.running < limits.max_concurrency and not self.waiters:
            self.running += 1
            return True
        return False

    def leave(self) -> None:
        """A finished request's slot goes to the oldest waiter still waiting, else back to the pool."""
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.running -= 1


async def run_limited(request: Request, target: str | dict, call: Callable[[], T]) -> T:
    """`call()` in the thread pool within the limits of `target`: a deployment's record (its limits, its slots)
    or a model reference (the server's default limits, slots of its own), as score_online takes them."""
    record = target if isinstance(target, dict) else None
    key = f"deployment {record['name']!r}" if record else f"model {target!r}"
    limits = limits_for(record, request.app.state.services.settings)
    gates: dict[str, Gate] = request.app.state.gates
    gate = gates.setdefault(key, Gate())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limits.timeout_ms / 1000
    try:
        await _enter(gate, limits, deadline, key)
    except (OverCapacity, ScoringTimeout) as exc:
        await _count(request, exc)
        raise

    def release() -> None:
        gate.leave()
        if not gate.running and not gate.waiters and gates.get(key) is gate:
            del gates[key]

    task = asyncio.ensure_future(run_in_threadpool(call))
    task.add_done_callback(lambda _: release())
    done, _ = await asyncio.wait({task}, timeout=max(0.0, deadline - loop.time()))
    if task in done:
        return task.result()
    task.add_done_callback(_drop)
    timed_out = _timeout(key, limits)
    await _count(request, timed_out)
    raise timed_out


async def _enter(gate: Gate, limits: Limits, deadline: float, key: str) -> None:
    """Take a slot now, or wait for one in the bounded queue until the deadline."""
    if gate.try_enter(limits):
        return
    if len(gate.waiters) >= limits.max_queue:
        raise OverCapacity(f"{key} is at its limits: {limits.max_concurrency} requests scoring "
                           f"(max_concurrency) and {limits.max_queue} waiting (max_queue); retry after "
                           f"{RETRY_AFTER_S} s", retry_after_s=RETRY_AFTER_S)
    loop = asyncio.get_running_loop()
    waiter = loop.create_future()
    gate.waiters.append(waiter)
    try:
        await asyncio.wait({waiter}, timeout=max(0.0, deadline - loop.time()))
    except asyncio.CancelledError:  # the client went away while it waited
        if waiter.done():
            gate.leave()  # the slot it was just handed goes on to the next
        else:
            gate.waiters.remove(waiter)
        raise
    if not waiter.done():
        gate.waiters.remove(waiter)
        raise _timeout(key, limits)


def _timeout(key: str, limits: Limits) -> ScoringTimeout:
    return ScoringTimeout(f"{key} did not answer within its timeout_ms of {limits.timeout_ms} ms; the request "
                          "was given up", timeout_ms=limits.timeout_ms)


def _drop(task: asyncio.Future) -> None:
    """A timed-out request's late result (or error) is dropped: retrieved, so asyncio does not warn about it."""
    if not task.cancelled():
        task.exception()


async def _count(request: Request, exc: Exception) -> None:
    """Count a 429 or a 504 for /metrics; a Redis that does not answer costs the count, not the answer."""
    status = "429" if isinstance(exc, OverCapacity) else "504"
    svc = request.app.state.services
    try:
        await request.app.state.aredis.hincrby(svc.keys.metric_counter(ONLINE_SHED), status, 1)
    except redis.RedisError as err:
        log.warning("could not count a %s in Redis: %s", status, err)
