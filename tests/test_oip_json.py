"""The Open Inference Protocol in raw JSON on the session API: health, metadata, readiness, infer with tensors and
MLServer's pandas codec, answers equal to the native route's, every error as {"error": "..."}, and its auth."""

import uuid

import httpx
import numpy as np
from harness import register_slow

from batchsvc.scoring.sample import FIELDS, make_credit_risk

NUMERIC = {"LoanDuration", "LoanAmount", "InstallmentPercent", "CurrentResidenceDuration", "Age",
           "ExistingCreditsCount", "Dependents"}


def credit_rows(n: int, seed: int = 3) -> list[list]:
    return make_credit_risk(n, seed=seed)[FIELDS].astype(object).values.tolist()


def pd_body(rows: list[list], fields: list[str] = FIELDS, **extra) -> dict:
    """MLServer's pandas codec: one input per column, BYTES for text."""
    inputs = [{"name": f, "datatype": "FP64" if f in NUMERIC else "BYTES", "shape": [len(rows)],
               "data": [row[i] for row in rows]} for i, f in enumerate(fields)]
    return {"parameters": {"content_type": "pd"}, "inputs": inputs, **extra}


def deploy(client: httpx.Client, model: str) -> str:
    name = f"oip-{uuid.uuid4().hex[:8]}"
    assert client.post("/v1/deployments", json={"name": name, "model": model}).status_code == 201
    return name


def test_health_and_server_metadata(client):
    assert client.get("/v2/health/live").json() == {"live": True}
    assert client.get("/v2/health/ready").json() == {"ready": True}
    assert client.get("/v2").json()["name"] == "batchsvc"


def test_metadata_names_an_input_per_feature_and_the_two_outputs(client, credit_model, credit_estimator):
    # Given a deployment of the credit model
    name = deploy(client, credit_model)
    # When its metadata is read, and the model's by reference and version
    meta = client.get(f"/v2/models/{name}").json()
    by_version = client.get(f"/v2/models/{credit_model}/versions/1").json()
    # Then every feature is an input, numbers FP64 and text BYTES; outputs predict and predict_proba
    assert [i["name"] for i in meta["inputs"]] == FIELDS
    assert {i["name"] for i in meta["inputs"] if i["datatype"] == "FP64"} == NUMERIC
    assert meta["outputs"] == [{"name": "predict", "datatype": "BYTES", "shape": [-1]},
                               {"name": "predict_proba", "datatype": "FP64", "shape": [-1, 2]}]
    assert meta["name"] == name and meta["versions"] == ["1"] and by_version["inputs"] == meta["inputs"]
    # And both are ready
    assert client.get(f"/v2/models/{name}/ready").json() == {"name": name, "ready": True}
    assert client.get(f"/v2/models/{credit_model}/versions/1/ready").status_code == 200


def test_infer_with_the_pandas_codec_equals_the_native_route(client, credit_model):
    # Given rows, scored by the native route
    rows = credit_rows(25)
    name = deploy(client, credit_model)
    native = client.post(f"/v1/deployments/{name}/predictions",
                         json={"input_data": [{"fields": FIELDS, "values": rows}]}).json()["predictions"][0]["values"]
    # When the same rows are sent as columns with the pandas codec (columns in another order)
    response = client.post(f"/v2/models/{name}/infer", json={**pd_body(rows), "id": "req-1"})
    # Then the labels and probabilities are the native ones, as tensors
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["model_name"] == name and answer["model_version"] == "1" and answer["id"] == "req-1"
    predict, proba = answer["outputs"]
    assert predict == {"name": "predict", "datatype": "BYTES", "shape": [25], "data": [v[0] for v in native]}
    assert proba["name"] == "predict_proba" and proba["shape"] == [25, 2]
    assert np.array(proba["data"]).reshape(25, 2).tolist() == [v[1] for v in native]
    # And `outputs` chooses: predict_proba alone
    only = client.post(f"/v2/models/{name}/infer", json=pd_body(rows, outputs=[{"name": "predict_proba"}])).json()
    assert [o["name"] for o in only["outputs"]] == ["predict_proba"]
    # And the request is logged on the deployment as native calls are
    assert client.get(f"/v1/deployments/{name}").json()["counters"]["requests"] == 3


