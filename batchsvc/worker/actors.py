"""Thin Dramatiq actors over jobs/ (plan, chunks, finalize): each message carries only a job id (and a chunk index).

Import this module only after broker.install_broker() has set the broker.

A Redis error inside a task is waited out and the task retried in place (every step is idempotent), never
handed to Dramatiq's Retries middleware: its retry would need the same Redis, and a failed retry costs the
message. What outlives BATCHSVC_REDIS_WAIT_S is left to the reconciler (jobs/reconcile.py).
"""

import logging
import time
from collections.abc import Callable
from typing import Any

import dramatiq
import redis
from dramatiq.middleware import TimeLimitExceeded

from batchsvc.errors import BatchsvcError
from batchsvc.jobs.cancel import fail
from batchsvc.jobs.chunks import run_chunk
from batchsvc.jobs.finalize import finalize
from batchsvc.jobs.model_cache import ModelCache
from batchsvc.jobs.plan import plan_job as plan
from batchsvc.jobs.reconcile import Senders
from batchsvc.storage.redis_keys import QUEUE
from batchsvc.storage.services import Services, get_services

log = logging.getLogger(__name__)
TRANSIENT = (redis.ConnectionError, redis.TimeoutError, redis.ReadOnlyError, ConnectionError, TimeoutError)
BACKOFF_FIRST_S, BACKOFF_MAX_S = 0.2, 5.0
_settings = get_services().settings
_cache = ModelCache(get_services().data)
OPTIONS: dict[str, Any] = dict(queue_name=QUEUE, max_retries=0, time_limit=_settings.job_time_limit_s * 1000)


@dramatiq.actor(**OPTIONS)
def plan_job(job_id: str) -> None:
    _guarded(job_id, lambda svc: plan(svc, job_id, score_chunk.send, _cache))


@dramatiq.actor(**OPTIONS)
def score_chunk(job_id: str, index: int) -> None:
    _guarded(job_id, lambda svc: run_chunk(svc, job_id, index, _cache, finalize_job.send))


@dramatiq.actor(**OPTIONS)
def finalize_job(job_id: str) -> None:
    _guarded(job_id, lambda svc: finalize(svc, job_id))


SENDERS = Senders(plan=plan_job.send, chunk=score_chunk.send, finalize=finalize_job.send)


def _guarded(job_id: str, work: Callable[[Services], None]) -> None:
    """Data and model errors fail the job at once; Redis errors are waited out; nothing kills the worker."""
    svc = get_services()
    try:
        _with_redis_retries(job_id, lambda: work(svc))
    except BatchsvcError as exc:
        fail(svc, job_id, exc)
    except TimeLimitExceeded:
        fail(svc, job_id, {"type": "TimeLimitExceeded", "message": f"a task ran over "
                           f"{_settings.job_time_limit_s} s (BATCHSVC_JOB_TIME_LIMIT_S); use smaller chunks"})
    except TRANSIENT:
        log.error("job %s: Redis failed for over %d s (BATCHSVC_REDIS_WAIT_S); the reconciler will resend "
                  "this task once Redis is back", job_id, _settings.redis_wait_s)
    except Exception as exc:
        log.exception("job %s: unexpected error", job_id)
        fail(svc, job_id, {"type": "InternalError", "message": f"{type(exc).__name__}: {exc}"})


def _with_redis_retries(job_id: str, attempt: Callable[[], None]) -> None:
    """Run attempt(); on a Redis error wait with backoff and run it again, for up to BATCHSVC_REDIS_WAIT_S."""
    deadline, delay = time.monotonic() + _settings.redis_wait_s, BACKOFF_FIRST_S
    while True:
        try:
            return attempt()
        except TRANSIENT as exc:
            if time.monotonic() + delay > deadline:
                raise
            log.warning("job %s: Redis error (%s: %s); retrying in %.1f s", job_id, type(exc).__name__, exc, delay)
            time.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX_S)
