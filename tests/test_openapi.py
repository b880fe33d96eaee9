"""/openapi.json: a valid OpenAPI 3 document of every route, and the API keeps to it under schemathesis."""

import re
import subprocess
import sys
import uuid

import httpx
import pytest
from harness import ROOT, register, start_api
from openapi_spec_validator import validate
from secure import key_store

from batchsvc.api.app import ENDPOINTS

SCHEMATHESIS_EXAMPLES = 15  # per operation and phase; scripts/schemathesis.sh takes more for a deeper run
SCHEMATHESIS_TIMEOUT_S = 120


def test_the_document_validates_as_openapi_3_and_lists_every_route(client):
    # When a client fetches the API's description
    document = client.get("/openapi.json").json()
    # Then it is valid OpenAPI 3.x, with every route of the endpoint table, and typed JSON answers
    validate(document)
    assert document["openapi"].startswith("3.")
    for e in ENDPOINTS:
        operation = document["paths"][e.path][e.method.lower()]
        answer = operation["responses"][str(e.status)]
        if e.response is not None:
            assert answer["content"]["application/json"]["schema"]["$ref"].endswith(e.response.__name__)


def test_a_wrong_method_is_a_405_listing_every_method_of_the_path(client):
    # When a path is called with a method it does not take
    response = client.request("PATCH", "/v1/jobs/some-id")
    # Then the API answers 405 and Allow names every method the document gives for that path
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) >= {"GET", "DELETE"}


@pytest.fixture
def private_api(env, tmp_path, credit_estimator):
    """An API with keys on its own namespace and data dir (the fuzzer may delete whatever it finds); its admin key."""
    namespace = f"st-{uuid.uuid4().hex[:8]}"
    _, admin_key = key_store(env, namespace).create("admin", "fuzzer")
    api, url = start_api({**env, "BATCHSVC_NAMESPACE": namespace, "BATCHSVC_DATA_DIR": str(tmp_path / "data")},
                         tmp_path / "api.log")
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {admin_key}"}, timeout=60) as c:
        register(c, "credit-risk", credit_estimator)  # the schema's example model, so jobs get accepted
        assert c.put("/v1/models/credit-risk/aliases/production", json={"version": 1}).status_code == 200
    yield url, admin_key
    api.stop()


def test_schemathesis_finds_no_server_error_and_no_schema_violation(private_api, tmp_path):
    # Given the API's own document
    # When schemathesis generates requests from it (all checks but positive_data_acceptance; see the script)
    url, admin_key = private_api
    run = subprocess.run([str(ROOT / "scripts" / "schemathesis.sh"), url, "--max-examples",
                          str(SCHEMATHESIS_EXAMPLES), "--seed", "1", "--no-color",
                          "--header", f"Authorization: Bearer {admin_key}"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=SCHEMATHESIS_TIMEOUT_S,
                         env={"PYTHON": sys.executable, "PATH": "/usr/bin:/bin"})
    # Then it reports no failure of any kind
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert re.search(r"(\d+) generated, \1 passed", run.stdout), run.stdout[-2000:]
