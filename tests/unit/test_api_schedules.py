"""/v1/schedules over HTTP, in process and without a scheduler: records, validation, fire now, the fire claim.

Moved here from tests/test_schedules_api.py, which keeps the fire-now test whose job a worker runs.
"""

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from harness import register
from schedule_support import events, inline_job, jobs_of, make_schedule  # noqa: F401 (fixture)

from batchsvc.scheduling import firing
from batchsvc.scheduling.fire_times import Due
from batchsvc.scoring.sample import WATSON_ROW

BERLIN = ZoneInfo("Europe/Berlin")


def test_a_cron_schedule_is_stored_with_its_next_run_in_its_timezone(client, credit_model, make_schedule):
    # Given a nightly 02:00 schedule in Berlin
    body = {"name": "nightly", "cron": "0 2 * * *", "timezone": "Europe/Berlin", "job": inline_job(credit_model)}
    # When it is created
    created = make_schedule(body)
    # Then next_run_at is the next 02:00 in Berlin, in UTC
    local_now = datetime.now(BERLIN)
    expected = local_now.replace(hour=2, minute=0, second=0, microsecond=0)
    if expected <= local_now:
        expected = (local_now + timedelta(days=1)).replace(hour=2, minute=0, second=0, microsecond=0)
    assert created["next_run_at"] == expected.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert created["enabled"] is True and created["source"] == "api" and created["last_run_at"] is None
    # And it reads back, alone and in the list
    assert client.get(f"/v1/schedules/{created['id']}").json() == created
    assert created in client.get("/v1/schedules").json()["schedules"]


