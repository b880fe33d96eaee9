"""The web console: its page and static files from the package, and the one compact endpoint it polls."""

from importlib import resources

from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from batchsvc.api.auth import principal
from batchsvc.api.jobs import job_page
from batchsvc.api.state import services
from batchsvc.schemas import JobRecord

ASSETS = ("batchsvc", "console")  # package and folder of index.html, the scripts and the stylesheet
ASSETS_PATH = "/console"


class Caller(BaseModel):
    name: str | None
    role: str


class ConsoleSummary(BaseModel):
    """What the console's jobs view shows, in one answer."""
    principal: Caller
    auth: bool
    workers: int
    jobs: list[JobRecord]
    next_cursor: str | None


def assets() -> Mount:
    """The console's scripts and stylesheet, served as files (no CDN, nothing fetched at run time)."""
    return Mount(ASSETS_PATH, StaticFiles(packages=[ASSETS]), name="console")


async def page(request: Request) -> Response:
    """The console's single page (it routes by #fragment and reads the JSON API with the tab's key)."""
    html = resources.files(ASSETS[0]).joinpath(ASSETS[1], "index.html").read_text()
    return HTMLResponse(html, headers={"Cache-Control": "no-cache"})


async def summary(request: Request) -> Response:
    """Who is asking (key name, role), the workers alive and one page of jobs: all a jobs view polls."""
    svc, who = services(request), principal(request)
    jobs, next_cursor = await job_page(request)
    workers = await run_in_threadpool(svc.workers.live_count)
    keys_on = request.app.state.require_keys or await run_in_threadpool(svc.api_keys.any)
    return JSONResponse({"principal": {"name": who.name, "role": who.role.value}, "auth": bool(keys_on),
                         "workers": workers, "jobs": jobs, "next_cursor": next_cursor})
