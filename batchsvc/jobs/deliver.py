"""Delivering a completed result to the job's output.path (a folder or s3:// prefix) and output.asset (a data
asset), as well as keeping it.

Written before the job is marked completed, each file atomically, so a completed job's delivery is whole;
if the job stops instead (canceled or failed meanwhile), what was delivered is taken back: a failed job
leaves nothing there. A finalizer that runs twice writes the same bytes under the same names.
"""

from batchsvc.jobs.data_assets import publish_results, withdraw_results
from batchsvc.jobs.running import RunningJob
from batchsvc.storage.files import FORMAT_SUFFIXES, Location, copy_file, locate
from batchsvc.storage.services import Services

ERRORS_NAME = "errors.jsonl"


def delivered(job: RunningJob) -> list[Location]:
    """Where the job's result (and its bad-row list) go under output.path; none without one."""
    if not job.spec.output.path:
        return []
    folder = locate(job.spec.output.path)
    return [folder / f"predictions{FORMAT_SUFFIXES[job.spec.output.format]}", folder / ERRORS_NAME]


def deliver(svc: Services, job: RunningJob) -> str | None:
    """Copy the result (and errors.jsonl, if any rows were set aside) to output.path; returns the result's URL."""
    targets = delivered(job)
    if not targets:
        return None
    copy_file(svc.data.result_file(job.id, job.spec.output.format), targets[0])
    errors = svc.data.errors_file(job.id)
    if errors.is_file():
        copy_file(errors, targets[1])
    else:  # an earlier job's list there would be read as this one's
        targets[1].unlink()
    return targets[0].url


def delivery(svc: Services, job: RunningJob) -> dict:
    """The result record's `output_url` once delivered (nothing without an output.path), and `output_asset` once
    published as a data asset (nothing without an output.asset)."""
    url = deliver(svc, job)
    return {**({"output_url": url} if url else {}), **publish_results(svc, job)}


def withdraw(svc: Services, job: RunningJob) -> None:
    """Remove a delivery (and a published asset) whose job did not complete."""
    for target in delivered(job):
        target.unlink()
    withdraw_results(svc, job)
