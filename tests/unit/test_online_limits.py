"""The limiter's bookkeeping on one event loop: slots go to waiters in order, a full queue refuses at once, a
waiter that times out or whose client goes away leaves no slot or queue place behind."""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest

from batchsvc.api.online_limits import run_limited
from batchsvc.errors import OverCapacity, ScoringTimeout
from batchsvc.settings import Settings
from batchsvc.storage.redis_keys import Keys


class CountingRedis:
    """Stands in for the async Redis client that counts 429s and 504s (not what these tests look at)."""

    async def hincrby(self, key: str, field: str, amount: int) -> None:
        pass


def request(limits: dict) -> SimpleNamespace:
    services = SimpleNamespace(settings=Settings(), keys=Keys("unit"))
    return SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(services=services, gates={},
                                                                     aredis=CountingRedis())))


DEPLOYMENT = {"name": "d", "limits": {"max_concurrency": 1, "max_queue": 2, "timeout_ms": 5_000}}


def blocked(release: threading.Event, value: str):
    def call() -> str:
        release.wait(10)
        return value
    return call


def run(scenario) -> None:
    """Run a scenario on a fresh event loop in a thread of its own (the suite may hold a loop in this one)."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, scenario()).result()


async def until(predicate) -> None:
    while not predicate():
        await asyncio.sleep(0)


def test_slots_go_to_waiters_in_order_and_a_full_queue_refuses_at_once():
    async def scenario():
        req, release = request({}), threading.Event()
        first = asyncio.ensure_future(run_limited(req, DEPLOYMENT, blocked(release, "a")))
        await until(lambda: req.app.state.gates)
        waiting = [asyncio.ensure_future(run_limited(req, DEPLOYMENT, lambda v=v: v)) for v in "bc"]
        await until(lambda: len(req.app.state.gates["deployment 'd'"].waiters) == 2)
        # When one more comes while one scores and two wait, Then it is refused without waiting
        with pytest.raises(OverCapacity) as refused:
            await run_limited(req, DEPLOYMENT, lambda: "d")
        assert refused.value.details == {"retry_after_s": 1}
        # When the slot frees, Then the waiters are served, and the gate is gone once idle
        release.set()
        assert [await first, *[await w for w in waiting]] == ["a", "b", "c"]
        await until(lambda: not req.app.state.gates)

    run(scenario)


def test_a_waiter_that_times_out_or_goes_away_leaves_nothing_behind():
    async def scenario():
        req, release = request({}), threading.Event()
        short = {**DEPLOYMENT, "limits": {**DEPLOYMENT["limits"], "timeout_ms": 50}}
        first = asyncio.ensure_future(run_limited(req, DEPLOYMENT, blocked(release, "a")))
        await until(lambda: req.app.state.gates)
        gate = req.app.state.gates["deployment 'd'"]
        # When one waiter times out and another's client goes away
        with pytest.raises(ScoringTimeout):
            await run_limited(req, short, lambda: "late")
        gone = asyncio.ensure_future(run_limited(req, DEPLOYMENT, lambda: "gone"))
        await until(lambda: len(gate.waiters) == 1)
        gone.cancel()
        await asyncio.gather(gone, return_exceptions=True)
        # Then neither keeps a queue place, and the slot comes back when the first ends
        assert not gate.waiters and gate.running == 1
        release.set()
        assert await first == "a"
        await until(lambda: not req.app.state.gates)
        assert await run_limited(req, DEPLOYMENT, lambda: "next") == "next"

    run(scenario)
