"""Long polls woken over one pub/sub connection per API process: a pattern subscription to every job's done
channel, instead of a connection, SUBSCRIBE and UNSUBSCRIBE for each held request (a small job's wait paid all
three).

A held request registers its job before it reads the record, so a job that finishes after that read wakes it.
While the subscription is down the held requests fail (503, as a lost subscription always did), and new ones
wait for it up to LIVE_WAIT_S; when it is back every held request is woken to read its record again, since a
job may have finished while nobody listened.
"""

import asyncio
import contextlib
import logging
from collections.abc import Iterator

import redis
import redis.asyncio as aredis

from batchsvc.storage.redis_keys import Keys

log = logging.getLogger(__name__)
LIVE_WAIT_S = 5.0  # a new long poll waits this long for the subscription to be (back) up, then answers 503
RETRY_S = 0.5  # wait before subscribing again after the connection failed


class JobWaits:
    """Futures by job id, resolved when the job's done channel says it finished."""

    def __init__(self, client: aredis.Redis, keys: Keys):
        self.client, self.keys = client, keys
        self._waiters: dict[str, set[asyncio.Future]] = {}
        self._live = asyncio.Event()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def live(self) -> None:
        """Return once the subscription is up; redis.ConnectionError (a 503) when it stays down."""
        try:
            await asyncio.wait_for(self._live.wait(), LIVE_WAIT_S)
        except TimeoutError:
            raise redis.ConnectionError("the API's subscription to finished jobs is down") from None

    def held(self) -> int:
        """Requests held now (the /metrics gauge of this process)."""
        return sum(len(held) for held in self._waiters.values())

    def holding(self, job_id: str) -> bool:
        """Whether a request is held on the job now."""
        return bool(self._waiters.get(job_id))

    @contextlib.contextmanager
    def waiting(self, job_id: str) -> Iterator[asyncio.Future]:
        """A future that resolves when the job's done message arrives (or the subscription comes back)."""
        future = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(job_id, set()).add(future)
        try:
            yield future
        finally:
            if future.done() and not future.cancelled():
                future.exception()  # marks a lost subscription's error retrieved when this request never awaited it
            held = self._waiters.get(job_id)
            if held is not None:
                held.discard(future)
                if not held:
                    del self._waiters[job_id]

    async def _run(self) -> None:
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis gone or failing over: held requests answer 503, then resubscribe
                log.warning("long polls' subscription lost Redis (%s); subscribing again", exc)
                self._live.clear()
                self._settle(redis.ConnectionError(f"the API's subscription to finished jobs lost Redis: {exc}"))
            await asyncio.sleep(RETRY_S)

    async def _listen(self) -> None:
        async with self.client.pubsub() as pubsub:
            await pubsub.psubscribe(self.keys.job_done_pattern())
            async for message in pubsub.listen():
                if message["type"] == "psubscribe":
                    self._live.set()
                    self._settle(None)  # a finish may have gone unheard meanwhile: every held request reads again
                elif message["type"] == "pmessage":
                    for future in self._waiters.get(self.keys.job_of_done_channel(message["channel"]), ()):
                        if not future.done():
                            future.set_result(None)

    def _settle(self, error: Exception | None) -> None:
        """Wake every held request, with `error` (a 503) or to read its record again."""
        for held in self._waiters.values():
            for future in held:
                if future.done():
                    continue
                if error is None:
                    future.set_result(None)
                else:
                    future.set_exception(error)
