"""Drift routes: a job's input profile against its version's baseline, and a model's drift thresholds."""

import json

from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from batchsvc.api.jobs import visible_job
from batchsvc.api.params import read_json
from batchsvc.api.state import services
from batchsvc.errors import InvalidRequest
from batchsvc.jobs.drift import job_drift
from batchsvc.schemas.models import DriftAlert
from batchsvc.storage.services import Services


async def job_profile(request: Request) -> Response:
    """GET /v1/jobs/{job_id}/profile: the merged profile, per-feature PSI and unseen share, and what drifted."""
    job = await visible_job(request, request.path_params["job_id"])
    return JSONResponse(await run_in_threadpool(job_drift, services(request), job))


async def get_drift_alert(request: Request) -> Response:
    """GET /v1/models/{name}/drift_alert: the model's thresholds (the defaults unless set)."""
    svc, name = services(request), request.path_params["name"]
    await run_in_threadpool(svc.registry.versions, name)  # 404 for a model that does not exist
    return JSONResponse(await run_in_threadpool(svc.drift.alert, name))


async def set_drift_alert(request: Request) -> Response:
    """PUT /v1/models/{name}/drift_alert: change the thresholds later jobs of the model are judged by."""
    svc, name = services(request), request.path_params["name"]
    body = await read_json(request, DriftAlert)
    await run_in_threadpool(svc.registry.versions, name)
    return JSONResponse(await run_in_threadpool(svc.drift.set_alert, name, body.model_dump()))


def drift_alert_field(value) -> dict | None:
    """The registration's `drift_alert` form field (JSON, as the PUT body), or None when absent."""
    if value is None or value == "":
        return None
    try:
        return DriftAlert.model_validate(json.loads(str(value))).model_dump()
    except (ValueError, ValidationError) as exc:
        raise InvalidRequest(f'drift_alert must be JSON like {{"psi": 0.2}} (psi above 0): {_first(exc)}',
                             field="drift_alert") from None


def _first(exc: Exception) -> str:
    return exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)


def model_with_alert(svc: Services, name: str) -> dict:
    """A model with its versions, aliases and drift thresholds."""
    return {**svc.registry.describe(name), "drift_alert": svc.drift.alert(name)}
