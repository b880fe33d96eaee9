"""Model registry: any estimator or pipeline, versions, aliases, jobs naming model, model@3, model@alias."""

import io
import uuid

import joblib
import numpy as np
import pandas as pd
import pytest
from harness import register, run_job
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_register_describes_classifier_pipeline(client, credit_estimator):
    name = unique("cr")
    meta = register(client, name, credit_estimator, description="credit risk", tags="demo,risk")
    assert meta["version"] == 1 and meta["task"] == "classification"
    assert meta["classes"] == ["No Risk", "Risk"] and len(meta["features"]) == 20
    assert len(meta["sha256"]) == 64 and meta["tags"] == ["demo", "risk"]
    assert register(client, name, credit_estimator, force="true")["version"] == 2  # the same file: forced
    model = client.get(f"/v1/models/{name}").json()
    assert [v["version"] for v in model["versions"]] == [1, 2] and model["latest_version"] == 2
    assert name in [m["name"] for m in client.get("/v1/models").json()["models"]]


def test_the_latest_versions_very_file_answers_that_version_with_200(client, credit_estimator):
    buffer = io.BytesIO()
    joblib.dump(credit_estimator, buffer)
    name = unique("same")
    first = register(client, name, credit_estimator)
    again = client.post(f"/v1/models/{name}/versions", files={"file": ("m.joblib", buffer.getvalue())})
    assert again.status_code == 200 and again.json() == first
    refused = client.post(f"/v1/models/{name}/versions", files={"file": ("m.joblib", buffer.getvalue())},
                          data={"force": "maybe"})
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "force"


def test_regressor_fitted_on_dataframe_predicts_like_the_estimator(client):
    # Given a regressor fitted on a DataFrame
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    est = RandomForestRegressor(n_estimators=5, random_state=0).fit(X, X["a"] * 2 + X["b"])
    name = unique("reg")
    assert register(client, name, est)["task"] == "regression"
    # When records are scored
    job = run_job(client, {"model": name, "input": {"records": X.head(20).to_dict(orient="records")}})
    # Then the predictions are the estimator's own
    assert job["status"] == "completed", job["error"]
    assert job["result"]["predictions"]["fields"] == ["prediction"]
    got = [row[0] for row in job["result"]["predictions"]["values"]]
    assert np.allclose(got, est.predict(X.head(20)))


def test_model_fitted_on_plain_array_scores_by_position_and_by_declared_names(client):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(100, 3))
    est = LinearRegression().fit(X, X @ [1.0, 2.0, 3.0])
    name = unique("arr")
    meta = register(client, name, est, features="f1,f2,f3")
    assert meta["features"] == ["f1", "f2", "f3"]
    by_position = run_job(client, {"model": name, "input": {"values": X[:5].tolist()}})
    by_name = run_job(client, {"model": name, "input": {"fields": ["f3", "f1", "f2"],
                                                          "values": X[:5, [2, 0, 1]].tolist()}})
    for job in (by_position, by_name):
        assert job["status"] == "completed", job["error"]
        assert np.allclose([r[0] for r in job["result"]["predictions"]["values"]], est.predict(X[:5]))


def test_job_names_version_and_alias_and_records_the_exact_version(client):
    name = unique("ver")
    X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    register(client, name, LogisticRegression().fit(X, [0, 0, 1, 1]))
    register(client, name, LogisticRegression().fit(X, [1, 1, 0, 0]))
    response = client.put(f"/v1/models/{name}/aliases/production", json={"version": 1})
    assert response.status_code == 200 and response.json()["aliases"] == {"production": 1}
    rows = {"records": [{"x": 0.0}]}
    versions = {ref: run_job(client, {"model": ref, "input": rows}) for ref in
                (name, f"{name}@1", f"{name}@production")}
    assert {ref: job["model"]["version"] for ref, job in versions.items()} == {
        name: 2, f"{name}@1": 1, f"{name}@production": 1}
    assert versions[f"{name}@1"]["result"]["predictions"]["values"][0][0] == 0
    assert versions[name]["result"]["predictions"]["values"][0][0] == 1


def test_deleting_a_version_removes_it_and_its_aliases(client):
    name = unique("del")
    X = pd.DataFrame({"x": [0.0, 1.0]})
    register(client, name, LinearRegression().fit(X, [0, 1]))
    register(client, name, LinearRegression().fit(X, [1, 0]))
    client.put(f"/v1/models/{name}/aliases/prod", json={"version": 2})
    assert client.delete(f"/v1/models/{name}/versions/2").status_code == 204
    assert client.get(f"/v1/models/{name}/versions/2").status_code == 404
    assert client.get(f"/v1/models/{name}").json()["aliases"] == {}


@pytest.mark.parametrize("payload, expect", [
    (b"not a pickle at all", "not a joblib-saved model"),
    (None, "not an estimator"),
])
def test_register_refuses_what_is_not_an_estimator(client, payload, expect):
    if payload is None:
        buffer = io.BytesIO()
        joblib.dump({"a": 1}, buffer)
        payload = buffer.getvalue()
    response = client.post(f"/v1/models/{unique('bad')}/versions", files={"file": ("m.joblib", payload)})
    assert response.status_code == 422
    assert expect in response.json()["error"]["message"]


def test_register_refuses_a_bad_name_and_a_missing_file(client, credit_estimator):
    buffer = io.BytesIO()
    joblib.dump(credit_estimator, buffer)
    response = client.post("/v1/models/bad@name/versions", files={"file": ("m.joblib", buffer.getvalue())})
    assert response.status_code == 422 and "model name" in response.json()["error"]["message"]
    response = client.post(f"/v1/models/{unique('nofile')}/versions", data={"description": "x"})
    assert response.status_code == 422 and response.json()["error"]["field"] == "file"
