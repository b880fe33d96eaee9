"""Worker heartbeats in Redis: which worker processes are alive, for /readyz, /metrics and the reconciler."""

import time
from typing import cast

import redis

from batchsvc.storage.redis_keys import Keys

WORKER_ALIVE_S = 10
FORGET_SILENT_WORKER_S = 3600


class WorkerRegistry:
    """One sorted set: worker name -> the Unix time of its last heartbeat."""

    def __init__(self, client: redis.Redis, keys: Keys):
        self.r, self.key = client, keys.worker_heartbeats()

    def beat(self, name: str) -> None:
        """Say this process is alive, and forget processes silent for an hour (restarts leave their names)."""
        now = time.time()
        with self.r.pipeline(transaction=False) as p:
            p.zadd(self.key, {name: now})
            p.zremrangebyscore(self.key, "-inf", now - FORGET_SILENT_WORKER_S)
            p.execute()

    def live(self, within_s: float = WORKER_ALIVE_S) -> list[str]:
        """Names of the workers with a heartbeat in the last within_s seconds."""
        names = self.r.zrangebyscore(self.key, time.time() - within_s, "+inf")
        return cast(list[str], names)  # decode_responses=True: members are str

    def live_count(self, within_s: float = WORKER_ALIVE_S) -> int:
        return self.r.zcount(self.key, time.time() - within_s, "+inf")

    def all(self) -> list[tuple[str, float]]:
        """Every known worker with its last heartbeat."""
        scored = self.r.zrange(self.key, 0, -1, withscores=True)
        return cast(list[tuple[str, float]], scored)  # decode_responses=True: members are str
