"""Reading request bodies within their size limits."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from batchsvc.api.state import services
from batchsvc.errors import InvalidRequest, PayloadTooLarge

M = TypeVar("M", bound=BaseModel)
Handler = Callable[[Request], Awaitable[Response]]
BODY_LIMITS = {"json": ("max_json_bytes", "BATCHSVC_MAX_JSON_BYTES", "; upload the data as a file instead"),
               "upload": ("max_upload_bytes", "BATCHSVC_MAX_UPLOAD_BYTES", "")}


def capped(handler: Handler, kind: str) -> Handler:
    """Wrap a handler so its body is counted as it arrives: past the route's limit, 413 at once (never read whole)."""
    attr, env, hint = BODY_LIMITS[kind]

    async def run(request: Request) -> Response:
        limit_bytes = getattr(services(request).settings, attr)
        return await handler(limit_body(request, limit_bytes, f"the body is over {limit_bytes} bytes ({env}){hint}"))

    run.__name__ = run.__qualname__ = getattr(handler, "__name__", "handler")
    return run


def limit_body(request: Request, limit_bytes: int, message: str) -> Request:
    """The same request, whose body stream raises PayloadTooLarge once more than limit_bytes arrived."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit_bytes:
        raise PayloadTooLarge(message)
    upstream, received = request.receive, 0

    async def receive():
        nonlocal received
        event = await upstream()
        received += len(event.get("body", b""))
        if received > limit_bytes:
            raise PayloadTooLarge(message)
        return event

    return Request(request.scope, receive)


async def read_json(request: Request, model: type[M]) -> M:
    """Validate a JSON body against a model (its route's cap has already bounded the size)."""
    return model.model_validate_json(await request.body())


def check_form_fields(form, allowed) -> None:
    """422 for a multipart field the endpoint does not take, as JSON bodies refuse unknown keys."""
    unknown = [name for name in form.keys() if name not in allowed]
    if unknown:
        raise InvalidRequest(f"unknown form field {unknown[0]!r}; this endpoint takes: {', '.join(allowed)}",
                             field=unknown[0])


def int_param(request: Request, name: str, default: int | None, lo: int, hi: int) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.lstrip("-").isdigit() or not lo <= int(raw) <= hi:
        raise InvalidRequest(f"query parameter {name} must be a whole number from {lo} to {hi}", field=name)
    return int(raw)
