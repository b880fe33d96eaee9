"""Thin Dramatiq actors over jobs/ (plan, chunks, finalize): each message carries only a job id (and a chunk index).

Import this module only after broker.install_broker() has set the broker.
"""

import logging
from typing import Any

import dramatiq
import redis
from dramatiq.middleware import CurrentMessage, TimeLimitExceeded

from batchsvc.errors import BatchsvcError
from batchsvc.jobs.cancel import fail
from batchsvc.jobs.chunks import run_chunk
from batchsvc.jobs.finalize import finalize
from batchsvc.jobs.model_cache import ModelCache
from batchsvc.jobs.plan import plan_job as plan
from batchsvc.storage.redis_keys import QUEUE
from batchsvc.storage.services import get_services

log = logging.getLogger(__name__)
TRANSIENT = (redis.ConnectionError, redis.TimeoutError, ConnectionError, TimeoutError)
_settings = get_services().settings
_cache = ModelCache(get_services().data)
OPTIONS: dict[str, Any] = dict(  # dramatiq.actor's **options are Any; a plain dict would infer dict[str, object]
    queue_name=QUEUE, max_retries=_settings.job_max_retries, min_backoff=500, max_backoff=10_000,
    time_limit=_settings.job_time_limit_s * 1000,
    retry_when=lambda retries, exc: isinstance(exc, TRANSIENT) and retries < _settings.job_max_retries)


@dramatiq.actor(**OPTIONS)
def plan_job(job_id: str) -> None:
    _guarded(job_id, lambda svc: plan(svc, job_id, score_chunk.send, _cache))


@dramatiq.actor(**OPTIONS)
def score_chunk(job_id: str, index: int) -> None:
    _guarded(job_id, lambda svc: run_chunk(svc, job_id, index, _cache, finalize_job.send))


@dramatiq.actor(**OPTIONS)
def finalize_job(job_id: str) -> None:
    _guarded(job_id, lambda svc: finalize(svc, job_id))


def _guarded(job_id: str, work) -> None:
    """Data and model errors fail the job at once; Redis hiccups are retried; nothing kills the worker."""
    svc = get_services()
    try:
        work(svc)
    except BatchsvcError as exc:
        fail(svc, job_id, exc)
    except TRANSIENT:
        if _retries() < _settings.job_max_retries:
            raise
        log.exception("job %s: giving up after %d retries", job_id, _retries())
        fail(svc, job_id, {"type": "RetriesExhausted", "message": "Redis kept failing; see the worker log"})
    except TimeLimitExceeded:
        fail(svc, job_id, {"type": "TimeLimitExceeded", "message": f"a task ran over "
                                  f"{_settings.job_time_limit_s} s (BATCHSVC_JOB_TIME_LIMIT_S); use smaller chunks"})
    except Exception as exc:
        log.exception("job %s: unexpected error", job_id)
        fail(svc, job_id, {"type": "InternalError", "message": f"{type(exc).__name__}: {exc}"})


def _retries() -> int:
    message = CurrentMessage.get_current_message()
    return message.options.get("retries", 0) if message else 0
