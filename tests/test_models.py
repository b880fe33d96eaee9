"""Model registry: any estimator or pipeline, versions, aliases, jobs naming model, model@3, model@alias.

Registration, deletion and refusals, which need no worker, are tested in process: tests/unit/test_api_models.py.
"""


import numpy as np
import pandas as pd
from harness import register, run_job, unique
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression


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
