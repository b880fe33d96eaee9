"""Shapes every route shares: strict request bodies, the error answer, events, health; pydantic errors as
field paths and one-line messages, written once for the API, schedule files and templates alike."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

INPUT_KINDS = {"values": "table", "records": "records", "path": "asset", "upload": "upload"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def field_path(loc) -> str:
    """A pydantic error location as the request's own path: input.values.0, not input.table.values.0."""
    return ".".join(str(part) for part in loc if part not in INPUT_KINDS.values())


def problems(exc: ValidationError) -> list[dict]:
    """Each problem of a validation error as {"field": request path, "message": pydantic's message}."""
    found = exc.errors(include_url=False, include_context=False, include_input=False)
    return [{"field": field_path(p["loc"]), "message": p["msg"]} for p in found]


def summary(exc: ValidationError, whole: str = "body") -> str:
    """One line naming each field at fault: `input.values.0: Input should be a valid list; ...`
    (`whole` names the document itself, for a problem with no field)."""
    return "; ".join(f"{p['field'] or whole}: {p['message']}" for p in problems(exc))


class ErrorBody(BaseModel):
    type: str
    message: str
    field: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


class Events(BaseModel):
    events: list[dict]


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    """200 when Redis answers; a 503 carries `error` too, like every other error answer."""
    status: Literal["ok", "unavailable"]
    redis: str
    workers: int | None = Field(None, description="worker processes with a heartbeat in the last 10 s")
    primary: str | None = Field(None, description="host:port of the Redis written to (with Sentinel: the primary "
                                                  "the Sentinels name now)")
