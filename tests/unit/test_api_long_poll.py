"""The long poll's wake-up in process (api/job_waits.py): a request held on a job, seen held, answers when the job
finishes, not when its hold runs out; the subscription is one per API process, not one per request."""

import threading

from harness import submit, wait_for

from batchsvc.scoring.sample import FIELDS, WATSON_ROW

HOLD_S = 60  # the longest wait the API allows: a request answered by its hold running out is unmistakable


def test_a_held_request_answers_as_soon_as_its_job_finishes(client, credit_model, inproc, svc):
    # Given a queued job (nothing scores here) and a request holding ?wait=60 on it, seen held by the API
    job = submit(client, {"model": credit_model, "input": {"fields": FIELDS, "values": [WATSON_ROW]}})
    answer = {}
    holder = threading.Thread(target=lambda: answer.update(
        response=client.get(f"/v1/jobs/{job['id']}", params={"wait": HOLD_S})))
    holder.start()
    waits = inproc.app.state.job_waits
    wait_for(lambda: waits.holding(job["id"]), 10, 0.005, "the request to be held")
    # When the job finishes (canceled)
    assert client.post(f"/v1/jobs/{job['id']}/cancel").status_code == 200
    holder.join(HOLD_S / 2)
    # Then the held request answered with the finished record, woken long before its hold ran out, and let go
    assert not holder.is_alive()
    assert answer["response"].json()["status"] == "canceled"
    assert not waits.holding(job["id"])
    # And the API holds no subscription of its own for the job: one pattern serves every long poll
    assert svc.redis.pubsub_numsub(svc.keys.job_done_channel(job["id"]))[0][1] == 0
