"""Errors on the Open Inference Protocol's paths in its shape, {"error": "..."}, a bad request as 400; the
native handlers decide the status and message, this only reshapes their answer (headers kept: Retry-After,
WWW-Authenticate)."""

import json
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

PREFIXES = ("/v2/health/", "/v2/models/")  # and /v2 itself, the server's metadata
BAD_REQUEST = 400  # the protocol's answer to any request it cannot take (the native API says 422)
Handler = Callable[..., Awaitable[Response]]


def is_oip_path(path: str) -> bool:
    return path == "/v2" or path.startswith(PREFIXES)


def reshaped(handler: Handler) -> Handler:
    """An exception handler whose answer on an Open Inference Protocol path is {"error": message}."""
    async def handle(request: Request, exc: Exception) -> Response:
        response = await handler(request, exc)
        if not is_oip_path(request.url.path) or not isinstance(response, JSONResponse):
            return response
        error = json.loads(bytes(response.body)).get("error", {})
        message = error.get("message", "") if isinstance(error, dict) else str(error)
        status = BAD_REQUEST if response.status_code == 422 else response.status_code
        headers = {k: v for k, v in response.headers.items() if k.lower() in ("www-authenticate", "retry-after")}
        return JSONResponse({"error": message}, status, headers)

    return handle


def reshape_all(handlers: dict) -> dict:
    """The app's exception handlers, each reshaping its answers on Open Inference Protocol paths."""
    return {kind: reshaped(handler) for kind, handler in handlers.items()}
