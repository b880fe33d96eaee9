"""One table of endpoints: it makes the Starlette routes and the OpenAPI document alike."""

from dataclasses import dataclass, field
from typing import Awaitable, Callable

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..auth import Role
from .auth import guarded
from .body import capped

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    role: Role  # who may call it: the request check and the OpenAPI security section both read this
    body: type[BaseModel] | None = None  # JSON request body
    multipart: dict[str, str] | None = None  # form field -> description, for uploads
    response: type[BaseModel] | None = None
    status: int = 200
    query: dict[str, str] = field(default_factory=dict)  # name -> JSON schema type
    media_type: str | None = None  # a non-JSON success body (files, text)
    errors: tuple[int, ...] = (404, 422)


def starlette_routes(endpoints: list[Endpoint]) -> list[Route]:
    """One Route per (path, method) so that a wrong method answers 405; each checks its role, then caps its body."""
    return [Route(e.path, guarded(e.role, capped(e.handler, "upload" if e.multipart else "json")),
                  methods=[e.method], name=f"{e.method} {e.path}") for e in endpoints]
