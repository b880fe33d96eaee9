"""The leader's APScheduler: one job per enabled schedule, kept in step with the records in Redis.

APScheduler (a BackgroundScheduler on a MemoryJobStore) does the waiting and the fire-time arithmetic;
Redis stays the source of truth. Each APScheduler job starts at the schedule's stored next_run_at, so
fire times that passed while no scheduler ran are seen on return. A custom executor hands the job all
its due times at once (coalesce off), so that grace, coalescing and missed-events are decided in one
place (timing.sort_due) instead of by APScheduler's misfire_grace_time, which drops runs silently.
"""

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import redis
from apscheduler.executors.base import BaseExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger

from batchsvc.clock import iso, now
from batchsvc.scheduling import firing
from batchsvc.scheduling.fire_times import catch_up, next_fire, parse_time, sort_due, trigger_for
from batchsvc.storage.lease import Lease
from batchsvc.storage.services import Services

log = logging.getLogger(__name__)
FIRE_THREADS = 4
MAX_CONCURRENT_FIRES = 3  # per schedule; fires of one schedule may overlap if submitting is slow


class DueTimesExecutor(BaseExecutor):
    """Runs a job's function with the list of its due fire times (APScheduler's run_job would drop that list)."""

    def __init__(self, threads: int):
        super().__init__()
        self.threads = threads

    def start(self, scheduler, alias):
        super().start(scheduler, alias)
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="fire")

    def shutdown(self, wait=True):
        self._pool.shutdown(wait)

    def _do_submit_job(self, job, run_times):
        future = self._pool.submit(job.func, *job.args, run_times)
        future.add_done_callback(lambda f: self._finished(job.id, f))

    def _finished(self, job_id, future) -> None:
        exc = future.exception()
        if exc is None:
            self._run_job_success(job_id, [])
        else:
            self._run_job_error(job_id, exc, exc.__traceback__)


class Timetable:
    def __init__(self, svc: Services, enqueue: Callable[[str], None], lease: Lease):
        self.svc, self.enqueue, self.lease = svc, enqueue, lease
        self.grace_s = svc.settings.schedule_grace_s
        self.revisions: dict[str, int] = {}  # schedule id -> the revision APScheduler runs
        self.triggers: dict[str, BaseTrigger] = {}
        self.lock = threading.RLock()
        self.aps = BackgroundScheduler(
            timezone=UTC, executors={"default": DueTimesExecutor(FIRE_THREADS)},
            job_defaults={"coalesce": False, "misfire_grace_time": None, "max_instances": MAX_CONCURRENT_FIRES})

    def start(self) -> None:
        self.aps.start()
        self.sync_all()

    def stop(self) -> None:
        """Stop firing; waits for fires in flight."""
        self.aps.shutdown(wait=True)

    def sync_all(self) -> None:
        """Load every schedule whose revision changed, drop the deleted ones (a safety net for lost messages)."""
        ids = self.svc.schedules.ids()
        for schedule_id in ids:
            self.reload(schedule_id, only_if_changed=True)
        for schedule_id in set(self.revisions) - set(ids):
            self.reload(schedule_id)

    def reload(self, schedule_id: str, only_if_changed: bool = False) -> None:
        """Bring one schedule in APScheduler in line with its record in Redis; one bad record stops no other."""
        try:
            self._reload(schedule_id, only_if_changed)
        except redis.RedisError:
            raise
        except Exception:
            log.exception("schedule %s: cannot load it; it will not fire until it is changed", schedule_id)

    def _reload(self, schedule_id: str, only_if_changed: bool) -> None:
        with self.lock:
            record = self.svc.schedules.find(schedule_id)
            if record is None or not record["definition"]["enabled"]:
                self._drop(schedule_id)
            elif not only_if_changed or self.revisions.get(schedule_id) != record["revision"]:
                self._load(record)
        self.aps.wakeup()

    def _load(self, record: dict) -> None:
        """Add the schedule at its stored next run; fire times past the grace period become a missed-event."""
        schedule_id, definition = record["id"], record["definition"]
        trigger = trigger_for(definition, record["created_at"])
        moment = now()
        start = parse_time(record.get("next_run_at")) or next_fire(trigger, moment)
        if start is not None and start < moment:
            due, start = catch_up(trigger, start, moment, self.grace_s)
            if due.missed_count:
                firing.record_missed(self.svc, schedule_id, due, self.lease.token)
        self.svc.schedules.update(schedule_id, if_revision=record["revision"],
                                  next_run_at=iso(start) if start else None)
        self.revisions[schedule_id], self.triggers[schedule_id] = record["revision"], trigger
        if start is None:
            self._drop(schedule_id)
            return
        self.aps.add_job(self._run, trigger=trigger, args=[schedule_id], id=schedule_id, name=definition["name"],
                         next_run_time=start, replace_existing=True)
        log.info("schedule %s (%s) loaded, revision %s, next run %s", schedule_id, definition["name"],
                 record["revision"], iso(start))

    def _drop(self, schedule_id: str) -> None:
        self.revisions.pop(schedule_id, None)
        self.triggers.pop(schedule_id, None)
        try:
            self.aps.remove_job(schedule_id)
            log.info("schedule %s unloaded", schedule_id)
        except JobLookupError:
            pass

    def _run(self, schedule_id: str, run_times: Sequence[datetime] = ()) -> None:
        """APScheduler's job: fire the due times of one schedule, if we still lead and it is still as loaded.

        DueTimesExecutor passes run_times (the default only satisfies APScheduler's check of the arguments)."""
        if not run_times:
            return
        if not (self.lease.valid() or self.lease.renew()):  # renew: the main thread may just be late
            log.warning("schedule %s: not firing %s, we no longer hold the leader lease", schedule_id,
                        iso(run_times[-1]))
            return
        record = self.svc.schedules.find(schedule_id)
        if record is None or record["revision"] != self.revisions.get(schedule_id):
            self.reload(schedule_id)  # changed or deleted since it was loaded: go by the record now
            return
        trigger, moment = self.triggers.get(schedule_id), now()
        try:
            firing.fire(self.svc, record, sort_due(run_times, moment, self.grace_s), self.enqueue, self.lease.token)
        except Exception:
            # the fire time was freed and next_run_at not advanced: forget the loaded revision, so the
            # next resync (every RESYNC_S) reloads the schedule from Redis and catches the fire up
            self.revisions.pop(schedule_id, None)
            raise
        following = trigger.get_next_fire_time(run_times[-1], moment) if trigger else None
        self.svc.schedules.update(schedule_id, if_revision=record["revision"], handled=iso(run_times[-1]),
                                  next_run_at=iso(following) if following else None)  # never moved back