def test_infer_with_a_2d_tensor_follows_the_feature_order(client):
    # Given a numeric model over a and b, by reference
    model = register_slow(client, "oip-sum", 0.0)
    # When a [2, 2] FP32 tensor is sent, nested, without a content type
    body = {"inputs": [{"name": "input-0", "datatype": "FP32", "shape": [2, 2], "data": [[1, 2], [3.5, 4]]}]}
    answer = client.post(f"/v2/models/{model}/infer", json=body).json()
    # Then each row is scored in feature order: one regression output
    assert answer["outputs"] == [{"name": "predict", "datatype": "FP64", "shape": [2], "data": [3.0, 7.5]}]


BAD_BODIES = [
    (b"{not json", "not valid JSON"),
    (b'{"inputs": []}', "inputs"),
    (b'{"inputs": [{"name": "a", "datatype": "FP99", "shape": [1], "data": [1]}]}', "datatype 'FP99'"),
    (b'{"inputs": [{"name": "a", "datatype": "FP64", "shape": [2], "data": [1]}]}', "shape [2] but 1 values"),
    (b'{"inputs": [{"name": "a", "datatype": "FP64", "shape": [1], "data": ["x"]}]}', "FP64, but holds 'x'"),
    (b'{"inputs": [{"name": "a", "datatype": "FP64", "shape": [1], "data": [1]}, '
     b'{"name": "a", "datatype": "FP64", "shape": [1], "data": [1]}]}', "column twice: a"),
    (b'{"inputs": [{"name": "a", "datatype": "FP64", "shape": [1], "data": [1]}, '
     b'{"name": "b", "datatype": "FP64", "shape": [2], "data": [1, 2]}]}', "every column needs one value per row"),
    (b'{"inputs": [{"name": "a", "datatype": "FP64", "shape": [1], "data": [1]}]}', "lacks"),
    (b'{"inputs": [{"name": "a", "datatype": "BYTES", "shape": [1], "data": ["lots"]}, '
     b'{"name": "b", "datatype": "FP64", "shape": [1], "data": [1]}]}', "column a, row 1: 'lots' is not a number"),
    (b'{"parameters": {"content_type": "xml"}, "inputs": [{"name": "a", "datatype": "FP64", "shape": [1], '
     b'"data": [1]}]}', "content_type 'xml'"),
    (b'{"inputs": [{"name": "a", "datatype": "FP64", "shape": [1], "data": [1]}, {"name": "b", "datatype": "FP64", '
     b'"shape": [1], "data": [1]}], "outputs": [{"name": "predict_proba"}]}', "no output 'predict_proba'"),
]


def test_every_bad_request_is_a_400_with_the_protocols_error_body(client):
    model = register_slow(client, "oip-bad", 0.0)
    for body, words in BAD_BODIES:
        # When a bad body is sent, Then 400 {"error": message} names what is wrong
        response = client.post(f"/v2/models/{model}/infer", content=body)
        assert response.status_code == 400, (body, response.text)
        assert list(response.json()) == ["error"] and words in response.json()["error"], (body, response.text)
    # And an unknown model or version is a 404, in the same shape
    missing = client.post("/v2/models/no-such-thing/infer", content=BAD_BODIES[7][0])
    assert missing.status_code == 404 and "no-such-thing" in missing.json()["error"]
    unknown = client.get("/v2/models/no-such-thing")
    assert unknown.status_code == 404 and unknown.json() == {"error": "no deployment or model named 'no-such-thing'"}
    assert client.get(f"/v2/models/{model}/versions/9/ready").status_code == 404
    assert client.get(f"/v2/models/{model}/versions/9").json()["error"].startswith("model")


def test_the_model_routes_need_a_key_that_may_score(secure):
    body = {"inputs": [{"name": "a", "datatype": "FP64", "shape": [2], "data": [1.0, 2.0]}]}
    path = f"/v2/models/{secure.model}/infer"
    # Given auth on: health is open, a model's routes are not
    with secure.client(None) as anonymous:
        assert anonymous.get("/v2/health/live").status_code == 200
        refused = anonymous.post(path, json=body)
        assert refused.status_code == 401 and "error" in refused.json() and refused.headers["WWW-Authenticate"]
    # And a reader may not score, a submitter may
    with secure.client("reader") as reader:
        assert reader.post(path, json=body).status_code == 403
        assert reader.get(f"/v2/models/{secure.model}").status_code == 403
    with secure.client("alice") as alice:
        answer = alice.post(path, json=body)
        assert answer.status_code == 200, answer.text
        assert np.allclose(answer.json()["outputs"][0]["data"], [2.0, 4.0])
