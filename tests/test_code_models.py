"""Code models end to end (real workers): a zip with score.py and batchsvc.yaml scores jobs and online requests."""

import io
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import yaml
from code_support import (
    SMALL_MANIFEST,
    by_hand,
    inline_frame,
    make_zip,
    post_zip,
    register_code,
    run_killing_a_worker,
    simple,
)
from harness import result_frame, run_job, unique
from sklearn.linear_model import LogisticRegression

SCORE_PY = '''
from pathlib import Path

import joblib
import pandas as pd

from helpers import engineer

MODEL = None
THRESHOLD = 0.4


def init(model_dir):
    global MODEL
    MODEL = joblib.load(Path(model_dir) / "model.joblib")


def run(batch):
    p = MODEL.predict_proba(engineer(batch))[:, 1]
    return pd.DataFrame({"score": p, "decision": (p >= THRESHOLD).astype(int)})
'''
HELPERS_PY = '''
import pandas as pd


def engineer(batch):
    return pd.DataFrame({"ratio": batch["debt"] / batch["income"], "age": batch["age"]})
'''
MANIFEST = {"features": [{"income": "float"}, {"debt": "float"}, "age"], "outputs": ["score", "decision"],
            "requirements": ["scikit-learn>=1.0", "pandas"]}



@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 300
    return pd.DataFrame({"id": np.arange(n), "income": rng.uniform(1_000, 9_000, n),
                         "debt": rng.uniform(0, 8_000, n), "age": rng.integers(18, 80, n).astype(float)})


@pytest.fixture(scope="module")
def risk_zip(table) -> bytes:
    X = pd.DataFrame({"ratio": table["debt"] / table["income"], "age": table["age"]})
    est = LogisticRegression().fit(X, (X["ratio"] > 0.8).astype(int))
    buffer = io.BytesIO()
    joblib.dump(est, buffer)
    return make_zip({"score.py": SCORE_PY, "helpers.py": HELPERS_PY, "model.joblib": buffer.getvalue()}, MANIFEST)


def test_registration_records_a_code_model(client, risk_zip):
    response = post_zip(client, unique("code"), risk_zip)
    assert response.status_code == 201, response.text
    meta = response.json()
    assert meta["kind"] == "code" and meta["outputs"] == ["score", "decision"]
    assert meta["features"] == ["income", "debt", "age"] and meta["requirements"] == MANIFEST["requirements"]
    assert meta["engine"] is None and len(meta["sha256"]) == 64


@pytest.mark.parametrize("kind", ["csv", "parquet", "inline"])
def test_code_model_scores_like_score_py_by_hand(client, risk_zip, table, inputs_dir, tmp_path, kind):
    name = unique("risk")
    assert post_zip(client, name, risk_zip).status_code == 201
    if kind == "inline":
        source: dict = {"records": table.to_dict(orient="records")}
    else:
        path = inputs_dir / f"{name}.{kind}"
        table.to_csv(path, index=False) if kind == "csv" else table.to_parquet(path, index=False)
        source = {"path": str(path)}
    job = run_job(client, {"model": name, "input": source, "output": {"passthrough": ["id"]}, "chunk_size": 70})
    assert job["status"] == "completed", job["error"]
    assert job["progress"]["chunks_total"] > 1
    got = result_frame(client, job["id"])
    expected = by_hand(risk_zip, table, tmp_path)
    assert list(got.columns) == ["id", "score", "decision"]
    assert got["id"].tolist() == table["id"].tolist()
    assert np.allclose(got["score"], expected["score"]) and got["decision"].tolist() == expected["decision"].tolist()


def test_online_prediction_uses_the_code_model(client, risk_zip, table, tmp_path):
    name = unique("online")
    assert post_zip(client, name, risk_zip).status_code == 201
    rows = table.head(5)
    response = client.post(f"/v1/models/{name}/predictions", json={"records": rows.to_dict(orient="records")})
    assert response.status_code == 200, response.text
    body = response.json()["predictions"][0]
    assert body["fields"] == ["score", "decision"]
    expected = by_hand(risk_zip, rows, tmp_path)
    assert np.allclose([v[0] for v in body["values"]], expected["score"])


