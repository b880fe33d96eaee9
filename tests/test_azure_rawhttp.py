"""Azure's @rawhttp entry scripts, unchanged (`from azureml.contrib.services.aml_request import AMLRequest, rawhttp`),
answer on batchsvc's Azure route exactly as on azmlinfsrv: run gets Flask's request (method, get_data, args, headers,
full_path) and its AMLResponse is sent as it is: the same status, body and the headers the script sets, for POST with
a body, GET with query args, OPTIONS, and a run that raises. Without azureml-inference-server-http installed, such a
script does not load and the reason names the package to install."""

import sys

import httpx
import pytest
from azmlinfsrv import sample_folder
from test_azure_scripts import deploy_folder, side_by_side

from batchsvc.errors import UserCodeError
from batchsvc.jobs import code_loader
from batchsvc.scoring.azure_rawhttp import VENDOR

SCRIPT_HEADERS = ("content-type", "x-ms-run-function-failed", "access-control-allow-origin", "x-tenant", "vary")
REQUESTS = [  # (what, method, query, body, headers)
    ("POST bytes: echoed with its own content type and a repeated header", "POST", "", b"\x00\xffraw bytes",
     {"Content-Type": "application/octet-stream", "X-Tenant": "contoso"}),
    ("POST JSON: an AMLResponse with json_str", "POST", "", b'{"data": [1, 2]}',
     {"Content-Type": "application/json", "X-Tenant": "fabrikam"}),
    ("POST: run raises", "POST", "", b"fail", {"Content-Type": "text/plain"}),
    ("POST: an AMLResponse with a 5xx status", "POST", "", b"unavailable", {"Content-Type": "text/plain"}),
    ("GET with query args: full_path", "GET", "a=1&b=x&b=y", b"", {}),
    ("GET: a plain value, sent as JSON", "GET", "plain=1&b=%5B1%2C2%5D&b=z", b"", {}),
    ("GET: run raises", "GET", "fail=1", b"", {}),
    ("OPTIONS: passed to run, which answers it 500", "OPTIONS", "", b"", {}),
]


def comparable(response: httpx.Response) -> tuple[int, bytes, list[tuple[str, str]]]:
    """Status, body and the headers a script sets (by name; a name's repeats kept in their order)."""
    headers = [(name, value) for name, value in response.headers.multi_items() if name in SCRIPT_HEADERS]  # lower-case
    return response.status_code, response.content, sorted(headers, key=lambda header: header[0])


def test_a_rawhttp_script_answers_as_azmlinfsrv_does(client, azure_python, regression_model, tmp_path):
    # Given the same @rawhttp script served by azmlinfsrv and deployed on batchsvc
    folder = sample_folder("rawhttp", regression_model, tmp_path)
    with side_by_side(client, azure_python, folder, tmp_path) as (reference, deployment):
        for what, method, query, body, headers in REQUESTS:
            # When the same request goes to both
            theirs = httpx.request(method, f"{reference.url}/score?{query}", content=body, headers=headers, timeout=30)
            ours = client.request(method, f"/api/v1/service/{deployment}/score?{query}", content=body, headers=headers)
            # Then the status, the body and the script's headers are the same
            assert comparable(ours) == comparable(theirs), f"{what}: {ours.text!r} != {theirs.text!r}"


def test_a_raising_rawhttp_run_is_in_the_deployment_logs(client, regression_model, tmp_path):
    # Given a deployed @rawhttp script
    deployment = deploy_folder(client, sample_folder("rawhttp", regression_model, tmp_path))
    # When its run raises
    answer = client.post(f"/api/v1/service/{deployment}/score", content=b"fail")
    # Then the answer has no traceback and the deployment's log has it
    assert answer.status_code == 500 and "Traceback" not in answer.text
    entry = client.get(f"/v1/deployments/{deployment}/logs").json()["logs"][0]
    assert "RuntimeError: the body asked run() to raise" in entry["traceback"]


def test_without_the_vendor_package_the_reason_names_it(regression_model, tmp_path, monkeypatch):
    # Given azureml-inference-server-http as if it were not installed (its modules unimportable)
    folder = sample_folder("rawhttp", regression_model, tmp_path)
    for module in ("azureml_inference_server_http", "azureml_inference_server_http.server",
                   "azureml.contrib.services.aml_request", "azureml.contrib.services.aml_response"):
        monkeypatch.setitem(sys.modules, module, None)
    # When the script is loaded
    with pytest.raises(UserCodeError) as failed:
        code_loader.import_entry(folder, "batchsvc_code_rawhttp_missing", "rawhttp@1")
    # Then the reason names the package and the extra that brings it
    assert VENDOR in failed.value.message and "batchsvc[azure]" in failed.value.message
