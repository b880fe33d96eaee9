"""The model registry over HTTP, in process: registration, versions, aliases, and what a job's model names.

Moved here from tests/test_models.py: registration, deletion and refusals; the tests that score with a
model stay there (they need a worker).
"""

import io

import joblib
import pandas as pd
import pytest
from answers import error_of
from harness import register, submit, unique
from sklearn.linear_model import LinearRegression, LogisticRegression


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


def two_versions(client) -> str:
    """A model with versions 1 and 2 of a one-feature logistic regression; returns its name."""
    name = unique("ver")
    X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    register(client, name, LogisticRegression().fit(X, [0, 0, 1, 1]))
    register(client, name, LogisticRegression().fit(X, [1, 1, 0, 0]))
    return name


def test_an_alias_points_at_a_version_and_moves_when_set_again(client):
    # Given a model with two versions
    name = two_versions(client)
    # When an alias is set to version 1, then moved to version 2
    first = client.put(f"/v1/models/{name}/aliases/production", json={"version": 1})
    moved = client.put(f"/v1/models/{name}/aliases/production", json={"version": 2})
    # Then each answer is the model with the alias where it was put, and the model reads back with it
    assert first.status_code == 200 and first.json()["aliases"] == {"production": 1}
    assert moved.json()["aliases"] == {"production": 2}
    assert client.get(f"/v1/models/{name}").json()["aliases"] == {"production": 2}


def test_a_job_records_the_exact_version_its_model_reference_names_at_submit(client):
    # Given versions 1 and 2, and an alias on version 1
    name = two_versions(client)
    client.put(f"/v1/models/{name}/aliases/production", json={"version": 1})
    rows = {"records": [{"x": 0.0}]}
    # When jobs name the model, a version and the alias, Then each queued record holds the version it resolved to
    versions = {ref: submit(client, {"model": ref, "input": rows})["model"]["version"]
                for ref in (name, f"{name}@1", f"{name}@production")}
    assert versions == {name: 2, f"{name}@1": 1, f"{name}@production": 1}


@pytest.mark.parametrize("ref, message", [("{name}@7", "has no version 7"), ("{name}@canary", "has no alias 'canary'"),
                                          ("no-such-model", "no model named 'no-such-model'")])
def test_a_model_reference_that_names_nothing_is_404_naming_it(client, ref, message):
    # Given a model with versions 1 and 2 and no alias
    ref = ref.format(name=two_versions(client))
    # When a job names a version, an alias or a model that is not there, Then 404 names it and the field
    error = error_of(client.post("/v1/jobs", json={"model": ref, "input": {"records": [{"x": 0.0}]}}), 404)
    assert error["type"] == "ModelNotFound" and error["field"] == "model" and message in error["message"]


def test_an_unknown_model_or_version_is_404_naming_it(client):
    # Given a model with versions 1 and 2
    name = two_versions(client)
    # When another model, version 9, or an alias onto version 5 is asked for, Then each is 404 naming it
    assert "no model named 'no-such-model'" in error_of(client.get("/v1/models/no-such-model"), 404)["message"]
    assert "has no version 9" in error_of(client.get(f"/v1/models/{name}/versions/9"), 404)["message"]
    error = error_of(client.put(f"/v1/models/{name}/aliases/prod", json={"version": 5}), 404)
    assert "has no version 5" in error["message"]


def test_a_bad_version_is_a_422_naming_it(client):
    # When a version is not a whole number, in a path or an alias body, Then 422 names the field
    name = two_versions(client)
    assert error_of(client.get(f"/v1/models/{name}/versions/abc"), 422)["field"] == "version"
    assert error_of(client.put(f"/v1/models/{name}/aliases/prod", json={"version": "one"}), 422)["field"] == "version"


def test_register_refuses_an_unknown_form_field_naming_it(client, credit_estimator):
    # Given a good model file sent with a form field the route does not take
    buffer = io.BytesIO()
    joblib.dump(credit_estimator, buffer)
    response = client.post(f"/v1/models/{unique('form')}/versions", files={"file": ("m.joblib", buffer.getvalue())},
                           data={"colour": "red"})
    # Then it is refused, as JSON bodies refuse unknown keys
    assert error_of(response, 422)["field"] == "colour"


def test_a_model_fitted_on_an_array_is_described_with_its_declared_features(client):
    # Given a regressor fitted on a plain array, When it is registered with feature names
    est = LinearRegression().fit([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]], [0.0, 1.0, 2.0])
    meta = register(client, unique("arr"), est, features="f1,f2")
    # Then the version takes those names, and a regressor has no classes
    assert meta["features"] == ["f1", "f2"] and meta["task"] == "regression" and meta["classes"] is None
