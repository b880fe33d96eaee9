"""Job webhooks: checked at submit, queued by the transition that finishes the job (storage/hooks.py), then
delivered off the job's path by the maintenance leader's own threads: a signed JSON POST, retried with
doubling waits until answered 2xx or BATCHSVC_WEBHOOK_ATTEMPTS run out, each attempt an event on the job.
"""

import json
import logging
from concurrent.futures import ThreadPoolExecutor

from batchsvc.clock import iso
from batchsvc.errors import InvalidRequest, JobNotFound
from batchsvc.jobs.spec import HookSpec, JobSpec
from batchsvc.schemas import JobRecord, NotifySpec
from batchsvc.settings import Settings
from batchsvc.storage.services import Services
from batchsvc.webhooks.post import Outcome, post
from batchsvc.webhooks.signing import HEADER, sign
from batchsvc.webhooks.targets import check_target, parse_allow

log = logging.getLogger(__name__)
SENDERS = 4  # deliveries in flight at once per maintenance leader
BACKOFF_MAX_S = 300.0
EVENT_HEADER, DELIVERY_HEADER = "batchsvc-event", "batchsvc-delivery"


def check_hook(settings: Settings, hook: NotifySpec | None) -> HookSpec | None:
    """The job's hook as its spec keeps it, once its URL is allowed (a 422 naming notify.url otherwise)."""
    if hook is None:
        return None
    problem = check_target(hook.url, parse_allow(settings.webhook_allow))
    if problem:
        raise InvalidRequest(f"notify.url refused: {problem}", field="notify.url")
    return HookSpec(url=hook.url, events=list(dict.fromkeys(hook.events)), secret=hook.secret)


def notify_on(spec: JobSpec) -> str | None:
    """The statuses whose reaching queues the hook, as the job record keeps them (storage/jobs.py reads it)."""
    return ",".join(spec.notify.events) if spec.notify else None


def body_of(job: dict, event: str, attempt: int) -> bytes:
    """What a receiver gets: the event, a delivery id to deduplicate retries on, and the job's record."""
    record = JobRecord.from_stored(job).model_dump(mode="json")
    return json.dumps({"event": f"job.{event}", "delivery": f"{job['id']}.{event}", "attempt": attempt,
                       "sent_at": iso(), "job": record}, separators=(",", ":")).encode()


def attempt(svc: Services, job_id: str, event: str, number: int) -> Outcome | None:
    """One delivery attempt, recorded on the job; None when there is nothing to send (job or hook gone)."""
    try:
        job = svc.store.get(job_id)
    except JobNotFound:
        return None
    hook = JobSpec.model_validate(job["spec"]).notify
    if hook is None or (event == "drift" and job["status"] != "completed"):
        return None  # a drift hook queued just before a completion that did not come (jobs/drift.py)
    problem = check_target(hook.url, parse_allow(svc.settings.webhook_allow))
    if problem:  # the name resolves elsewhere now, or the setting changed: never sent
        outcome = Outcome(None, f"refused: {problem}", 0.0)
    else:
        body = body_of(job, event, number)
        headers = {EVENT_HEADER: f"job.{event}", DELIVERY_HEADER: f"{job_id}.{event}"}
        if hook.secret:
            headers[HEADER] = sign(hook.secret, body)
        outcome = post(hook.url, body, headers, svc.settings.webhook_timeout_s)
    svc.store.add_event(job_id, "webhook_attempt", hook_event=event, attempt=number, status=outcome.status,
                        error=outcome.error, ms=outcome.ms)
    return outcome


def backoff_s(settings: Settings, number: int) -> float:
    """The wait after failed attempt `number` (1, 2, ...): doubling from BATCHSVC_WEBHOOK_BACKOFF_S."""
    return min(BACKOFF_MAX_S, settings.webhook_backoff_s * 2 ** (number - 1))


class HookSender:
    """Delivers due hooks on threads of its own, so a slow receiver never holds a job or a scoring thread."""

    def __init__(self, svc: Services):
        self.svc = svc
        self.pool = ThreadPoolExecutor(SENDERS, thread_name_prefix="webhook")
        self.busy: set[tuple[str, str, int]] = set()

    def tick(self) -> None:
        """Claim as many due deliveries as there are free senders, and send them."""
        free = SENDERS - len(self.busy)
        if free <= 0:
            return
        hold_ms = int((self.svc.settings.webhook_timeout_s + 30) * 1000)  # past the attempt: it died
        for delivery in self.svc.hooks.claim(free, hold_ms):
            self.busy.add(delivery)
            self.pool.submit(self._send, delivery)

    def _send(self, delivery: tuple[str, str, int]) -> None:
        job_id, event, number = delivery
        try:
            outcome = attempt(self.svc, job_id, event, number)
            self._settle(delivery, outcome)
        except Exception as exc:  # Redis away: the claim lapses and the attempt is made again
            log.warning("webhook of job %s (%s): %s; will try again", job_id, event, exc)
        finally:
            self.busy.discard(delivery)

    def _settle(self, delivery: tuple[str, str, int], outcome: Outcome | None) -> None:
        job_id, event, number = delivery
        settings = self.svc.settings
        if outcome is not None and not outcome.delivered and number < settings.webhook_attempts:
            self.svc.hooks.retry(job_id, event, number, int(backoff_s(settings, number) * 1000))
            return
        self.svc.hooks.done(job_id, event, number)
        if outcome is not None:
            final = "webhook_delivered" if outcome.delivered else "webhook_gave_up"
            self.svc.store.add_event(job_id, final, hook_event=event, attempts=number)

    def stop(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
