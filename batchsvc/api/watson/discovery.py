"""What the Watson ML client reads before it scores: service versions, foundation models (none), the one space."""

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from batchsvc.api.watson.ids import SPACE_ID, SPACE_NAME
from batchsvc.errors import NotFound

WML_VERSION = "5.2.0"  # the Cloud Pak for Data release whose API this layer answers like (client: version="5.2")
EPOCH = "2026-01-01T00:00:00.000Z"  # the fixed space's creation time


class SpaceNotFound(NotFound):
    pass


async def version(request: Request) -> Response:
    return JSONResponse({"version": WML_VERSION, "service": "batchsvc"})


async def empty_page(request: Request) -> Response:
    """None of these here (foundation models, deployable functions): an empty page (the clients ask)."""
    return JSONResponse({"total_count": 0, "limit": _limit(request), "resources": []})


async def list_spaces(request: Request) -> Response:
    return JSONResponse({"total_count": 1, "limit": _limit(request), "resources": [space()]})


async def get_space(request: Request) -> Response:
    space_id = request.path_params["space_id"]
    if space_id != SPACE_ID:
        raise SpaceNotFound(f"no space {space_id!r}; this server has one space, {SPACE_ID}")
    return JSONResponse(space())


def space() -> dict:
    """The one deployment space, in Watson ML's shape."""
    return {"metadata": {"id": SPACE_ID, "url": f"/v2/spaces/{SPACE_ID}", "created_at": EPOCH, "updated_at": EPOCH},
            "entity": {"name": SPACE_NAME, "description": "every batchsvc deployment", "type": "cpd",
                       "status": {"state": "active"}, "stage": {"production": False}, "compute": [],
                       "members": [], "settings": {}}}


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit", "")
    return int(raw) if raw.isdigit() else 100