def test_two_versions_with_module_state_do_not_leak(client):
    name = unique("state")
    for value in ("one", "two"):
        files = simple("return [STATE['v'] + helpers.VALUE] * len(batch)", f"STATE['v'] = {value!r}",
                       head="import helpers\n\nSTATE = {}\n")
        files["helpers.py"] = f"VALUE = {value!r}\n"
        register_code(client, name, files, SMALL_MANIFEST)
    for version, value in ((1, "oneone"), (2, "twotwo"), (1, "oneone")):
        job = run_job(client, {"model": f"{name}@{version}", "input": {"records": [{"x": 1.0}, {"x": 2.0}]}})
        assert job["status"] == "completed", job["error"]
        assert inline_frame(job)["prediction"].tolist() == [value, value]
        online = client.post(f"/v1/models/{name}@{version}/predictions", json={"records": [{"x": 1.0}]})
        assert online.json()["predictions"][0]["values"] == [[value]], online.text  # one API process: both loaded


def test_init_failure_fails_the_job_with_the_traceback_in_events(client):
    name = unique("initfail")
    register_code(client, name, simple("return batch['x']", "raise RuntimeError('no weights here')"), SMALL_MANIFEST)
    job = run_job(client, {"model": name, "input": {"records": [{"x": 1.0}]}})
    assert job["status"] == "failed" and job["error"]["type"] == "UserCodeError"
    assert "RuntimeError: no weights here" in job["error"]["message"] and "Traceback" not in str(job["error"])
    events = client.get(f"/v1/jobs/{job['id']}/events").json()["events"]
    assert any("Traceback" in e.get("traceback", "") for e in events if e["event"] == "user_code_error")
    online = client.post(f"/v1/models/{name}/predictions", json={"records": [{"x": 1.0}]})
    assert online.status_code == 503 and "no weights here" in online.text and "Traceback" not in online.text
    # And the version itself is marked failed, with the reason (its traceback stays out of the answer)
    version = client.get(f"/v1/models/{name}/versions/1").json()
    assert version["state"] == "failed" and "no weights here" in version["init_error"]["message"]
    assert "Traceback" not in str(version)


def test_run_exception_fails_the_job_and_the_worker_goes_on(client):
    name = unique("runfail")
    register_code(client, name, simple("raise ValueError('bad batch')"), SMALL_MANIFEST)
    job = run_job(client, {"model": name, "input": {"records": [{"x": 1.0}]}})
    assert job["status"] == "failed" and "ValueError: bad batch" in job["error"]["message"]
    assert "Traceback" not in str(job["error"])
    response = client.post(f"/v1/models/{name}/predictions", json={"records": [{"x": 1.0}]})
    assert response.status_code == 422 and "ValueError: bad batch" in response.text
    assert "Traceback" not in response.text
    ok = unique("runok")
    register_code(client, ok, simple("return batch['x'] * 2"), SMALL_MANIFEST)
    job = run_job(client, {"model": ok, "input": {"records": [{"x": 1.5}]}})
    assert job["status"] == "completed" and inline_frame(job)["prediction"].tolist() == [3.0]


def test_wrong_row_count_names_expected_and_returned(client):
    name = unique("rows")
    register_code(client, name, simple("return [1]"), SMALL_MANIFEST)
    job = run_job(client, {"model": name, "input": {"records": [{"x": 1.0}, {"x": 2.0}, {"x": 3.0}]}})
    assert job["status"] == "failed"
    assert "expected 3, returned 1" in job["error"]["message"]


@pytest.mark.parametrize("requirement, named", [("no-such-package-xyz>=1", "no-such-package-xyz"),
                                                ("pandas<1", "pandas")])
