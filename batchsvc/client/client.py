"""The Python client for batchsvc's HTTP API, on httpx; Job.wait() uses the server's long poll.

    from batchsvc.client import Client
    with Client() as c:                       # BATCHSVC_API_URL, BATCHSVC_API_KEY
        job = c.submit("credit-risk@production", path="sample_data/credit_risk.parquet").wait()
        c.results(job.id, "scores.parquet")
"""

from __future__ import annotations

import builtins
import json
import math
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from batchsvc.client import settings
from batchsvc.client.bundle import open_upload
from batchsvc.client.deployments import DeploymentCalls
from batchsvc.client.drift import DriftCalls, with_baseline
from batchsvc.client.errors import (
    CannotReach,
    ClientError,
    JobCanceled,
    JobFailed,
    WaitTimeout,
    from_response,
    unreachable,
)
from batchsvc.client.schedules import ScheduleCalls
from batchsvc.status import FINISHED as FINISHED_STATES

__all__ = ["Client", "Job", "ClientError", "CannotReach", "JobFailed", "JobCanceled", "WaitTimeout"]

TIMEOUT_S = 30.0
LONG_POLL_S = 30  # the server holds a ?wait= request at most 60 s
PROGRESS_POLL_S = 1  # with on_progress, a fresh record at least this often
DOWNLOAD_BLOCK_BYTES = 1 << 20
LIST_PAGE_MAX = 500
FINISHED = tuple(s.value for s in FINISHED_STATES)


