"""Two real `batchsvc scheduler` processes against one Redis: each fire time fires once, changes arrive live."""

import time
from datetime import timedelta

import pytest
from harness import register, wait_for, wait_job
from schedule_support import (  # noqa: F401
    at,
    events,
    fired_times,
    inline_job,
    jobs_of,
    make_schedule,
    parse,
    start_schedulers,
    whole_second,
)

FIRE_WAIT_S = 15


@pytest.fixture(scope="module")
def schedulers(env, api_url, tmp_path_factory):
    procs = start_schedulers(env, tmp_path_factory.mktemp("schedulers"), 2)
    yield procs
    for proc in procs:
        proc.stop()


def test_two_schedulers_fire_each_second_of_a_one_second_interval_once(client, credit_model, schedulers,
                                                                        make_schedule):
    # Given two schedulers running, and a schedule every second from start_at to end_at (4 fire times)
    start = whole_second(2)
    schedule = make_schedule({"name": "every-second", "interval_s": 1, "start_at": at(start),
                              "end_at": at(start + timedelta(seconds=3)), "job": inline_job(credit_model)})
    # When the four seconds have passed and each has been answered by a fire
    wait_for(lambda: len(seconds_answered(client, schedule["id"])) >= 4, FIRE_WAIT_S, 0.1, "four seconds fired")
    # Then each second fired exactly once: by a fire of its own or, when the leader's tick came over a second
    # late (a loaded machine), coalesced into the next fire as designed; never twice, one job per fire
    expected = [at(start + timedelta(seconds=s)) for s in range(4)]
    assert sorted(seconds_answered(client, schedule["id"])) == expected
    jobs = jobs_of(client, schedule["id"])
    assert len(jobs) == len(events(client, schedule["id"], "fired"))
    assert all(wait_job(client, j["id"])["status"] == "completed" for j in jobs)


def seconds_answered(client, schedule_id: str) -> list[str]:
    """Every fire time the schedule's `fired` events answered, once per answer (a double fire shows twice)."""
    return [second for fire in events(client, schedule_id, "fired") for second in seconds_fired(fire)]


def seconds_fired(fire: dict) -> list[str]:
    """The fire times one `fired` event answered for a one-second interval: its own, and those coalesced into it."""
    first = parse(fire.get("coalesced_from", fire["fire_time"]))
    return [at(first + timedelta(seconds=s)) for s in range(fire.get("coalesced", 0))] + [fire["fire_time"]]


def test_an_http_change_reaches_the_running_scheduler(client, credit_model, schedulers, make_schedule):
    # Given a yearly schedule (it will not fire by itself during the test)
    schedule = make_schedule({"name": "changed", "cron": "0 0 1 1 *", "job": inline_job(credit_model)})
    other = make_schedule({"name": "deleted", "interval_s": 1, "job": inline_job(credit_model)})
    url = f"/v1/schedules/{schedule['id']}"
    # When it is changed over HTTP to fire every second
    changed_at = time.time()
    assert client.patch(url, json={"cron": None, "interval_s": 1}).status_code == 200
    # Then the running scheduler fires it within a couple of seconds, without a restart
    wait_for(lambda: fired_times(client, schedule["id"]), FIRE_WAIT_S, 0.1, "the changed schedule to fire")
    first = parse(fired_times(client, schedule["id"])[0]).timestamp()
    assert first - changed_at < 2.5
    wait_for(lambda: fired_times(client, other["id"]), FIRE_WAIT_S, 0.1, "the other schedule to fire")
    # When one is paused and the other deleted
    assert client.patch(url, json={"enabled": False}).status_code == 200
    assert client.delete(f"/v1/schedules/{other['id']}").status_code == 204
    stopped_at = time.time()
    # Then neither fires again: a marker schedule made after those changes (so the scheduler has taken them
    # in, in order) fires twice, more than a second later, while the other two stay silent
    marker = make_schedule({"name": "marker", "interval_s": 1, "job": inline_job(credit_model)})
    wait_for(lambda: len(fired_times(client, marker["id"])) >= 2, FIRE_WAIT_S, 0.1, "the marker to fire twice")
    assert all(parse(t).timestamp() < stopped_at + 1 for t in fired_times(client, schedule["id"]))
    assert all(parse(j["created_at"]).timestamp() < stopped_at + 1 for j in jobs_of(client, other["id"]))


def test_a_fire_that_cannot_submit_is_recorded_and_the_scheduler_goes_on(client, credit_estimator, schedulers,
                                                                         make_schedule):
    # Given a schedule every second on a model of its own
    name = register(client, f"doomed-{int(time.time() * 1000)}", credit_estimator)["name"]
    schedule = make_schedule({"name": "doomed", "interval_s": 1, "job": inline_job(name)})
    wait_for(lambda: fired_times(client, schedule["id"]), FIRE_WAIT_S, 0.1, "a first fire")
    # When the model is deleted
    assert client.delete(f"/v1/models/{name}/versions/1").status_code == 204
    # Then the failing fire is recorded on the schedule with the reason
    failed = wait_for(lambda: events(client, schedule["id"], "fire_failed"), FIRE_WAIT_S, 0.1, "a failed fire")
    assert failed[0]["error"]["type"] == "ModelNotFound"
    assert client.get(f"/v1/schedules/{schedule['id']}").json()["last_error"]["type"] == "ModelNotFound"
    # And when the model is back, the scheduler fires it again
    register(client, name, credit_estimator)
    recovered = lambda: [t for t in fired_times(client, schedule["id"]) if t > failed[-1]["fire_time"]]  # noqa: E731
    wait_for(recovered, FIRE_WAIT_S, 0.1, "a fire after the model is back")
    assert client.get(f"/v1/schedules/{schedule['id']}").json()["last_error"] is None
