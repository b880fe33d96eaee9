"""Captures: GET /v1/deployments/{name}/captures and /v1/jobs/{id}/captures (the files, newest first, a page at a
time) and GET /v1/deployments/{name}/drift?window=1h (the window's captured rows against their versions' baselines)."""

import re
from datetime import UTC, datetime

from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from batchsvc.api.jobs import visible_job
from batchsvc.api.params import int_param
from batchsvc.api.state import services
from batchsvc.clock import iso
from batchsvc.errors import InvalidRequest
from batchsvc.jobs.deployment_drift import deployment_drift
from batchsvc.storage.capture_files import CaptureFile, page

LIST_DEFAULT, LIST_MAX = 50, 1000
WINDOW_DEFAULT = "1h"
CURSOR = re.compile(r"^\d{4}-\d\d-\d\d/\d\d/[0-9a-z-]+\.parquet$")  # a key, as next_cursor gives it


class CaptureFileRecord(BaseModel):
    path: str = Field(description="the Parquet file: a path in the data dir, or its s3:// URL")
    first: str = Field(description="the time of its first captured request")
    last: str = Field(description="the time of its last captured request")
    rows: int = Field(description="rows: one per input row of each captured request")
    bytes: int


class CaptureList(BaseModel):
    captures: list[CaptureFileRecord] = Field(description="newest first")
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last one")


class VersionDrift(BaseModel):
    model: str
    version: int
    baseline: bool = Field(description="false: the version has no baseline, so only its rows are counted")
    rows: int
    thresholds: dict | None = None
    judged: bool = Field(True, description="false: too few rows (under 100) to call any feature drifted; the "
                                           "figures are shown all the same")
    features: dict | None = Field(None, description="per feature: psi, unseen_share, missing_share, drifted "
                                  "(and the unseen categories seen most)")
    drifted: list[str] = Field([], description="the features whose PSI is over the model's drift_alert psi")


class DeploymentDrift(BaseModel):
    deployment: str
    window: str
    since: str
    until: str
    files: int = Field(description="capture files read")
    rows: int = Field(description="captured rows in the window")
    unanswered_rows: int = Field(description="rows of requests no version answered (not compared)")
    drifted: list[str] = Field(description="features drifted for any version")
    versions: list[VersionDrift] = Field(description="one report per version that answered in the window")


async def drift(request: Request) -> Response:
    svc, name = services(request), request.path_params["name"]
    window = request.query_params.get("window", WINDOW_DEFAULT)
    await run_in_threadpool(svc.captures.flush)  # this process's latest captures count too
    report = await run_in_threadpool(deployment_drift, svc, name, window)
    return JSONResponse(DeploymentDrift.model_validate(report).model_dump(mode="json"))


async def list_captures(request: Request) -> Response:
    svc, name = services(request), request.path_params["name"]
    limit, cursor = _page_params(request)
    await run_in_threadpool(svc.deployments.spec, name)  # 404 for a deployment that is not there
    await run_in_threadpool(svc.captures.flush)  # this process's latest captures are in the answer
    return _page(await run_in_threadpool(page, svc.data.deployment_captures(name), limit, cursor))


async def list_job_captures(request: Request) -> Response:
    """A job's capture files (a job submitted with "capture": true), newest first."""
    svc, job_id = services(request), request.path_params["job_id"]
    limit, cursor = _page_params(request)
    await visible_job(request, job_id)  # 404 for a job that is not there or not the caller's
    return _page(await run_in_threadpool(page, svc.data.job_captures(job_id), limit, cursor))


def _page_params(request: Request) -> tuple[int, str | None]:
    """limit (1 to LIST_MAX) and cursor (a key from next_cursor), else 422 naming the parameter."""
    limit = int_param(request, "limit", LIST_DEFAULT, 1, LIST_MAX) or LIST_DEFAULT
    cursor = request.query_params.get("cursor")
    if cursor is not None and not CURSOR.match(cursor):
        raise InvalidRequest("cursor must be the next_cursor of a previous page", field="cursor")
    return limit, cursor


def _page(found: tuple[list[CaptureFile], str | None]) -> Response:
    files, next_cursor = found
    shown = CaptureList(captures=[_record(f) for f in files], next_cursor=next_cursor)
    return JSONResponse(shown.model_dump(mode="json"))


def _record(f: CaptureFile) -> CaptureFileRecord:
    return CaptureFileRecord(path=f.location.url, first=_iso(f.first_ms), last=_iso(f.last_ms), rows=f.rows,
                             bytes=f.bytes)


def _iso(ms: int) -> str:
    return iso(datetime.fromtimestamp(ms / 1000, UTC))
