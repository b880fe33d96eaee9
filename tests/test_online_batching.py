"""Adaptive batching on the session API: 32 clients at once against a deployment with batching on get the answers
(and the errors) the same bodies get one by one with batching off, and its log shows requests scored together.

Answers are the same but for the last digit of a float32 probability: onnxruntime's kernel for a one-row call
rounds otherwise than its kernel for several rows (as a row alone and the same row in a request of several already
differ), so a one-row request scored in a batch may differ from it alone by a few float32 steps, no more.
"""

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest

from batchsvc.scoring.sample import FIELDS, WATSON_ROW, make_credit_risk

CLIENTS = 32
ROUNDS = 10  # rounds of 32 at once until a batch of more than one request shows in the log
ROWS = make_credit_risk(CLIENTS, seed=21)[FIELDS].astype(object).values.tolist()
BATCHING = {"max_batch_size": 32, "max_wait_us": 5_000}
KERNEL_ROUNDING = 1e-6  # a few float32 steps (2 ** -24 near 1): how far kernel rounding moves a probability


def _with(field: str, value) -> list:
    row = list(WATSON_ROW)
    row[FIELDS.index(field)] = value
    return row


def bodies() -> list[bytes]:
    """32 bodies: one-row tables of different rows, a few of several rows or entries, records, and bad ones."""
    good = [{"input_data": [{"fields": FIELDS, "values": [row]}]} for row in ROWS[:22]]
    good += [{"input_data": [{"fields": FIELDS, "values": ROWS[:3]}]},
             {"input_data": [{"fields": FIELDS, "values": ROWS[3:5]}, {"fields": FIELDS[::-1],
                                                                       "values": [ROWS[5][::-1]]}]},
             {"records": [dict(zip(FIELDS, row)) for row in ROWS[6:8]]}]
    bad = [{"input_data": [{"fields": FIELDS, "values": [_with("LoanAmount", "lots")]}]},
           {"input_data": [{"fields": FIELDS[:-2], "values": [WATSON_ROW[:-2]]}]},
           {"input_data": [{"fields": FIELDS, "values": [WATSON_ROW[:-1]]}]},
           {"records": [dict(zip(FIELDS, _with("Age", None)))]},
           {}]
    raw = [json.dumps(body).encode() for body in good + bad]
    return raw + [b"{not json", b'{"records": [{"Age": NaN}]}']


def answer(client: httpx.Client, path: str, raw: bytes) -> tuple[int, object]:
    """The status and the JSON answered (the text where an answer is not JSON)."""
    response = client.post(path, content=raw, headers={"content-type": "application/json"})
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, response.text


def same_answer(got: tuple[int, object], expected: tuple[int, object]) -> bool:
    """The same status, error and labels, and the same probabilities to a few float32 steps (see above)."""
    if got[0] != expected[0] or got[0] != 200:
        return got == expected
    tables, others = got[1]["predictions"], expected[1]["predictions"]  # type: ignore[index]
    if [(t["fields"], [v[0] for v in t["values"]]) for t in tables] != \
            [(t["fields"], [v[0] for v in t["values"]]) for t in others]:
        return False
    probabilities = [v[1] for t in tables for v in t["values"]]
    return np.allclose(probabilities, [v[1] for t in others for v in t["values"]], rtol=0, atol=KERNEL_ROUNDING)


def all_at_once(api_url: str, path: str, raws: list[bytes]) -> list[tuple[int, object]]:
    """Each body sent by a client of its own (a keep-alive connection each), all released together."""
    start = threading.Barrier(len(raws))

    def send(raw: bytes) -> tuple[int, object]:
        with httpx.Client(base_url=api_url, timeout=120) as c:
            start.wait()
            return answer(c, path, raw)

    with ThreadPoolExecutor(len(raws)) as pool:
        return list(pool.map(send, raws))


