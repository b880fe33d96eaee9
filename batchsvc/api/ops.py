"""Operational routes: /healthz, /readyz, /metrics, /openapi.json."""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from batchsvc.api import metrics
from batchsvc.api.state import services


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    try:
        workers = await run_in_threadpool(live_workers, services(request))
    except Exception as exc:
        reason = f"not answering: {type(exc).__name__}"
        return JSONResponse({"status": "unavailable", "redis": reason,
                             "error": {"type": "Unavailable", "message": f"Redis is {reason}"}}, status_code=503)
    return JSONResponse({"status": "ok", "redis": "ok", "workers": workers})


def live_workers(svc) -> int:
    svc.redis.ping()
    return svc.workers.live_count()


async def prometheus(request: Request) -> Response:
    body = await run_in_threadpool(metrics.exposition, services(request).counters)
    return Response(body, media_type=metrics.CONTENT_TYPE)


async def openapi(request: Request) -> Response:
    return JSONResponse(request.app.state.openapi)
