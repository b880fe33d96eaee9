"""Schedulers that die or were down: the standby takes over, missed fire times are fired once or recorded."""

import os
import signal
from datetime import UTC, datetime, timedelta

from harness import wait_for
from schedule_support import (  # noqa: F401
    LEASE_MS,
    at,
    events,
    fired_times,
    inline_job,
    jobs_of,
    leader_pid,
    make_schedule,
    parse,
    start_schedulers,
    whole_second,
)

from batchsvc.storage.services import get_services

FIRE_WAIT_S = 20


def covered_seconds(client, schedule_id: str) -> list[str]:
    """Every fire time a schedule handled: each fired one, and the earlier ones coalesced into it (1 s apart)."""
    out = []
    for event in events(client, schedule_id, "fired"):
        fired = parse(event["fire_time"])
        out += [at(fired - timedelta(seconds=s)) for s in range(event.get("coalesced", 0), 0, -1)]
        out.append(event["fire_time"])
    return out


def test_killing_the_leader_hands_over_with_no_double_and_no_lost_fire(env, client, credit_model, make_schedule,
                                                                       tmp_path):
    # Given two schedulers and a schedule firing every second
    procs = start_schedulers(env, tmp_path, 2)
    try:
        schedule = make_schedule({"name": "handover", "interval_s": 1, "start_at": at(whole_second(1)),
                                  "job": inline_job(credit_model)})
        wait_for(lambda: len(fired_times(client, schedule["id"])) >= 3, FIRE_WAIT_S, 0.1, "three fires")
        # When the leader is killed with SIGKILL (no chance to hand the lease over)
        leader = next(p for p in procs if p.pid == leader_pid())
        os.kill(leader.pid, signal.SIGKILL)
        killed_at = datetime.now(UTC)
        # Then the standby takes the lease once it expires, and goes on firing
        standby = next(p for p in procs if p is not leader)
        wait_for(lambda: leader_pid() == standby.pid, FIRE_WAIT_S, 0.1, "the standby to lead")
        after_kill = lambda: [t for t in fired_times(client, schedule["id"]) if parse(t) > killed_at]  # noqa: E731
        wait_for(lambda: len(after_kill()) >= 3, FIRE_WAIT_S, 0.1, "three fires by the standby")
        client.patch(f"/v1/schedules/{schedule['id']}", json={"enabled": False})
    finally:
        for proc in procs:
            proc.stop()
    # And no fire time fired twice, and every second from the first to the last was fired or coalesced
    fired = fired_times(client, schedule["id"])
    assert len(fired) == len(set(fired)) == len(jobs_of(client, schedule["id"]))
    covered = covered_seconds(client, schedule["id"])
    first = parse(covered[0])
    assert covered == [at(first + timedelta(seconds=s)) for s in range(len(covered))]
    # And the handover took about one lease expiry
    handover = [e for e in events(client, schedule["id"], "fired") if parse(e["at"]) > killed_at][0]
    assert (parse(handover["at"]) - killed_at).total_seconds() < LEASE_MS / 1000 + 2


def test_a_scheduler_returning_fires_a_missed_run_within_grace_once_and_records_older_ones(
        env, client, credit_model, make_schedule, tmp_path):
    # Given, while no scheduler runs, a schedule every 120 s whose stored next run is 2 hours ago
    # (what a scheduler that went down 2 hours ago leaves behind); grace is 600 s (the default)
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(seconds=7200 - 30)
    schedule = make_schedule({"name": "was-down", "interval_s": 120, "start_at": at(start),
                              "job": inline_job(credit_model)})
    get_services().schedules.update(schedule["id"], next_run_at=at(start))
    # When a scheduler starts
    procs = start_schedulers(env, tmp_path, 1)
    try:
        wait_for(lambda: fired_times(client, schedule["id"]), FIRE_WAIT_S, 0.1, "the catch-up fire")
        wait_for(lambda: events(client, schedule["id"], "missed"), FIRE_WAIT_S, 0.1, "the missed-event")
    finally:
        for proc in procs:
            proc.stop()
    # Then the last fire time within grace (now - 90 s) fired once, the 4 before it within grace coalesced
    (fired,) = events(client, schedule["id"], "fired")
    assert fired["fire_time"] == at(now - timedelta(seconds=90)) and fired["coalesced"] == 4
    assert len(jobs_of(client, schedule["id"])) == 1
    # And the 55 older ones (now - 7170 s to now - 690 s) are recorded as missed, in one event
    (missed,) = events(client, schedule["id"], "missed")
    assert (missed["first"], missed["last"], missed["count"]) == (
        at(start), at(now - timedelta(seconds=690)), 55)
    # And the next run is the next fire time to come
    assert client.get(f"/v1/schedules/{schedule['id']}").json()["next_run_at"] == at(now + timedelta(seconds=30))
