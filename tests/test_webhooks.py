"""Job webhooks: signed POSTs of the finished job's record to a real receiver on loopback, retried after a 500
and a timeout, sent only for the events asked, refused at submit for targets the setting does not allow."""

import json
import uuid

from harness import ROOT, submit, wait_for, wait_job
from receiver import receiver  # noqa: F401 (fixture)
from schedule_support import make_schedule  # noqa: F401 (fixture)

from batchsvc.scoring.sample import FIELDS, WATSON_ROW
from batchsvc.webhooks.signing import verify

SECRET = "s3cret-for-the-hook-0123456789"


def table(rows: int = 2) -> dict:
    return {"fields": FIELDS, "values": [WATSON_ROW] * rows}


def path() -> str:
    return f"/hooks/{uuid.uuid4().hex[:8]}"


def events(client, job_id: str, kind: str) -> list[dict]:
    return [e for e in client.get(f"/v1/jobs/{job_id}/events").json()["events"] if e["event"] == kind]


def test_a_completed_job_posts_its_signed_record(client, credit_model, receiver):
    # Given a job asking for a signed hook at a loopback receiver the setting allows
    where = path()
    job = submit(client, {"model": credit_model, "input": table(),
                          "notify": {"url": receiver.url(where), "secret": SECRET}})
    # Then its record shows the hook but never its secret
    assert job["notify"] == {"url": receiver.url(where), "events": ["completed", "failed"]}
    assert SECRET not in json.dumps(client.get(f"/v1/jobs/{job['id']}").json())
    # When it completes
    finished = wait_job(client, job["id"])
    (got,) = wait_for(lambda: receiver.at(where), 20, 0.05, "the hook")
    # Then the receiver got the finished record, signed with the secret over the exact body
    body = json.loads(got.body)
    assert body["event"] == "job.completed" and body["delivery"] == f"{job['id']}.completed"
    assert body["job"]["id"] == job["id"] and body["job"]["status"] == "completed"
    assert body["job"]["result"]["predictions"] == finished["result"]["predictions"]
    assert verify(SECRET, got.headers["batchsvc-signature"], got.body)
    assert not verify("another-secret-0123456789", got.headers["batchsvc-signature"], got.body)
    assert not verify(SECRET, got.headers["batchsvc-signature"], got.body.replace(b"completed", b"failed", 1))
    # And the receiver's check that docs/notify.md gives accepts it too
    assert docs_check_signature()(SECRET, got.headers["batchsvc-signature"], got.body)
    # And the job's events show the attempt and the delivery
    wait_for(lambda: events(client, job["id"], "webhook_delivered"), 10, 0.05, "the delivered event")
    (tried,) = events(client, job["id"], "webhook_attempt")
    assert tried["status"] == 200 and tried["attempt"] == 1 and tried["error"] is None


def test_a_hook_is_retried_after_a_500_and_a_timeout_without_holding_the_job(client, credit_model, receiver):
    # Given a receiver that answers 500, then too slowly, then 200
    where = path()
    job = submit(client, {"model": credit_model, "input": table(),
                          "notify": {"url": receiver.url(where, "500", "slow"), "events": ["completed"]}})
    # When the job completes
    finished = wait_job(client, job["id"])
    # Then the hook is tried three times, the same delivery each time, and the third is delivered
    wait_for(lambda: events(client, job["id"], "webhook_delivered"), 30, 0.1, "the delivery after retries")
    got = receiver.at(where)
    assert [g.answered for g in got] == ["500", "slow", "200"]
    assert len({json.loads(g.body)["delivery"] for g in got}) == 1
    tried = events(client, job["id"], "webhook_attempt")
    assert [t["attempt"] for t in tried] == [1, 2, 3] and [t["status"] for t in tried] == [500, None, 200]
    assert "no answer within 1.0 s" in tried[1]["error"]
    # And the job had completed before its first attempt was even made: the receiver never held it
    assert finished["status"] == "completed" and got[0].at >= _unix(finished["finished_at"])


def test_only_the_events_asked_for_are_sent(client, credit_model, receiver, inputs_dir):
    # Given a job that completes but asked only about failures, and one that fails
    quiet, loud = path(), path()
    completed = wait_job(client, submit(client, {"model": credit_model, "input": table(),
                                                 "notify": {"url": receiver.url(quiet), "events": ["failed"]}})["id"])
    bad = inputs_dir / f"bad-{uuid.uuid4().hex[:6]}.csv"
    bad.write_text("a,b\n1,2\n")
    failed = wait_job(client, submit(client, {"model": credit_model, "input": {"path": str(bad)},
                                              "notify": {"url": receiver.url(loud), "events": ["failed"]}})["id"])
    # When the failure's hook has arrived
    (got,) = wait_for(lambda: receiver.at(loud), 20, 0.05, "the failure's hook")
    # Then it carries the error, and the completed job sent nothing
    assert completed["status"] == "completed" and failed["status"] == "failed"
    assert json.loads(got.body)["job"]["error"]["type"] == "SchemaError"
    assert receiver.at(quiet) == [] and events(client, completed["id"], "webhook_attempt") == []


def test_a_hook_to_a_host_the_setting_does_not_allow_is_refused_at_submit(client, credit_model):
    # Given targets outside BATCHSVC_WEBHOOK_ALLOW (127.0.0.1/32 in this run): a private and another loopback address
    for url in ("http://10.1.2.3/hook", "http://127.0.0.2:8080/hook", "ftp://127.0.0.1/hook"):
        # When a job names one
        answer = client.post("/v1/jobs", json={"model": credit_model, "input": table(), "notify": {"url": url}})
        # Then it is refused before anything is stored or sent, naming the field (and the setting for a host)
        assert answer.status_code == 422, (url, answer.text)
        error = answer.json()["error"]
        assert error["field"].startswith("notify.url"), error
    refused = client.post("/v1/jobs", json={"model": credit_model, "input": table(),
                                            "notify": {"url": "http://10.1.2.3/hook"}}).json()["error"]
    assert "BATCHSVC_WEBHOOK_ALLOW" in refused["message"] and "10.1.2.3" in refused["message"]


def test_a_schedules_jobs_carry_its_hook(client, credit_model, receiver, make_schedule):
    # Given a schedule whose job template asks for a hook with a secret
    where = path()
    schedule = make_schedule({"name": f"hooked-{uuid.uuid4().hex[:6]}", "cron": "0 6 * * *",
                              "job": {"model": credit_model, "input": table(),
                                      "notify": {"url": receiver.url(where), "secret": SECRET}}})
    assert "secret" not in schedule["job"]["notify"]
    # When it is fired now
    fired = client.post(f"/v1/schedules/{schedule['id']}/run").json()
    # Then its job's completion is announced, signed, naming the schedule
    (got,) = wait_for(lambda: receiver.at(where), 30, 0.05, "the scheduled job's hook")
    assert json.loads(got.body)["job"]["schedule_id"] == schedule["id"] == fired["schedule_id"]
    assert verify(SECRET, got.headers["batchsvc-signature"], got.body)


def docs_check_signature():
    """check_signature as docs/notify.md writes it, run from the document's own text."""
    text = (ROOT / "docs" / "notify.md").read_text()
    code = next(block.split("```", 1)[0] for block in text.split("```python\n")[1:] if "def check_signature" in block)
    scope: dict = {}
    exec(code, scope)
    return scope["check_signature"]


def _unix(iso_time: str) -> float:
    from datetime import datetime
    return datetime.fromisoformat(iso_time.replace("Z", "+00:00")).timestamp()