def test_missing_or_wrong_requirement_refuses_registration(client, requirement, named):
    manifest = {**SMALL_MANIFEST, "requirements": [requirement]}
    response = post_zip(client, unique("req"), make_zip(simple("return batch['x']"), manifest))
    assert response.status_code == 422 and named in response.text


def test_zip_without_run_is_refused(client):
    no_run = {"score.py": "def init(model_dir):\n    pass\n"}
    assert post_zip(client, unique("norun"), make_zip(no_run, SMALL_MANIFEST)).status_code == 422


def test_zip_without_manifest_registers_and_run_gets_every_column(client):
    # Given an Azure ML folder as it is: score.py with init() and run(), no batchsvc.yaml
    script = {"score.py": "import os\n\ndef init():\n    global DIR\n    DIR = os.environ['AZUREML_MODEL_DIR']\n\n\n"
                          "def run(batch):\n    return [f'{len(batch.columns)}:{os.path.isdir(DIR)}'] * len(batch)\n"}
    meta = register_code(client, unique("nomani"), script, None)
    assert meta["features"] == [] and meta["outputs"] == [] and meta["requirements"] == []
    # When a job of three columns runs it
    job = run_job(client, {"model": meta["name"], "input": {"records": [{"a": 1, "b": "x", "c": 2.5}]}})
    # Then run got every column, and init found AZUREML_MODEL_DIR naming the unpacked folder
    assert job["status"] == "completed", job["error"]
    assert inline_frame(job)["prediction"].tolist() == ["3:True"]


@pytest.mark.parametrize("files, named", [
    ({"requirements.txt": "# pinned\nno-such-package-xyz==1.0\n"}, "no-such-package-xyz"),
    ({"conda.yml": "dependencies:\n  - python=3.11\n  - pandas=0.25\n  - pip:\n    - azureml-defaults\n"},
     "pandas==0.25.*"),
    ({"env.yaml": "dependencies:\n  - pip:\n    - no-such-package-xyz\n"}, "no-such-package-xyz")])
def test_requirements_txt_and_conda_files_are_checked(client, files, named):
    response = post_zip(client, unique("reqfile"), make_zip({**simple("return batch['x']"), **files}))
    assert response.status_code == 422 and named in response.json()["error"]["message"]


def test_installed_requirements_in_a_conda_file_register(client):
    conda = "channels: [conda-forge]\ndependencies:\n  - python=3.11\n  - pip\n  - pandas\n  - pip:\n" \
            "    - azureml-inference-server-http==1.5.1\n    - scikit-learn>=1.0\n"
    meta = register_code(client, unique("condaok"), {**simple("return batch['x']"), "conda.yml": conda}, None)
    assert meta["requirements"] == ["pandas", "scikit-learn>=1.0"]


def test_tampered_zip_is_refused_before_loading(client, env):
    name = unique("tamper")
    meta = register_code(client, name, simple("return batch['x']"), SMALL_MANIFEST)
    path = Path(env["BATCHSVC_DATA_DIR"]) / "models" / name / str(meta["version"]) / "model.zip"
    path.write_bytes(make_zip(simple("return batch['x'] * 100"), SMALL_MANIFEST))
    job = run_job(client, {"model": name, "input": {"records": [{"x": 1.0}]}})
    assert job["status"] == "failed" and job["error"]["type"] == "ChecksumMismatch"


ERROR_RUN = ("return pd.DataFrame({'prediction': batch['x'] * 2, "
             "'_error': [None if v >= 0 else 'negative x' for v in batch['x']]})")


@pytest.mark.parametrize("budget, status", [(2, "completed"), (1, "failed")])
def test_error_rows_count_against_max_bad_rows(client, budget, status):
    name = unique("errrows")
    register_code(client, name, simple(ERROR_RUN, head="import pandas as pd\n"), SMALL_MANIFEST)
    records = [{"x": 1.0}, {"x": -1.0}, {"x": 2.0}, {"x": -3.0}]
    job = run_job(client, {"model": name, "input": {"records": records}, "max_bad_rows": budget})
    assert job["status"] == status, job
    if status == "completed":
        assert job["result"]["bad_rows"] == 2
        assert inline_frame(job)["prediction"].tolist() == [2.0, 4.0]
    else:
        assert "negative x" in job["error"]["message"]


