"""Operational routes: /healthz, /readyz, /metrics, /openapi.json."""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from batchsvc.api import metrics
from batchsvc.api.state import services
from batchsvc.storage.connect import FAILOVERS, primary_address


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    try:
        workers, primary = await run_in_threadpool(live_workers, services(request))
    except Exception as exc:
        reason = f"not answering: {type(exc).__name__}"
        return JSONResponse({"status": "unavailable", "redis": reason,
                             "error": {"type": "Unavailable", "message": f"Redis is {reason}"}}, status_code=503)
    return JSONResponse({"status": "ok", "redis": "ok", "workers": workers, "primary": primary})


def live_workers(svc) -> tuple[int, str]:
    """Live worker processes, and the Redis that answered (asked after the PING, so it is the one that did)."""
    svc.redis.ping()
    return svc.workers.live_count(), primary_address(svc.redis)


async def prometheus(request: Request) -> Response:
    svc = services(request)
    body = await run_in_threadpool(metrics.exposition, svc.counters, FAILOVERS.count, svc.captures.dropped,
                                   request.app.state.job_waits.held())
    return Response(body, media_type=metrics.CONTENT_TYPE)


async def openapi(request: Request) -> Response:
    return JSONResponse(request.app.state.openapi)
