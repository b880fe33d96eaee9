"""Watson ML's token exchanges, each issuing the native token for a batchsvc API key: Cloud Pak for Data's
POST /icp4d-api/v1/authorize and GET /v1/preauth/validateAuth (HTTP Basic: the lab's Flask app), and IBM
Cloud IAM's POST /identity/token."""

import base64
import time
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from batchsvc.api.auth import identify
from batchsvc.api.params import read_json
from batchsvc.api.state import services
from batchsvc.api.watson import native
from batchsvc.api.watson.bodies import AuthorizeRequest
from batchsvc.errors import InvalidRequest, Unauthorized

APIKEY_GRANT = "urn:ibm:params:oauth:grant-type:apikey"
MAX_FORM_BYTES = 4096  # an IAM token request is one grant type and one key


async def authorize(request: Request) -> Response:
    """{"username", "api_key" | "password"} -> {"token"}; the username is not checked, the key is."""
    body = await read_json(request, AuthorizeRequest)
    token, _ = await _exchange(request, body.api_key or body.password)
    return JSONResponse({"_messageCode_": "200", "message": "Success", "token": token})


async def validate_auth(request: Request) -> Response:
    """HTTP Basic auth (username: anything, e.g. the key's name; password: the API key) -> {"accessToken"}."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    try:
        user, _, key = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        user, key = "", ""
    if scheme.lower() != "basic" or not key:
        raise Unauthorized("send HTTP Basic auth: any username, the batchsvc API key as the password")
    token, _ = await _exchange(request, key)
    return JSONResponse({"username": user, "accessToken": token, "_messageCode_": "success", "message": "success"})


async def identity_token(request: Request) -> Response:
    """The form grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey=<key> -> IAM's token answer."""
    form = parse_qs((await request.body())[:MAX_FORM_BYTES].decode("utf-8", "replace"))
    if form.get("grant_type") != [APIKEY_GRANT]:
        raise InvalidRequest(f"grant_type must be {APIKEY_GRANT}", field="grant_type")
    token, ttl_s = await _exchange(request, next(iter(form.get("apikey", [])), None))
    return JSONResponse({"access_token": token, "refresh_token": "not_supported", "token_type": "Bearer",
                         "expires_in": ttl_s, "expiration": int(time.time()) + ttl_s, "scope": "ibm openid"})


async def _exchange(request: Request, key: str | None) -> tuple[str, int]:
    """The native token for a key (401 for a missing, unknown or revoked one once auth is on)."""
    if not key:
        raise InvalidRequest("send the batchsvc API key as api_key (or password; apikey for /identity/token)",
                             field="api_key")
    svc = services(request)
    who = await run_in_threadpool(identify, svc, key, request.app.state.require_keys)
    return await run_in_threadpool(native.issue_token, svc, who)