@pytest.mark.parametrize("change, field", [
    ({"cron": "0 2 * *"}, "cron"),
    ({"cron": "0 25 * * *"}, "cron"),
    ({"cron": "0 2 * * 8"}, "cron"),
    ({"timezone": "Europe/Atlantis"}, "timezone"),
    ({"cron": None, "interval_s": 0}, "interval_s"),
    ({"cron": None, "interval_s": -5}, "interval_s"),
    ({"interval_s": 60}, "interval_s"),  # both cron and interval_s
    ({"cron": None}, "cron"),  # neither
    ({"start_at": "2027-01-02T00:00:00Z", "end_at": "2027-01-01T00:00:00Z"}, "end_at"),
    ({"job": {"model": "no-such-model", "input": {"values": [[1]]}}}, "job.model"),
    ({"job": {"model": "M", "input": {"path": "/etc/{date}.csv"}}}, "job.input.path"),
    ({"job": {"model": "M", "input": {"path": "sample_data/no-such-file.csv"}}}, "job.input.path"),
    ({"job": {"model": "M", "input": {"path": "sample_data/{day}.csv"}}}, "job"),
    ({"job": {"model": "M", "input": {"values": [[1, 2]]}}}, "job.input.values.0"),
    ({"bogus": 1}, "bogus"),
])
def test_a_bad_schedule_is_refused_with_422_naming_the_field(client, credit_model, change, field):
    # Given a valid body with one thing wrong
    body = {"name": "bad", "cron": "0 2 * * *", "job": inline_job(credit_model), **change}
    if "job" in change and change["job"]["model"] == "M":
        body["job"] = {**change["job"], "model": credit_model}
    # When it is posted; Then 422 names the field, and nothing was stored
    response = client.post("/v1/schedules", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field, response.text
    assert all(s["name"] != "bad" for s in client.get("/v1/schedules").json()["schedules"])


def test_patch_pauses_resumes_and_switches_to_an_interval(client, credit_model, make_schedule):
    schedule = make_schedule({"name": "patched", "cron": "*/15 * * * *", "job": inline_job(credit_model)})
    url = f"/v1/schedules/{schedule['id']}"
    # When paused, Then it has no next run
    paused = client.patch(url, json={"enabled": False}).json()
    assert paused["enabled"] is False and paused["next_run_at"] is None
    # When resumed, Then the next run is the next quarter hour again
    resumed = client.patch(url, json={"enabled": True}).json()
    assert resumed["next_run_at"] == schedule["next_run_at"]
    # When interval_s is set next to the cron string, Then 422; with cron cleared, Then it switches
    assert client.patch(url, json={"interval_s": 30}).json()["error"]["field"] == "interval_s"
    switched = client.patch(url, json={"cron": None, "interval_s": 30}).json()
    assert switched["cron"] is None and switched["interval_s"] == 30
    assert [e["event"] for e in events(client, schedule["id"])] == ["created", "updated", "updated", "updated"]


def test_a_schedule_whose_model_is_gone_can_still_be_paused_but_not_given_a_bad_template(
        client, credit_estimator, make_schedule):
    # Given a schedule on a model that is then deleted
    name = register(client, f"gone-{datetime.now().microsecond}", credit_estimator)["name"]
    schedule = make_schedule({"name": "orphan", "interval_s": 3600, "job": inline_job(name)})
    client.delete(f"/v1/models/{name}/versions/1")
    url = f"/v1/schedules/{schedule['id']}"
    # Then it can be paused (the template is not checked again when it does not change)
    assert client.patch(url, json={"enabled": False}).status_code == 200
    # But a new template is checked
    response = client.patch(url, json={"job": inline_job(name, name="renamed")})
    assert response.status_code == 422 and response.json()["error"]["field"] == "job.model"


def test_delete_removes_the_schedule_but_not_its_jobs(client, credit_model, make_schedule):
    schedule = make_schedule({"name": "short-lived", "interval_s": 3600, "job": inline_job(credit_model)})
    job = client.post(f"/v1/schedules/{schedule['id']}/run").json()
    assert client.delete(f"/v1/schedules/{schedule['id']}").status_code == 204
    assert client.get(f"/v1/schedules/{schedule['id']}").status_code == 404
    assert client.delete(f"/v1/schedules/{schedule['id']}").status_code == 404
    assert [j["id"] for j in jobs_of(client, schedule["id"])] == [job["id"]]


def test_a_fire_that_cannot_submit_is_recorded_on_the_schedule(client, credit_model, make_schedule):
    # Given a schedule whose file for a date does not exist (allowed: it may appear by then)
    schedule = make_schedule({"name": "not-yet", "interval_s": 3600,
                              "job": {"model": credit_model, "input": {"path": "sample_data/daily/{date}.csv"}}})
    # When it is fired now; Then 422 says why, and the schedule keeps the reason
    response = client.post(f"/v1/schedules/{schedule['id']}/run")
    assert response.status_code == 422 and "no such file" in response.json()["error"]["message"]
    record = client.get(f"/v1/schedules/{schedule['id']}").json()
    assert "no such file" in record["last_error"]["message"]
    assert events(client, schedule["id"], "fire_failed")[0]["error"]["type"] == "InputNotFound"


def test_an_alias_in_the_template_is_resolved_when_it_fires(client, credit_estimator, make_schedule):
    # Given a model whose alias "live" points at version 1
    name = register(client, f"alias-{datetime.now().microsecond}", credit_estimator)["name"]
    client.put(f"/v1/models/{name}/aliases/live", json={"version": 1})
    schedule = make_schedule({"name": "aliased", "interval_s": 3600, "job": inline_job(f"{name}@live")})
    first = client.post(f"/v1/schedules/{schedule['id']}/run").json()
    # When the alias moves to version 2; Then the next fire uses version 2
    register(client, name, credit_estimator, force="true")  # the same file, as a new version
    client.put(f"/v1/models/{name}/aliases/live", json={"version": 2})
    second = client.post(f"/v1/schedules/{schedule['id']}/run").json()
    assert (first["model"]["version"], second["model"]["version"]) == (1, 2)


def test_two_firers_claiming_the_same_fire_time_submit_one_job(client, credit_model, make_schedule, svc):
    # Given one schedule and two would-be leaders that both see the same fire time due
    schedule = make_schedule({"name": "contested", "interval_s": 3600, "job": inline_job(credit_model)})
    record = svc.schedules.get(schedule["id"])
    due, enqueued, results = Due(fire=datetime.now(UTC).replace(microsecond=0)), [], []
    # When both fire it at once
    threads = [threading.Thread(target=lambda h=h: results.append(firing.fire(svc, record, due, enqueued.append, h)))
               for h in ("leader-a", "leader-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then exactly one job was submitted
    assert len(enqueued) == 1 and sum(r is not None for r in results) == 1
    assert [j["id"] for j in jobs_of(client, schedule["id"])] == enqueued


def test_a_schedule_records_who_created_it(client, credit_model):
    body = {"name": "who", "interval_s": 3600, "job": {"model": credit_model, "input": {"values": [WATSON_ROW]}}}
    created = client.post("/v1/schedules", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["created_by"] == "api"  # auth off: no key name, so the source


def test_a_fire_that_fails_midway_is_freed_and_its_retry_makes_one_job(client, credit_model, svc):
    # Given a schedule and a fire whose first attempt fails after its claim (the broker is away)
    body = {"name": "retry", "interval_s": 3600, "job": {"model": credit_model, "input": {"values": [WATSON_ROW]}}}
    record = svc.schedules.get(client.post("/v1/schedules", json=body).json()["id"])
    due = Due(fire=datetime(2026, 11, 23, 8, tzinfo=UTC), coalesced=[], missed_count=0, missed_first=None)
    sent = []

    def broken(job_id):
        raise ConnectionError("broker away")
    with pytest.raises(ConnectionError):
        firing.fire(svc, record, due, broken, holder="a")
    # When the fire is tried again, twice (say by two leaders in turn)
    jobs = [firing.fire(svc, record, due, sent.append, holder=h) for h in ("b", "c")]
    # Then exactly one job exists for that fire time
    assert jobs[0] is not None and jobs[1] is None and sent == [jobs[0]["id"]]


def test_a_fire_that_finishes_after_a_later_one_does_not_move_next_run_at_back(client, svc, credit_model,
                                                                                make_schedule):
    # Given a one-second schedule whose pending fire time is 10:00:02, due with 10:00:03 (its last)
    schedule = make_schedule({"name": "overlap", "interval_s": 1, "job": inline_job(credit_model)})
    sid, revision = schedule["id"], svc.schedules.get(schedule["id"])["revision"]
    t2, t3, t4 = "2030-01-01T10:00:02.000Z", "2030-01-01T10:00:03.000Z", "2030-01-01T10:00:04.000Z"
    assert svc.schedules.update(sid, if_revision=revision, next_run_at=t2) == 1
    # When the fire of 10:00:03 finishes first (ending the schedule), then the slower fire of 10:00:02
    assert svc.schedules.update(sid, if_revision=revision, handled=t3, next_run_at=None) == 1
    late = svc.schedules.update(sid, if_revision=revision, handled=t2, next_run_at=t3)
    # Then the late write is refused and the schedule stays ended
    assert late == -2 and client.get(f"/v1/schedules/{sid}").json()["next_run_at"] is None
    # And fires that finish in order advance it as before
    assert svc.schedules.update(sid, if_revision=revision, next_run_at=t2) == 1
    assert svc.schedules.update(sid, if_revision=revision, handled=t2, next_run_at=t3) == 1
    assert svc.schedules.update(sid, if_revision=revision, handled=t3, next_run_at=t4) == 1
    assert client.get(f"/v1/schedules/{sid}").json()["next_run_at"] == t4
