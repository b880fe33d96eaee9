"""Inline jobs end to end: Watson ML's table shape and records, through real workers."""

import numpy as np
import pandas as pd
from harness import run_job

from batchsvc.scoring.sample import FIELDS, WATSON_ROW, make_credit_risk


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


def test_the_console_page_and_its_files_are_served_from_the_package(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "/console/app.js" in page.text and "/console/style.css" in page.text
    script = client.get("/console/app.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert "/v1/console/summary" in script.text
    assert client.get("/console/style.css").headers["content-type"].startswith("text/css")
