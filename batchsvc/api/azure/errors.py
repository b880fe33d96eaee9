"""Errors on the Azure ML scoring paths in azmlinfsrv's shape, {"message": ...}: the native handlers decide the
status and message (api/errors.py), this only reshapes their answer (status and WWW-Authenticate kept)."""

import json
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from batchsvc.api.azure.paths import PREFIX

Handler = Callable[..., Awaitable[Response]]


def reshaped(handler: Handler) -> Handler:
    """An exception handler whose answer on an Azure ML path is {"message": ...}."""
    async def handle(request: Request, exc: Exception) -> Response:
        response = await handler(request, exc)
        if not request.url.path.startswith(PREFIX) or not isinstance(response, JSONResponse):
            return response
        error = json.loads(bytes(response.body)).get("error", {})
        headers = {k: v for k, v in response.headers.items() if k.lower() == "www-authenticate"}
        return JSONResponse({"message": error.get("message", "")}, response.status_code, headers)

    return handle


def reshape_all(handlers: dict) -> dict:
    """The app's exception handlers, each reshaping its answers on Azure ML paths."""
    return {kind: reshaped(handler) for kind, handler in handlers.items()}
