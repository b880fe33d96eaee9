"""Helpers for the schedule tests: scheduler processes, who leads, what a schedule fired."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from harness import Process, wait_for

from batchsvc.scoring.sample import WATSON_ROW
from batchsvc.storage.services import get_services

LEASE_MS = 1500
START_TIMEOUT_S = 30


def inline_job(model: str, **extra) -> dict:
    """A one-row job template: cheap for the workers however often it fires."""
    return {"model": model, "input": {"values": [WATSON_ROW]}, **extra}


def start_schedulers(env: dict, logs: Path, count: int) -> list[Process]:
    """`count` scheduler processes, returned once each has started (one of them leads)."""
    env = {**env, "BATCHSVC_SCHEDULER_LEASE_MS": str(LEASE_MS)}
    procs = [Process(["scheduler"], env, logs / f"scheduler-{i}.log") for i in range(count)]
    for i in range(count):
        wait_for(lambda: "started" in (logs / f"scheduler-{i}.log").read_text(), START_TIMEOUT_S, 0.1,
                 f"scheduler {i} to start (see {logs})")
    wait_for(lambda: leader_pid() in {p.pid for p in procs}, START_TIMEOUT_S, 0.1, "a scheduler to lead")
    return procs


def leader_pid() -> int | None:
    """The pid in the leader lease's token (host:pid:random), or None when nobody leads."""
    svc = get_services()
    token = svc.redis.get(svc.keys.scheduler_lease())
    return int(token.split(":")[1]) if token else None


def events(client, schedule_id: str, kind: str | None = None) -> list[dict]:
    response = client.get(f"/v1/schedules/{schedule_id}/events")
    assert response.status_code == 200, response.text
    return [e for e in response.json()["events"] if kind is None or e["event"] == kind]


def fired_times(client, schedule_id: str) -> list[str]:
    return [e["fire_time"] for e in events(client, schedule_id, "fired")]


def jobs_of(client, schedule_id: str) -> list[dict]:
    return client.get("/v1/jobs", params={"schedule_id": schedule_id, "limit": 500}).json()["jobs"]


def at(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def whole_second(offset_s: float) -> datetime:
    """A whole second about offset_s from now (fire times of interval schedules are then whole seconds)."""
    return (datetime.now(UTC) + timedelta(seconds=offset_s)).replace(microsecond=0)


@pytest.fixture
def make_schedule(client):
    """POST schedules; every one made is deleted after the test, so none fires into the next."""
    made = []

    def make(body: dict) -> dict:
        response = client.post("/v1/schedules", json=body)
        assert response.status_code == 201, response.text
        made.append(response.json()["id"])
        return response.json()

    yield make
    for schedule_id in made:
        client.delete(f"/v1/schedules/{schedule_id}")
