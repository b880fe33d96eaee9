"""Who may score a deployment on the Azure routes: its own primary or secondary key, a token issued for it, or an
API key (or its token) whose role may score; a key or token of another deployment is refused (401)."""

from starlette.requests import Request

from batchsvc.api.auth import identify, presented_key, refuse_browser_attacks
from batchsvc.errors import Forbidden, Unauthorized
from batchsvc.roles import ANONYMOUS, Role
from batchsvc.storage.deployment_keys import KEY_PREFIX, REFUSED
from batchsvc.storage.services import Services
from batchsvc.storage.tokens import looks_like_token


def check_scorer(svc: Services, request: Request, deployment: dict) -> None:
    """Raise Unauthorized or Forbidden unless the request may score `deployment` (runs in the thread pool)."""
    presented = presented_key(request)
    keys = svc.deployment_keys
    if presented and presented.startswith(f"{KEY_PREFIX}_"):
        if keys.verify(deployment, presented):
            return
        raise Unauthorized(REFUSED.format(name=deployment["name"]))
    if presented and looks_like_token(presented) and keys.verify_token(deployment, presented):
        return
    principal = identify(svc, presented, request.app.state.require_keys)
    if principal is ANONYMOUS:
        refuse_browser_attacks(request, request.app.state.allow_no_keys)
    if not principal.role.allows(Role.SCORER):
        raise Forbidden(f"key {principal.name!r} has role {principal.role.value}; scoring needs scorer or above")
