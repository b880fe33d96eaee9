"""A one-chunk job's commit and completion in one Lua script: its ledger entry, counts, `chunk` event, metric
counters and the transition to completed (events, indexes, the long poll's wake-up, its webhook), one round trip.

It does what ChunkLedger.commit, note_chunk and JobStore.transition do one after another, atomically: nothing is
written unless the job is running, and a redelivered duplicate of a committed chunk adds no counts again.
"""

import json

import redis

from batchsvc.status import JobStatus
from batchsvc.storage.codec import event_json
from batchsvc.storage.counters import CHUNK_SECONDS, ROWS_SCORED, bucket_of
from batchsvc.storage.jobs import TRANSITION_FUNCTION, JobStore
from batchsvc.storage.redis_keys import Keys

EXTRA_KEYS, EXTRA_ARGS = 4, 7
# KEYS: ledger, in-flight holds, rows-scored counter, chunk-seconds histogram, then transition()'s keys.
# ARGV: chunk index, ledger entry, rows, bad rows, histogram bucket, seconds, the chunk event (JSON), then
#       transition()'s arguments. Returns transition()'s answer: 1 completed, 0 or -1 not (nothing written).
_COMMIT_AND_COMPLETE = TRANSITION_FUNCTION + f"""
local K, A = {{}}, {{}}
for i = {EXTRA_KEYS + 1}, #KEYS do K[#K + 1] = KEYS[i] end
for i = {EXTRA_ARGS + 1}, #ARGV do A[#A + 1] = ARGV[i] end
if redis.call('HGET', K[1], 'status') ~= 'running' then return -1 end
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('HINCRBY', K[1], 'rows_done', ARGV[3])
  redis.call('HINCRBY', K[1], 'bad_rows', ARGV[4])
  redis.call('HINCRBY', K[1], 'chunks_done', 1)
  redis.call('RPUSH', K[#K - 2], ARGV[7])  -- transition() trims the log after its own entry
  redis.call('INCRBY', KEYS[3], ARGV[3])
  redis.call('HINCRBY', KEYS[4], ARGV[5], 1)
  redis.call('HINCRBYFLOAT', KEYS[4], 'sum', ARGV[6])
end
return transition(K, A)
"""


class SmallCommit:
    """Commit chunk 0 of a one-chunk job and complete the job, in one script."""

    def __init__(self, client: redis.Redis, keys: Keys):
        self.r, self.keys = client, keys
        self.store = JobStore(client, keys)
        self._script = client.register_script(_COMMIT_AND_COMPLETE)

    def commit_and_complete(self, job_id: str, entry: dict, result: dict) -> bool:
        """Record chunk 0 (once) with its counts and event, then mark the job completed with `result`; False,
        with nothing written, when the job is no longer running."""
        keys, args = self.store.transition_call(job_id, JobStatus.COMPLETED, {JobStatus.RUNNING}, None,
                                                {"result": result})
        k = self.keys
        extra_keys = [k.job_chunks(job_id), k.job_inflight(job_id), k.metric_counter(ROWS_SCORED),
                      k.metric_histogram(CHUNK_SECONDS)]
        extra_args = [0, json.dumps(entry), entry["rows"], entry["bad_rows"], bucket_of(entry["seconds"]),
                      entry["seconds"], event_json("chunk", index=0, **entry)]
        return self._script(keys=extra_keys + keys, args=extra_args + args) == 1

