"""Engines: onnx accepted only when verified against scikit-learn, chosen by default, sklearn on request,
unknown categories as handle_unknown says, the compiled artefact checked like the model file."""

import io
import json
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from harness import register, results, run_job, unique
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier

from batchsvc.scoring.engines.onnx import OnnxEngine, compile_onnx
from batchsvc.scoring.engines.sklearn import SklearnEngine
from batchsvc.scoring.engines.synth import UNSEEN
from batchsvc.scoring.engines.verify import trial
from batchsvc.scoring.modelinfo import inspect_model
from batchsvc.scoring.sample import CATEGORIES, FIELDS, WATSON_ROW, credit_risk_pipeline, make_credit_risk
from batchsvc.storage.services import get_services

TOLERANCE = 1e-5
ROWS = 900


@pytest.fixture(scope="module")
def table():
    return make_credit_risk(ROWS, seed=21)


@pytest.fixture(scope="module")
def files(table, inputs_dir):
    table.to_csv(inputs_dir / "engines.csv", index=False)
    table.to_parquet(inputs_dir / "engines.parquet", index=False, row_group_size=300)
    return {"csv": inputs_dir / "engines.csv", "parquet": inputs_dir / "engines.parquet"}


def forest_pipeline():
    pipe = credit_risk_pipeline()
    pipe.steps[-1] = ("model", RandomForestClassifier(n_estimators=30, max_depth=8, random_state=0))
    data = make_credit_risk(2_000, seed=5)
    return pipe.fit(data[FIELDS], data["Risk"])


def strict_pipeline():
    pipe = credit_risk_pipeline()
    pipe.named_steps["prep"].transformers[0][1].set_params(handle_unknown="error")
    data = make_credit_risk(2_000, seed=6)
    return pipe.fit(data[FIELDS], data["Risk"])


def chunk_engines(client, job_id: str) -> set[str]:
    events = client.get(f"/v1/jobs/{job_id}/events").json()["events"]
    return {e["engine"] for e in events if e["event"] == "chunk"}


def test_verification_accepts_the_logistic_pipeline_at_registration(client, credit_model):
    engine = client.get(f"/v1/models/{credit_model}/versions/1").json()["engine"]
    assert engine["chosen"] == "onnx", engine
    assert engine["max_difference"] <= TOLERANCE and engine["speedup"] > 1 and engine["refused_reason"] is None
    assert engine["sample"] == {"origin": "synthesised", "rows": 4000}
    assert get_services().data.engine_file(credit_model, 1).is_file()


def test_verification_accepts_a_random_forest_exact_at_its_splits(client, files, table):
    # Given a forest pipeline registered, When its compiled engine is verified, rows at its splits included
    name = unique("forest")
    forest = forest_pipeline()
    engine = register(client, name, forest)["engine"]
    assert engine["chosen"] == "onnx" and engine["max_difference"] <= TOLERANCE, engine
    assert engine["sample"]["at_splits"] > 0 and get_services().data.engine_file(name, 1).is_file()
    # Then a job scored by it gives scikit-learn's labels and probabilities, row for row
    job = run_job(client, {"model": name, "input": {"path": str(files["parquet"])}})
    out = results(client, job)
    assert chunk_engines(client, job["id"]) == {"onnx"}
    proba = forest.predict_proba(table[FIELDS])
    assert out["prediction"].tolist() == forest.classes_[proba.argmax(axis=1)].tolist()
    assert np.abs(out[["probability_No Risk", "probability_Risk"]].to_numpy() - proba).max() <= TOLERANCE


def test_verification_accepts_a_hist_gradient_boosting_in_doubles(client):
    # Given a HistGradientBoosting pipeline, When it is registered
    name = unique("hgb")
    pipe = credit_risk_pipeline()
    pipe.steps[-1] = ("model", HistGradientBoostingClassifier(max_iter=20))
    data = make_credit_risk(2_000, seed=5)
    engine = register(client, name, pipe.fit(data[FIELDS], data["Risk"]))["engine"]
    # Then its compiled engine is verified at its splits and kept
    assert engine["chosen"] == "onnx" and engine["max_difference"] <= TOLERANCE, engine
    assert engine["sample"]["at_splits"] > 0 and get_services().data.engine_file(name, 1).is_file()


def test_a_supplied_sample_is_what_verification_uses(client, credit_estimator, table):
    buffer = io.BytesIO()
    table.head(500).to_parquet(buffer, index=False)
    response = client.post(f"/v1/models/{unique('sampled')}/versions",
                           files={"file": ("m.joblib", _joblib(credit_estimator)),
                                  "sample": ("rows.parquet", buffer.getvalue())})
    assert response.status_code == 201, response.text
    assert response.json()["engine"]["sample"] == {"origin": "supplied", "rows": 500}


@pytest.mark.parametrize("kind", ["csv", "parquet", "inline"])
def test_onnx_job_agrees_with_scikit_learn_row_for_row(client, credit_model, credit_estimator, files, table, kind):
    source = ({"fields": FIELDS, "values": table[FIELDS].values.tolist()} if kind == "inline"
              else {"path": str(files[kind])})
    body = {"model": credit_model, "input": source, "chunk_size": 300, "output": {"format": "parquet"}}
    job = run_job(client, body)
    got = results(client, job)
    assert job["engine"] == "onnx" and chunk_engines(client, job["id"]) == {"onnx"}
    expected = credit_estimator.predict_proba(table[FIELDS])
    assert got["prediction"].tolist() == credit_estimator.classes_[expected.argmax(1)].tolist()
    probabilities = got[[f"probability_{c}" for c in credit_estimator.classes_]].to_numpy()
    assert np.abs(probabilities - expected).max() <= TOLERANCE
    assert not np.array_equal(probabilities, expected)  # float32: the onnx engine did score it


