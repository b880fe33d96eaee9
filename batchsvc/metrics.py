"""Prometheus metrics: workers count into Redis as chunks commit; the API reads Redis at scrape time.

Workers are separate processes (on any machine), so no in-process registry could add them up:
the counters and histogram buckets live in Redis and a custom collector turns them into families.
"""

import time

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from .broker import QUEUE
from .status import JobStatus

CHUNK_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
WORKER_ALIVE_S = 10
ROWS_SCORED = "rows_scored"
CHUNK_SECONDS = "chunk_seconds"
QUEUES = (QUEUE, f"{QUEUE}.DQ")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def record_chunk(svc, rows: int, seconds: float) -> None:
    """Count a newly committed chunk's rows and its duration (one round trip)."""
    bucket = next((str(b) for b in CHUNK_BUCKETS_S if seconds <= b), "+Inf")
    histogram = svc.keys.metric_histogram(CHUNK_SECONDS)
    with svc.redis.pipeline(transaction=False) as p:
        p.incrby(svc.keys.metric_counter(ROWS_SCORED), rows)
        p.hincrby(histogram, bucket, 1)
        p.hincrbyfloat(histogram, "sum", seconds)
        p.execute()


class RedisCollector:
    """Reads every family from Redis in one pipelined round trip per scrape."""

    def __init__(self, svc):
        self.svc = svc

    def collect(self):
        k, states = self.svc.keys, [s.value for s in JobStatus]
        with self.svc.redis.pipeline(transaction=False) as p:
            for state in states:
                p.zcard(k.jobs_by_status(state))
            p.get(k.metric_counter(ROWS_SCORED))
            p.hgetall(k.metric_histogram(CHUNK_SECONDS))
            for queue in QUEUES:
                p.llen(k.dramatiq_queue(queue))
            p.zrange(k.worker_heartbeats(), 0, -1, withscores=True)
            found = p.execute()
        counts, rows, histogram = found[:len(states)], found[len(states)], found[len(states) + 1]
        depths, beats = found[len(states) + 2:-1], found[-1]
        yield _labelled(GaugeMetricFamily("batchsvc_jobs", "Jobs by state", labels=["state"]), zip(states, counts))
        yield CounterMetricFamily("batchsvc_rows_scored", "Rows scored by committed chunks", value=int(rows or 0))
        yield _histogram(histogram)
        yield _labelled(GaugeMetricFamily("batchsvc_queue_depth", "Messages waiting in the Dramatiq queue",
                                          labels=["queue"]), zip(QUEUES, depths))
        yield from _workers(beats)


def _labelled(family, pairs):
    for label, value in pairs:
        family.add_metric([label], value)
    return family


def _histogram(raw: dict) -> HistogramMetricFamily:
    """Per-bucket counts from Redis, made cumulative as Prometheus wants them."""
    buckets, total = [], 0
    for bound in (*(str(b) for b in CHUNK_BUCKETS_S), "+Inf"):
        total += int(raw.get(bound, 0))
        buckets.append((bound, total))
    return HistogramMetricFamily("batchsvc_chunk_duration_seconds", "Seconds to score one chunk",
                                 buckets=buckets, sum_value=float(raw.get("sum", 0)))


def _workers(beats: list[tuple[str, float]]):
    cutoff = time.time() - WORKER_ALIVE_S
    live = GaugeMetricFamily("batchsvc_workers_live", f"Worker processes with a heartbeat in the last "
                                                      f"{WORKER_ALIVE_S} s")
    live.add_metric([], sum(1 for _, at in beats if at >= cutoff))
    last = GaugeMetricFamily("batchsvc_worker_last_heartbeat_timestamp_seconds",
                             "Unix time of each worker process's last heartbeat", labels=["worker"])
    for worker, at in beats:
        last.add_metric([worker], at)
    yield live
    yield last


def exposition(svc) -> bytes:
    """The Prometheus text for one scrape."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RedisCollector(svc))
    return generate_latest(registry)
