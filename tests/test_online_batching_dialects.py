"""Adaptive batching through every dialect, with the onnx engine and with scikit-learn: Watson ML's predictions,
the Open Inference Protocol's infer and Azure's scoring URI of a scikit-learn deployment translate to the one
online core, so 32 clients at once against a deployment with batching on get what each body gets alone with
batching off (answers and errors), and the deployment's log shows requests scored together.
"""

import json
import uuid

import httpx
import numpy as np
import pytest
from test_online_batching import BATCHING, KERNEL_ROUNDING, ROUNDS, ROWS, _with, all_at_once, answer
from test_online_batching import bodies as native_bodies

from batchsvc.scoring.sample import FIELDS, WATSON_ROW

OWN = {"trace", "model_name"}  # keys whose values are each request's or deployment's own
NUMERIC = {"LoanDuration", "LoanAmount", "InstallmentPercent", "CurrentResidenceDuration", "Age",
           "ExistingCreditsCount", "Dependents"}


def oip_bodies() -> list[bytes]:
    """MLServer's pandas codec, one input per column: one-row and three-row bodies, and bad ones."""
    def body(rows: list[list], fields: list[str] = FIELDS, text: frozenset[str] = frozenset()) -> bytes:
        inputs = [{"name": f, "datatype": "FP64" if f in NUMERIC - text else "BYTES", "shape": [len(rows)],
                   "data": [row[FIELDS.index(f)] for row in rows]} for f in fields]
        return json.dumps({"parameters": {"content_type": "pd"}, "inputs": inputs}).encode()
    good = [body([row]) for row in ROWS[:24]] + [body(ROWS[:3])]
    bad = [body([_with("LoanAmount", "lots")], text={"LoanAmount"}), body([WATSON_ROW], FIELDS[:-2]),
           body([_with("Age", 1e300)])]
    return good + bad + [b"{not json", b'{"inputs": []}', b'{"inputs": [{"name": "Age"}]}', b"[]"]


def azure_bodies() -> list[bytes]:
    """Azure's scikit-learn bodies: {"data": [[...]]} in feature order, records, and bad ones."""
    good = [{"data": [row]} for row in ROWS[:24]] + [{"data": ROWS[:3]}, [dict(zip(FIELDS, ROWS[4]))]]
    bad = [{"data": [_with("LoanAmount", "lots")]}, {"data": [WATSON_ROW[:-1]]}, {"data": []}, {"rows": 1}]
    return [json.dumps(b).encode() for b in good + bad] + [b"{not json", b'{"data": [[NaN]]}']


def close(got, expected) -> bool:
    """The same JSON, floats to a few float32 steps (onnxruntime's one-row kernel rounds otherwise), but for
    Watson ML's per-request error trace id and OIP's model name (the deployment's own)."""
    if isinstance(got, float) and isinstance(expected, float):
        return bool(np.isclose(got, expected, rtol=0, atol=KERNEL_ROUNDING))
    if isinstance(got, list) and isinstance(expected, list):
        return len(got) == len(expected) and all(close(g, e) for g, e in zip(got, expected))
    if isinstance(got, dict) and isinstance(expected, dict):
        return got.keys() == expected.keys() and all(close(got[k], expected[k]) for k in got if k not in OWN)
    return bool(got == expected)


def deployed(client: httpx.Client, model: str, engine: str, batching: dict | None) -> dict:
    body = {"name": f"dialect-{uuid.uuid4().hex[:8]}", "model": model, "engine": engine, "batching": batching}
    created = client.post("/v1/deployments", json=body)
    assert created.status_code == 201, created.text
    return created.json()


DIALECTS = {"watson": ("/ml/v4/deployments/{id}/predictions?version=2020-09-01", native_bodies),
            "oip": ("/v2/models/{name}/infer", oip_bodies),
            "azure": ("/api/v1/service/{name}/score", azure_bodies)}


@pytest.mark.parametrize("engine", ["auto", "sklearn"])
@pytest.mark.parametrize("dialect", list(DIALECTS))
def test_a_dialect_batches_and_each_request_gets_what_it_gets_alone(client, api_url, credit_model, dialect, engine):
    # Given a deployment with batching off and one with it on, of the same model and engine
    template, make_bodies = DIALECTS[dialect]
    off, on = (deployed(client, credit_model, engine, b) for b in (None, BATCHING))
    raws = make_bodies()
    # And what each body gets alone, one after another, with batching off
    alone = [answer(client, template.format(**off), raw) for raw in raws]
    assert [s for s, _ in alone].count(200) >= 25 and any(s >= 400 for s, _ in alone), alone
    batches: list[int] = []
    for _ in range(ROUNDS):
        # When 32 clients send them at once in the dialect to the deployment with batching on
        together = all_at_once(api_url, template.format(**on), raws)
        # Then each gets the status and JSON (answer or error) it got alone
        for raw, got, expected in zip(raws, together, alone):
            assert got[0] == expected[0] and close(got[1], expected[1]), (raw, got, expected)
        logs = client.get(f"/v1/deployments/{on['name']}/logs", params={"limit": 1000}).json()["logs"]
        batches = [entry["batch"] for entry in logs if entry.get("batch")]
        if max(batches, default=0) > 1:
            break
    # And the deployment's log shows requests scored together in one engine call, by the engine asked for
    assert max(batches) > 1, batches
    engines = {entry["engine"] for entry in logs if entry.get("batch")}
    assert engines == ({"sklearn"} if engine == "sklearn" else {"onnx"}), engines
