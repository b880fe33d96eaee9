"""Limits that shed load, on the session API: over max_concurrency + max_queue a request is refused at once with
429 and Retry-After (native, Watson ML and Open Inference Protocol routes alike); past timeout_ms it gets 504
naming the limit; other deployments go on; /metrics counts both."""

import re
import threading
import uuid
from pathlib import Path

import httpx
import pandas as pd
from harness import register, wait_for
from slowmodel import SlowSum

SLOW_S = 3.0  # how long the slow model takes per call: far longer than any answer the tests expect meanwhile
ROW = {"input_data": [{"fields": ["a", "b"], "values": [[1.0, 2.0]]}]}
OIP_ROW = {"inputs": [{"name": "input-0", "datatype": "FP64", "shape": [1, 2], "data": [1.0, 2.0]}]}


def slow_deployment(client: httpx.Client, marker: Path, limits: dict) -> str:
    """A deployment with `limits` of a SlowSum that marks where its scoring is (<marker>.started, .done)."""
    name = f"slow-{uuid.uuid4().hex[:8]}"
    register(client, name, SlowSum(delay_s=SLOW_S, marker=str(marker)).fit(pd.DataFrame({"a": [0.0], "b": [0.0]})))
    response = client.post("/v1/deployments", json={"name": name, "model": name, "limits": limits})
    assert response.status_code == 201, response.text
    return name


def in_background(url: str, path: str, marker: Path | None = None) -> tuple[threading.Thread, dict]:
    """POST one row to `path` from another thread; the dict gets the response once it comes (and whether the
    slow model's <marker>.done existed then)."""
    got: dict = {}

    def post():
        with httpx.Client(base_url=url, timeout=60) as c:
            got["response"] = c.post(path, json=ROW)
            got["scoring_done"] = marker is not None and Path(f"{marker}.done").exists()

    thread = threading.Thread(target=post)
    thread.start()
    return thread, got


def shed_count(client: httpx.Client, status: str) -> float:
    text = client.get("/metrics").text
    found = re.search(rf'^batchsvc_online_shed_total{{status="{status}"}} (\S+)$', text, re.M)
    assert found, text
    return float(found.group(1))


def clear(marker: Path) -> None:
    for suffix in (".started", ".done"):
        Path(f"{marker}{suffix}").unlink(missing_ok=True)


def test_over_the_limit_a_request_is_refused_at_once_with_429_and_others_are_unaffected(
        client, api_url, credit_model, tmp_path):
    # Given a slow deployment that scores one request at a time and queues none
    marker = tmp_path / "slow"
    name = slow_deployment(client, marker, {"max_concurrency": 1, "max_queue": 0})
    refused_before = shed_count(client, "429")
    clear(marker)
    # When one request is scoring
    thread, first = in_background(api_url, f"/v1/deployments/{name}/predictions")
    wait_for(lambda: Path(f"{marker}.started").exists(), 20, 0.01, "the first request to start scoring")
    # Then a second is refused with 429 and Retry-After while the first is still scoring
    second = client.post(f"/v1/deployments/{name}/predictions", json=ROW)
    assert not Path(f"{marker}.done").exists()
    assert second.status_code == 429, second.text
    assert second.headers["Retry-After"] == "1"
    error = second.json()["error"]
    assert error["type"] == "OverCapacity" and "max_concurrency" in error["message"] and name in error["message"]
    # And so are the same deployment's Watson ML and Open Inference Protocol routes, each in its own error shape
    deployment_id = client.get(f"/v1/deployments/{name}").json()["id"]
    watson = client.post(f"/ml/v4/deployments/{deployment_id}/predictions", json=ROW)
    assert watson.status_code == 429 and watson.headers["Retry-After"] == "1"
    assert watson.json()["errors"][0]["code"] == "over_capacity"
    oip = client.post(f"/v2/models/{name}/infer", json=OIP_ROW)
    assert oip.status_code == 429 and oip.headers["Retry-After"] == "1" and "max_concurrency" in oip.json()["error"]
    assert not Path(f"{marker}.done").exists()
    # And another deployment's model, and the model by reference, answer meanwhile
    assert client.post(f"/v1/models/{credit_model}/predictions", json={"records": [{}]}).status_code == 422
    assert client.post(f"/v1/models/{name}/predictions", json=ROW).status_code == 200
    # And the first request gets its answer; the 429 is counted in /metrics
    thread.join()
    assert first["response"].status_code == 200 and first["response"].json()["predictions"][0]["values"] == [[3.0]]
    assert shed_count(client, "429") == refused_before + 3


