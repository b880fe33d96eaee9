"""One table of endpoints: it makes the Starlette routes and the OpenAPI document alike."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from batchsvc.api.auth import guarded
from batchsvc.api.body import capped
from batchsvc.roles import Role

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
    query: dict[str, str | dict] = field(default_factory=dict)  # name -> JSON schema type, or a whole schema
    media_type: str | tuple[str, ...] | None = None  # a non-JSON success body (files, text)
    errors: tuple[int, ...] = (404, 422)


def starlette_routes(endpoints: list[Endpoint]) -> list[Route]:
    """One Route per path, dispatching on the method (a wrong method answers 405 listing every allowed one);
    each method's handler checks its role, then caps its body."""
    by_path: dict[str, dict[str, Handler]] = {}
    for e in endpoints:
        capped_handler = capped(e.handler, "upload" if e.multipart else "json")
        by_path.setdefault(e.path, {})[e.method] = guarded(e.role, capped_handler)
    return [Route(path, _by_method(handlers), methods=list(handlers), name=path) for path, handlers in by_path.items()]


def _by_method(handlers: dict[str, Handler]) -> Handler:
    async def endpoint(request: Request) -> Response:
        return await handlers.get(request.method, handlers.get("GET"))(request)  # HEAD is answered as GET

    return endpoint
