"""Deployment request logs and counters written in batches, off the request path.

An API process adds each request's entry to memory; a thread writes what gathered in one pipeline a few
milliseconds after the first entry of a batch arrived, and once more when the process stops. Until `start`
(workers, the CLI, tests that write directly) every entry is written at once, as before.
"""

import logging
import threading

import redis

from batchsvc.storage.background import BackgroundThread
from batchsvc.storage.deployments import DeploymentStore

log = logging.getLogger(__name__)

GATHER_S = 0.005  # how long a batch gathers after its first entry before one pipeline writes it
STOP_S = 10  # how long stop() waits for the thread's last write
MAX_PENDING = 50_000  # entries held while Redis does not answer; past it the oldest are dropped (and logged)


class RequestLog(BackgroundThread):
    thread_name = "request-log"

    def __init__(self, store: DeploymentStore):
        super().__init__()
        self.store = store
        self._pending: list[tuple[str, dict, dict | None]] = []
        self._lock = threading.Lock()

    def add(self, name: str, entry: dict, state: dict | None) -> None:
        """Log one request of deployment `name` (and the state it showed): soon, or now if not started."""
        if not self.started:
            self.store.record_request(name, entry, state)
            return
        with self._lock:
            self._pending.append((name, entry, state))
            if len(self._pending) > MAX_PENDING:
                del self._pending[0]
                log.warning("request log: Redis is behind; dropped the oldest unwritten entry")
        self._wake.set()

    def stop(self) -> None:
        """Write what is left, then write at once again."""
        self._end_thread(STOP_S)
        try:
            self.flush()
        except (redis.RedisError, OSError):
            pass  # flush logged what it could not write

    def flush(self) -> None:
        """Write every pending entry now, in one pipeline (a read of the logs calls this first)."""
        with self._lock:
            batch, self._pending = self._pending, []
        if not batch:
            return
        try:
            self.store.record_requests(batch)
        except (redis.RedisError, OSError) as exc:
            with self._lock:
                self._pending[:0] = batch[-MAX_PENDING:]
            log.warning("request log: %d entries not written yet: %s", len(batch), exc)
            raise

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._stop.wait(GATHER_S)
            self._wake.clear()
            try:
                self.flush()
            except (redis.RedisError, OSError):
                self._stop.wait(GATHER_S * 100)  # Redis is away: try again a little later
