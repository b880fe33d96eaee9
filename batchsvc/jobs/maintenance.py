"""Maintenance that keeps every job moving: the sweeper (jobs never sent), the reconciler (stalled jobs), and
the senders of finished jobs' webhooks (jobs/notify.py).

Worker processes run it (a service that scores anything has workers); a Redis lease makes one of them
do it at a time, and another takes over within the lease's expiry when that one stops. Each task runs on
a period derived from its own setting, so a job waits at most about 1.25 x that setting.
"""

import logging
import time

import redis

from batchsvc.jobs.notify import HookSender
from batchsvc.jobs.reconcile import Senders, reconcile
from batchsvc.jobs.sweeper import resend_unsent
from batchsvc.storage.lease import Lease
from batchsvc.storage.services import Services

log = logging.getLogger(__name__)
LEASE_MS = 10_000
PERIOD_MIN_S, PERIOD_MAX_S = 0.5, 30.0
HOOKS_EVERY_S = 0.25  # how soon a finished job's webhook leaves


def period_for(after_s: float) -> float:
    """How often to look for jobs late by after_s: a quarter of it, within sane bounds."""
    return min(PERIOD_MAX_S, max(PERIOD_MIN_S, after_s / 4))


class Maintenance:
    def __init__(self, svc: Services, send: Senders):
        self.svc, self.send = svc, send
        self.lease = Lease(svc.redis, svc.keys.maintenance_lease(), LEASE_MS)
        settings = svc.settings
        self.hooks = HookSender(svc)
        self.tasks = [(period_for(settings.sweep_after_s), self._sweep),
                      (period_for(settings.stall_after_s), self._reconcile), (HOOKS_EVERY_S, self.hooks.tick)]
        self.due = [0.0] * len(self.tasks)

    @property
    def tick_s(self) -> float:
        """How often the caller should call tick()."""
        return min(period for period, _ in self.tasks)

    def tick(self) -> None:
        """Run whatever is due, if this process holds the lease; Redis errors wait for the next tick."""
        try:
            if not self.lease.hold():
                return
            for i, (period, task) in enumerate(self.tasks):
                if time.monotonic() >= self.due[i]:
                    self.due[i] = time.monotonic() + period
                    task()
        except redis.RedisError as exc:
            log.warning("maintenance: Redis error (%s); trying again", exc)

    def _sweep(self) -> None:
        resend_unsent(self.svc, self.send.plan, self.svc.settings.sweep_after_s)

    def _reconcile(self) -> None:
        reconcile(self.svc, self.send, self.svc.settings.stall_after_s)

    def stop(self) -> None:
        self.hooks.stop()
        try:
            self.lease.release()
        except redis.RedisError:
            pass
