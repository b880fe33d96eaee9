"""Operational routes: /healthz, /readyz, /metrics, /openapi.json."""

import time
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from .state import services

WORKER_ALIVE_S = 10
DASHBOARD_HTML = (Path(__file__).parent / "dashboard.html").read_text()


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    try:
        workers = await run_in_threadpool(live_workers, services(request))
    except Exception as exc:
        return JSONResponse({"status": "unavailable", "redis": f"not answering: {type(exc).__name__}"},
                            status_code=503)
    return JSONResponse({"status": "ok", "redis": "ok", "workers": workers})


def live_workers(svc) -> int:
    svc.redis.ping()
    return svc.redis.zcount(svc.keys.worker_heartbeats(), time.time() - WORKER_ALIVE_S, "+inf")


async def openapi(request: Request) -> Response:
    return JSONResponse(request.app.state.openapi)


async def dashboard(request: Request) -> Response:
    """A page of jobs with live status and progress, schedules and models (it reads the JSON API)."""
    return HTMLResponse(DASHBOARD_HTML)
