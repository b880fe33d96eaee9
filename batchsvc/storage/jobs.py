"""Job records in Redis: the record, its indexes, its events, the unsent list (the chunk ledger: ledger.py).

State changes go through one Lua script so that a finished job never changes again,
whichever API process or worker races to change it.
"""

from __future__ import annotations

import builtins
import json
import time
import uuid
from collections.abc import Callable
from typing import cast

import redis
from redis.client import Pipeline

from batchsvc.clock import iso
from batchsvc.errors import JobNotFound
from batchsvc.status import ACTIVE, FINISHED, JobStatus
from batchsvc.storage.codec import HashCodec, event_json
from batchsvc.storage.redis_keys import Keys

CODEC = HashCodec(json_fields=frozenset({"model", "spec", "error", "result", "chunks"}),
                  int_fields=frozenset({"rows_done", "rows_total", "chunks_done", "chunks_total", "bad_rows",
                                        "attempts", "score", "touched_at"}))
EVENTS_KEPT = 10_000

# transition(K, A): K: job, finished index, one status index per JobStatus (in enum order), events list, done
# channel, hooks due. A: allowed (comma list), new status, every status (comma list, enum order), "1" if the new
# one is final, now (Unix microseconds: the finished index's score), the event (JSON), events kept, field, value, ...
# The event is logged before the done channel is told: a long poll that wakes on it finds the event there.
# A final status the job's notify_on names queues its webhook (storage/hooks.py) in the same call.
# Other scripts (storage/small_commit.py) prepend this function and end in a transition of their own.
TRANSITION_FUNCTION = """
local function transition(K, A)
  local cur = redis.call('HGET', K[1], 'status')
  if not cur then return -1 end
  local ok = false
  for s in string.gmatch(A[1], '[^,]+') do if s == cur then ok = true end end
  if not ok then return 0 end
  local id = redis.call('HGET', K[1], 'id')
  local score = redis.call('HGET', K[1], 'score')
  redis.call('HSET', K[1], 'status', A[2], unpack(A, 8))
  redis.call('RPUSH', K[#K - 2], A[6])
  redis.call('LTRIM', K[#K - 2], -tonumber(A[7]), -1)
  local i = 0
  for name in string.gmatch(A[3], '[^,]+') do
    i = i + 1
    if name == cur then redis.call('ZREM', K[i + 2], id) end
    if name == A[2] then redis.call('ZADD', K[i + 2], score, id) end
  end
  if A[4] == '1' then
    redis.call('ZADD', K[2], A[5], id)
    redis.call('PUBLISH', K[#K - 1], A[2])
    local on = redis.call('HGET', K[1], 'notify_on')
    if on and string.find(',' .. on .. ',', ',' .. A[2] .. ',', 1, true) then
      redis.call('ZADD', K[#K], math.floor(A[5] / 1000), id .. '|' .. A[2] .. '|1')
    end
  end
  return 1
end
"""
_TRANSITION = TRANSITION_FUNCTION + "return transition(KEYS, ARGV)\n"
STATUS_LIST = ",".join(s.value for s in JobStatus)


def new_job_id() -> str:
    return uuid.uuid4().hex


