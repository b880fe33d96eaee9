"""Every error mapped to an HTTP answer in one place; no stack trace ever leaves the server."""

import logging

import redis
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from batchsvc import errors as e
from batchsvc.schemas import problems, summary

log = logging.getLogger(__name__)

STATUS_BY_ERROR = [
    (e.Unauthorized, 401),
    (e.Forbidden, 403),
    (e.NotFound, 404),
    (e.PayloadTooLarge, 413),
    (e.Conflict, 409),
    (e.InvalidRequest, 422),
    (e.DataError, 422),
    (e.ModelError, 422),
]


def error_response(status: int, type_: str, message: str, **extra) -> JSONResponse:
    return JSONResponse({"error": {"type": type_, "message": message, **extra}}, status_code=status)


WWW_AUTHENTICATE = 'Bearer realm="batchsvc"'  # 401 names the scheme to use (RFC 6750)


async def batchsvc_error(request: Request, exc: e.BatchsvcError) -> JSONResponse:
    status = next((code for cls, code in STATUS_BY_ERROR if isinstance(exc, cls)), 500)
    headers = {"WWW-Authenticate": WWW_AUTHENTICATE} if status == 401 else None
    return JSONResponse({"error": exc.to_dict()}, status_code=status, headers=headers)


async def validation_error(request: Request, exc: ValidationError) -> JSONResponse:
    invalid_json = [p for p in exc.errors(include_url=False) if p["type"] == "json_invalid"]
    if invalid_json:
        return error_response(400, "MalformedJSON", f"the body is not valid JSON: {invalid_json[0]['msg']}")
    details = problems(exc)
    return error_response(422, "ValidationError", summary(exc), field=details[0]["field"], details=details)


async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
    response = error_response(exc.status_code, "HTTPError", exc.detail)
    response.headers.update(exc.headers or {})
    return response


async def redis_down(request: Request, exc: Exception) -> JSONResponse:
    return error_response(503, "Unavailable", "the job store (Redis) does not answer; try again shortly")


async def unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(500, "InternalError", "unexpected server error; see the API log")


async def redis_refused(request: Request, exc: redis.ResponseError) -> JSONResponse:
    """Redis answering but refusing writes while it restarts or fails over (READONLY, MISCONF, LOADING) is 503."""
    if isinstance(exc, redis.ReadOnlyError) or str(exc).startswith(("MISCONF", "LOADING", "READONLY")):
        return await redis_down(request, exc)
    return await unexpected(request, exc)


HANDLERS = {
    e.BatchsvcError: batchsvc_error,
    ValidationError: validation_error,
    HTTPException: http_error,
    redis.ConnectionError: redis_down,
    redis.TimeoutError: redis_down,
    redis.ResponseError: redis_refused,
    Exception: unexpected,
}
