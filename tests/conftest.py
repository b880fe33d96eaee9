"""Session fixtures: one real Redis, one API process and two worker processes for the whole run."""

import os
import uuid

import httpx
import pytest
from azmlinfsrv import azure_python, regression_model  # noqa: F401  (Azure's inference server in its own venv)
from browser import browser, page  # noqa: F401  (chromium for the console tests: one per run)
from harness import JOB_WAIT_S, ROOT, RedisServer, free_port, register, start_api, start_workers, wait_for
from oip import triton_python  # noqa: F401  (the Open Inference Protocol: tritonclient's own venv)
from s3 import MotoServer
from secure import secure  # noqa: F401  (a second API with auth on, for the security tests)
from watson import watson, watson_python  # noqa: F401  (Watson ML: HTTPS API, the client's own venv)
from watson_lab import lab, wml_python  # noqa: F401  (the IBM lab: its data, deployments, the older client)

from batchsvc.scoring.sample import make_credit_risk, train_credit_risk
from batchsvc.storage.services import get_services, reset_services


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A real S3 endpoint (moto's server) on loopback, with buckets batchsvc-in, batchsvc-out, batchsvc-data."""
    server = MotoServer(free_port(), tmp_path_factory.mktemp("s3") / "moto.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def env(redis_server, s3_server, tmp_path_factory) -> dict:
    """The environment of every batchsvc process in the run (this one included)."""
    data_dir = tmp_path_factory.mktemp("data")
    inputs = tmp_path_factory.mktemp("inputs")
    values = {
        "BATCHSVC_REDIS_URL": redis_server.url,
        "BATCHSVC_DATA_DIR": str(data_dir),
        "BATCHSVC_DATA_ROOTS": f"{data_dir}:{inputs}:{ROOT / 'sample_data'}:s3://batchsvc-in/data:s3://batchsvc-out",
        **s3_server.env,
        "BATCHSVC_WORKER_TIMEOUT_MS": "20",
        "BATCHSVC_HEARTBEAT_TIMEOUT_MS": "3000",
        "BATCHSVC_SWEEP_AFTER_S": "2",
        "BATCHSVC_STALL_AFTER_S": "6",
        "BATCHSVC_WEBHOOK_ALLOW": "127.0.0.1/32",  # tests/test_webhooks.py's receiver; nothing else
        "BATCHSVC_WEBHOOK_TIMEOUT_S": "1",
        "BATCHSVC_WEBHOOK_BACKOFF_S": "0.2",
        "PYTHONPATH": str(ROOT / "tests"),  # workers unpickle tests/slowmodel.py
    }
    os.environ.update(values)
    reset_services()
    return {**os.environ, **values}


@pytest.fixture(scope="session")
def inputs_dir(env):
    from pathlib import Path
    return Path(env["BATCHSVC_DATA_ROOTS"].split(":")[1])


@pytest.fixture(scope="session")
def api_url(env, tmp_path_factory):
    logs = tmp_path_factory.mktemp("logs")
    workers = start_workers(env, logs / "workers.log", processes=2)  # they start up while the API does
    try:
        api, url = start_api(env, logs / "api.log")
    except BaseException:
        workers.stop()
        raise
    svc = get_services()
    wait_for(lambda: svc.redis.zcard(svc.keys.worker_heartbeats()) >= 2, 60, 0.1, "two live worker processes")
    yield url
    workers.stop()
    api.stop()


@pytest.fixture(scope="session")
def client(api_url):
    with httpx.Client(base_url=api_url, timeout=JOB_WAIT_S + 10) as c:
        yield c


@pytest.fixture(scope="session")
def credit_estimator():
    return train_credit_risk(make_credit_risk(3_000, seed=7))


@pytest.fixture(scope="session")
def credit_model(client, credit_estimator) -> str:
    """A registered credit-risk pipeline; returns its unique name."""
    name = f"credit-{uuid.uuid4().hex[:8]}"
    register(client, name, credit_estimator)
    return name


