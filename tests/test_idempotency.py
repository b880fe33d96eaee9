"""Idempotent submission with a worker: the key of a deleted (so finished) job makes a new job.

The rest, which needs no worker, is tested in process: tests/unit/test_api_idempotency.py.
"""

import uuid

from harness import run_job

from batchsvc.scoring.sample import FIELDS, WATSON_ROW


def test_idempotency_key_of_a_deleted_job_makes_a_new_job(client, credit_model):
    body = {"model": credit_model, "input": {"fields": FIELDS, "values": [WATSON_ROW]},
            "idempotency_key": f"k-{uuid.uuid4().hex}"}
    first = run_job(client, body)
    assert client.delete(f"/v1/jobs/{first['id']}").status_code == 204
    again = client.post("/v1/jobs", json=body)
    assert again.status_code == 202 and again.json()["id"] != first["id"]
