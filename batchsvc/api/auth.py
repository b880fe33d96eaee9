"""The request check: which key sent a request, and whether its role may use the route."""

from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from batchsvc.api.exposure import is_loopback
from batchsvc.api.state import services
from batchsvc.errors import Forbidden, Unauthorized
from batchsvc.roles import ANONYMOUS, Principal, Role
from batchsvc.storage.services import Services
from batchsvc.storage.tokens import looks_like_token

MISSING = ("this API needs a key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>' "
           "(an admin makes one with `batchsvc keys create`)")
UNKNOWN = "the API key is unknown or revoked; check BATCHSVC_API_KEY or ask an admin for a new key"


def guarded(role: Role, handler):
    """Wrap a handler so it runs only for a key whose role allows `role`; open routes, and the token route
    (Role.KEY: it checks the key it is given itself), stay as they are."""
    if role in (Role.OPEN, Role.KEY):
        return handler

    async def check(request: Request):
        principal = await run_in_threadpool(identify, services(request), presented_key(request),
                                            request.app.state.require_keys)
        if principal is ANONYMOUS:
            refuse_browser_attacks(request, request.app.state.allow_no_keys)
        if not principal.role.allows(role):
            raise Forbidden(f"key {principal.name!r} has role {principal.role.value}; "
                            f"{request.method} {request.url.path} needs {role.value} or above")
        request.state.principal = principal
        return await handler(request)

    check.__name__ = check.__qualname__ = getattr(handler, "__name__", "handler")
    return check


def refuse_browser_attacks(request: Request, any_host: bool) -> None:
    """With auth off, only same-origin requests to a loopback name: a web page the user visits can neither
    post a model (a pickle) cross-site nor reach the API through DNS rebinding."""
    host = request.headers.get("host", "")
    origin = request.headers.get("origin")
    if origin and _netloc(origin) != host:
        raise Forbidden(f"cross-site request from {origin} refused: this API has no keys (auth is off)")
    if not any_host and not is_loopback(_hostname(host)):
        raise Forbidden(f"Host {host!r} is not a loopback name and this API has no keys; create a key "
                        "(batchsvc keys create) or set BATCHSVC_ALLOW_NO_KEYS behind a trusted proxy")


def _hostname(host: str) -> str:
    """The name part of a Host header; '' for one that does not parse (then it is refused)."""
    try:
        return urlsplit(f"//{host}").hostname or ""
    except ValueError:
        return ""


def _netloc(origin: str) -> str | None:
    try:
        return urlsplit(origin).netloc
    except ValueError:
        return None


def presented_key(request: Request) -> str | None:
    """The key (or token) from 'Authorization: Bearer <key>' or 'X-API-Key', else None."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("x-api-key", "").strip() or None


def identify(svc: Services, key: str | None, require_keys: bool) -> Principal:
    """Who sent the request, by API key or token; auth is off (anyone is admin) until a key exists or keys are
    required. An expired token, or one whose key was revoked, is refused even then."""
    store = svc.api_keys
    if key:
        principal = svc.tokens.verify(key) if looks_like_token(key) else store.authenticate(key)
        if principal is not None:
            return principal
    if require_keys or store.any():
        raise Unauthorized(UNKNOWN if key else MISSING)
    return ANONYMOUS


def principal(request: Request) -> Principal:
    """The checked sender of a request on a guarded route."""
    return request.state.principal
