"""Azure ML entry scripts, unchanged, answer on batchsvc's Azure route exactly as on Azure's own inference server
(azmlinfsrv, in its own venv): the same status, the same JSON and the same x-ms-run-function-failed header, for
good and bad bodies alike."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from azmlinfsrv import Azmlinfsrv, sample_folder
from harness import unique

from batchsvc.client.bundle import zip_folder

GOOD = {"data": [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]]}
RECORDS = {"data": [{f"x{i}": float(i) for i in range(10)}, {f"x{i}": 2.0 * i for i in range(10)}]}
JSON = "application/json"
CASES: dict[str, list[tuple[str, bytes, dict]]] = {  # script -> (what, body, extra headers)
    "model1": [("good rows", json.dumps(GOOD).encode(), {}),
               ("no data key: run raises", b'{"rows": []}', {}),
               ("not JSON: run raises", b"not json", {}),
               ("too few features: run raises", b'{"data": [[1, 2]]}', {})],
    "aks_str_error": [("good rows", json.dumps(GOOD).encode(), {}),
                      ("too few features: the error as a string", b'{"data": [[1, 2, 3]]}', {}),
                      ("empty body: the error as a string", b"", {})],
    "json_dumps": [("good rows, double-encoded", json.dumps(GOOD).encode(), {})],
    "pandas_schema": [("records as a DataFrame", json.dumps(RECORDS).encode(), {}),
                      ("no data key", b"{}", {}),
                      ("a list, not an object", b"[1, 2]", {}),
                      ("not JSON", b"{oops", {}),
                      ("empty body", b"", {}),
                      ("not application/json", json.dumps(RECORDS).encode(), {"Content-Type": "text/plain"}),
                      ("a column missing: run raises", b'{"data": [{"x0": 1}]}', {})],
    "numpy_schema": [("rows as an array", json.dumps(GOOD).encode(), {}),
                     ("a second parameter", json.dumps({**GOOD, "method": "explain"}).encode(), {}),
                     ("no data key", b'{"method": "predict"}', {})],
    "raises": [("good", b'{"data": [1, 2, 3]}', {}), ("run raises", b"{}", {}), ("not JSON", b"[", {})],
    "numpy_return": [("an array JSON cannot encode", json.dumps(GOOD).encode(), {}),
                     ("None becomes {}", b'{"nothing": true}', {})],
    "headers": [("request_headers", b'{"a": 1}', {"X-Tenant": "contoso"}),
                ("no such header", b"plain text", {"Content-Type": "text/plain"})],
}


def deploy_folder(client: httpx.Client, folder: Path) -> str:
    """Register the folder (zipped as the CLI zips one; no manifest: Azure's folder as it is) and deploy it;
    returns the deployment's name."""
    name = unique(folder.name.replace("_", "-"))
    registered = client.post(f"/v1/models/{name}/versions", files={"file": ("model.zip", zip_folder(folder))})
    assert registered.status_code == 201, registered.text
    created = client.post("/v1/deployments", json={"name": f"{name}-svc", "model": name})
    assert created.status_code == 201, created.text
    assert created.json()["state"] == "ready", created.json()
    return created.json()["name"]


@contextmanager
def side_by_side(client: httpx.Client, azure_python: Path, folder: Path, tmp_path: Path) -> Iterator[tuple]:
    """azmlinfsrv serving the folder, and batchsvc's deployment of it: (azmlinfsrv, the deployment's name)."""
    reference = Azmlinfsrv(azure_python, folder, tmp_path / "azmlinfsrv.log")
    try:
        yield reference, deploy_folder(client, folder)
    finally:
        reference.stop()


def comparable(response: httpx.Response) -> tuple[int, object, str | None]:
    return response.status_code, response.json(), response.headers.get("x-ms-run-function-failed")


@pytest.mark.parametrize("script", sorted(CASES))
def test_entry_script_answers_as_azmlinfsrv_does(script, client, azure_python, regression_model, tmp_path):
    # Given the script served by azmlinfsrv and deployed on batchsvc from the very same folder
    folder = sample_folder(script, regression_model, tmp_path)
    with side_by_side(client, azure_python, folder, tmp_path) as (reference, deployment):
        for what, body, extra in CASES[script]:
            headers = {"Content-Type": JSON, **extra}
            # When the same request goes to both
            theirs = httpx.post(reference.url + "/score", content=body, headers=headers, timeout=30)
            ours = client.post(f"/api/v1/service/{deployment}/score", content=body, headers=headers)
            # Then the status, the JSON and the run-failed header are the same
            assert comparable(ours) == comparable(theirs), f"{script}: {what}: {ours.text} != {theirs.text}"


GET_CASES: dict[str, list[str]] = {  # script -> query strings of GET /score (azmlinfsrv reads each value as JSON)
    "headers": ["a=1&b=x&b=y", ""],
    "numpy_schema": ["data=[[1,2,3,4,5,6,7,8,9,10]]", "data=[[1,2,3,4,5,6,7,8,9,10]]&method=explain", "method=x"],
    "model1": ["data=[[1,2,3,4,5,6,7,8,9,10]]", "rows=1"],
}


@pytest.mark.parametrize("script", sorted(GET_CASES))
def test_get_on_score_answers_as_azmlinfsrv_does(script, client, azure_python, regression_model, tmp_path):
    # Given the script served by azmlinfsrv and deployed on batchsvc
    folder = sample_folder(script, regression_model, tmp_path)
    with side_by_side(client, azure_python, folder, tmp_path) as (reference, deployment):
        for query in GET_CASES[script]:
            # When the same GET with a query string goes to both
            theirs = httpx.get(f"{reference.url}/score?{query}", headers={"X-Tenant": "contoso"}, timeout=30)
            ours = client.get(f"/api/v1/service/{deployment}/score?{query}", headers={"X-Tenant": "contoso"})
            # Then the status, the JSON and the run-failed header are the same
            assert comparable(ours) == comparable(theirs), f"{script}?{query}: {ours.text} != {theirs.text}"


def test_run_errors_and_init_output_are_in_the_deployment_logs(client, regression_model, tmp_path):
    # Given a deployed script whose init prints and whose run raises on a body without data
    deployment = deploy_folder(client, sample_folder("raises", regression_model, tmp_path))
    # When it answers a good request, then a bad one
    assert client.post(f"/api/v1/service/{deployment}/score", content=b'{"data": [1]}').status_code == 200
    failed = client.post(f"/api/v1/service/{deployment}/score", content=b"{}")
    # Then the answer holds no traceback, the log has it (newest first) and init's output
    assert failed.status_code == 500 and "Traceback" not in failed.text
    logs = client.get(f"/v1/deployments/{deployment}/logs").json()["logs"]
    assert logs[0]["status"] == 500 and "KeyError: 'data'" in logs[0]["traceback"]
    assert logs[0]["error"].startswith("KeyError")
    printed = [entry["output"] for entry in logs if entry.get("output")]
    assert printed and "raises: ready" in printed[0]


def test_the_azure_view_shows_healthy_and_the_record_its_scoring_uri(client, regression_model, tmp_path):
    deployment = deploy_folder(client, sample_folder("model1", regression_model, tmp_path))
    view = client.get(f"/api/v1/service/{deployment}").json()
    assert view["state"] == "Healthy" and view["scoringUri"].endswith(f"/api/v1/service/{deployment}/score")
    record = client.get(f"/v1/deployments/{deployment}").json()
    assert record["scoring_uri"] == view["scoringUri"]


def test_an_unknown_deployment_answers_404_in_azure_shape(client):
    answer = client.post("/api/v1/service/no-such-deployment/score", content=b"{}")
    assert answer.status_code == 404 and set(answer.json()) == {"message"}


def test_a_scikit_learn_deployment_answers_data_rows_and_records(client, credit_model, credit_estimator):
    # Given a deployment of a scikit-learn pipeline (not a code model)
    from batchsvc.scoring.sample import FIELDS, make_credit_risk
    created = client.post("/v1/deployments", json={"name": unique("sk-azure"), "model": credit_model})
    name = created.json()["name"]
    rows = make_credit_risk(3, seed=5)[FIELDS]
    # When Azure's {"data": [[...]]} body and records are posted to the Azure route
    as_rows = client.post(f"/api/v1/service/{name}/score", json={"data": rows.values.tolist()})
    as_records = client.post(f"/api/v1/service/{name}/score", json={"data": rows.to_dict(orient="records")})
    # Then both answer the labels, as the native route and the pipeline itself do
    expected = credit_estimator.predict(rows).tolist()
    assert as_rows.status_code == 200 and as_rows.json() == expected
    assert as_records.json() == expected
    bad = client.post(f"/api/v1/service/{name}/score", json={"rows": []})
    assert bad.status_code == 422 and "data" in bad.json()["message"]


@pytest.mark.parametrize("script", ["numpy_schema", "pandas_schema", "raises"])
def test_swagger_json_has_the_schemas_azmlinfsrv_generates(script, client, azure_python, regression_model, tmp_path):
    # Given a decorated (or undecorated) script on both servers
    folder = sample_folder(script, regression_model, tmp_path)
    with side_by_side(client, azure_python, folder, tmp_path) as (reference, deployment):
        theirs = httpx.get(reference.url + "/swagger.json", timeout=30).json()
    ours = client.get(f"/api/v1/service/{deployment}/swagger.json").json()
    # Then the input and output schemas are theirs, and the paths are the service's
    assert ours["swagger"] == theirs["swagger"] == "2.0"
    assert ours["definitions"] == theirs["definitions"]
    assert sorted(ours["paths"]) == sorted(f"/api/v1/service/{deployment}{p}" for p in theirs["paths"])


def test_an_init_that_fails_shows_failed_and_its_traceback_in_the_logs(client, tmp_path):
    # Given an entry script whose init() raises, deployed
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "score.py").write_text("def init():\n    print('loading')\n    raise RuntimeError('no model file')\n\n\n"
                                     "def run(raw_data):\n    return raw_data\n")
    name = unique("broken")
    assert client.post(f"/v1/models/{name}/versions", files={"file": ("m.zip", zip_folder(folder))}).status_code == 201
    created = client.post("/v1/deployments", json={"name": f"{name}-svc", "model": name}).json()
    # Then the record is failed with the reason, Azure's view says Failed, and a request gets 503 without a trace
    assert created["state"] == "failed" and "no model file" in created["reason"]
    assert client.get(f"/api/v1/service/{name}-svc").json()["state"] == "Failed"
    answer = client.post(f"/api/v1/service/{name}-svc/score", content=b"{}")
    assert answer.status_code == 503 and "no model file" in answer.json()["message"]
    assert "Traceback" not in answer.text
    # And the log has init's traceback
    entry = client.get(f"/v1/deployments/{name}-svc/logs").json()["logs"][0]
    assert entry["status"] == 503 and "RuntimeError: no model file" in entry["traceback"]


