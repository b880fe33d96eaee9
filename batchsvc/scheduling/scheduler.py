"""`batchsvc scheduler`: any number may run; the holder of the Redis leader lease fires, the others stand by.

The main thread renews the lease every third of its expiry (BATCHSVC_SCHEDULER_LEASE_MS) or tries to take
it. Taking it starts a Timetable (APScheduler loaded from Redis); losing it, or any Redis error while
renewing, stops it at once. A second thread listens on the schedules-changed channel and reloads the
named schedule, so an HTTP change reaches the leader within a moment; a full resync every RESYNC_S
covers messages lost while the listener reconnected.
"""

import logging
import signal
import threading
import time
from collections.abc import Callable

import redis

from batchsvc.jobs import retention
from batchsvc.scheduling.timetable import Timetable
from batchsvc.storage.lease import Lease
from batchsvc.storage.services import Services, get_services

log = logging.getLogger(__name__)
RESYNC_S = 30.0
LISTEN_POLL_S = 1.0
RETRY_S = 1.0


class Scheduler:
    def __init__(self, svc: Services, enqueue: Callable[[str], None]):
        self.svc, self.enqueue = svc, enqueue
        self.lease = Lease(svc.redis, svc.keys.scheduler_lease(), svc.settings.scheduler_lease_ms)
        self.renew_every_s = svc.settings.scheduler_lease_ms / 3000
        self.stopping = threading.Event()
        self.timetable: Timetable | None = None
        self._failing: set[str] = set()  # what is failing now, so that an outage is logged once, not per retry
        self.collector = retention.Collector(svc)

    def run(self) -> None:
        """Lead or stand by until stopped, then hand the lease over at once."""
        threading.Thread(target=self._listen, name="schedule-changes", daemon=True).start()
        log.info("scheduler %s started; lease %s ms", self.lease.token, self.svc.settings.scheduler_lease_ms)
        last_sync = time.monotonic()
        while not self.stopping.is_set():
            held = self._hold()
            if held and self.timetable is None:
                self._lead()
                last_sync = time.monotonic()
            elif not held and self.timetable is not None:
                self._step_down("lost the leader lease")
            elif held and time.monotonic() - last_sync > RESYNC_S:
                self._resync()
                last_sync = time.monotonic()
            if held:
                self._collect()
            self.stopping.wait(self.renew_every_s)
        self._step_down("stopping")
        self._release()

    def stop(self, *_) -> None:
        self.stopping.set()

    def _hold(self) -> bool:
        try:
            held = self.lease.hold()
        except redis.RedisError as exc:
            self._failed("lease", f"cannot reach Redis to hold the leader lease: {exc}; retrying")
            return False
        self._recovered("lease")
        return held

    def _failed(self, what: str, message: str) -> None:
        if what not in self._failing:
            self._failing.add(what)
            log.warning(message)

    def _recovered(self, what: str) -> None:
        if what in self._failing:
            self._failing.discard(what)
            log.info("%s: Redis answers again", what)

    def _lead(self) -> None:
        log.info("scheduler %s is the leader", self.lease.token)
        timetable = Timetable(self.svc, self.enqueue, self.lease)
        self.timetable = timetable
        try:
            timetable.start()
        except redis.RedisError as exc:
            log.warning("could not load the schedules: %s", exc)
            self._step_down("Redis failed while loading")

    def _step_down(self, reason: str) -> None:
        timetable, self.timetable = self.timetable, None
        if timetable is not None:
            log.info("scheduler %s stops leading: %s", self.lease.token, reason)
            timetable.stop()

    def _resync(self) -> None:
        try:
            if self.timetable is not None:
                self.timetable.sync_all()
        except redis.RedisError as exc:
            log.warning("resync failed: %s", exc)

    def _collect(self) -> None:
        """The leader also applies retention, one bounded batch when due (see jobs/retention.py)."""
        try:
            self.collector.tick()
        except (redis.RedisError, OSError) as exc:
            log.warning("retention failed: %s", exc)

    def _release(self) -> None:
        try:
            self.lease.release()
        except redis.RedisError:
            pass

    def _listen(self) -> None:
        """Reload each schedule named on the changes channel while we lead; reconnect on errors."""
        channel = self.svc.keys.schedules_changed_channel()
        while not self.stopping.is_set():
            pubsub = self.svc.redis.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(channel)
                self._recovered("schedule changes")
                self._resync()  # changes made while we were not subscribed
                while not self.stopping.is_set():
                    message = pubsub.get_message(timeout=LISTEN_POLL_S)
                    timetable = self.timetable
                    if message and timetable is not None:
                        timetable.reload(message["data"])
            except redis.RedisError as exc:
                self._failed("schedule changes", f"schedule changes: {exc}; reconnecting")
                self.stopping.wait(RETRY_S)
            except Exception:
                log.exception("schedule changes: unexpected error; reconnecting")
                self.stopping.wait(RETRY_S)
            finally:
                pubsub.close()


def run() -> None:
    """The process: the Dramatiq broker to send jobs with, signals, then lead or stand by until SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    svc = get_services()
    from batchsvc.worker.broker import install_broker
    broker = install_broker(svc.settings)
    from batchsvc.worker import actors  # declares the actors on the broker, so the scheduler can send messages
    from batchsvc.worker.send_plan import PlanSender

    scheduler = Scheduler(svc, PlanSender(actors.plan_job))
    signal.signal(signal.SIGTERM, scheduler.stop)
    signal.signal(signal.SIGINT, scheduler.stop)
    try:
        scheduler.run()
    finally:
        broker.close()
