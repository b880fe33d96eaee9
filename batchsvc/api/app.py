"""The Starlette application: the endpoint table, error mapping and shared services."""

import contextlib

import redis.asyncio as aredis
from starlette.applications import Starlette

from ..broker import install_broker
from ..schemas import (AliasRequest, Events, Health, JobList, JobRecord, JobRequest, Model, ModelList, ModelVersion,
                       Readiness, UploadRecord)
from ..services import Services, get_services
from ..status import JobStatus
from . import jobs, models, ops, uploads
from .errors import HANDLERS
from .openapi import document
from .routing import Endpoint, starlette_routes

E = Endpoint
ENDPOINTS = [
    E("POST", "/v1/models/{name}/versions", models.register, "Register a joblib model as its next version",
      "models", multipart={"file": "the joblib file", "description": "free text", "tags": "comma-separated",
                           "features": "column names, for a model fitted on a plain array"},
      response=ModelVersion, status=201, errors=(400, 413, 422)),
    E("GET", "/v1/models", models.list_models, "List models", "models", response=ModelList, errors=()),
    E("GET", "/v1/models/{name}", models.get_model, "A model with its versions and aliases", "models",
      response=Model, errors=(404,)),
    E("GET", "/v1/models/{name}/versions/{version}", models.get_version, "One model version", "models",
      response=ModelVersion),
    E("PUT", "/v1/models/{name}/aliases/{alias}", models.set_alias, "Point an alias at a version", "models",
      body=AliasRequest, response=Model, errors=(400, 404, 413, 422)),
    E("DELETE", "/v1/models/{name}/versions/{version}", models.delete_version, "Remove a version", "models",
      status=204),
    E("POST", "/v1/uploads", uploads.create, "Upload a CSV or Parquet file to score", "uploads",
      multipart={"file": "the CSV, CSV.gz or Parquet file"}, response=UploadRecord, status=201,
      errors=(400, 413, 422)),
    E("POST", "/v1/jobs", jobs.submit, "Submit a scoring job", "jobs", body=JobRequest, response=JobRecord,
      status=202, errors=(400, 404, 409, 413, 422)),
    E("GET", "/v1/jobs", jobs.list_jobs, "List jobs, newest first", "jobs", response=JobList,
      query={"status": {"type": "string", "enum": [s.value for s in JobStatus]}, "model": "string",
             "schedule_id": "string", "limit": {"type": "integer", "minimum": 1, "maximum": jobs.LIST_MAX},
             "cursor": {"type": "string", "pattern": "^[0-9]*$"}}, errors=(422,)),
    E("GET", "/v1/jobs/{job_id}", jobs.get, "A job's record; ?wait=S holds until it finishes", "jobs",
      response=JobRecord, query={"wait": {"type": "integer", "minimum": 0, "maximum": jobs.MAX_WAIT_S}}),
    E("POST", "/v1/jobs/{job_id}/cancel", jobs.cancel, "Cancel a queued or running job", "jobs",
      response=JobRecord, errors=(404, 409)),
    E("GET", "/v1/jobs/{job_id}/results", jobs.results, "Download the predictions", "jobs",
      media_type=tuple(jobs.MEDIA_TYPES.values()),
      query={"format": {"type": "string", "enum": list(jobs.MEDIA_TYPES)}, "errors": "boolean"},
      errors=(404, 409, 422)),
    E("GET", "/v1/jobs/{job_id}/events", jobs.events, "The job's log", "jobs", response=Events, errors=(404,)),
    E("DELETE", "/v1/jobs/{job_id}", jobs.delete, "Remove a finished job and its files", "jobs", status=204,
      errors=(404, 409)),
    E("GET", "/healthz", ops.healthz, "The process is up", "operations", response=Health, errors=()),
    E("GET", "/readyz", ops.readyz, "Redis answers; live workers", "operations", response=Readiness, errors=()),
    E("GET", "/metrics", ops.prometheus, "Prometheus metrics", "operations", media_type="text/plain", errors=()),
    E("GET", "/openapi.json", ops.openapi, "This document", "operations", errors=()),
]


def create_app(svc: Services | None = None) -> Starlette:
    svc = svc or get_services()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        broker = install_broker(svc.settings)
        from .. import actors  # declares the actors on the broker, so the API can send messages

        app.state.enqueue = actors.plan_job.send
        app.state.aredis = aredis.Redis.from_url(svc.settings.redis_url, decode_responses=True)
        try:
            yield
        finally:
            await app.state.aredis.aclose()
            broker.close()

    app = Starlette(routes=starlette_routes(ENDPOINTS), exception_handlers=HANDLERS, lifespan=lifespan)
    app.state.services = svc
    app.state.openapi = document(ENDPOINTS)
    return app