ID_CASES = [  # request headers -> the ids both servers answer
    {"x-request-id": "req-1", "x-ms-client-request-id": "client-1", "TraceId": "trace-1"},
    {"x-request-id": "req-2", "x-ms-request-id": "legacy-2"},
    {"x-request-id": "r" * 101},
    {"x-request-id": "req-4", "x-ms-client-request-id": "c" * 101},
]
ID_HEADERS = ("x-request-id", "x-ms-request-id", "x-ms-client-request-id", "traceid")


def test_request_ids_are_answered_as_azmlinfsrv_answers_them(client, azure_python, regression_model, tmp_path):
    # Given a script on both servers
    folder = sample_folder("raises", regression_model, tmp_path)
    with side_by_side(client, azure_python, folder, tmp_path) as (reference, deployment):
        for headers in ID_CASES:
            # When a request carries request ids (or ids too long)
            theirs = httpx.post(reference.url + "/score", content=b'{"data": [1]}', headers=headers, timeout=30)
            ours = client.post(f"/api/v1/service/{deployment}/score", content=b'{"data": [1]}', headers=headers)
            # Then the status, the body and the ids answered are the same
            pick = lambda r: (r.status_code, r.json(), {h: r.headers.get(h) for h in ID_HEADERS})
            assert pick(ours) == pick(theirs), f"{headers}: {ours.headers} != {theirs.headers}"
        # And without ids, both make one up (a UUID) and answer it as the legacy id too
        for made in (client.post(f"/api/v1/service/{deployment}/score", content=b"{}").headers,
                     httpx.post(reference.url + "/score", content=b"{}", timeout=30).headers):
            assert len(made["x-request-id"]) == 36 and made["x-ms-request-id"] == made["x-request-id"]
            assert "x-ms-client-request-id" not in made


