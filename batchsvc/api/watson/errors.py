"""Errors on the Watson ML routes in Watson ML's shape: {"trace", "errors": [{"code", "message", "target"?}],
"status_code"}; the native handlers decide the status and message, this only reshapes their answer."""

import json
import re
import uuid
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from batchsvc.api.oip.errors import is_oip_path

PREFIXES = ("/ml/", "/v2/", "/icp4d-api/", "/identity/")  # the paths Watson ML clients call
Handler = Callable[..., Awaitable[Response]]


def is_watson_path(path: str) -> bool:
    """Watson ML's paths; /v2/health/ and /v2/models/ are the Open Inference Protocol's (api/oip/)."""
    return path.startswith(PREFIXES) and not is_oip_path(path)


def watson_body(status: int, error: dict) -> dict:
    """A native {"type", "message", "field"?} error as Watson ML's error document."""
    item: dict = {"code": _snake(error.get("type", "error")), "message": error.get("message", "")}
    if error.get("field"):
        item["target"] = {"type": "field", "name": error["field"]}
    return {"trace": uuid.uuid4().hex, "errors": [item], "status_code": status}


def reshaped(handler: Handler) -> Handler:
    """An exception handler whose answer on a Watson ML path is reshaped (status and headers kept)."""
    async def handle(request: Request, exc: Exception) -> Response:
        response = await handler(request, exc)
        if not is_watson_path(request.url.path) or not isinstance(response, JSONResponse):
            return response
        error = json.loads(bytes(response.body)).get("error", {})
        headers = {k: v for k, v in response.headers.items() if k.lower() == "www-authenticate"}
        return JSONResponse(watson_body(response.status_code, error), response.status_code, headers)

    return handle


def reshape_all(handlers: dict) -> dict:
    """The app's exception handlers, each reshaping its answers on Watson ML paths."""
    return {kind: reshaped(handler) for kind, handler in handlers.items()}


def _snake(name: str) -> str:
    """JobNotFound -> job_not_found: Watson ML's error codes are snake case."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