class JobStore:
    def __init__(self, client: redis.Redis, keys: Keys):
        self.r, self.keys = client, keys
        self._transition = client.register_script(_TRANSITION)

    def create(self, record: dict, then: Callable[[Pipeline], object] | None = None) -> dict:
        """Store a new queued job, index it and log its first event, in one transaction; returns the record as
        it is stored (decoded from what was written, as a read would return it). `then` queues the job's message
        on that transaction; without it the job waits on the unsent list until mark_sent."""
        score = time.time_ns() // 1000
        record = {"status": JobStatus.QUEUED.value, "created_at": iso(), "score": score, "rows_done": 0,
                  "touched_at": int(time.time()),
                  "chunks_done": 0, "bad_rows": 0, "attempts": 0, "upload": _upload_of(record), **record}
        job_id, encoded = record["id"], CODEC.encode(record)
        with self.r.pipeline() as p:
            p.hset(self.keys.job(job_id), mapping=encoded)
            p.zadd(self.keys.jobs_index(), {job_id: score})
            if then is None:
                p.zadd(self.keys.jobs_unsent(), {job_id: score})
            p.zadd(self.keys.jobs_by_status(JobStatus.QUEUED.value), {job_id: score})
            p.zadd(self.keys.jobs_by_model(record["model"]["name"]), {job_id: score})
            if record.get("schedule_id"):
                p.zadd(self.keys.jobs_by_schedule(record["schedule_id"]), {job_id: score})
            if record.get("created_by"):
                p.zadd(self.keys.jobs_by_owner(record["created_by"]), {job_id: score})
            self._log_event(p, job_id, event_json(JobStatus.QUEUED.value))
            if then is not None:
                then(p)
            p.execute()
        return CODEC.decode({k: str(v) for k, v in encoded.items()})  # Redis answers every field as text

    def get(self, job_id: str) -> dict:
        raw = self.r.hgetall(self.keys.job(job_id))
        if not raw:
            raise JobNotFound(f"no job {job_id!r}", job_id=job_id)
        return CODEC.decode(raw)

    def status(self, job_id: str) -> JobStatus | None:
        value = self.r.hget(self.keys.job(job_id), "status")
        return JobStatus(value) if value else None

    def transition(self, job_id: str, to: JobStatus, allowed: set[JobStatus], event: dict | None = None,
                   **fields) -> bool:
        """Move a job to `to` if its status is one of `allowed`; False if it was not. `event` adds to its log entry."""
        keys, args = self.transition_call(job_id, to, allowed, event, fields)
        return self._transition(keys=keys, args=args) == 1

    def transition_call(self, job_id: str, to: JobStatus, allowed: set[JobStatus], event: dict | None,
                        fields: dict) -> tuple[list, list]:
        """The keys and arguments of TRANSITION_FUNCTION's call for a transition() (its fields completed)."""
        if to in FINISHED:
            fields = {"finished_at": iso(), **fields}
        fields = {"touched_at": int(time.time()), **fields}
        keys = [self.keys.job(job_id), self.keys.jobs_finished(),
                *(self.keys.jobs_by_status(s.value) for s in JobStatus), self.keys.job_events(job_id),
                self.keys.job_done_channel(job_id), self.keys.hooks_due()]
        error = {"error": fields["error"]} if "error" in fields else {}
        args = [",".join(s.value for s in allowed), to.value, STATUS_LIST, "1" if to in FINISHED else "0",
                time.time_ns() // 1000, event_json(to.value, **error, **(event or {})), EVENTS_KEPT,
                *_flatten(CODEC.encode(fields))]
        return keys, args

    def ids_with_status(self, status: JobStatus, limit: int | None = None) -> list[str]:
        """The oldest `limit` jobs in a state (all of them for None)."""
        end = -1 if limit is None else limit - 1
        return cast(builtins.list[str], self.r.zrange(self.keys.jobs_by_status(status.value), 0, end))

    def stalled(self, job_ids: builtins.list[str], touched_before_s: float) -> builtins.list[str]:
        """Those of job_ids still queued or running and last touched before touched_before_s (Unix s), read in
        one round trip: the reconciler reads whole records only for these, not for a whole backlog."""
        with self.r.pipeline(transaction=False) as p:
            for job_id in job_ids:
                p.hmget(self.keys.job(job_id), ["status", "touched_at"])
            found = p.execute()
        active = {s.value for s in ACTIVE}
        return [job_id for job_id, (status, touched) in zip(job_ids, found)
                if status in active and int(touched or 0) <= touched_before_s]

    def update(self, job_id: str, **fields) -> None:
        self.r.hset(self.keys.job(job_id), mapping=CODEC.encode(fields))

    def increment(self, job_id: str, field: str, by: int = 1) -> int:
        return self.r.hincrby(self.keys.job(job_id), field, by)

    def add_event(self, job_id: str, kind: str, **data) -> None:
        with self.r.pipeline(transaction=False) as p:
            self._log_event(p, job_id, event_json(kind, **data))
            p.execute()

    def _log_event(self, p, job_id: str, event: str) -> None:
        """Queue an entry of the job's event log on pipeline p (the log keeps its last EVENTS_KEPT)."""
        p.rpush(self.keys.job_events(job_id), event)
        p.ltrim(self.keys.job_events(job_id), -EVENTS_KEPT, -1)

    def events(self, job_id: str) -> list[dict]:
        self.get(job_id)
        return [json.loads(e) for e in self.r.lrange(self.keys.job_events(job_id), 0, -1)]

    def list(self, *, status=None, model=None, schedule_id=None, owner=None, limit=50,
             cursor=None) -> tuple[list[dict], str | None]:
        """Newest first; owner keeps only the jobs that key name created. The cursor is the last job's score."""
        index = (self.keys.jobs_by_owner(owner) if owner else
                 self.keys.jobs_by_schedule(schedule_id) if schedule_id else
                 self.keys.jobs_by_model(model) if model else
                 self.keys.jobs_by_status(status) if status else self.keys.jobs_index())
        top = f"({cursor}" if cursor else "+inf"
        jobs: list[dict] = []
        while len(jobs) < limit:
            page = cast(builtins.list[tuple[str, float]],  # decode_responses=True: members are str
                        self.r.zrevrangebyscore(index, top, "-inf", start=0, num=limit, withscores=True))
            if not page:
                return jobs, None
            for job_id, score in page:
                top = f"({int(score)}"
                job = self._get_or_none(job_id)
                if job and _matches(job, status, model, schedule_id, owner):
                    jobs.append(job)
                    if len(jobs) == limit:
                        break
        return jobs, top[1:]

    def unsent_before(self, cutoff_us: float, limit: int) -> builtins.list[str]:
        """Jobs stored before cutoff_us (Unix microseconds) whose message is not known to be sent."""
        ids = self.r.zrangebyscore(self.keys.jobs_unsent(), "-inf", cutoff_us, start=0, num=limit)
        return cast(builtins.list[str], ids)  # decode_responses=True: members are str

    def mark_sent(self, job_id: str) -> None:
        """The job's message is out (or the job no longer needs one): take it off the unsent list."""
        self.r.zrem(self.keys.jobs_unsent(), job_id)

    def _get_or_none(self, job_id: str) -> dict | None:
        try:
            return self.get(job_id)
        except JobNotFound:
            return None

    def delete(self, job_id: str) -> None:
        """Remove the job's keys and its entry in every index."""
        self._delete([job_id], [self.get(job_id)])

    def delete_finished_before(self, cutoff_us: float, limit: int) -> builtins.list[str]:
        """Remove up to `limit` jobs that finished before cutoff_us (Unix microseconds); returns their ids.

        Only the finishing transition adds to that index, and a finished job never changes again."""
        job_ids = cast(builtins.list[str],  # decode_responses=True: members are str
                       self.r.zrangebyscore(self.keys.jobs_finished(), "-inf", cutoff_us, start=0, num=limit))
        with self.r.pipeline(transaction=False) as p:
            for job_id in job_ids:
                p.hgetall(self.keys.job(job_id))
            records = [CODEC.decode(raw) for raw in p.execute() if raw]
        self._delete(job_ids, records)
        return job_ids

    def uploads_of_active_jobs(self) -> set[str]:
        """The uploads that queued and running jobs read."""
        with self.r.pipeline(transaction=False) as p:
            for status in ACTIVE:
                for job_id in self.ids_with_status(status):
                    p.hget(self.keys.job(job_id), "upload")
            return {upload for upload in p.execute() if upload}

    def _delete(self, job_ids: builtins.list[str], records: builtins.list[dict]) -> None:
        """One transaction: the ids' own keys and general index entries, and each record's own index entries."""
        with self.r.pipeline() as p:
            for job_id in job_ids:
                p.delete(self.keys.job(job_id), self.keys.job_events(job_id), self.keys.job_chunks(job_id),
                         self.keys.job_inflight(job_id), self.keys.job_profiles(job_id))
                for index in (self.keys.jobs_index(), self.keys.jobs_unsent(), self.keys.jobs_finished()):
                    p.zrem(index, job_id)
            for job in records:
                self._unindex(p, job)
            p.execute()

    def _unindex(self, p, job: dict) -> None:
        """Queue the removal of a job from the indexes its record names (status, model, schedule, owner)."""
        p.zrem(self.keys.jobs_by_status(job["status"]), job["id"])
        p.zrem(self.keys.jobs_by_model(job["model"]["name"]), job["id"])
        if job.get("schedule_id"):
            p.zrem(self.keys.jobs_by_schedule(job["schedule_id"]), job["id"])
        if job.get("created_by"):
            p.zrem(self.keys.jobs_by_owner(job["created_by"]), job["id"])


def _matches(job: dict, status, model, schedule_id=None, owner=None) -> bool:
    return ((not status or job["status"] == status) and (not model or job["model"]["name"] == model)
            and (not schedule_id or job.get("schedule_id") == schedule_id)
            and (not owner or job.get("created_by") == owner))


def _upload_of(record: dict) -> str | None:
    """The upload a job reads, kept as its own field so that retention finds it without decoding the spec."""
    return (record.get("spec") or {}).get("input", {}).get("upload")


def _flatten(mapping: dict) -> list:
    return [x for pair in mapping.items() for x in pair]
