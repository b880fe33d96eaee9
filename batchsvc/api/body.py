"""Reading request bodies within their size limits."""

from typing import TypeVar

from pydantic import BaseModel
from starlette.requests import Request

from ..errors import InvalidRequest, PayloadTooLarge

M = TypeVar("M", bound=BaseModel)


def check_length(request: Request, limit_bytes: int) -> None:
    """413 at once when the declared Content-Length is over the limit."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit_bytes:
        raise PayloadTooLarge(f"the body is over {limit_bytes} bytes (BATCHSVC_MAX_UPLOAD_BYTES)")


async def read_json(request: Request, model: type[M], limit_bytes: int) -> M:
    """Validate a JSON body against a model; 413 past the limit, before reading it whole."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit_bytes:
        raise PayloadTooLarge(_too_large(limit_bytes))
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit_bytes:
            raise PayloadTooLarge(_too_large(limit_bytes))
    return model.model_validate_json(bytes(body))


def _too_large(limit_bytes: int) -> str:
    return f"the body is over {limit_bytes} bytes (BATCHSVC_MAX_JSON_BYTES); upload the data as a file instead"


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
