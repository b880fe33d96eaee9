"""Watson ML fixtures: an HTTPS API over the secured namespace with a credit-risk deployment, and the official
ibm-watsonx-ai client in a venv of its own (tests/vendors.py: it pins pandas < 2.4, never the project's venv), with
this project's scikit-learn (store_model pickles the estimator in the client's venv)."""

import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sklearn
from harness import register, start_api
from tls import self_signed
from vendors import vendor_venv

SKLEARN = f"scikit-learn=={sklearn.__version__}"  # the same version as ours: models are pickled client-side
CLIENT_SPEC = ["ibm-watsonx-ai>=1.8,<1.9", SKLEARN]
INSTALL_TIMEOUT_S = 900  # pip resolves and installs ~200 MB (pandas, numpy, ibm-cos-sdk); ~3 min measured here


@dataclass
class Watson:
    url: str  # https://127.0.0.1:PORT
    key: str  # a submitter's API key (alice's)
    deployment: dict  # the native record: name, id (the Watson deployment id), model
    native: httpx.Client  # the secured API over plain HTTP, as alice

    def https(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, verify=False, timeout=60)


@pytest.fixture(scope="session")
def watson(secure, credit_estimator, tmp_path_factory):
    """An HTTPS API sharing the secured namespace (its keys and worker) and a deployment of credit-risk."""
    tmp = tmp_path_factory.mktemp("watson")
    api, url = start_api(secure.env, tmp / "api.log", tls=self_signed(tmp))
    with secure.client("admin") as admin:
        model = register(admin, f"credit-{uuid.uuid4().hex[:6]}", credit_estimator)["name"]
        created = admin.post("/v1/deployments", json={"name": f"{model}-online", "model": model})
        assert created.status_code == 201, created.text
    with secure.client("alice") as native:
        yield Watson(url, secure.keys["alice"], created.json(), native)
    api.stop()


@pytest.fixture(scope="session")
def watson_python() -> Path:
    """The python of the client's own venv (tests/vendors.py), reused when a previous run completed it."""
    return vendor_venv("watsonx-ai", CLIENT_SPEC, INSTALL_TIMEOUT_S)
