"""Idempotent submission, in process: a repeated key returns the first job; a key reused for another body is refused.

Moved here from tests/test_idempotency.py, which keeps the case that needs a finished job (a worker).
"""

import uuid

from batchsvc.scoring.sample import FIELDS, WATSON_ROW


def _body(model: str, **extra) -> dict:
    return {"model": model, "input": {"fields": FIELDS, "values": [WATSON_ROW]}, **extra}


def test_the_same_key_and_body_return_the_first_job_with_200(client, credit_model):
    # Given a job submitted with an idempotency key in the body
    body = _body(credit_model, idempotency_key=f"k-{uuid.uuid4().hex}")
    first = client.post("/v1/jobs", json=body)
    # When the same body is submitted again (a retry after a lost answer)
    again = client.post("/v1/jobs", json=body)
    # Then the first answer was 202, the repeat is 200, and both name the same job
    assert first.status_code == 202, first.text
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]


def test_the_same_key_with_another_body_is_a_409_naming_the_key(client, credit_model):
    # Given a key already used for one body
    key = f"k-{uuid.uuid4().hex}"
    assert client.post("/v1/jobs", json=_body(credit_model, idempotency_key=key)).status_code == 202
    # When it comes back with a different body
    response = client.post("/v1/jobs", json=_body(credit_model, idempotency_key=key, name="another"))
    # Then the API refuses it with a conflict that names the field to change
    assert response.status_code == 409, response.text
    assert response.json()["error"]["type"] == "Conflict"
    assert response.json()["error"]["field"] == "idempotency_key"


def test_the_idempotency_key_header_works_like_the_body_field(client, credit_model):
    # Given a job submitted with an Idempotency-Key header
    headers = {"Idempotency-Key": f"h-{uuid.uuid4().hex}"}
    first = client.post("/v1/jobs", json=_body(credit_model), headers=headers)
    # When the same body and header come again, and then another body with the same header
    again = client.post("/v1/jobs", json=_body(credit_model), headers=headers)
    other = client.post("/v1/jobs", json=_body(credit_model, name="other"), headers=headers)
    # Then the repeat is the same job (200) and the other body is a conflict
    assert (first.status_code, again.status_code, other.status_code) == (202, 200, 409)
    assert again.json()["id"] == first.json()["id"]


def test_the_python_client_sends_its_idempotency_key_as_the_header(api_url, credit_model, inproc):
    from batchsvc.client.client import Client

    # Given a client that submits twice with one key
    key = f"c-{uuid.uuid4().hex}"
    with Client(api_url, transport=inproc.transport) as c:
        first = c.submit(credit_model, {"fields": FIELDS, "values": [WATSON_ROW]}, idempotency_key=key)
        again = c.submit(credit_model, {"fields": FIELDS, "values": [WATSON_ROW]}, idempotency_key=key)
    # Then both calls return the same job
    assert again.id == first.id


def test_a_refused_repeat_leaves_no_stray_job(client, credit_model):
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
