"""A deployment's shadow comparison in Redis: sums and maxima gathered in process, written in batches.

The shadow's thread adds each request's figures (jobs/shadow.py computes them) to memory; a thread writes what
gathered every FLUSH_S in one pipeline, and once more when the process stops (or when the comparison is read
here); a batch Redis does not take is dropped and logged (the comparison is a sample). One hash per deployment
holds the totals of one shadow reference (`model`): a batch for another reference (a shadow changed meanwhile) is
dropped, and `reset` starts the totals of a new shadow from zero.
"""

import json
import logging
import threading
from collections import defaultdict
from typing import cast

import redis

from batchsvc.storage.redis_keys import Keys

log = logging.getLogger(__name__)

FLUSH_S = 0.1  # how often gathered figures are written (the comparison shown lags by about this)

# KEYS: the deployment's shadow hash.  ARGV: the reference, then op ("sum" or "max"), field, value, ...
# Adds to (or raises to) the totals of that reference; a batch for another reference than the stored one is dropped.
_ADD = """
local ref = redis.call('HGET', KEYS[1], 'model')
if ref and ref ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'model', ARGV[1])
for i = 2, #ARGV, 3 do
  if ARGV[i] == 'sum' then
    redis.call('HINCRBYFLOAT', KEYS[1], ARGV[i + 1], ARGV[i + 2])
  else
    local now = tonumber(redis.call('HGET', KEYS[1], ARGV[i + 1]) or '-1')
    if tonumber(ARGV[i + 2]) > now then redis.call('HSET', KEYS[1], ARGV[i + 1], ARGV[i + 2]) end
  end
end
return 1
"""


class ShadowStats:
    def __init__(self, client: redis.Redis, keys: Keys):
        self.r, self.keys = client, keys
        self._sums: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self._maxima: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, name: str, ref: str, sums: dict[str, float], maxima: dict[str, float]) -> None:
        """Gather one request's figures for deployment `name`'s shadow `ref` (written at the next flush)."""
        with self._lock:
            totals, highest = self._sums[(name, ref)], self._maxima[(name, ref)]
            for field, value in sums.items():
                totals[field] += value
            for field, value in maxima.items():
                highest[field] = max(value, highest.get(field, value))

    def start(self) -> "ShadowStats":
        self._thread = threading.Thread(target=self._run, name="shadow-stats", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Write what is left."""
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=10)
            self._thread = None
        try:
            self.flush()
        except (redis.RedisError, OSError):
            pass  # flush logged it

    def flush(self) -> None:
        """Write every gathered figure now, in one pipeline."""
        with self._lock:
            sums, maxima = self._sums, self._maxima
            self._sums, self._maxima = defaultdict(lambda: defaultdict(float)), defaultdict(dict)
        if not sums and not maxima:
            return
        try:
            with self.r.pipeline(transaction=False) as p:
                for name, ref in set(sums) | set(maxima):
                    args = [*_ops("sum", sums.get((name, ref), {})), *_ops("max", maxima.get((name, ref), {}))]
                    p.eval(_ADD, 1, self.keys.deployment_shadow(name), ref, *args)
                p.execute()
        except (redis.RedisError, OSError) as exc:
            log.warning("shadow comparison: figures of %d shadows dropped: %s", len(sums), exc)
            raise

    def reset(self, name: str, ref: str | None) -> None:
        """Start the totals of deployment `name`'s new shadow `ref` from zero (none: remove them)."""
        key = self.keys.deployment_shadow(name)
        with self.r.pipeline() as p:
            p.delete(key)
            if ref:
                p.hset(key, "model", ref)
            p.execute()

    def totals(self, name: str) -> dict:
        """The stored totals: `model` (the shadow reference) and each figure as a number."""
        raw = cast(dict[str, str], self.r.hgetall(self.keys.deployment_shadow(name)))
        return {k: (v if k == "model" else json.loads(v)) for k, v in raw.items()}

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_S):
            try:
                self.flush()
            except (redis.RedisError, OSError):
                self._stop.wait(FLUSH_S * 10)  # Redis is away: try again a little later


def _ops(op: str, figures: dict[str, float]) -> list:
    return [item for field, value in figures.items() for item in (op, field, repr(float(value)))]
