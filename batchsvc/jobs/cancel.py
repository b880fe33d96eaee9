"""Ending a job early: cancel (a user asked), fail (an error), and discarding the chunks that finish after.

A canceled or failed job keeps no partial output; a chunk still scoring when it ended adds nothing.
"""

from batchsvc.errors import BatchsvcError, UserCodeError
from batchsvc.jobs.running import WORKER
from batchsvc.status import ACTIVE, JobStatus
from batchsvc.storage.services import Services


def cancel(svc: Services, job_id: str) -> bool:
    """Cancel a queued or running job: queued chunks will not start, running ones stop at their end."""
    svc.store.get(job_id)
    if svc.store.transition(job_id, JobStatus.CANCELED, set(ACTIVE)):
        svc.data.job_dir(job_id).remove_tree()
        return True
    return False


def fail(svc: Services, job_id: str, error: BatchsvcError | dict) -> None:
    """End a queued or running job as failed, keeping the error and removing partial output."""
    body = error.to_dict() if isinstance(error, BatchsvcError) else error
    if isinstance(error, UserCodeError):  # a code model's own error: its traceback for the events only
        svc.store.add_event(job_id, "user_code_error", error=body["message"], traceback=error.traceback)
        if error.details.get("phase") == "init":  # the version itself cannot start: its record says so
            model = svc.store.get(job_id)["model"]
            svc.registry.mark_init_failed(model["name"], model["version"], error.message, error.traceback)
    if svc.store.transition(job_id, JobStatus.FAILED, set(ACTIVE), error=body):
        svc.data.job_dir(job_id).remove_tree()


def discard_if_stopped(svc: Services, job_id: str, index: int) -> bool:
    """A chunk of a job that is no longer running adds nothing: a failed or canceled job loses all its
    partial output, a completed one (this was a redelivered duplicate) only this chunk's stray part."""
    status = svc.store.status(job_id)
    if status == JobStatus.RUNNING:
        return False
    if status == JobStatus.COMPLETED:
        svc.data.part_file(job_id, index).unlink()
        svc.data.bad_rows_part(job_id, index).unlink()
    else:
        svc.data.job_dir(job_id).remove_tree()
    if status is not None:  # a deleted job gets no new keys
        svc.store.add_event(job_id, "chunk_discarded", index=index, worker=WORKER)
    return True
