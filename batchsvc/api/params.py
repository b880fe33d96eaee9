"""Request parameters: a JSON body against its model, multipart field names, whole-number query parameters."""

from typing import TypeVar

from pydantic import BaseModel
from starlette.requests import Request

from batchsvc.errors import InvalidRequest

M = TypeVar("M", bound=BaseModel)


async def read_json(request: Request, model: type[M]) -> M:
    """Validate a JSON body against a model (its route's max_body_size stops the read past the limit)."""
    return model.model_validate_json(await request.body())


def check_form_fields(form, allowed) -> None:
    """422 for a multipart field the endpoint does not take, as JSON bodies refuse unknown keys."""
    unknown = [name for name in form.keys() if name not in allowed]
    if unknown:
        raise InvalidRequest(f"unknown form field {unknown[0]!r}; this endpoint takes: {', '.join(allowed)}",
                             field=unknown[0])


def int_param(request: Request, name: str, default: int | None, lo: int, hi: int) -> int | None:
    """A query parameter as a whole number from lo to hi (default when absent), else 422 naming it."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.lstrip("-").isdigit() or not lo <= int(raw) <= hi:
        raise InvalidRequest(f"query parameter {name} must be a whole number from {lo} to {hi}", field=name)
    return int(raw)
