"""The Starlette application: the endpoint table, error mapping and shared services."""

import asyncio
import contextlib
import dataclasses
import functools

from starlette.applications import Starlette
from starlette.middleware import Middleware

from batchsvc.api import (
    captures,
    console,
    deployments,
    jobs,
    models,
    ops,
    predictions,
    profiles,
    rollout,
    schedules,
    tokens,
    uploads,
)
from batchsvc.api.azure import errors as azure_errors
from batchsvc.api.azure.routes import ENDPOINTS as AZURE_ENDPOINTS
from batchsvc.api.draining import on_stop_signal
from batchsvc.api.errors import HANDLERS, NamedBodyLimit
from batchsvc.api.job_waits import JobWaits
from batchsvc.api.oip import errors as oip_errors
from batchsvc.api.oip.routes import ENDPOINTS as OIP_ENDPOINTS
from batchsvc.api.openapi import document
from batchsvc.api.routing import Endpoint, starlette_routes
from batchsvc.api.watson import errors as watson_errors
from batchsvc.api.watson.routes import ENDPOINTS as WATSON_ENDPOINTS
from batchsvc.jobs import shadow
from batchsvc.jobs.capture import capture_shadow
from batchsvc.jobs.compile_process import Compiler
from batchsvc.jobs.model_cache import ModelCache
from batchsvc.jobs.online import API_CACHED_MODELS
from batchsvc.roles import Role, effective_role
from batchsvc.scheduling.schemas import ScheduleList, SchedulePatch, ScheduleRecord, ScheduleRequest
from batchsvc.schemas import (
    AliasRequest,
    DeploymentList,
    DeploymentLogs,
    DeploymentPatch,
    DeploymentRecord,
    DeploymentRequest,
    Events,
    Health,
    JobList,
    JobRecord,
    JobRequest,
    Model,
    ModelList,
    ModelVersion,
    PredictionRequest,
    PredictionResponse,
    Readiness,
    TokenRequest,
    TokenResponse,
    UploadRecord,
)
from batchsvc.schemas.deployments import DeploymentHistoryList, ShadowComparison
from batchsvc.schemas.jobs import JobProfile
from batchsvc.schemas.models import DriftAlert
from batchsvc.status import JobStatus
from batchsvc.storage.connect import connect_async
from batchsvc.storage.deployments import LOG_ENTRIES
from batchsvc.storage.history import HISTORY_ENTRIES
from batchsvc.storage.local_cache import ChangeListener
from batchsvc.storage.services import Services, get_services
from batchsvc.worker.broker import install_broker
from batchsvc.worker.send_plan import PlanSender

E, R = Endpoint, Role
JOB_FILTERS: dict[str, str | dict] = {  # GET /v1/jobs and the console's summary filter alike
    "status": {"type": "string", "enum": [s.value for s in JobStatus]}, "model": "string", "schedule_id": "string",
    "limit": {"type": "integer", "minimum": 1, "maximum": jobs.LIST_MAX},
    "cursor": {"type": "string", "pattern": "^[0-9]*$"}}
