"""/metrics: the counters workers keep in Redis (storage/counters.py), as Prometheus families, and the Redis
failovers this API process has followed (storage/connect.py)."""

import time

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from batchsvc.storage.counters import CHUNK_BUCKETS_S, Counters, Snapshot
from batchsvc.storage.workers import WORKER_ALIVE_S

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
SHED_STATUSES = ("429", "504")


class RedisCollector:
    """Turns one Redis snapshot per scrape into metric families."""

    def __init__(self, counters: Counters, failovers_seen: int, captures_dropped: int = 0, long_polls_held: int = 0):
        self.counters, self.failovers_seen, self.captures_dropped = counters, failovers_seen, captures_dropped
        self.long_polls_held = long_polls_held

    def collect(self):
        snap = self.counters.snapshot()
        yield _labelled(GaugeMetricFamily("batchsvc_jobs", "Jobs by state", labels=["state"]),
                        snap.jobs_by_state.items())
        yield CounterMetricFamily("batchsvc_rows_scored", "Rows scored by committed chunks", value=snap.rows_scored)
        yield _histogram(snap)
        yield _labelled(GaugeMetricFamily("batchsvc_queue_depth", "Messages waiting in the Dramatiq queue",
                                          labels=["queue"]), snap.queue_depths.items())
        yield from _workers(snap.heartbeats)
        yield _labelled(CounterMetricFamily("batchsvc_online_shed", "Online requests shed by their deployment's "
                                            "limits: refused (429) or timed out (504)", labels=["status"]),
                        ((status, int(snap.online_shed.get(status, 0))) for status in SHED_STATUSES))
        yield CounterMetricFamily("batchsvc_redis_failovers_seen", "Changes of Redis primary this API process has "
                                  "followed (Sentinel)", value=self.failovers_seen)
        yield CounterMetricFamily("batchsvc_captures_dropped", "Captured requests this API process dropped: its "
                                  "buffer full or the store failing (storage/captures.py)", value=self.captures_dropped)
        yield GaugeMetricFamily("batchsvc_long_polls_held", "GET /v1/jobs/{id}?wait= requests this API process holds "
                                "now (api/job_waits.py)", value=self.long_polls_held)


def _labelled(family, pairs):
    for label, value in pairs:
        family.add_metric([label], value)
    return family


def _histogram(snap: Snapshot) -> HistogramMetricFamily:
    """Per-bucket counts from Redis, made cumulative as Prometheus wants them."""
    raw, buckets, total = snap.chunk_histogram, [], 0
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


def exposition(counters: Counters, failovers_seen: int = 0, captures_dropped: int = 0,
               long_polls_held: int = 0) -> bytes:
    """The Prometheus text for one scrape."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RedisCollector(counters, failovers_seen, captures_dropped, long_polls_held))
    return generate_latest(registry)