@pytest.mark.parametrize("engine", ["auto", "sklearn"])
def test_32_clients_at_once_get_the_answers_and_errors_each_gets_alone(client, api_url, credit_model, engine):
    # Given one deployment with batching off and one with it on, over the same model and engine (sklearn: the
    # full path, one predict_proba for many requests' rows)
    off, on = f"batch-off-{uuid.uuid4().hex[:6]}", f"batch-on-{uuid.uuid4().hex[:6]}"
    assert client.post("/v1/deployments", json={"name": off, "model": credit_model, "engine": engine}
                       ).status_code == 201
    created = client.post("/v1/deployments", json={"name": on, "model": credit_model, "engine": engine,
                                                   "batching": BATCHING})
    assert created.status_code == 201 and created.json()["batching"] == BATCHING
    raws = bodies()
    # And the answer each body gets alone, one after another, with batching off
    alone = [answer(client, f"/v1/deployments/{off}/predictions", raw) for raw in raws]
    assert [status for status, _ in alone].count(200) == 25 and {s for s, _ in alone} >= {200, 400, 422}
    batches: list[int] = []
    for _ in range(ROUNDS):
        # When 32 clients send them at once to the deployment with batching on
        together = all_at_once(api_url, f"/v1/deployments/{on}/predictions", raws)
        # Then each gets the status and JSON (answer or error) it got alone
        for raw, got, expected in zip(raws, together, alone):
            assert same_answer(got, expected), (raw, got, expected)
        logs = client.get(f"/v1/deployments/{on}/logs", params={"limit": 1000}).json()["logs"]
        batches = [entry["batch"] for entry in logs if entry.get("batch")]
        if max(batches, default=0) > 1:
            break
    # And its log shows requests that were scored together in one engine call, by the engine asked for
    assert max(batches) > 1, batches
    assert {e["engine"] for e in logs if e.get("batch")} == {"sklearn" if engine == "sklearn" else "onnx"}
    # When batching is turned off again, Then the record says so and requests are scored alone
    changed = client.patch(f"/v1/deployments/{on}", json={"batching": None}).json()
    assert changed["batching"] is None
    assert answer(client, f"/v1/deployments/{on}/predictions", raws[0]) == alone[0]  # exactly: scored alone
    assert client.get(f"/v1/deployments/{on}/logs", params={"limit": 1}).json()["logs"][0].get("batch") is None


def test_batching_settings_are_checked(client, credit_model):
    # When a deployment asks for batching with a bad size or wait, Then 422 names the field
    for bad, field in (({"max_batch_size": 0}, "max_batch_size"), ({"max_wait_us": -1}, "max_wait_us"),
                       ({"max_wait_us": "500"}, "max_wait_us"), ({"size": 3}, "size")):
        response = client.post("/v1/deployments", json={"name": f"bad-{uuid.uuid4().hex[:6]}",
                                                        "model": credit_model, "batching": bad})
        assert response.status_code == 422 and field in json.dumps(response.json()), (bad, response.text)
    # And settings left out take their defaults
    name = f"batch-defaults-{uuid.uuid4().hex[:6]}"
    made = client.post("/v1/deployments", json={"name": name, "model": credit_model, "batching": {}}).json()
    assert made["batching"] == {"max_batch_size": 32, "max_wait_us": 500}


def test_the_openapi_document_describes_batching_and_limits(client):
    # When the API's own document is read
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    # Then a deployment's batching and limits are in it with their fields and bounds
    assert set(schemas["Batching"]["properties"]) == {"max_batch_size", "max_wait_us"}
    assert schemas["Batching"]["properties"]["max_batch_size"]["minimum"] == 1
    assert {"max_concurrency", "timeout_ms", "max_queue"} <= set(schemas["Limits"]["properties"])
    request = json.dumps(schemas["DeploymentRequest"]["properties"])
    assert "#/components/schemas/Batching" in request and "#/components/schemas/Limits" in request