@pytest.mark.parametrize("script", ["numpy_schema", "raises"])
def test_swagger_versions_and_a_shipped_swagger_are_served_as_azmlinfsrv_serves_them(
        script, client, azure_python, regression_model, tmp_path):
    # Given a script on both servers, its folder shipping its own Swagger 2 document (kept as it is)
    folder = sample_folder(script, regression_model, tmp_path)
    shipped = {"swagger": "2.0", "info": {"title": "shipped by the folder", "version": "7"}, "paths": {}}
    (folder / "swagger.json").write_text(json.dumps(shipped))
    with side_by_side(client, azure_python, folder, tmp_path) as (reference, deployment):
        for version in ["", "2.0", "3", "3.1", "4"]:
            # When each version is asked of both
            query = f"?version={version}" if version else ""
            theirs = httpx.get(f"{reference.url}/swagger.json{query}", timeout=30)
            ours = client.get(f"/api/v1/service/{deployment}/swagger.json{query}")
            # Then the same status, and the same document (paths under the service's path) or message
            assert ours.status_code == theirs.status_code, f"{version}: {ours.text} != {theirs.text}"
            mine, reference_doc = ours.json(), theirs.json()
            if "paths" in reference_doc and reference_doc["paths"]:
                prefix = f"/api/v1/service/{deployment}"
                assert sorted(mine.pop("paths")) == sorted(prefix + path for path in reference_doc.pop("paths"))
                mine["info"].pop("title"), reference_doc["info"].pop("title")
                mine["info"].pop("description"), reference_doc["info"].pop("description")
            assert mine == reference_doc, version
        assert client.get(f"/api/v1/service/{deployment}/swagger.json").json() == shipped


