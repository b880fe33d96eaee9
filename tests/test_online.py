"""Online deployments on the session API: CRUD and state, aliases followed, logs, predictions as batch jobs
give them, bad bodies, a model that fails to load, scoring off the event loop, jobs naming a deployment."""

import threading
import uuid
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import redis
from harness import register, run_job, wait_for
from slowmodel import SlowSum

from batchsvc.scoring.sample import FIELDS, WATSON_ROW, make_credit_risk, train_credit_risk
from batchsvc.storage.deployments import LOG_ENTRIES, DeploymentStore
from batchsvc.storage.redis_keys import Keys

UUID_CHARS = 36


def deploy(client: httpx.Client, model: str, **extra) -> dict:
    name = f"dep-{uuid.uuid4().hex[:8]}"
    response = client.post("/v1/deployments", json={"name": name, "model": model, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def predict(client: httpx.Client, path: str, body: dict, status: int = 200) -> dict:
    response = client.post(path, json=body)
    assert response.status_code == status, response.text
    return response.json()


def table(rows: list[list], fields: list[str] = FIELDS) -> dict:
    return {"input_data": [{"fields": fields, "values": rows}]}


def scoring_path(deployment: dict) -> str:
    return f"/v1/deployments/{deployment['name']}/predictions"


def test_a_deployment_is_created_ready_listed_changed_and_deleted(client, credit_model):
    # When a deployment is created over the model's latest version
    d = deploy(client, credit_model, description="first")
    # Then it is ready, serving version 1, with a UUID and an absolute scoring URL
    assert d["state"] == "ready" and d["reason"] is None and d["serving"] == {"name": credit_model, "version": 1}
    assert len(d["id"]) == UUID_CHARS and str(uuid.UUID(d["id"])) == d["id"]
    assert d["scoring_url"] == f"{client.base_url}{scoring_path(d)}".replace("//v1", "/v1")
    assert d["counters"] == {"requests": 0, "rows": 0, "errors": 0}
    assert d["name"] in [x["name"] for x in client.get("/v1/deployments").json()["deployments"]]
    # And a second one of the same name is a conflict, an unknown model a 404 naming it
    assert client.post("/v1/deployments", json={"name": d["name"], "model": credit_model}).status_code == 409
    missing = client.post("/v1/deployments", json={"name": "x-" + d["name"], "model": "no-such-model@production"})
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "model"
    # When it is patched, Then the description changes and the id stays
    changed = client.patch(f"/v1/deployments/{d['name']}", json={"description": "second"}).json()
    assert changed["description"] == "second" and changed["id"] == d["id"] and changed["model"] == credit_model
    # When it is deleted, Then it is gone, its scoring URL too
    assert client.delete(f"/v1/deployments/{d['name']}").status_code == 204
    assert client.get(f"/v1/deployments/{d['name']}").status_code == 404
    assert client.post(scoring_path(d), json=table([WATSON_ROW])).status_code == 404


def test_an_alias_moved_under_a_deployment_is_followed_at_once(client, credit_estimator):
    # Given two versions that score the same row differently, an alias on the first, a deployment over the alias
    name = f"alias-{uuid.uuid4().hex[:8]}"
    other = train_credit_risk(make_credit_risk(500, seed=99))
    register(client, name, credit_estimator)
    register(client, name, other)
    client.put(f"/v1/models/{name}/aliases/production", json={"version": 1})
    d = deploy(client, f"{name}@production")
    frame = pd.DataFrame([WATSON_ROW], columns=FIELDS)
    first = predict(client, scoring_path(d), table([WATSON_ROW]))["predictions"][0]["values"][0][1]
    assert np.allclose(first, credit_estimator.predict_proba(frame)[0])
    # When the alias moves to version 2 (no restart, no change to the deployment)
    client.put(f"/v1/models/{name}/aliases/production", json={"version": 2})
    # Then the next request is scored by version 2, and the record says it serves version 2
    second = predict(client, scoring_path(d), table([WATSON_ROW]))["predictions"][0]["values"][0][1]
    assert np.allclose(second, other.predict_proba(frame)[0]) and not np.allclose(first, second)
    assert client.get(f"/v1/deployments/{d['name']}").json()["serving"]["version"] == 2
    # And a PATCH to a pinned version is followed as well
    client.patch(f"/v1/deployments/{d['name']}", json={"model": f"{name}@1"})
    assert predict(client, scoring_path(d), table([WATSON_ROW]))["predictions"][0]["values"][0][1] == first


def test_predictions_equal_the_native_batch_jobs_for_the_same_rows(client, credit_model):
    # Given rows scored by a batch job on the workers
    frame = make_credit_risk(40, seed=5)
    rows = frame[FIELDS].astype(object).values.tolist()
    job = run_job(client, {"model": credit_model, "input": {"fields": FIELDS, "values": rows}})
    assert job["status"] == "completed", job["error"]
    batch = job["result"]["predictions"]
    # When the same rows are scored online, through a deployment and through the model reference
    d = deploy(client, credit_model)
    online = predict(client, scoring_path(d), table(rows))["predictions"]
    by_ref = predict(client, f"/v1/models/{credit_model}@1/predictions", table(rows))["predictions"]
    # Then labels are equal and probabilities equal, row for row
    assert online == by_ref and len(online) == 1
    assert online[0]["fields"] == batch["fields"] == ["prediction", "probability"]
    assert [v[0] for v in online[0]["values"]] == [v[0] for v in batch["values"]]
    assert np.allclose([v[1] for v in online[0]["values"]], [v[1] for v in batch["values"]], rtol=0, atol=1e-9)


def test_several_input_data_entries_are_answered_in_order_and_records_too(client, credit_model, credit_estimator):
    frame = make_credit_risk(5, seed=8)
    shuffled = list(reversed(FIELDS))
    body = {"input_data": [{"fields": FIELDS, "values": frame[FIELDS].astype(object).values[:2].tolist()},
                           {"fields": shuffled, "values": frame[shuffled].astype(object).values[2:].tolist()}]}
    answer = predict(client, f"/v1/models/{credit_model}/predictions", body)["predictions"]
    expected = credit_estimator.predict(frame[FIELDS]).tolist()
    assert [len(p["values"]) for p in answer] == [2, 3]
    assert [v[0] for p in answer for v in p["values"]] == expected
    records = predict(client, f"/v1/models/{credit_model}/predictions",
                      {"records": frame[FIELDS].to_dict(orient="records")})["predictions"]
    assert [v[0] for v in records[0]["values"]] == expected


def test_bad_bodies_get_422_naming_the_field_and_413_over_the_row_limit(client, credit_model):
    path = f"/v1/models/{credit_model}/predictions"
    # Missing features: 422 naming the entry and every missing column
    error = predict(client, path, {"input_data": [{"fields": FIELDS, "values": [WATSON_ROW]},
                                                  {"fields": FIELDS[:-2], "values": [WATSON_ROW[:-2]]}]}, 422)["error"]
    assert error["field"] == "input_data.1" and "Telephone" in error["message"] and "ForeignWorker" in error["message"]
    # A value that is no number: its field, column and row
    bad = list(WATSON_ROW)
    bad[FIELDS.index("LoanAmount")] = "lots"
    error = predict(client, path, table([WATSON_ROW, bad]), 422)["error"]
    assert error["field"] == "input_data.0.values.1" and error["column"] == "LoanAmount" and error["row"] == 2
    assert "'lots' is not a number" in error["message"]
    record = dict(zip(FIELDS, bad))
    error = predict(client, path, {"records": [record]}, 422)["error"]
    assert error["field"] == "records.0.LoanAmount"
    # A row of the wrong length, both kinds of body, neither
    error = predict(client, path, table([WATSON_ROW[:-1]]), 422)["error"]
    assert error["field"] == "input_data.0.values.0"
    both = {**table([WATSON_ROW]), "records": [record]}
    assert predict(client, path, both, 422)["error"]["field"] == "input_data"
    assert predict(client, path, {}, 422)["error"]["field"] == "input_data"
    # Over BATCHSVC_MAX_ONLINE_ROWS (1,000): 413 saying to submit a job
    error = predict(client, path, table([WATSON_ROW] * 1001), 413)["error"]
    assert "BATCHSVC_MAX_ONLINE_ROWS" in error["message"] and "submit a batch job" in error["message"]
    assert len(predict(client, path, table([WATSON_ROW] * 1000))["predictions"][0]["values"]) == 1000


def test_the_log_keeps_the_latest_requests_newest_first_and_counts_them(client, credit_model, env):
    # Given a deployment that served one good and one bad request
    d = deploy(client, credit_model)
    predict(client, scoring_path(d), table([WATSON_ROW, WATSON_ROW]))
    predict(client, scoring_path(d), table([WATSON_ROW[:-1]]), 422)
    logs = client.get(f"/v1/deployments/{d['name']}/logs").json()["logs"]
    # Then the log shows both, newest first, with rows, milliseconds, status and the error in full
    assert [e["status"] for e in logs] == [422, 200] and [e["rows"] for e in logs] == [1, 2]
    assert logs[0]["error"].startswith("InvalidRequest: input_data.0.values[0] has 19 values") and logs[1]["ms"] > 0
    assert logs[1]["version"] == 1 and logs[1]["error"] is None
    assert client.get(f"/v1/deployments/{d['name']}").json()["counters"] == {"requests": 2, "rows": 3, "errors": 1}
    # When more requests than the log keeps are recorded
    store = DeploymentStore(redis.Redis.from_url(env["BATCHSVC_REDIS_URL"], decode_responses=True), Keys())
    for i in range(LOG_ENTRIES + 5):
        store.record_request(d["name"], {"time": str(i), "rows": 1, "ms": 1.0, "status": 200})
    # Then it holds the latest LOG_ENTRIES, newest first
    logs = client.get(f"/v1/deployments/{d['name']}/logs", params={"limit": LOG_ENTRIES}).json()["logs"]
    assert len(logs) == LOG_ENTRIES and logs[0]["time"] == str(LOG_ENTRIES + 4) and logs[-1]["time"] == "5"
    assert store.r.llen(Keys().deployment_logs(d["name"])) == LOG_ENTRIES


def test_a_model_that_fails_to_load_leaves_the_deployment_failed_and_the_api_answering(client, env):
    # Given a model whose file was changed on disk after registration
    name = f"tampered-{uuid.uuid4().hex[:8]}"
    register(client, name, SlowSum(0.0).fit(pd.DataFrame({"a": [1.0]})))
    path = Path(env["BATCHSVC_DATA_DIR"]) / "models" / name / "1" / "model.joblib"
    path.write_bytes(path.read_bytes() + b"tampered")
    # When a deployment is made over it, Then it is failed, naming the checksum
    d = deploy(client, name)
    assert d["state"] == "failed" and "sha256" in d["reason"] and "changed after registration" in d["reason"]
    # And predictions get 503 with the reason, never a traceback; the API keeps answering
    error = predict(client, scoring_path(d), {"records": [{"a": 1.0}]}, 503)["error"]
    assert error["type"] == "ModelUnavailable" and "changed after registration" in error["message"]
    assert "Traceback" not in error["message"]
    assert client.get("/healthz").status_code == 200
    assert client.get(f"/v1/deployments/{d['name']}/logs").json()["logs"][0]["status"] == 503


def test_scoring_runs_off_the_event_loop_so_other_requests_keep_flowing(client, tmp_path):
    # Given a model whose predict sleeps for a long while, saying when it starts and ends
    name, marker = f"slow-{uuid.uuid4().hex[:8]}", tmp_path / "slow"
    register(client, name, SlowSum(5.0, str(marker)).fit(pd.DataFrame({"a": [1.0]})))
    outcome: dict = {}
    slow = threading.Thread(target=lambda: outcome.update(
        r=client.post(f"/v1/models/{name}/predictions", json={"records": [{"a": 2.0}]})))
    slow.start()
    try:
        wait_for(Path(f"{marker}.started").exists, 30, 0.02, "the slow request to reach its predict")
        # When another request arrives meanwhile, Then it is answered before the slow predict ends
        with httpx.Client(base_url=client.base_url, timeout=30) as other:
            assert other.get("/healthz").status_code == 200
        assert not Path(f"{marker}.done").exists()
    finally:
        slow.join()
    # And the regressor's answer is its prediction alone
    assert outcome["r"].json()["predictions"][0] == {"fields": ["prediction"], "values": [[2.0]]}


def test_a_job_may_name_a_deployment_instead_of_a_model(client, credit_model):
    d = deploy(client, credit_model)
    job = run_job(client, {"deployment": d["name"], "input": {"fields": FIELDS, "values": [WATSON_ROW]}})
    assert job["status"] == "completed", job["error"]
    assert job["deployment"] == d["name"] and job["model"] == {"name": credit_model, "version": 1}
    both = client.post("/v1/jobs", json={"model": credit_model, "deployment": d["name"],
                                         "input": {"values": [WATSON_ROW]}})
    assert both.status_code == 422 and both.json()["error"]["field"] == "deployment"
    assert client.post("/v1/jobs", json={"input": {"values": [WATSON_ROW]}}).json()["error"]["field"] == "model"
    unknown = client.post("/v1/jobs", json={"deployment": "no-such-deployment", "input": {"values": [WATSON_ROW]}})
    assert unknown.status_code == 404


def test_a_deployment_whose_model_version_is_deleted_is_failed_naming_it(client, credit_estimator):
    name = f"gone-{uuid.uuid4().hex[:8]}"
    register(client, name, credit_estimator)
    d = deploy(client, f"{name}@1")
    assert client.delete(f"/v1/models/{name}/versions/1").status_code == 204
    record = client.get(f"/v1/deployments/{d['name']}").json()
    assert record["state"] == "failed" and "names no model version now" in record["reason"]
    error = predict(client, scoring_path(d), table([WATSON_ROW]), 404)["error"]
    assert error["type"] == "ModelNotFound" and d["name"] in error["message"]
