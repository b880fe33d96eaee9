"""Drift, with real API and worker processes: a version's baseline from its training rows, every job's input
profiled chunk by chunk and compared with it, the drifted features named, and the signed `drift` webhook."""

import io
import json
import uuid

import joblib
import pandas as pd
import pytest
from click.testing import CliRunner
from harness import submit, wait_for, wait_job
from receiver import receiver  # noqa: F401 (fixture)
from test_recovery import CHUNK, ROWS, stalled_running_job

from batchsvc.cli.main import main
from batchsvc.client.client import Client
from batchsvc.scoring.profile import profile_of
from batchsvc.scoring.sample import FIELDS, WATSON_ROW, make_credit_risk
from batchsvc.storage.services import get_services
from batchsvc.webhooks.signing import verify

SECRET = "drift-hook-secret-0123456789"
SHIFTED = ["LoanAmount", "LoanPurpose"]  # the mean moved; a category the training data never had


def register_with(client, estimator, name: str, **files):
    """POST a registration with the model file and these extra files (name -> (filename, bytes)) or fields."""
    buffer = io.BytesIO()
    joblib.dump(estimator, buffer)
    parts = {"file": ("model.joblib", buffer.getvalue())}
    fields = {k: v for k, v in files.items() if isinstance(v, str)}
    parts.update({k: v for k, v in files.items() if not isinstance(v, str)})
    return client.post(f"/v1/models/{name}/versions", files=parts, data=fields)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


@pytest.fixture(scope="module")
def drift_model(client, credit_estimator) -> str:
    """The credit-risk pipeline registered with its training rows as the baseline and a PSI threshold of 0.2."""
    name = f"drift-{uuid.uuid4().hex[:8]}"
    answer = register_with(client, credit_estimator, name, drift_alert='{"psi": 0.2}',
                           baseline=("training.csv", csv_bytes(make_credit_risk(3_000, seed=7))))
    assert answer.status_code == 201, answer.text
    return name


def write_input(inputs_dir, frame: pd.DataFrame) -> str:
    path = inputs_dir / f"drift-{uuid.uuid4().hex[:8]}.parquet"
    frame.to_parquet(path, index=False, row_group_size=500)
    return str(path)


def shifted_rows() -> pd.DataFrame:
    """Fresh credit-risk rows whose LoanAmount moved up by 4,000 and a quarter of whose LoanPurpose is new."""
    frame = make_credit_risk(2_000, seed=11)
    frame["LoanAmount"] = frame["LoanAmount"] + 4_000
    frame.loc[::4, "LoanPurpose"] = "crypto"
    return frame


def job_body(model: str, path: str, **extra) -> dict:
    """A 4-chunk job; unknown categories may be set aside by a strict engine, so bad rows are allowed."""
    return {"model": model, "input": {"path": path}, "chunk_size": 500, "max_bad_rows": 2_000, **extra}


def events(client, job_id: str, kind: str) -> list[dict]:
    return [e for e in client.get(f"/v1/jobs/{job_id}/events").json()["events"] if e["event"] == kind]


def test_given_a_baseline_file_when_registered_then_the_version_shows_it_and_the_model_its_threshold(client,
                                                                                                       drift_model):
    """Given a version registered with its training rows, when read, then its record shows the baseline per
    feature and the model shows its drift_alert."""
    version = client.get(f"/v1/models/{drift_model}/versions/1").json()
    baseline = version["baseline"]
    assert baseline["rows"] == 3_000
    assert baseline["features"]["LoanAmount"]["type"] == "number"
    assert len(baseline["features"]["LoanAmount"]["quantiles"]) == 11
    assert set(baseline["features"]["Sex"]["frequencies"]) == {"female", "male"}
    assert client.get(f"/v1/models/{drift_model}").json()["drift_alert"] == {"psi": 0.2}


def test_given_shifted_input_when_scored_then_exactly_the_shifted_features_are_named(client, drift_model,
                                                                                      inputs_dir):
    """Given input whose LoanAmount moved and whose LoanPurpose has a new category, when the job completes, then
    those two features and no other are drifted, in its result, its events and its profile."""
    frame = shifted_rows()
    job = wait_job(client, submit(client, job_body(drift_model, write_input(inputs_dir, frame)))["id"])
    assert job["status"] == "completed", job["error"]
    assert sorted(job["result"]["drift"]["drifted"]) == SHIFTED
    (drift_event,) = events(client, job["id"], "drift")
    assert sorted(drift_event["features"]) == SHIFTED
    profile = client.get(f"/v1/jobs/{job['id']}/profile").json()
    assert profile["complete"] and profile["rows"] == len(frame)
    assert sorted(profile["drifted"]) == SHIFTED
    assert profile["features"]["LoanPurpose"]["unseen"] == {"crypto": len(frame.iloc[::4])}
    calm = {name: f["psi"] for name, f in profile["features"].items() if name not in SHIFTED}
    assert max(calm.values()) < 0.2, calm


