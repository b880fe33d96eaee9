"""Inline jobs end to end: Watson ML's table shape and records, through real workers."""

import uuid

import numpy as np
import pandas as pd

from batchsvc.sample import FIELDS, WATSON_ROW, make_credit_risk
from harness import run_job


def test_watson_payload_completes_with_label_and_two_probabilities(client, credit_model, credit_estimator):
    # Given the credit-risk payload of the Watson ML lab
    body = {"model": credit_model, "input": {"fields": FIELDS, "values": [WATSON_ROW]}}
    # When it is submitted and the job finishes
    job = run_job(client, body)
    # Then the record carries a Risk/No Risk label and two probabilities that match the model
    assert job["status"] == "completed", job["error"]
    predictions = job["result"]["predictions"]
    assert predictions["fields"] == ["prediction", "probability"]
    label, proba = predictions["values"][0]
    expected = credit_estimator.predict_proba(pd.DataFrame([WATSON_ROW], columns=FIELDS))[0]
    assert label in ("Risk", "No Risk")
    assert label == credit_estimator.predict(pd.DataFrame([WATSON_ROW], columns=FIELDS))[0]
    assert np.allclose(proba, expected)
    assert job["progress"] == {"rows_done": 1, "rows_total": 1, "chunks_done": 1, "chunks_total": 1}


def test_records_input_keeps_order_and_passthrough(client, credit_model, credit_estimator):
    frame = make_credit_risk(40, seed=3)
    body = {"model": credit_model, "input": {"records": frame.to_dict(orient="records")},
            "output": {"passthrough": ["CustomerID"]}}
    job = run_job(client, body)
    assert job["status"] == "completed", job["error"]
    values = job["result"]["predictions"]["values"]
    assert [row[0] for row in values] == frame["CustomerID"].tolist()
    assert [row[1] for row in values] == credit_estimator.predict(frame[FIELDS]).tolist()


def test_values_without_fields_follow_the_model_feature_order(client, credit_model):
    job = run_job(client, {"model": credit_model, "input": {"values": [WATSON_ROW, WATSON_ROW]}})
    assert job["status"] == "completed", job["error"]
    assert job["result"]["rows"] == 2


def test_dashboard_page_is_served_and_reads_the_jobs_api(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "/v1/jobs?limit=50" in page.text and "/v1/models" in page.text


def test_idempotency_key_returns_the_first_job_and_refuses_another_body(client, credit_model):
    key = f"nightly-{uuid.uuid4().hex}"
    body = {"model": credit_model, "input": {"fields": FIELDS, "values": [WATSON_ROW]}, "idempotency_key": key}
    first = client.post("/v1/jobs", json=body)
    again = client.post("/v1/jobs", json=body)
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["id"] == first.json()["id"]
    total = len(client.get("/v1/jobs", params={"model": credit_model, "limit": 500}).json()["jobs"])
    other = client.post("/v1/jobs", json={**body, "name": "changed"})
    assert other.status_code == 409 and other.json()["error"]["field"] == "idempotency_key"
    assert len(client.get("/v1/jobs", params={"model": credit_model, "limit": 500}).json()["jobs"]) == total


def test_idempotency_key_of_a_deleted_job_makes_a_new_job(client, credit_model):
    body = {"model": credit_model, "input": {"fields": FIELDS, "values": [WATSON_ROW]},
            "idempotency_key": f"k-{uuid.uuid4().hex}"}
    first = run_job(client, body)
    assert client.delete(f"/v1/jobs/{first['id']}").status_code == 204
    again = client.post("/v1/jobs", json=body)
    assert again.status_code == 202 and again.json()["id"] != first["id"]
