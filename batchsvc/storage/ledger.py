"""The chunk ledger: which chunks of a job are finished, each committed exactly once with its counts.

A chunk counts only when its entry is new and the job is running, both checked in one Lua script, so a
redelivered duplicate adds nothing and a chunk of a canceled job can never bring a record back.
"""

import json
import time
from typing import cast

import redis

from batchsvc.storage.redis_keys import Keys

# KEYS: ledger, job, in-flight holds.  ARGV: chunk index, ledger entry, rows, bad rows, now (Unix s)
# Returns {newly committed (0/1), chunks_done, chunks_total}; nothing is written unless the job is running.
_COMMIT_CHUNK = """
if redis.call('HGET', KEYS[2], 'status') ~= 'running' then return {0, -1, 0} end
redis.call('HDEL', KEYS[3], ARGV[1])
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return {0, tonumber(redis.call('HGET', KEYS[2], 'chunks_done')),
          tonumber(redis.call('HGET', KEYS[2], 'chunks_total'))}
end
redis.call('HINCRBY', KEYS[2], 'rows_done', ARGV[3])
redis.call('HINCRBY', KEYS[2], 'bad_rows', ARGV[4])
redis.call('HSET', KEYS[2], 'touched_at', ARGV[5])
local done = redis.call('HINCRBY', KEYS[2], 'chunks_done', 1)
return {1, done, tonumber(redis.call('HGET', KEYS[2], 'chunks_total'))}
"""


class ChunkLedger:
    """One hash per job: chunk index -> JSON of the finished chunk (rows, bad rows, part, seconds, worker)."""

    def __init__(self, client: redis.Redis, keys: Keys):
        self.r, self.keys = client, keys
        self._commit = client.register_script(_COMMIT_CHUNK)

    def commit(self, job_id: str, index: int, entry: dict) -> tuple[bool, int, int]:
        """Record a finished chunk once; returns (newly committed, chunks done, chunks total), with chunks
        done -1 when the job is not running (nothing is written then)."""
        newly, done, total = self._commit(
            keys=[self.keys.job_chunks(job_id), self.keys.job(job_id), self.keys.job_inflight(job_id)],
            args=[index, json.dumps(entry), entry["rows"], entry["bad_rows"], int(time.time())],
        )
        return bool(newly), int(done), int(total or 0)

    def done(self, job_id: str, index: int) -> bool:
        return bool(self.r.hexists(self.keys.job_chunks(job_id), str(index)))

    def hold(self, job_id: str, index: int, worker: str) -> None:
        """Say which worker scores a chunk now, so the reconciler leaves it alone while that worker lives."""
        self.r.hset(self.keys.job_inflight(job_id), str(index), worker)

    def release(self, job_id: str, index: int) -> None:
        self.r.hdel(self.keys.job_inflight(job_id), str(index))

    def holders(self, job_id: str) -> dict[int, str]:
        """Chunk index -> the worker that last started it and has not committed it."""
        held = cast(dict[str, str], self.r.hgetall(self.keys.job_inflight(job_id)))  # decode_responses=True: str
        return {int(k): v for k, v in held.items()}

    def entries(self, job_id: str) -> dict[int, dict]:
        """The finished chunks: index -> rows, bad rows, part, seconds, worker."""
        return {int(k): json.loads(v) for k, v in self.r.hgetall(self.keys.job_chunks(job_id)).items()}