ENDPOINTS = [
    E("POST", "/v1/models/{name}/versions", models.register, "Register a joblib model as its next version",
      "models", R.ADMIN, multipart={"file": "the joblib file", "description": "free text",
                                    "tags": "comma-separated",
                                    "features": "column names, for a model fitted on a plain array",
                                    "sample": "rows (CSV or Parquet) to verify a compiled engine on",
                                    "force": "true: a new version even for the latest version's very file",
                                    "baseline": "training rows (CSV or Parquet) to judge drift against",
                                    "drift_alert": 'the model\'s drift thresholds as JSON, e.g. {"psi": 0.2}'},
      response=ModelVersion, status=201, errors=(400, 413, 422)),
    E("GET", "/v1/models", models.list_models, "List models", "models", R.READER, response=ModelList, errors=()),
    E("GET", "/v1/models/{name}", models.get_model, "A model with its versions and aliases", "models", R.READER,
      response=Model, errors=(404,)),
    E("GET", "/v1/models/{name}/versions/{version}", models.get_version, "One model version", "models",
      R.READER, response=ModelVersion),
    E("POST", "/v1/models/{name}/versions/{version}/compile", models.compile_engine,
      "Compile and verify the version's fast engine again (rows synthesised from the model)", "models", R.ADMIN,
      response=ModelVersion, errors=(404, 422)),
    E("PUT", "/v1/models/{name}/aliases/{alias}", models.set_alias, "Point an alias at a version", "models",
      R.ADMIN, body=AliasRequest, response=Model, errors=(400, 404, 413, 422), durable=True),
    E("DELETE", "/v1/models/{name}/versions/{version}", models.delete_version, "Remove a version", "models",
      R.ADMIN, status=204),
    E("POST", "/v1/uploads", uploads.create, "Upload a CSV or Parquet file to score", "uploads", R.SUBMITTER,
      multipart={"file": "the CSV, CSV.gz or Parquet file"}, response=UploadRecord, status=201,
      errors=(400, 413, 422)),
    E("POST", "/v1/jobs", jobs.submit, "Submit a scoring job", "jobs", R.SUBMITTER, body=JobRequest,
      response=JobRecord, status=202, errors=(400, 404, 409, 413, 422)),
    E("GET", "/v1/jobs", jobs.list_jobs, "List jobs, newest first", "jobs", R.READER, response=JobList,
      query=JOB_FILTERS, errors=(422,)),
    E("GET", "/v1/jobs/{job_id}", jobs.get, "A job's record; ?wait=S holds until it finishes", "jobs",
      R.READER, response=JobRecord, query={"wait": {"type": "integer", "minimum": 0, "maximum": jobs.MAX_WAIT_S}}),
    E("POST", "/v1/jobs/{job_id}/rerun", jobs.rerun, "Run a job again: its spec as a new job", "jobs",
      R.SUBMITTER, response=JobRecord, status=202, errors=(404, 409, 422)),
    E("POST", "/v1/jobs/{job_id}/cancel", jobs.cancel, "Cancel a queued or running job", "jobs", R.SUBMITTER,
      response=JobRecord, errors=(404, 409)),
    E("GET", "/v1/jobs/{job_id}/results", jobs.results, "Download the predictions", "jobs", R.READER,
      media_type=tuple(jobs.MEDIA_TYPES.values()),
      query={"format": {"type": "string", "enum": list(jobs.MEDIA_TYPES)}, "errors": "boolean"},
      errors=(404, 409, 422)),
    E("GET", "/v1/jobs/{job_id}/events", jobs.events, "The job's log", "jobs", R.READER, response=Events,
      errors=(404,)),
    E("DELETE", "/v1/jobs/{job_id}", jobs.delete, "Remove a finished job and its files", "jobs", R.SUBMITTER,
      status=204, errors=(404, 409)),
    E("POST", "/v1/schedules", schedules.create, "Create a cron or interval schedule", "schedules", R.ADMIN,
      body=ScheduleRequest, response=ScheduleRecord, status=201, errors=(400, 413, 422)),
    E("GET", "/v1/schedules", schedules.list_schedules, "List schedules, oldest first", "schedules", R.READER,
      response=ScheduleList, errors=()),
    E("GET", "/v1/schedules/{schedule_id}", schedules.get, "A schedule with its next and last run", "schedules",
      R.READER, response=ScheduleRecord, errors=(404,)),
    E("PATCH", "/v1/schedules/{schedule_id}", schedules.change, "Change, pause or resume a schedule", "schedules",
      R.ADMIN, body=SchedulePatch, response=ScheduleRecord, errors=(400, 404, 409, 413, 422), durable=True),
    E("DELETE", "/v1/schedules/{schedule_id}", schedules.delete, "Delete a schedule (its jobs stay)", "schedules",
      R.ADMIN, status=204, errors=(404,)),
    E("POST", "/v1/schedules/{schedule_id}/run", schedules.run_now, "Fire a schedule now", "schedules", R.ADMIN,
      response=JobRecord, status=202, errors=(404, 413, 422)),
    E("GET", "/v1/schedules/{schedule_id}/events", schedules.events, "A schedule's log: fired, missed, failed",
      "schedules", R.READER, response=Events, errors=(404,)),
    E("POST", "/v1/deployments", deployments.create, "Deploy a model reference under a stable name and scoring URL",
      "deployments", R.ADMIN, body=DeploymentRequest, response=DeploymentRecord, status=201,
      errors=(400, 404, 409, 413, 422)),
    E("GET", "/v1/deployments", deployments.list_deployments, "List deployments with their state, oldest first",
      "deployments", R.READER, response=DeploymentList, errors=()),
    E("GET", "/v1/deployments/{name}", deployments.get, "A deployment: state, version served, counters",
      "deployments", R.READER, response=DeploymentRecord, errors=(404,)),
    E("PATCH", "/v1/deployments/{name}", deployments.change, "Point a deployment at another model reference",
      "deployments", R.ADMIN, body=DeploymentPatch, response=DeploymentRecord, errors=(400, 404, 413, 422)),
    E("DELETE", "/v1/deployments/{name}", deployments.delete, "Remove a deployment (its model stays)",
      "deployments", R.ADMIN, status=204, errors=(404,)),
    E("GET", "/v1/deployments/{name}/logs", deployments.logs, "A deployment's recent requests, newest first",
      "deployments", R.READER, response=DeploymentLogs,
      query={"limit": {"type": "integer", "minimum": 1, "maximum": LOG_ENTRIES}}),
    E("GET", "/v1/deployments/{name}/captures", captures.list_captures, "A deployment's capture files (Parquet), "
      "newest first", "deployments", R.READER, response=captures.CaptureList,
      query={"limit": {"type": "integer", "minimum": 1, "maximum": captures.LIST_MAX}, "cursor": "string"},
      errors=(404, 422)),
    E("GET", "/v1/jobs/{job_id}/captures", captures.list_job_captures, "The capture files of a job submitted with "
      "capture: true, newest first", "jobs", R.READER, response=captures.CaptureList,
      query={"limit": {"type": "integer", "minimum": 1, "maximum": captures.LIST_MAX}, "cursor": "string"},
      errors=(404, 422)),
    E("GET", "/v1/deployments/{name}/drift", captures.drift, "Drift of a deployment's captured requests over a "
      "window, per version against its baseline", "deployments", R.READER, response=captures.DeploymentDrift,
      query={"window": {"type": "string", "pattern": "^[1-9][0-9]{0,6}[smhd]$"}}, errors=(404, 422)),
    E("POST", "/v1/deployments/{name}/predictions", predictions.predict_deployment,
      "Score rows now with the deployment's model", "predictions", R.SCORER, body=PredictionRequest,
      response=PredictionResponse, errors=(400, 404, 413, 422, 429, 504)),
    E("POST", "/v1/models/{ref}/predictions", predictions.predict_model, "Score rows now with a model reference",
      "predictions", R.SCORER, body=PredictionRequest, response=PredictionResponse,
      errors=(400, 404, 413, 422, 429, 504)),
    E("POST", "/v1/token", tokens.create, "Exchange an API key for a signed, time-limited token", "tokens", R.KEY,
      body=TokenRequest, body_required=False, response=TokenResponse, errors=(400, 413, 422)),
    E("GET", "/healthz", ops.healthz, "The process is up", "operations", R.OPEN, response=Health, errors=()),
    E("GET", "/readyz", ops.readyz, "Redis answers; live workers", "operations", R.OPEN, response=Readiness,
      errors=()),
    E("GET", "/metrics", ops.prometheus, "Prometheus metrics", "operations", R.METRICS, media_type="text/plain",
      errors=()),
    E("GET", "/openapi.json", ops.openapi, "This document", "operations", R.OPEN, errors=()),
    E("GET", "/v1/console/summary", console.summary, "The console's one poll: the caller's role, live workers "
      "and a page of jobs (filters as GET /v1/jobs)", "console", R.READER, response=console.ConsoleSummary,
      query=JOB_FILTERS, errors=(422,)),
    E("GET", "/", console.page, "The web console (its files under /console/): jobs with live progress and their "
      "pages, schedules, models and a try-it form; it calls the API with the key typed into it and offers only "
      "what that key's role may do", "operations", R.OPEN, media_type="text/html", errors=()),
    E("GET", "/v1/jobs/{job_id}/profile", profiles.job_profile, "The job's input profile against its version's "
      "baseline: per feature PSI, unseen and missing shares, and the features that drifted", "jobs", R.READER,
      response=JobProfile, errors=(404,)),
    E("GET", "/v1/models/{name}/drift_alert", profiles.get_drift_alert, "The model's drift thresholds", "models",
      R.READER, response=DriftAlert, errors=(404,)),
    E("PUT", "/v1/models/{name}/drift_alert", profiles.set_drift_alert, "Set the model's drift thresholds "
      "(later jobs are judged by them)", "models", R.ADMIN, body=DriftAlert, response=DriftAlert,
      errors=(400, 404, 413, 422), durable=True),
    E("GET", "/v1/deployments/{name}/history", rollout.history, "A deployment's changes (who, when, each field "
      "from and to), newest first", "deployments", R.READER, response=DeploymentHistoryList, errors=(404, 422),
      query={"limit": {"type": "integer", "minimum": 1, "maximum": HISTORY_ENTRIES}}),
    E("GET", "/v1/deployments/{name}/shadow", rollout.shadow_comparison, "The live comparison of a deployment's "
      "shadow with the answers given: label agreement, |Δp| per class, the shadow's latency and errors",
      "deployments", R.READER, response=ShadowComparison, errors=(404,)),
]