def test_engine_sklearn_is_exact(client, credit_model, credit_estimator, files, table):
    job = run_job(client, {"model": credit_model, "input": {"path": str(files["parquet"])}, "engine": "sklearn"})
    got = results(client, job)
    assert job["engine"] == "sklearn" and chunk_engines(client, job["id"]) == {"sklearn"}
    expected = credit_estimator.predict_proba(table[FIELDS])
    assert np.array_equal(got[[f"probability_{c}" for c in credit_estimator.classes_]].to_numpy(), expected)


def test_an_ignored_unknown_category_scores_as_all_zero_one_hot(client, credit_model, credit_estimator):
    row = dict(zip(FIELDS, WATSON_ROW), CheckingStatus="never_seen", Housing="")
    job = run_job(client, {"model": credit_model, "input": {"records": [row]}})
    assert job["status"] == "completed", job["error"]
    expected = credit_estimator.predict_proba(pd.DataFrame([row])[FIELDS])[0]
    assert np.abs(np.array(job["result"]["predictions"]["values"][0][1]) - expected).max() <= TOLERANCE


def test_onnx_engine_one_hots_unknown_categories_as_scikit_learn_does(credit_estimator):
    info = inspect_model(credit_estimator)
    onnx = OnnxEngine(compile_onnx(credit_estimator, info), info, {})
    rows = make_credit_risk(50, seed=3)[FIELDS]
    for column in CATEGORIES:
        rows.loc[rows.index[::3], column] = UNSEEN
    expected, got = SklearnEngine(credit_estimator, info).predict(rows), onnx.predict(rows)
    assert np.abs(expected.proba - got.proba).max() <= TOLERANCE


def test_an_unknown_category_under_handle_unknown_error_is_a_bad_row_naming_the_column(client):
    name = unique("strict")
    assert register(client, name, strict_pipeline())["engine"]["chosen"] == "onnx"
    rows = [dict(zip(FIELDS, WATSON_ROW)), dict(zip(FIELDS, WATSON_ROW), Job="astronaut")]
    failed = run_job(client, {"model": name, "input": {"records": rows}})
    assert failed["status"] == "failed" and failed["error"]["column"] == "Job", failed["error"]
    assert "unknown category" in failed["error"]["message"]
    skipped = run_job(client, {"model": name, "input": {"records": rows}, "max_bad_rows": 1})
    assert skipped["status"] == "completed" and skipped["result"]["bad_rows"] == 1
    errors = client.get(f"/v1/jobs/{skipped['id']}/results", params={"errors": "true"}).text
    assert json.loads(errors.splitlines()[0])["column"] == "Job"


def test_a_tampered_compiled_engine_is_refused_like_a_tampered_model(client):
    name = unique("tamper")  # a model of its own: a worker keeps an artefact it verified by its checksum
    data = make_credit_risk(1_000, seed=int(uuid.uuid4().int % 1000))
    register(client, name, credit_risk_pipeline().fit(data[FIELDS], data["Risk"]))
    path = Path(get_services().data.engine_file(name, 1).path)
    path.write_bytes(path.read_bytes() + b"tampered")
    job = run_job(client, {"model": name, "input": {"fields": FIELDS, "values": [WATSON_ROW]}})
    assert job["status"] == "failed" and job["error"]["type"] == "ChecksumMismatch", job["error"]
    assert "model.onnx" in job["error"]["message"]
    exact = run_job(client, {"model": name, "input": {"fields": FIELDS, "values": [WATSON_ROW]},
                             "engine": "sklearn"})
    assert exact["status"] == "completed", exact["error"]


def test_a_version_registered_before_engines_still_scores_and_can_be_compiled(client, credit_estimator):
    name = unique("legacy")
    register(client, name, credit_estimator)
    svc = get_services()
    key = svc.keys.model_versions(name)
    meta = json.loads(svc.redis.hget(key, "1"))
    meta.pop("engine")
    svc.redis.hset(key, "1", json.dumps(meta))
    svc.data.engine_file(name, 1).unlink()
    job = run_job(client, {"model": name, "input": {"fields": FIELDS, "values": [WATSON_ROW]}})
    assert job["status"] == "completed" and job["engine"] == "sklearn", job["error"]
    assert client.get(f"/v1/models/{name}/versions/1").json()["engine"] is None
    compiled = client.post(f"/v1/models/{name}/versions/1/compile")
    assert compiled.status_code == 200 and compiled.json()["engine"]["chosen"] == "onnx", compiled.text
    job = run_job(client, {"model": name, "input": {"fields": FIELDS, "values": [WATSON_ROW]}})
    assert job["engine"] == "onnx" and chunk_engines(client, job["id"]) == {"onnx"}


def test_trial_is_pure_and_records_every_field(credit_estimator):
    record, artefact = trial(credit_estimator, inspect_model(credit_estimator), None, TOLERANCE)
    assert record["chosen"] == "onnx" and artefact
    assert set(record) >= {"chosen", "max_difference", "speedup", "refused_reason", "sample", "tolerance"}


def _joblib(estimator) -> bytes:
    import joblib

    buffer = io.BytesIO()
    joblib.dump(estimator, buffer)
    return buffer.getvalue()