def test_options_and_the_swagger_ids_are_answered_as_azmlinfsrv_answers_them(
        client, azure_python, regression_model, tmp_path):
    # Given an undecorated script on both servers
    folder = sample_folder("raises", regression_model, tmp_path)
    ids = {"x-request-id": "req-9", "x-ms-client-request-id": "client-9", "TraceId": "trace-9"}
    with side_by_side(client, azure_python, folder, tmp_path) as (reference, deployment):
        # When OPTIONS is sent to the scoring URI, and swagger.json is asked with request ids
        theirs = [httpx.options(reference.url + "/score", timeout=30),
                  httpx.get(reference.url + "/swagger.json", headers=ids, timeout=30),
                  httpx.get(reference.url + "/swagger.json", headers={"x-request-id": "r" * 101}, timeout=30)]
        ours = [client.options(f"/api/v1/service/{deployment}/score"),
                client.get(f"/api/v1/service/{deployment}/swagger.json", headers=ids),
                client.get(f"/api/v1/service/{deployment}/swagger.json", headers={"x-request-id": "r" * 101})]
    # Then OPTIONS answers 200 with an empty body without calling run, and swagger.json answers the same ids
    pick = lambda r: (r.status_code, r.headers.get("content-type"), r.headers.get("x-ms-run-function-failed"),
                      {h: r.headers.get(h) for h in ID_HEADERS})
    assert pick(ours[0])[:3] == pick(theirs[0])[:3] == (200, "text/html; charset=utf-8", "False")
    assert ours[0].content == theirs[0].content == b""
    assert [pick(r)[0::3] for r in ours[1:]] == [pick(r)[0::3] for r in theirs[1:]]
    assert ours[2].json() == theirs[2].json()