def test_given_rows_like_the_training_data_when_scored_then_nothing_drifted(client, drift_model, inputs_dir):
    """Given fresh rows from the training data's generator, when the job completes, then no feature drifted."""
    job = wait_job(client, submit(client, job_body(drift_model, write_input(inputs_dir,
                                                                            make_credit_risk(2_000, seed=12))))["id"])
    assert job["status"] == "completed", job["error"]
    assert job["result"]["drift"]["drifted"] == []
    assert events(client, job["id"], "drift") == []
    assert client.get(f"/v1/jobs/{job['id']}/profile").json()["drifted"] == []


def test_given_a_drift_hook_when_a_job_drifts_then_the_receiver_gets_it_signed(client, drift_model, inputs_dir,
                                                                                 receiver):
    """Given a job asking only for the drift event, when its input has drifted, then a signed job.drift POST
    arrives naming the features, and no completed hook is sent."""
    where = f"/drift/{uuid.uuid4().hex[:8]}"
    notify = {"url": receiver.url(where), "events": ["drift"], "secret": SECRET}
    job = wait_job(client, submit(client, job_body(drift_model, write_input(inputs_dir, shifted_rows()),
                                                   notify=notify))["id"])
    (got,) = wait_for(lambda: receiver.at(where), 20, 0.05, "the drift hook")
    body = json.loads(got.body)
    assert body["event"] == "job.drift" and body["delivery"] == f"{job['id']}.drift"
    assert sorted(body["job"]["result"]["drift"]["drifted"]) == SHIFTED
    assert got.headers["batchsvc-event"] == "job.drift"
    assert verify(SECRET, got.headers["batchsvc-signature"], got.body)
    wait_for(lambda: events(client, job["id"], "webhook_delivered"), 10, 0.05, "the delivered event")
    assert [e["hook_event"] for e in events(client, job["id"], "webhook_attempt")] == ["drift"]


def test_given_a_higher_threshold_when_set_then_later_jobs_are_judged_by_it(client, credit_estimator, inputs_dir):
    """Given a model whose drift_alert is raised past the shift's PSI, when a shifted job runs, then it is not
    flagged; the PUT answers the thresholds and a bad one is refused naming psi."""
    name = f"drift-{uuid.uuid4().hex[:8]}"
    training = ("training.parquet", _parquet(make_credit_risk(1_000, seed=7)))
    assert register_with(client, credit_estimator, name, baseline=training).status_code == 201
    assert client.get(f"/v1/models/{name}/drift_alert").json() == {"psi": 0.2}  # the default
    refused = client.put(f"/v1/models/{name}/drift_alert", json={"psi": -1})
    assert refused.status_code == 422 and "psi" in refused.text
    assert client.put(f"/v1/models/{name}/drift_alert", json={"psi": 9.5}).json() == {"psi": 9.5}
    job = wait_job(client, submit(client, job_body(name, write_input(inputs_dir, shifted_rows())))["id"])
    assert job["result"]["drift"] == {"drifted": [], "thresholds": {"psi": 9.5},
                                      "url": f"/v1/jobs/{job['id']}/profile"}


@pytest.mark.parametrize(("change", "column"), [
    (lambda f: f.drop(columns=["Age"]), "Age"),
    (lambda f: f.assign(LoanDuration=["twelve"] * len(f)), "LoanDuration"),
])
def test_given_a_bad_baseline_file_when_registered_then_it_is_refused_naming_the_column(client, credit_estimator,
                                                                                          change, column):
    """Given a baseline lacking a feature, or holding text where the model reads numbers, when registered, then a
    422 names the baseline field and the column, and no version is created."""
    name = f"drift-bad-{uuid.uuid4().hex[:8]}"
    answer = register_with(client, credit_estimator, name,
                           baseline=("training.csv", csv_bytes(change(make_credit_risk(100, seed=7)))))
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["field"] == "baseline" and column in error["message"], error
    assert client.get(f"/v1/models/{name}").status_code == 404


def test_given_a_version_without_baseline_when_its_job_profile_is_asked_then_404_says_why(client, credit_model):
    """Given a version registered with neither baseline nor sample, when its job's profile is asked, then a 404
    says the version has no baseline, and the job completed without a drift result."""
    job = wait_job(client, submit(client, {"model": credit_model,
                                           "input": {"fields": FIELDS, "values": [WATSON_ROW]}})["id"])
    assert job["status"] == "completed" and "drift" not in job["result"]
    answer = client.get(f"/v1/jobs/{job['id']}/profile")
    assert answer.status_code == 404 and "no drift baseline" in answer.json()["error"]["message"]


