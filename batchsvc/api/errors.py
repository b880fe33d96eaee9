"""Every error mapped to an HTTP answer in one place; no stack trace ever leaves the server."""

import json
import logging
from collections.abc import Awaitable, Callable

import redis
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from batchsvc import errors as e
from batchsvc.schemas import problems, summary

log = logging.getLogger(__name__)

STATUS_BY_ERROR = [
    (e.Unauthorized, 401),
    (e.Forbidden, 403),
    (e.NotFound, 404),
    (e.PayloadTooLarge, 413),
    (e.Conflict, 409),
    (e.BadHeader, 400),
    (e.InvalidRequest, 422),
    (e.DataError, 422),
    (e.ModelError, 422),
    (e.ModelUnavailable, 503),
    (e.OverCapacity, 429),
    (e.ScoringTimeout, 504),
    (e.StorageError, 503),
    (e.ReplicaUnavailable, 503),
]
RETRY_AFTER_S = 2  # a 503 (Redis down, failing over, no replica in time) says when to try again


def error_response(status: int, type_: str, message: str, **extra) -> JSONResponse:
    return JSONResponse({"error": {"type": type_, "message": message, **extra}}, status_code=status)


WWW_AUTHENTICATE = 'Bearer realm="batchsvc"'  # 401 names the scheme to use (RFC 6750)
BODY_SETTINGS = {"json": ("BATCHSVC_MAX_JSON_BYTES", "; upload the data as a file instead"),  # routing.BODY_LIMITS
                 "upload": ("BATCHSVC_MAX_UPLOAD_BYTES", "")}


def status_for(exc: Exception) -> int:
    """The HTTP status an error is answered with (what request logs record, too)."""
    if isinstance(exc, (redis.ConnectionError, redis.TimeoutError)):
        return 503
    return next((code for cls, code in STATUS_BY_ERROR if isinstance(exc, cls)), 500)


async def batchsvc_error(request: Request, exc: e.BatchsvcError) -> JSONResponse:
    status = status_for(exc)
    headers = {401: {"WWW-Authenticate": WWW_AUTHENTICATE}, 503: {"Retry-After": str(RETRY_AFTER_S)}}.get(status)
    if status == 429:
        headers = {"Retry-After": str(exc.details.get("retry_after_s", 1))}
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
    response = error_response(503, "Unavailable", "the job store (Redis) does not answer (down, or failing over to "
                              f"a replica); try again in {RETRY_AFTER_S} s")
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


async def unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(500, "InternalError", "unexpected server error; see the API log")


async def redis_refused(request: Request, exc: redis.ResponseError) -> JSONResponse:
    """Redis answering but refusing writes while it restarts or fails over (READONLY, MISCONF, LOADING) is 503."""
    if isinstance(exc, redis.ReadOnlyError) or str(exc).startswith(("MISCONF", "LOADING", "READONLY")):
        return await redis_down(request, exc)
    return await unexpected(request, exc)


def body_too_large_response(scope: Scope) -> JSONResponse:
    """The 413 for a body over its route's Starlette max_body_size, naming the setting behind that limit."""
    env, hint = BODY_SETTINGS[getattr(scope.get("route"), "body_kind", "json")]
    limit = scope.get(MAX_BODY_SIZE_SCOPE_KEY)
    return error_response(413, "PayloadTooLarge", f"the body is over {limit} bytes ({env}){hint}")


async def body_too_large(request: Request, exc: HTTPException) -> JSONResponse:
    """Starlette's HTTPException(413), raised when a body read (JSON, form, stream) passes the route's limit."""
    return body_too_large_response(request.scope)


class NamedBodyLimit:
    """Starlette answers a declared Content-Length over the route's limit with a plain-text 413 of its own, in place
    of whatever the handler sends: this middleware sends the JSON error naming the setting instead."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        replaced = False

        async def named(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start" and message["status"] == 413 and not _is_json(message):
                replaced = True
                await body_too_large_response(scope)(scope, receive, send)
            elif not replaced:
                await send(message)

        await self.app(scope, receive, named)


def _is_json(start: Message) -> bool:
    return dict(start.get("headers", [])).get(b"content-type", b"").startswith(b"application/json")


KEPT_HEADERS = ("www-authenticate", "retry-after")  # what a dialect's reshaped error keeps of the native answer
Shaper = Callable[[int, dict], tuple[int, dict]]  # (status, native error) -> the dialect's status and body


def reshape_all(handlers: dict, applies: Callable[[str], bool], shape: Shaper) -> dict:
    """The handlers, each answering in a protocol dialect's shape on the paths `applies` to (the native handler
    still decides the status and message; WWW-Authenticate and Retry-After are kept)."""
    def reshaped(handler: Callable[..., Awaitable[JSONResponse]]) -> Callable[..., Awaitable[JSONResponse]]:
        async def handle(request: Request, exc: Exception) -> JSONResponse:
            response = await handler(request, exc)
            if not applies(request.url.path) or not isinstance(response, JSONResponse):
                return response
            error = json.loads(bytes(response.body)).get("error")
            status, body = shape(response.status_code, error if isinstance(error, dict) else {})
            headers = {k: v for k, v in response.headers.items() if k.lower() in KEPT_HEADERS}
            return JSONResponse(body, status, headers)

        return handle

    return {kind: reshaped(handler) for kind, handler in handlers.items()}


# each handler takes the exception class it is registered for, so it is no (Request, Exception) callable
HANDLERS: dict[int | type[Exception], Callable[..., Awaitable[JSONResponse]]] = {
    413: body_too_large,
    e.BatchsvcError: batchsvc_error,
    ValidationError: validation_error,
    HTTPException: http_error,
    redis.ConnectionError: redis_down,
    redis.TimeoutError: redis_down,
    redis.ResponseError: redis_refused,
    Exception: unexpected,
}