class Job:
    """A submitted job: the last record seen, refreshed by refresh() and wait()."""

    def __init__(self, client: Client, record: dict):
        self.client, self.record = client, record

    id = property(lambda self: self.record["id"])
    status = property(lambda self: self.record["status"])
    progress = property(lambda self: self.record["progress"])
    error = property(lambda self: self.record.get("error"))
    result = property(lambda self: self.record.get("result"))
    finished = property(lambda self: self.status in FINISHED)

    def __repr__(self) -> str:
        p = self.progress
        return f"<Job {self.id} {self.status} {p['rows_done']}/{p['rows_total'] or '?'} rows>"

    def refresh(self, wait_s: int = 0) -> Job:
        """Fetch the record again; with wait_s the server holds the request until the job finishes."""
        self.record = self.client._job_record(self.id, wait_s)
        return self

    def wait(self, timeout: float | None = None, on_progress: Callable[[Job], None] | None = None) -> Job:
        """Block until the job finishes; raises JobFailed (or JobCanceled) unless it completed.

        Each request is a long poll that returns the moment the job finishes; with on_progress
        the polls are short so the callback also sees the rows done while the job runs.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        if on_progress:
            on_progress(self)
        while not self.finished:
            hold_s = PROGRESS_POLL_S if on_progress else LONG_POLL_S
            if deadline is not None:
                left_s = deadline - time.monotonic()
                if left_s <= 0:
                    raise WaitTimeout(f"job {self.id} is still {self.status} after {timeout} s")
                hold_s = max(1, min(hold_s, math.ceil(left_s)))
            self.refresh(hold_s)
            if on_progress:
                on_progress(self)
        return self.check()

    def check(self) -> Job:
        """This job if it completed; JobFailed or JobCanceled if it ended otherwise."""
        if self.status == "failed":
            raise JobFailed(self)
        if self.status == "canceled":
            raise JobCanceled(self)
        return self

    def cancel(self) -> Job:
        self.record = self.client.cancel(self.id).record
        return self

    def results(self, path: str | Path | None = None, format: str | None = None):
        return self.client.results(self.id, path, format)


class Client(DeploymentCalls, DriftCalls, ScheduleCalls):
    """One connection pool to one batchsvc API (a context manager, or call close()); deployment calls
    (create_deployment, predict, ...) are in deployments.py, drift calls in drift.py."""

    def __init__(self, url: str | None = None, api_key: str | None = None, timeout_s: float = TIMEOUT_S,
                 transport: httpx.BaseTransport | None = None):
        self.url = (url or settings.api_url()).rstrip("/")
        api_key = api_key or settings.api_key()
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.timeout_s = timeout_s
        try:
            self.http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout_s, transport=transport)
        except httpx.InvalidURL as exc:
            raise ClientError(f"the API URL {self.url!r} is not usable (BATCHSVC_API_URL or --url): {exc}") from None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    # models
    def register_model(self, name: str, file: str | Path, *, description: str = "", tags: Sequence[str] = (),
                       alias: str | None = None, force: bool = False, baseline: str | Path | None = None) -> dict:
        """Register a joblib file (or a code model's folder or zip) as the model's next version (and point an alias
        at it), with training rows to judge drift by (baseline); the latest's very file answers it, unless force."""
        form = {"description": description, "tags": ",".join(tags), "force": "true" if force else "false"}
        with open_upload(file) as (filename, f):
            meta = self._json("POST", f"/v1/models/{name}/versions", data=form,
                              files=with_baseline({"file": (filename, f)}, baseline))
        if alias:
            self.set_alias(name, alias, meta["version"])
        return meta

    def list_models(self) -> list[dict]:
        return self._json("GET", "/v1/models")["models"]

    def get_model(self, name: str) -> dict:
        return self._json("GET", f"/v1/models/{name}")

    def set_alias(self, name: str, alias: str, version: int) -> dict:
        return self._json("PUT", f"/v1/models/{name}/aliases/{alias}", json={"version": version})

    def delete_version(self, name: str, version: int) -> None:
        self._request("DELETE", f"/v1/models/{name}/versions/{version}")

    # schedules (the rest in schedules.py)
    def run_schedule(self, schedule_id: str) -> Job:
        return Job(self, self._json("POST", f"/v1/schedules/{schedule_id}/run"))

    # inputs and jobs
    def upload(self, file: str | Path) -> dict:
        """Send a local CSV (.csv.gz) or Parquet file; returns {"upload": id, "bytes": n, "format": f}."""
        with open(file, "rb") as f:
            return self._json("POST", "/v1/uploads", files={"file": (Path(file).name, f)})

    def submit(self, model: str, input=None, *, path: str | None = None, file: str | Path | None = None,
               output_format: str | None = None, passthrough: list[str] | None = None,
               chunk_size: int | None = None, max_bad_rows: int | None = None, name: str | None = None,
               idempotency_key: str | None = None) -> Job:
        """Submit a job over one of: input (an API input dict or a DataFrame), a server path, a local file."""
        body: dict[str, Any] = {"model": model, "input": _input(self, input, path, file)}
        output = {k: v for k, v in (("format", output_format), ("passthrough", passthrough)) if v}
        extra = {"output": output, "chunk_size": chunk_size, "max_bad_rows": max_bad_rows, "name": name}
        body.update({k: v for k, v in extra.items() if v not in (None, {})})
        return self.submit_body(body, idempotency_key)

    def submit_body(self, body: dict, idempotency_key: str | None = None) -> Job:
        """Submit a raw POST /v1/jobs body; a repeated idempotency key returns the first job."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return Job(self, self._json("POST", "/v1/jobs", json=body, headers=headers))

    def get(self, job_id: str) -> Job:
        return Job(self, self._job_record(job_id, 0))

    def list(self, status: str | None = None, model: str | None = None, schedule_id: str | None = None,
             limit: int = 50) -> list[Job]:
        """Jobs newest first, up to limit, following the server's pages."""
        jobs: list[Job] = []
        cursor = None
        while len(jobs) < limit:
            params = {"status": status, "model": model, "schedule_id": schedule_id, "cursor": cursor,
                      "limit": min(limit - len(jobs), LIST_PAGE_MAX)}
            page = self._json("GET", "/v1/jobs", params={k: v for k, v in params.items() if v is not None})
            jobs += [Job(self, r) for r in page["jobs"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        return jobs

    def cancel(self, job_id: str) -> Job:
        return Job(self, self._json("POST", f"/v1/jobs/{job_id}/cancel"))

    def delete(self, job_id: str) -> None:
        self._request("DELETE", f"/v1/jobs/{job_id}")

    def events(self, job_id: str) -> builtins.list[dict]:
        return self._json("GET", f"/v1/jobs/{job_id}/events")["events"]

    def results(self, job_id: str, path: str | Path | None = None, format: str | None = None,
                errors: bool = False):
        """Stream the results to path (returns it), or without a path return them as a pandas DataFrame."""
        if path is not None:
            return self.download(job_id, path, format, errors)
        import pandas as pd

        fmt = "jsonl" if errors else (format or "parquet")
        with tempfile.TemporaryDirectory() as tmp:
            local = self.download(job_id, Path(tmp) / f"results.{fmt}", fmt, errors)
            if fmt == "parquet":
                return pd.read_parquet(local)
            return pd.read_csv(local) if fmt == "csv" else pd.read_json(local, lines=True)

    def download(self, job_id: str, path: str | Path, format: str | None = None, errors: bool = False) -> Path:
        """Write the results to path block by block (a temporary name until complete)."""
        path = Path(path)
        part = path.with_name(f".{path.name}.part")
        try:
            with open(part, "wb") as f:
                self.stream_results(job_id, f.write, format, errors)
            part.replace(path)
        finally:
            part.unlink(missing_ok=True)
        return path

    def stream_results(self, job_id: str, write: Callable[[bytes], object], format: str | None = None,
                       errors: bool = False) -> None:
        """Pass the results to write() block by block, never holding them whole."""
        params = {k: v for k, v in (("format", format), ("errors", "true" if errors else None)) if v}
        try:
            with self.http.stream("GET", f"/v1/jobs/{job_id}/results", params=params) as response:
                if response.is_error:
                    response.read()
                    raise from_response(response)
                for block in response.iter_bytes(DOWNLOAD_BLOCK_BYTES):
                    write(block)
        except httpx.TransportError as exc:
            raise unreachable(self.url, exc) from None

    # operations
    def ready(self) -> dict:
        return self._json("GET", "/readyz")

    # plumbing
    def _job_record(self, job_id: str, wait_s: int) -> dict:
        if not wait_s:
            return self._json("GET", f"/v1/jobs/{job_id}")
        return self._json("GET", f"/v1/jobs/{job_id}", params={"wait": wait_s}, timeout=self.timeout_s + wait_s)

    def _json(self, method: str, path: str, **kwargs) -> dict:
        return self._request(method, path, **kwargs).json()

    def _request(self, method: str, path: str, **kwargs) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise unreachable(self.url, exc) from None
        if response.is_error:
            raise from_response(response)
        return response


def _input(client: Client, input, path: str | None, file: str | Path | None) -> dict:
    """The body's input from exactly one of: an input dict or DataFrame, a server path, a local file."""
    given = [x for x in (input, path, file) if x is not None]
    if len(given) != 1:
        raise ClientError("give exactly one of input, path or file")
    if path is not None:
        return {"path": path}
    if file is not None:
        return {"upload": client.upload(file)["upload"]}
    if hasattr(input, "to_json"):  # a pandas DataFrame: its JSON keeps numpy values serialisable
        split = json.loads(input.to_json(orient="split", index=False, date_format="iso"))
        return {"fields": split["columns"], "values": split["data"]}
    return input