def test_given_a_chunk_profiled_by_an_attempt_that_died_when_the_job_completes_then_it_counts_once(client,
                                                                                                 drift_model,
                                                                                                 inputs_dir):
    """Given a job's chunk profiles left by attempts that died before committing (wrong counts under chunks 0
    and 3), when its chunks are sent again and the job completes, then its profile is that of its input, once."""
    svc = get_services()
    frame = make_credit_risk(ROWS, seed=13).rename(columns={"CustomerID": "id"})
    path = inputs_dir / f"drift-resent-{uuid.uuid4().hex[:8]}.parquet"
    frame.to_parquet(path, index=False, row_group_size=CHUNK)
    baseline = client.get(f"/v1/models/{drift_model}/versions/1").json()["baseline"]
    job_id = stalled_running_job(svc, drift_model, path)
    stale = profile_of(frame.iloc[: 3 * CHUNK], baseline)
    for index in (0, 3):
        svc.drift.put_chunk(job_id, index, stale)
    done = wait_job(client, job_id, timeout_s=90)
    assert done["status"] == "completed", done["error"]
    profile = client.get(f"/v1/jobs/{job_id}/profile").json()
    assert profile["rows"] == ROWS and profile["profile"] == profile_of(frame, baseline)


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def test_given_a_small_inline_job_when_it_drifts_then_it_is_flagged_too(client, drift_model):
    """Given an inline job small enough for the one-batch path, whose rows carry the shift, when it completes,
    then it is flagged like a file job, naming the same features."""
    rows = shifted_rows().iloc[:400]
    job = wait_job(client, submit(client, {"model": drift_model, "max_bad_rows": 400,
                                           "input": {"fields": FIELDS, "values": rows[FIELDS].values.tolist()}})["id"])
    assert job["status"] == "completed", job["error"]
    assert sorted(job["result"]["drift"]["drifted"]) == SHIFTED
    assert client.get(f"/v1/jobs/{job['id']}/profile").json()["rows"] == 400


def test_given_the_cli_when_a_model_is_registered_with_a_baseline_then_profile_marks_the_drifted(
        api_url, credit_estimator, inputs_dir, tmp_path):
    """Given `batchsvc models register --baseline`, when a shifted job has run, then `batchsvc profile JOB_ID`
    prints every feature with its PSI and marks exactly the shifted ones DRIFTED."""
    cli = CliRunner()
    env = {"BATCHSVC_API_URL": api_url}
    name, model_file, training = f"drift-cli-{uuid.uuid4().hex[:6]}", tmp_path / "m.joblib", tmp_path / "t.parquet"
    joblib.dump(credit_estimator, model_file)
    make_credit_risk(3_000, seed=7).to_parquet(training)
    registered = cli.invoke(main, ["models", "register", name, str(model_file), "--baseline", str(training)], env=env)
    assert registered.exit_code == 0, registered.output
    with Client(api_url) as c:
        job = c.submit_body(job_body(name, write_input(inputs_dir, shifted_rows()))).wait()
    shown = cli.invoke(main, ["profile", job.id], env=env)
    assert shown.exit_code == 0, shown.output
    marked = [line.split()[0] for line in shown.output.splitlines() if line.endswith("DRIFTED")]
    assert sorted(marked) == SHIFTED
    assert len(shown.output.splitlines()) == 2 + len(FIELDS)  # a header, one line per feature, the summary
    assert shown.output.splitlines()[-1].endswith("drifted: LoanAmount, LoanPurpose") or \
        shown.output.splitlines()[-1].endswith("drifted: LoanPurpose, LoanAmount")


def test_given_only_a_verification_sample_when_registered_then_the_baseline_is_made_of_it(client, credit_estimator):
    """Given a registration with a `sample` file and no `baseline`, when stored, then the version's baseline is
    the sample's profile (its row count)."""
    name = f"drift-sample-{uuid.uuid4().hex[:8]}"
    answer = register_with(client, credit_estimator, name, sample=("sample.csv", csv_bytes(make_credit_risk(300))))
    assert answer.status_code == 201, answer.text
    assert answer.json()["baseline"]["rows"] == 300


def test_given_a_drift_alert_that_is_not_json_when_registered_then_422_names_the_field(client, credit_estimator):
    """Given a drift_alert form field that is not JSON, or a psi of 0, when registered, then a 422 names
    drift_alert and no version is created."""
    name = f"drift-alert-{uuid.uuid4().hex[:8]}"
    for bad in ("psi=0.2", '{"psi": 0}'):
        answer = register_with(client, credit_estimator, name, drift_alert=bad)
        assert answer.status_code == 422 and answer.json()["error"]["field"] == "drift_alert", answer.text
    assert client.get(f"/v1/models/{name}").status_code == 404