def test_client_registers_a_folder_as_a_code_model(client, api_url, tmp_path):
    from batchsvc.client import Client
    folder = tmp_path / "model"
    folder.mkdir()
    for filename, body in simple("return batch['x'] + 1").items():
        (folder / filename).write_text(body)
    (folder / "batchsvc.yaml").write_text(yaml.safe_dump(SMALL_MANIFEST))
    name = unique("folder")
    with Client(api_url) as c:
        assert c.register_model(name, folder)["kind"] == "code"
    job = run_job(client, {"model": name, "input": {"records": [{"x": 1.0}]}})
    assert job["status"] == "completed" and inline_frame(job)["prediction"].tolist() == [2.0]


def test_sample_credit_risk_code_model_scores_with_reason_and_threshold(client, credit_estimator, tmp_path):
    import shutil

    from batchsvc.client.bundle import zip_folder
    folder = tmp_path / "credit_risk_code"
    shutil.copytree(Path(__file__).parent.parent / "sample_data" / "credit_risk_code", folder)
    joblib.dump(credit_estimator, folder / "model.joblib")
    data = zip_folder(folder)
    name = unique("credit-code")
    assert post_zip(client, name, data).status_code == 201
    rows = pd.read_csv(Path(__file__).parent.parent / "sample_data" / "credit_risk.csv").head(50)
    rows.loc[3, "LoanAmount"] = 0
    job = run_job(client, {"model": name, "input": {"records": rows.to_dict(orient="records")}, "max_bad_rows": 1,
                           "output": {"passthrough": ["CustomerID"]}})
    assert job["status"] == "completed", job["error"]
    got, expected = inline_frame(job), by_hand(data, rows, tmp_path / "by_hand")
    expected = expected[expected["_error"].isna()]
    assert got["CustomerID"].tolist() == rows.drop(index=3)["CustomerID"].tolist()
    assert np.allclose(got["risk_probability"], expected["risk_probability"])
    assert got["reason"].tolist() == expected["reason"].tolist()
    assert got["decision"].tolist() == expected["decision"].tolist() and job["result"]["bad_rows"] == 1


def test_code_model_wrapping_a_pipeline_predicts_like_the_pipeline(client, credit_estimator):
    buffer = io.BytesIO()
    joblib.dump(credit_estimator, buffer)
    wrapper = simple("return MODEL['m'].predict(batch)", "MODEL['m'] = joblib.load(model_dir / 'model.joblib')",
                     head="import joblib\n\nMODEL = {}\n")
    fields = list(credit_estimator.feature_names_in_)
    data = make_zip({**wrapper, "model.joblib": buffer.getvalue()}, {"features": fields, "outputs": ["prediction"]})
    name = unique("wrap")
    assert post_zip(client, name, data).status_code == 201
    rows = pd.read_csv(Path(__file__).parent.parent / "sample_data" / "credit_risk.csv").head(40)
    job = run_job(client, {"model": name, "input": {"records": rows[fields].to_dict(orient="records")}})
    assert job["status"] == "completed", job["error"]
    assert inline_frame(job)["prediction"].tolist() == credit_estimator.predict(rows[fields]).tolist()


def test_killed_worker_mid_job_with_a_code_model_loses_only_its_chunk(client, inputs_dir):
    name = unique("slowcode")
    register_code(client, name, simple("time.sleep(0.4)\n    return batch['x'] * 3", head="import time\n"),
                  SMALL_MANIFEST)
    frame = pd.DataFrame({"id": np.arange(600), "x": np.arange(600) * 1.0})
    out = run_killing_a_worker(client, name, frame, inputs_dir / f"{name}.parquet")
    assert out["id"].tolist() == frame["id"].tolist() and np.allclose(out["prediction"], frame["x"] * 3)