def test_a_request_waits_in_the_bounded_queue_and_is_served_when_a_slot_frees(client, api_url, tmp_path):
    # Given a deployment with one slot and one place in its queue
    marker = tmp_path / "queued"
    name = slow_deployment(client, marker, {"max_concurrency": 1, "max_queue": 1})
    clear(marker)
    path = f"/v1/deployments/{name}/predictions"
    # When one request scores and two more come
    first_thread, first = in_background(api_url, path)
    wait_for(lambda: Path(f"{marker}.started").exists(), 20, 0.01, "the first request to start scoring")
    others = [in_background(api_url, path, marker) for _ in range(2)]
    for thread, _ in [(first_thread, first), *others]:
        thread.join()
    # Then one of them waited for the slot and was served, the other was refused while the first still scored
    answers = sorted((got["response"].status_code, got["scoring_done"]) for _, got in others)
    assert first["response"].status_code == 200
    assert answers == [(200, True), (429, False)]


def test_past_timeout_ms_a_request_gets_504_naming_the_limit_before_scoring_ends(client, api_url, tmp_path):
    # Given a slow deployment with a short timeout
    marker = tmp_path / "timeout"
    name = slow_deployment(client, marker, {"timeout_ms": 300})
    timed_out_before = shed_count(client, "504")
    clear(marker)
    # When a request is sent
    response = client.post(f"/v1/deployments/{name}/predictions", json=ROW)
    # Then it is answered 504 naming timeout_ms, before its scoring has finished
    assert not Path(f"{marker}.done").exists()
    assert response.status_code == 504, response.text
    error = response.json()["error"]
    assert error["type"] == "ScoringTimeout" and error["timeout_ms"] == 300
    assert "timeout_ms of 300 ms" in error["message"]
    assert shed_count(client, "504") == timed_out_before + 1
    # And the API goes on: the dropped scoring finishes in its thread, and the deployment answers once unlimited
    wait_for(lambda: Path(f"{marker}.done").exists(), 20, 0.05, "the dropped scoring to finish")
    client.patch(f"/v1/deployments/{name}", json={"limits": None})
    assert client.post(f"/v1/deployments/{name}/predictions", json=ROW).status_code == 200


def test_limits_are_validated_stored_changed_and_documented(client, credit_model):
    name = f"lim-{uuid.uuid4().hex[:8]}"
    # When a deployment is created with a limit out of range, Then 422 names the field
    bad = client.post("/v1/deployments", json={"name": name, "model": credit_model, "limits": {"max_concurrency": 0}})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "limits.max_concurrency"
    unknown = client.post("/v1/deployments", json={"name": name, "model": credit_model, "limits": {"max_rps": 3}})
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "limits.max_rps"
    # When it is created with limits, Then the record shows those it set, null for those the server's settings give
    created = client.post("/v1/deployments", json={"name": name, "model": credit_model, "limits": {"timeout_ms": 900}})
    assert created.status_code == 201
    assert created.json()["limits"] == {"max_concurrency": None, "max_queue": None, "timeout_ms": 900}
    # When PATCH replaces them, Then they are replaced whole; null returns to the server's defaults
    patched = client.patch(f"/v1/deployments/{name}", json={"limits": {"max_concurrency": 4, "max_queue": 0}})
    assert patched.json()["limits"] == {"max_concurrency": 4, "max_queue": 0, "timeout_ms": None}
    described = client.patch(f"/v1/deployments/{name}", json={"description": "x"})
    assert described.json()["limits"] == patched.json()["limits"]
    assert client.patch(f"/v1/deployments/{name}", json={"limits": None}).json()["limits"] is None
    # And the OpenAPI document describes them
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert set(schemas["Limits"]["properties"]) == {"max_concurrency", "max_queue", "timeout_ms"}
