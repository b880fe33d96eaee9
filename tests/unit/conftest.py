"""In-process fixtures: the real app on the real session redis-server, with no API or worker process.

How a request gets in: `create_app(Services(settings))` runs in this process (inprocess.py). Its own
lifespan runs once, on an event loop in a background thread (an anyio blocking portal), and `client` is a
plain httpx.Client whose transport hands each request to the app's ASGI interface on that loop. That is
the lifespan and the request path uvicorn would drive; starlette.testclient would do the same but warns,
with httpx rather than httpx2 installed, that this use is deprecated, and warnings are errors here.

How a job is "enqueued" with no worker: the lifespan sets `app.state.enqueue = PlanSender(actors.plan_job)` (a
Redis broker); after startup the fixture replaces it with `InProcessAPI.enqueued.append`, so a submitted
job is stored, marked sent and stays `queued`, and a test can see the ids that would have gone to the
workers. Dramatiq's StubBroker is not used: the lifespan always installs a Redis broker, and actors stay
bound to whichever broker was current at their first import, so a stub would depend on import order.

Isolation: every in-process app has its own Redis namespace and data dir (jobs, models, keys, schedules
of the end-to-end processes never show here, nor these there); the input roots are the session's, and
the working directory, against which relative input paths resolve, is the repo root as for the served API.

Names: `client`, `api_url`, `credit_model` override the end-to-end fixtures of the same names, so a test
moved here from tests/test_*.py keeps its body; nothing here starts the session's API or workers.
"""

import os
import uuid
from dataclasses import dataclass

import httpx
import pandas as pd
import pytest
from anyio.from_thread import start_blocking_portal
from harness import ROOT, register
from inprocess import BASE_URL, InProcessAPI, running
from secure import LIMITS, ROLES
from sklearn.linear_model import LinearRegression

from batchsvc.settings import Settings
from batchsvc.storage.services import Services


@pytest.fixture(scope="session", autouse=True)
def in_the_repo_root():
    """The in-process apps' working directory, as the served API's: relative input paths resolve against it."""
    before = os.getcwd()
    os.chdir(ROOT)
    yield
    os.chdir(before)


@pytest.fixture(scope="session")
def portal():
    with start_blocking_portal() as portal:
        yield portal


@pytest.fixture(scope="session")
def make_services(env, inputs_dir, tmp_path_factory):
    """Services on a new namespace and data dir, reading inputs from the session's roots."""
    def make(**settings) -> Services:
        namespace = f"inproc-{uuid.uuid4().hex[:8]}"
        data_dir = tmp_path_factory.mktemp(namespace)
        return Services(Settings(redis_url=env["BATCHSVC_REDIS_URL"], namespace=namespace, data_dir=str(data_dir),
                                 data_roots=f"{data_dir}:{inputs_dir}:{ROOT / 'sample_data'}", **settings))
    return make


@pytest.fixture(scope="session")
def inproc(make_services, portal) -> InProcessAPI:
    """The in-process API with auth off (no keys) and the default limits."""
    with running(make_services(), portal) as started:
        yield started


@pytest.fixture(scope="session")
def api_url() -> str:
    """The base URL the in-process clients use; requests never leave the process."""
    return BASE_URL


@pytest.fixture(scope="session")
def client(inproc):
    with inproc.client() as c:
        yield c


@pytest.fixture(scope="session")
def svc(inproc) -> Services:
    return inproc.svc


@pytest.fixture(scope="session")
def credit_model(client, credit_estimator) -> str:
    """The credit-risk pipeline registered on the in-process API; returns its unique name."""
    name = f"credit-{uuid.uuid4().hex[:8]}"
    register(client, name, credit_estimator)
    return name


@pytest.fixture
def fresh_api(make_services, portal):
    """An in-process API on a namespace of its own, where no key exists yet."""
    with running(make_services(), portal) as started:
        yield started


@dataclass
class Keyed:
    """An in-process API with keys on (the limits of secure.py): a key per role and a one-feature model."""

    api: InProcessAPI
    keys: dict[str, str]  # key name -> key
    model: str  # a registered model with one feature, "a"

    def client(self, who: str | None) -> httpx.Client:
        """A client that sends `who`'s key (None: no key)."""
        return self.api.client({"Authorization": f"Bearer {self.keys[who]}"} if who else None)


@pytest.fixture(scope="session")
def keyed(make_services, portal) -> Keyed:
    limits = {name.removeprefix("BATCHSVC_").lower(): int(value) for name, value in LIMITS.items()}
    with running(make_services(**limits), portal) as started:
        keys = {name: started.svc.api_keys.create(role, name)[1] for name, role in ROLES.items()}
        tiny = LinearRegression().fit(pd.DataFrame({"a": [0.0, 1.0, 2.0]}), [0.0, 2.0, 4.0])
        with Keyed(started, keys, "").client("admin") as admin:
            model = register(admin, f"tiny-{uuid.uuid4().hex[:6]}", tiny)["name"]
        yield Keyed(started, keys, model)
