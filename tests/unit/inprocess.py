"""The API app in this process: its real lifespan, and a synchronous httpx transport onto its ASGI interface.

httpx.ASGITransport is async-only and does not run the lifespan; starlette.testclient does both but, with
plain httpx installed, warns that this is deprecated (an error under our warnings-as-errors). So one event
loop in a background thread (an anyio blocking portal) runs the app's own lifespan and every request, and a
plain httpx.Client, the type the end-to-end tests use, talks to it through AppTransport.
"""

import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
from anyio.from_thread import BlockingPortal
from starlette.applications import Starlette

from batchsvc.api.app import create_app
from batchsvc.storage.services import Services, get_services
from batchsvc.worker.broker import install_broker

BASE_URL = "http://127.0.0.1"  # a loopback Host, as a local API sees it; nothing listens there
CLIENT_ADDRESS = ("127.0.0.1", 50_000)


class AppTransport(httpx.BaseTransport):
    """Sends each request through the app on the portal's loop; the answer comes back whole."""

    def __init__(self, app: Starlette, portal: BlockingPortal):
        self.portal = portal
        self.asgi = httpx.ASGITransport(app, client=CLIENT_ADDRESS)  # app errors raise in the test

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()  # a sync body (multipart from a file, say) becomes bytes both worlds can read
        return self.portal.call(self._send, request)

    async def _send(self, request: httpx.Request) -> httpx.Response:
        answer = await self.asgi.handle_async_request(request)
        content = await answer.aread()
        return httpx.Response(answer.status_code, headers=answer.headers, content=content,
                              extensions=answer.extensions)


@dataclass
class InProcessAPI:
    """A started app, its services, and the ids its job submissions enqueued (nothing is sent to a broker)."""

    app: Starlette
    portal: BlockingPortal
    enqueued: list[str] = field(default_factory=list)

    @property
    def svc(self) -> Services:
        return self.app.state.services

    @property
    def transport(self) -> AppTransport:
        return AppTransport(self.app, self.portal)

    def client(self, headers: dict | None = None) -> httpx.Client:
        return httpx.Client(base_url=BASE_URL, transport=self.transport, headers=headers)


@contextlib.contextmanager
def running(svc: Services, portal: BlockingPortal, **options) -> Iterator[InProcessAPI]:
    """create_app(svc, **options) through its own lifespan; then app.state.enqueue records job ids."""
    bind_actors_to_the_session_broker()
    app = create_app(svc, **options)
    with portal.wrap_async_context_manager(app.router.lifespan_context(app)):
        api = InProcessAPI(app, portal)
        app.state.enqueue = api.enqueued.append  # the lifespan set it to PlanSender(actors.plan_job)
        yield api


def bind_actors_to_the_session_broker() -> None:
    """Import the actors under the broker of this process's settings before a lifespan does.

    Dramatiq actors bind to the broker that is current when batchsvc.worker.actors is first imported, and
    every lifespan installs its own app's broker. Were an in-process app (its own namespace) first, the
    end-to-end test that sends through actors.plan_job (test_resilience.py) would send where no worker reads.
    """
    if "batchsvc.worker.actors" not in sys.modules:
        install_broker(get_services().settings)
        import batchsvc.worker.actors  # noqa: F401

