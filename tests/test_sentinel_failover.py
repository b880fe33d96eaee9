"""Redis with Sentinel: the primary dies under load, the replica takes over, and nothing answered 202 is lost.

A primary, a replica and three Sentinels (down-after 1 s) on loopback; the API, two worker processes and a
scheduler find the primary through the Sentinel URL. The killed primary is started again at once, as its
supervisor would; the Sentinels make it a replica of the new primary.
"""

import threading
import time
import uuid

import httpx
import numpy as np
import pandas as pd
import pytest
from harness import (
    JOB_WAIT_S,
    Process,
    register_slow,
    result_frame,
    run_job,
    start_api,
    start_workers,
    submit,
    wait_for,
    wait_job,
)
from schedule_support import at, fired_times, whole_second
from sentinel import SentinelCluster

from batchsvc.settings import Settings
from batchsvc.storage.services import Services

FAILOVER_S = 30  # from the kill to a promoted replica that has a replica of its own again (about 13 s here)
BURST_AFTER_KILL = 20  # one-row jobs accepted after the failover before the burst stops


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    cluster = SentinelCluster(tmp_path_factory.mktemp("sentinel"))
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def ha_env(env, cluster, tmp_path_factory) -> dict:
    data = tmp_path_factory.mktemp("ha-data")
    return {**env, "BATCHSVC_REDIS_URL": cluster.url, "BATCHSVC_DATA_DIR": str(data),
            "BATCHSVC_DATA_ROOTS": str(data), "BATCHSVC_SCHEDULER_LEASE_MS": "1500"}


@pytest.fixture(scope="module")
def ha(ha_env, tmp_path_factory):
    """The API, two worker processes and a scheduler on the Sentinel URL; yields an HTTP client of the API."""
    logs = tmp_path_factory.mktemp("ha-logs")
    workers = start_workers(ha_env, logs / "workers.log", processes=2)
    scheduler = Process(["scheduler"], ha_env, logs / "scheduler.log")
    api, url = start_api(ha_env, logs / "api.log")
    svc = services(ha_env)
    wait_for(lambda: svc.redis.zcard(svc.keys.worker_heartbeats()) >= 2, 60, 0.1, "two live worker processes")
    with httpx.Client(base_url=url, timeout=JOB_WAIT_S + 10) as client:
        yield client
    for proc in (api, scheduler, workers):
        proc.stop()


@pytest.fixture(autouse=True)
def replicated(ha, cluster):
    """Each test starts with a primary that has its replica (the one an earlier test killed, turned round)."""
    primary, _ = cluster.roles()
    wait_for(lambda: cluster.replicas_of(primary) >= 1, FAILOVER_S, 0.1, "the primary to have a replica")
    wait_for(lambda: ha.get("/readyz").status_code == 200, FAILOVER_S, 0.1, "the API to reach the primary")


def services(env: dict) -> Services:
    return Services(Settings(redis_url=env["BATCHSVC_REDIS_URL"], data_dir=env["BATCHSVC_DATA_DIR"]))


def fail_over(cluster: SentinelCluster) -> float:
    """SIGKILL the primary, wait for the replica to be promoted, then start the old
    primary again on its own files, as its supervisor would (the Sentinels make it a replica of the new one);
    returns when the kill happened (monotonic)."""
    victim, heir = cluster.roles()
    victim.kill()
    killed_at = time.monotonic()
    wait_for(lambda: cluster.primary_port() == heir.port, FAILOVER_S, 0.05, "the replica to be promoted")
    print(f"\nreplica promoted {time.monotonic() - killed_at:.1f} s after the kill")
    victim.start()
    return killed_at


def test_a_primary_killed_during_a_burst_of_jobs_loses_none_that_were_answered_202(ha, cluster):
    # Given a model and a client submitting one-row jobs as fast as it can
    model = register_slow(ha, "burst", 0.0)
    answers: list[tuple[float, int | str, str | None]] = []
    stop = threading.Event()

    def burst():
        with httpx.Client(base_url=str(ha.base_url), timeout=10) as c:
            while not stop.is_set():
                try:
                    r = c.post("/v1/jobs", json={"model": model, "input": {"values": [[1.0, 2.0]]}})
                    answers.append((time.monotonic(), r.status_code, r.json().get("id")))
                    if r.status_code == 503:
                        assert r.headers["retry-after"]
                        time.sleep(0.05)
                except httpx.HTTPError as exc:  # a dropped connection: must never happen
                    answers.append((time.monotonic(), type(exc).__name__, None))
    thread = threading.Thread(target=burst)
    thread.start()
    try:
        wait_for(lambda: sum(a[1] == 202 for a in answers) >= 20, 30, 0.02, "20 jobs accepted")
        # When the primary is SIGKILLed in the middle of it
        killed_at = fail_over(cluster)
        wait_for(lambda: sum(a[1] == 202 and a[0] > killed_at for a in answers) >= BURST_AFTER_KILL, FAILOVER_S,
                 0.05, "jobs accepted again after the failover")
    finally:
        stop.set()
        thread.join(30)
    # Then every answer was a 202 or a 503 with Retry-After (no 500, no dropped connection) ...
    assert {a[1] for a in answers} <= {202, 503}, sorted({str(a[1]) for a in answers})
    accepted = [a[2] for a in answers if a[1] == 202]
    back = min(a[0] for a in answers if a[1] == 202 and a[0] > killed_at) - killed_at
    print(f"\nfailover during a burst: {len(accepted)} accepted, {sum(a[1] == 503 for a in answers)} answered 503, "
          f"accepting again {back:.1f} s after the kill")
    # ... and every job answered 202 completes with its prediction
    for job_id in accepted:
        job = wait_job(ha, job_id)
        assert job["status"] == "completed", job
        assert job["result"]["predictions"]["values"] == [[3.0]]


