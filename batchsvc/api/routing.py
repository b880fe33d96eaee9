"""One table of endpoints: it makes the Starlette routes and the OpenAPI document alike."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from batchsvc.api.auth import guarded
from batchsvc.api.durable import replicated
from batchsvc.roles import Role
from batchsvc.settings import Settings

Handler = Callable[[Request], Awaitable[Response]]
BODY_LIMITS = {"json": "max_json_bytes", "upload": "max_upload_bytes"}  # a route's body kind -> the setting capping it


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    role: Role  # who may call it: the request check and the OpenAPI security section both read this
    body: type[BaseModel] | None = None  # JSON request body
    body_required: bool = True  # False: the route takes no body too (the token exchange)
    multipart: dict[str, str] | None = None  # form field -> description, for uploads
    response: type[BaseModel] | None = None
    status: int = 200
    query: dict[str, str | dict] = field(default_factory=dict)  # name -> JSON schema type, or a whole schema
    media_type: str | tuple[str, ...] | None = None  # a non-JSON success body (files, text)
    errors: tuple[int, ...] = (404, 422)
    durable: bool | None = None  # the answer waits for a replica to hold the write (api/durable.py); None: 201/202

    @property
    def replicated(self) -> bool:
        return self.durable if self.durable is not None else self.status in (201, 202)


class CappedRoute(Route):
    """A Route whose body is capped; body_kind (a key of BODY_LIMITS) lets errors.body_too_large name the setting."""
    body_kind = "json"


def starlette_routes(endpoints: list[Endpoint], settings: Settings) -> list[Route]:
    """One Route per path, dispatching on the method (a wrong method answers 405 listing every allowed one);
    each method's handler checks its role, and Starlette's max_body_size caps the path's body."""
    by_path: dict[str, dict[str, Handler]] = {}
    kinds: dict[str, set[str]] = {}
    for e in endpoints:
        handler = replicated(e.handler) if e.replicated else e.handler
        by_path.setdefault(e.path, {})[e.method] = guarded(e.role, handler)
        kinds.setdefault(e.path, set()).add("upload" if e.multipart else "json")
    return [_route(path, handlers, kinds[path], settings) for path, handlers in by_path.items()]


def _route(path: str, handlers: dict[str, Handler], kinds: set[str], settings: Settings) -> Route:
    """The path's Route, its body capped by the setting of its one body kind (kept on the route for the 413)."""
    if len(kinds) != 1:
        raise ValueError(f"{path} mixes JSON and upload bodies; give each kind of body its own path")
    kind = kinds.pop()
    route = CappedRoute(path, _by_method(handlers), methods=list(handlers), name=path,
                        max_body_size=getattr(settings, BODY_LIMITS[kind]))
    route.body_kind = kind
    return route


def _by_method(handlers: dict[str, Handler]) -> Handler:
    async def endpoint(request: Request) -> Response:
        return await (handlers.get(request.method) or handlers["GET"])(request)  # HEAD is answered as GET

    return endpoint
