"""The API keeps to its /openapi.json under schemathesis, run against a served API.

The document itself and the 405 answers are tested in process: tests/unit/test_api_document.py.
"""

import re
import subprocess
import sys
import uuid

import httpx
import pytest
from harness import ROOT, register, start_api
from secure import key_store

SCHEMATHESIS_EXAMPLES = 15  # per operation and phase; scripts/schemathesis.sh takes more for a deeper run
SCHEMATHESIS_TIMEOUT_S = 120


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
