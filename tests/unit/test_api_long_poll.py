"""The long poll's wake-up in process (api/job_waits.py): a request held on a job, seen held, answers the moment
the job finishes; the subscription is one per API process, not one per request."""

import threading
import time

from harness import submit, wait_for

from batchsvc.scoring.sample import FIELDS, WATSON_ROW

HOLD_S = 30
PROMPT_S = 1.0


def test_a_held_request_answers_as_soon_as_its_job_finishes(client, credit_model, inproc, svc):
    # Given a queued job (nothing scores here) and a request holding ?wait=30 on it, seen held by the API
    job = submit(client, {"model": credit_model, "input": {"fields": FIELDS, "values": [WATSON_ROW]}})
    answer = {}
    holder = threading.Thread(target=lambda: answer.update(
        response=client.get(f"/v1/jobs/{job['id']}", params={"wait": HOLD_S}), at=time.monotonic()))
    holder.start()
    waits = inproc.app.state.job_waits
    wait_for(lambda: waits.holding(job["id"]), 10, 0.005, "the request to be held")
    # When the job finishes (canceled)
    finished_at = time.monotonic()
    assert client.post(f"/v1/jobs/{job['id']}/cancel").status_code == 200
    holder.join(HOLD_S + 10)
    # Then the held request answered with the finished record within a moment, and let go of its wait
    assert answer["response"].json()["status"] == "canceled"
    assert answer["at"] - finished_at < PROMPT_S
    assert not waits.holding(job["id"])
    # And the API holds no subscription of its own for the job: one pattern serves every long poll
    assert svc.redis.pubsub_numsub(svc.keys.job_done_channel(job["id"]))[0][1] == 0