def test_a_primary_killed_during_a_file_job_of_many_chunks_gives_the_clean_output(ha, cluster, ha_env):
    # Given a 20-chunk file job and its output from a clean run
    from pathlib import Path
    path = Path(ha_env["BATCHSVC_DATA_DIR"]) / f"ha-{uuid.uuid4().hex[:6]}.parquet"
    pd.DataFrame({"a": np.arange(2000.0), "b": np.arange(2000.0) % 7}).to_parquet(path, row_group_size=100)
    model = register_slow(ha, "ha-file", 0.15)
    body = {"model": model, "input": {"path": str(path)}, "chunk_size": 100, "output": {"passthrough": ["a"]}}
    clean = result_frame(ha, run_job(ha, body)["id"])
    job = submit(ha, body)
    wait_for(lambda: ha.get(f"/v1/jobs/{job['id']}").json()["progress"]["chunks_done"] >= 3, 30, 0.02,
             "three chunks done")
    # When the primary is SIGKILLed while the job runs
    fail_over(cluster)
    # Then the job completes and its output equals the clean run's, row for row
    done = wait_job(ha, job["id"], timeout_s=120)
    assert done["status"] == "completed", done["error"]
    pd.testing.assert_frame_equal(result_frame(ha, job["id"]), clean)


def test_a_schedule_survives_a_failover_and_fires_each_time_once(ha, cluster):
    # Given a schedule firing every second, that has fired
    model = register_slow(ha, "ha-sched", 0.0)
    response = ha.post("/v1/schedules", json={"name": "ha", "interval_s": 1, "start_at": at(whole_second(1)),
                                              "job": {"model": model, "input": {"values": [[1.0, 1.0]]}}})
    assert response.status_code == 201, response.text
    schedule_id = response.json()["id"]
    wait_for(lambda: len(fired_times(ha, schedule_id)) >= 2, 30, 0.1, "two fires")
    # When the primary is SIGKILLed
    fail_over(cluster)
    wait_for(lambda: ha.get("/readyz").status_code == 200, FAILOVER_S, 0.1, "the API to reach the new primary")
    before = len(fired_times(ha, schedule_id))
    # Then the schedule is still there and goes on firing, no fire time twice
    wait_for(lambda: len(fired_times(ha, schedule_id)) >= before + 3, 30, 0.1, "three fires after the failover")
    ha.patch(f"/v1/schedules/{schedule_id}", json={"enabled": False})
    fired = fired_times(ha, schedule_id)
    assert len(fired) == len(set(fired))


def test_readyz_names_the_primary_and_metrics_count_the_failovers_seen(ha, cluster):
    ready = wait_for(lambda: (r := ha.get("/readyz")).status_code == 200 and r.json(), FAILOVER_S, 0.1, "ready")
    assert ready["primary"] == f"127.0.0.1:{cluster.primary_port()}"
    metrics = ha.get("/metrics").text
    seen = next(line for line in metrics.splitlines() if line.startswith("batchsvc_redis_failovers_seen_total"))
    assert float(seen.split()[-1]) >= 3  # one per earlier test


def test_with_the_replica_stopped_a_submit_is_refused_503_never_promised_202(ha, cluster):
    # Given a model, and the replica stopped
    model = register_slow(ha, "no-replica", 0.0)
    primary, replica = cluster.roles()
    wait_for(lambda: cluster.replicas_of(primary) >= 1, 30, 0.05, "the replica in sync after earlier failovers")
    replica.stop()
    try:
        wait_for(lambda: cluster.replicas_of(primary) == 0, 10, 0.05, "the primary to see no replica")
        # When a job is submitted
        response = ha.post("/v1/jobs", json={"model": model, "input": {"values": [[1.0, 2.0]]}})
        # Then it is answered 503 with Retry-After, naming the missing replica, and not 202
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] and response.json()["error"]["type"] == "ReplicaUnavailable"
    finally:
        replica.start(as_replica_of=primary.port)
    wait_for(lambda: cluster.replicas_of(primary) >= 1, 30, 0.05, "the replica back")
    assert submit(ha, {"model": model, "input": {"values": [[1.0, 2.0]]}})["status"] == "queued"
