"""What every step of a running job shares: the worker's name, the decoded job, its model, and its records.

Each step (plan.py, small.py, chunks.py, finalize.py) loads a RunningJob once and works from it.
"""

import json
import os
import socket
from dataclasses import dataclass

from batchsvc.errors import TooManyBadRows
from batchsvc.jobs.model_cache import ModelCache
from batchsvc.jobs.spec import JobSpec
from batchsvc.scoring.engines import Engine
from batchsvc.scoring.modelinfo import ModelInfo
from batchsvc.status import JobStatus
from batchsvc.storage.files import Location, atomic_file
from batchsvc.storage.services import Services

WORKER = f"{socket.gethostname()}:{os.getpid()}"
RUNNING = {JobStatus.RUNNING}


@dataclass
class RunningJob:
    """A job record with its spec decoded once (the record stays a dict: it is what Redis holds)."""
    record: dict
    spec: JobSpec

    @classmethod
    def load(cls, svc: Services, job_id: str) -> "RunningJob":
        record = svc.store.get(job_id)
        return cls(record, JobSpec.model_validate(record["spec"]))

    @property
    def id(self) -> str:
        return self.record["id"]

    @property
    def status(self) -> JobStatus:
        return JobStatus(self.record["status"])

    def meta(self, svc: Services) -> dict:
        """The registry's record of the version the job was submitted with."""
        return svc.registry.version(self.record["model"]["name"], self.record["model"]["version"])

    def model(self, svc: Services, cache: ModelCache, meta: dict | None = None) -> tuple[Engine, ModelInfo]:
        """The verified, cached engine of the version the job was submitted with (the exact one when the job
        says engine: sklearn), and what the model needs; `meta` when the caller read it already."""
        meta = meta or self.meta(svc)
        return cache.engine(meta, self.spec.engine), cache.info(meta)


def note_chunk(svc: Services, job_id: str, index: int, entry: dict) -> None:
    """Log and count a chunk the ledger took for the first time."""
    svc.store.add_event(job_id, "chunk", index=index, **entry)
    svc.counters.record_chunk(entry["rows"], entry["seconds"])


def result_record(job_id: str, rows: int, bad_rows: int, fmt: str, predictions: dict | None) -> dict:
    """A completed job's result record; inline jobs carry their predictions in it."""
    result = {"rows": rows, "bad_rows": bad_rows, "format": fmt, "url": f"/v1/jobs/{job_id}/results"}
    if predictions is not None:
        result["predictions"] = predictions
    if bad_rows:
        result["errors_url"] = f"/v1/jobs/{job_id}/results?errors=true"
    return result


def write_bad_rows(path: Location, bad: list[dict]) -> None:
    """A JSON-lines list of the rows that could not be scored, written whole or not at all."""
    with atomic_file(path) as f:
        f.write("".join(json.dumps(b, default=str) + "\n" for b in bad).encode())


def check_bad_row_budget(svc: Services, job: RunningJob) -> None:
    """Fail the job once its chunks together have more bad rows than max_bad_rows allows."""
    total, allowed = svc.store.get(job.id)["bad_rows"], job.spec.max_bad_rows
    if total > allowed:
        raise TooManyBadRows(f"{total} unreadable rows, more than max_bad_rows={allowed}; see the job's events")
