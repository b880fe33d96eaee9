"""Schedule records in Redis, the source of truth: one hash each, an index, an event list, a change channel.

A record holds the definition (JSON, as the API takes it) with a revision that every change bumps, and
the run state the scheduler writes (next_run_at, last_run_at, last_job_id, last_error). Writers go
through one Lua script that never recreates a deleted schedule and, when given a revision, writes only
if the definition is still that revision, so a scheduler never overwrites a newer change.
"""

import json
import time
import uuid
from typing import cast

import redis

from batchsvc.clock import iso
from batchsvc.errors import Conflict, ScheduleNotFound
from batchsvc.storage.codec import HashCodec, event_json
from batchsvc.storage.redis_keys import Keys

EVENTS_KEPT = 1_000
CODEC = HashCodec(json_fields=frozenset({"definition", "last_error"}), int_fields=frozenset({"revision"}))

# KEYS: schedule.  ARGV: required revision ('' = any), the fire time just handled ('' = none), field, value, ...
# Returns 1 if written, 0 if the schedule is gone, -1 if its revision moved on, -2 if next_run_at is already past
# the handled fire time (ended, or advanced by a later fire of the same schedule that finished first).
# Fire times are UTC ISO texts of one format, so their order is their text's order.
_UPDATE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] ~= '' and redis.call('HGET', KEYS[1], 'revision') ~= ARGV[1] then return -1 end
if ARGV[2] ~= '' then
  local pending = redis.call('HGET', KEYS[1], 'next_run_at')
  if not pending or pending == '' or pending > ARGV[2] then return -2 end
end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
return 1
"""

# KEYS: schedule, its events.  ARGV: event JSON, events kept.  (No events for a deleted schedule.)
# KEYS: a fire-time claim.  ARGV: its holder.  Deletes it only if that holder still has it.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

_EVENT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
return 1
"""


def new_schedule_id() -> str:
    return uuid.uuid4().hex


class ScheduleStore:
    def __init__(self, client: redis.Redis, keys: Keys):
        self.r, self.keys = client, keys
        self._update = client.register_script(_UPDATE)
        self._event = client.register_script(_EVENT)
        self._release = client.register_script(_RELEASE)

    def create(self, record: dict) -> dict:
        """Store a new schedule (revision 1), index it and announce it; a taken id is a conflict."""
        record = {"revision": 1, "created_at": iso(), **record}
        record.setdefault("updated_at", record["created_at"])
        if not self.r.hsetnx(self.keys.schedule(record["id"]), "id", record["id"]):
            raise Conflict(f"schedule {record['id']} already exists")
        with self.r.pipeline() as p:
            p.hset(self.keys.schedule(record["id"]), mapping=CODEC.encode(record))
            p.zadd(self.keys.schedules_index(), {record["id"]: time.time_ns() // 1000})
            p.execute()
        self.add_event(record["id"], "created", revision=1)
        self.announce(record["id"])
        return self.get(record["id"])

    def get(self, schedule_id: str) -> dict:
        raw = self.r.hgetall(self.keys.schedule(schedule_id))
        if not raw.get("definition"):
            raise ScheduleNotFound(f"no schedule {schedule_id!r}; list them with GET /v1/schedules",
                                   schedule_id=schedule_id)
        return CODEC.decode(raw)

    def find(self, schedule_id: str) -> dict | None:
        try:
            return self.get(schedule_id)
        except ScheduleNotFound:
            return None

    def ids(self) -> list[str]:
        """Every schedule id, oldest first."""
        return cast(list[str], self.r.zrange(self.keys.schedules_index(), 0, -1))  # decode_responses=True: str

    def all(self) -> list[dict]:
        return [s for s in map(self.find, self.ids()) if s is not None]

    def change(self, schedule_id: str, revision: int, **fields) -> dict:
        """Write a new definition over revision `revision` (bumping it), or 409 if someone changed it first."""
        fields = {**fields, "revision": revision + 1, "updated_at": iso()}
        outcome = self.update(schedule_id, if_revision=revision, **fields)
        if outcome == 0:
            raise ScheduleNotFound(f"no schedule {schedule_id!r}", schedule_id=schedule_id)
        if outcome < 0:
            raise Conflict(f"schedule {schedule_id} was changed at the same time; read it again and retry")
        self.add_event(schedule_id, "updated", revision=revision + 1)
        self.announce(schedule_id)
        return self.get(schedule_id)

    def update(self, schedule_id: str, if_revision: int | None = None, handled: str | None = None, **fields) -> int:
        """Set fields if the schedule exists (and is at if_revision, when given); 1 written, 0 gone, -1 moved on.
        `handled` (a fire time) writes only while next_run_at is not past it: -2 when a later fire got there first."""
        args = ["" if if_revision is None else str(if_revision), handled or ""]
        for name, value in CODEC.encode(fields).items():
            args += [name, value]
        return int(self._update(keys=[self.keys.schedule(schedule_id)], args=args))

    def delete(self, schedule_id: str) -> None:
        self.get(schedule_id)
        with self.r.pipeline() as p:
            p.delete(self.keys.schedule(schedule_id), self.keys.schedule_events(schedule_id))
            p.zrem(self.keys.schedules_index(), schedule_id)
            p.execute()
        self.announce(schedule_id)

    def announce(self, schedule_id: str) -> None:
        """Tell running schedulers to reload this schedule."""
        self.r.publish(self.keys.schedules_changed_channel(), schedule_id)

    def claim(self, schedule_id: str, fire_time: str, holder: str, ttl_s: int) -> bool:
        """True for the first (and only the first) caller to handle this fire time of this schedule."""
        return bool(self.r.set(self.keys.schedule_fire(schedule_id, fire_time), holder, nx=True, ex=ttl_s))

    def release(self, schedule_id: str, fire_time: str, holder: str) -> None:
        """Free a fire time this holder claimed but could not fire (compare-and-delete)."""
        self._release(keys=[self.keys.schedule_fire(schedule_id, fire_time)], args=[holder])

    def note_claim(self, schedule_id: str, fire_time: str, value: str) -> None:
        self.r.set(self.keys.schedule_fire(schedule_id, fire_time), value, xx=True, keepttl=True)

    def add_event(self, schedule_id: str, kind: str, **data) -> None:
        event = event_json(kind, **data)
        self._event(keys=[self.keys.schedule(schedule_id), self.keys.schedule_events(schedule_id)],
                    args=[event, EVENTS_KEPT])

    def events(self, schedule_id: str) -> list[dict]:
        self.get(schedule_id)
        return [json.loads(e) for e in self.r.lrange(self.keys.schedule_events(schedule_id), 0, -1)]


