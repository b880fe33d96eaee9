"""Metric counters in Redis: workers count rows and chunk durations as chunks commit; the API reads them.

Workers are separate processes (on any machine), so no in-process registry could add them up: the
counters and histogram buckets live in Redis, read in one pipelined round trip per scrape.
"""

from dataclasses import dataclass

import redis

from batchsvc.status import JobStatus
from batchsvc.storage.redis_keys import QUEUES, Keys

CHUNK_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
ROWS_SCORED = "rows_scored"
CHUNK_SECONDS = "chunk_seconds"
ONLINE_SHED = "online_shed"  # hash: HTTP status (429, 504) -> online requests shed (api/online_limits.py)


@dataclass(frozen=True)
class Snapshot:
    """Everything one scrape shows, read at one moment."""
    jobs_by_state: dict[str, int]
    rows_scored: int
    chunk_histogram: dict[str, str]
    queue_depths: dict[str, int]
    heartbeats: list[tuple[str, float]]
    online_shed: dict[str, str]


def bucket_of(seconds: float) -> str:
    """The chunk-seconds histogram bucket a duration counts in."""
    return next((str(b) for b in CHUNK_BUCKETS_S if seconds <= b), "+Inf")


class Counters:
    def __init__(self, client: redis.Redis, keys: Keys):
        self.r, self.keys = client, keys

    def record_chunk(self, rows: int, seconds: float) -> None:
        """Count a newly committed chunk's rows and its duration (one round trip)."""
        bucket = bucket_of(seconds)
        histogram = self.keys.metric_histogram(CHUNK_SECONDS)
        with self.r.pipeline(transaction=False) as p:
            p.incrby(self.keys.metric_counter(ROWS_SCORED), rows)
            p.hincrby(histogram, bucket, 1)
            p.hincrbyfloat(histogram, "sum", seconds)
            p.execute()

    def snapshot(self) -> Snapshot:
        k, states = self.keys, [s.value for s in JobStatus]
        with self.r.pipeline(transaction=False) as p:
            for state in states:
                p.zcard(k.jobs_by_status(state))
            p.get(k.metric_counter(ROWS_SCORED))
            p.hgetall(k.metric_histogram(CHUNK_SECONDS))
            for queue in QUEUES:
                p.llen(k.dramatiq_queue(queue))
            p.zrange(k.worker_heartbeats(), 0, -1, withscores=True)
            p.hgetall(k.metric_counter(ONLINE_SHED))
            found = p.execute()
        n = len(states)
        return Snapshot(dict(zip(states, found[:n])), int(found[n] or 0), found[n + 1],
                        dict(zip(QUEUES, found[n + 2:-2])), found[-2], found[-1])