def _dialect_errors(handlers: dict) -> dict:
    """The native handlers, reshaped on each dialect's paths (Watson ML, Azure ML, Open Inference Protocol)."""
    return oip_errors.reshape_all(azure_errors.reshape_all(watson_errors.reshape_all(handlers)))


def create_app(svc: Services | None = None, *, require_keys: bool = False, allow_no_keys: bool = False) -> Starlette:
    """The app; require_keys (or BATCHSVC_AUTH_REQUIRED) turns auth on even before any key exists;
    allow_no_keys (or BATCHSVC_ALLOW_NO_KEYS) serves keyless requests on any Host, behind a trusted proxy."""
    svc = svc or get_services()
    endpoints = [dataclasses.replace(e, role=effective_role(e.role, svc.settings)) for e in ENDPOINTS]
    served = endpoints + WATSON_ENDPOINTS + AZURE_ENDPOINTS + OIP_ENDPOINTS  # served, not in /openapi.json

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        broker = install_broker(svc.settings)
        from batchsvc.worker import actors  # declares the actors on the broker, so the API can send messages

        app.state.compiler = Compiler(svc.settings)  # registrations compile in its process, never in this one
        app.state.enqueue = PlanSender(actors.plan_job)  # a job and its message in one transaction
        app.state.aredis = connect_async(svc.settings)
        app.state.job_waits = JobWaits(app.state.aredis, svc.keys)  # long polls: one subscription per process
        app.state.job_waits.start()
        listener = ChangeListener(svc.redis, svc.keys, svc.local).start()  # deployments, versions, keys in memory
        svc.request_log.start()  # request logs written in batches
        svc.captures.start()  # captured payloads too (storage/captures.py)
        shadowed = functools.partial(capture_shadow, svc)  # a captured request's shadow answer is captured too
        shadow.add_listener(shadowed)
        on_stop_signal(app.state.draining)  # SIGTERM answers open long polls at once
        try:
            yield
        finally:
            svc.request_log.stop()
            svc.captures.stop()
            shadow.stop(app.state.model_cache)  # the shadow pool, its last comparison figures written
            shadow.remove_listener(shadowed)
            listener.stop()
            app.state.compiler.stop()
            await app.state.job_waits.stop()
            await app.state.aredis.aclose()
            broker.close()

    routes = [*starlette_routes(served, svc.settings), console.assets()]
    app = Starlette(routes=routes, middleware=[Middleware(NamedBodyLimit)],
                    exception_handlers=_dialect_errors(HANDLERS), lifespan=lifespan)
    app.state.services = svc
    app.state.draining = asyncio.Event()  # set on SIGTERM: long polls answer now (api/draining.py)
    app.state.model_cache = ModelCache(svc.data, API_CACHED_MODELS)  # online predictions, verified by sha256
    app.state.gates = {}  # online limits: each deployment's slots in this process (api/online_limits.py)
    app.state.online_fast = True  # small requests take jobs/online_fast.py (tests turn it off to compare)
    app.state.require_keys = require_keys or svc.settings.auth_required
    app.state.allow_no_keys = allow_no_keys or svc.settings.allow_no_keys
    app.state.openapi = document(endpoints)
    return app


def app_from_env() -> Starlette:
    """The app of one of several API processes (`batchsvc api --workers N`), from the environment alone."""
    return create_app(get_services())
