"""POST /v1/token: an API key (the one presented, or `api_key` in the body) for a signed, time-limited token."""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from batchsvc.api.auth import identify, presented_key, refuse_browser_attacks
from batchsvc.api.state import services
from batchsvc.errors import InvalidRequest
from batchsvc.roles import ANONYMOUS, Principal
from batchsvc.schemas import TokenRequest, TokenResponse
from batchsvc.storage.tokens import looks_like_token


async def create(request: Request) -> Response:
    raw = await request.body()
    body = TokenRequest.model_validate_json(raw) if raw.strip() else TokenRequest()
    principal = await run_in_threadpool(exchanged, request, body.api_key or presented_key(request))
    token = await run_in_threadpool(services(request).tokens.issue, principal)
    return JSONResponse(TokenResponse.model_validate(token).model_dump(mode="json"))


def exchanged(request: Request, key: str | None) -> Principal:
    """The principal of the key to exchange (a token is not: tokens are not renewed from themselves)."""
    if key and looks_like_token(key):
        raise InvalidRequest("exchange an API key (bsk_...), not a token; send it as api_key or in the header",
                             field="api_key")
    principal = identify(services(request), key, request.app.state.require_keys)
    if principal is ANONYMOUS:
        refuse_browser_attacks(request, request.app.state.allow_no_keys)
    return principal
