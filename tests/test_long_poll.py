"""GET /v1/jobs/{id}?wait=S answers the moment the job finishes (Redis pub/sub), not when S runs out."""

import threading
import time

from harness import run_job, submit, wait_for
from inputs import credit_parquet, long_job

HOLD_S = 30
PROMPT_S = 1.0


def test_a_held_request_returns_as_soon_as_the_job_is_canceled(client, credit_model, inputs_dir):
    # Given a running multi-chunk job and a request holding ?wait=30 on it
    job = submit(client, long_job(credit_model, credit_parquet(inputs_dir)))
    wait_for(lambda: client.get(f"/v1/jobs/{job['id']}").json()["status"] == "running", 30, 0.01, "running")
    answer = {}
    holder = threading.Thread(target=lambda: answer.update(
        response=client.get(f"/v1/jobs/{job['id']}", params={"wait": HOLD_S}), at=time.monotonic()))
    holder.start()
    wait_for(lambda: _held(client) >= 1, 10, 0.005, "the API to hold the request")
    # When the job is canceled
    canceled_at = time.monotonic()
    assert client.post(f"/v1/jobs/{job['id']}/cancel").status_code == 200
    holder.join(HOLD_S + 10)
    # Then the held request answered with the canceled record within a moment, not after 30 s
    assert answer["response"].json()["status"] == "canceled"
    assert answer["at"] - canceled_at < PROMPT_S


def test_a_finished_job_is_answered_at_once_whatever_the_wait(client, credit_model):
    # Given a completed job
    from batchsvc.scoring.sample import FIELDS, WATSON_ROW

    job = run_job(client, {"model": credit_model, "input": {"fields": FIELDS, "values": [WATSON_ROW]}})
    # When it is read with the longest wait
    started = time.monotonic()
    response = client.get(f"/v1/jobs/{job['id']}", params={"wait": 60})
    # Then the record comes back at once
    assert response.json()["status"] == "completed"
    assert time.monotonic() - started < PROMPT_S


def _held(client) -> int:
    """The API's batchsvc_long_polls_held gauge (one API process serves these tests)."""
    lines = [line for line in client.get("/metrics").text.splitlines() if line.startswith("batchsvc_long_polls_held ")]
    return int(float(lines[0].split()[1])) if lines else 0
