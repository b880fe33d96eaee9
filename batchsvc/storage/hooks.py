"""The webhook outbox: deliveries due, in one sorted set scored by due time (Unix ms).

A finished job whose `notify_on` names its new status is added by the very script that finishes it
(storage/jobs.py), so no finished job misses its hook. A delivery is claimed by pushing its due time past the
attempt's limit, so one that dies mid-attempt (its worker killed) is tried again; it leaves the set only
when delivered or given up. Delivery is therefore at least once: the body carries an id to deduplicate on.
"""

import time
from typing import cast

import redis

from batchsvc.storage.redis_keys import Keys

# KEYS: hooks due.  ARGV: now (ms), claimed until (ms), how many.  The due ones, each pushed to claimed-until.
_CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, item in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[2], item) end
return due
"""


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class HookOutbox:
    def __init__(self, client: redis.Redis, keys: Keys):
        self.r, self.key = client, keys.hooks_due()
        self._claim = client.register_script(_CLAIM)

    def claim(self, limit: int, hold_ms: int) -> list[tuple[str, str, int]]:
        """Up to `limit` due deliveries as (job id, event, attempt), each held for hold_ms before it is due again."""
        now = _now_ms()
        items = cast(list[str], self._claim(keys=[self.key], args=[now, now + hold_ms, limit]))
        return [_split(item) for item in items]

    def queue(self, job_id: str, event: str, after_ms: int = 0) -> None:
        """A delivery of an event no status change queues (a job's `drift`), due after_ms from now; queued
        again before its first attempt, it stays one delivery."""
        self.r.zadd(self.key, {_item(job_id, event, 1): _now_ms() + after_ms}, nx=True)

    def retry(self, job_id: str, event: str, attempt: int, after_ms: int) -> None:
        """Replace the delivery by its next attempt, due after_ms from now."""
        with self.r.pipeline() as p:
            p.zrem(self.key, _item(job_id, event, attempt))
            p.zadd(self.key, {_item(job_id, event, attempt + 1): _now_ms() + after_ms})
            p.execute()

    def done(self, job_id: str, event: str, attempt: int) -> None:
        """The delivery was answered 2xx or given up: it is never tried again."""
        self.r.zrem(self.key, _item(job_id, event, attempt))


def _item(job_id: str, event: str, attempt: int) -> str:
    return f"{job_id}|{event}|{attempt}"


def _split(item: str) -> tuple[str, str, int]:
    job_id, event, attempt = item.split("|")
    return job_id, event, int(attempt)
