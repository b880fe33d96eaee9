"""Restarts: Redis going away and coming back, worker processes dying, model files changed on disk."""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import dramatiq
import numpy as np
import pandas as pd
import pytest
import redis
from harness import ROOT, register, run_job, submit, wait_for, wait_job
from slowmodel import SlowSum

from batchsvc.scoring.sample import FIELDS, WATSON_ROW
from batchsvc.storage.services import get_services

JOIN_S = 30  # how long MONITOR's reader may take to reach the end marker on a loaded machine


def test_api_answers_503_while_redis_is_down_and_keeps_every_job(client, redis_server):
    # Given a finished job
    name = f"rs-{uuid.uuid4().hex[:6]}"
    register(client, name, SlowSum(delay_s=0.05).fit(pd.DataFrame({"a": [0.0]})))
    done = run_job(client, {"model": name, "input": {"values": [[1.0]]}})
    # When Redis stops
    redis_server.stop()
    try:
        ready = client.get("/readyz")
        assert ready.status_code == 503 and "redis" in ready.json()
        for response in (client.get(f"/v1/jobs/{done['id']}"), client.post("/v1/jobs", json={
                "model": name, "input": {"values": [[1.0]]}})):
            assert response.status_code == 503, response.text
            assert response.json()["error"]["type"] == "Unavailable"
    finally:
        redis_server.start()
    # Then after it returns (AOF on) the job is still there and new jobs run
    wait_for(lambda: client.get("/readyz").status_code == 200, 30, 0.1, "the API to see Redis again")
    assert client.get(f"/v1/jobs/{done['id']}").json()["status"] == "completed"
    assert run_job(client, {"model": name, "input": {"values": [[2.0]]}})["status"] == "completed"


def test_job_submitted_before_a_redis_restart_completes(client, redis_server, inputs_dir):
    name = f"rs2-{uuid.uuid4().hex[:6]}"
    register(client, name, SlowSum(delay_s=0.3).fit(pd.DataFrame({"a": [0.0]})))
    pd.DataFrame({"a": np.arange(400.0)}).to_parquet(inputs_dir / "restart.parquet")
    job = submit(client, {"model": name, "input": {"path": str(inputs_dir / "restart.parquet")}, "chunk_size": 50})
    wait_for(lambda: client.get(f"/v1/jobs/{job['id']}").json()["progress"]["chunks_done"] >= 1, 30, 0.02,
             "a first chunk")
    redis_server.stop()
    redis_server.start()
    done = wait_job(client, job["id"], timeout_s=90)
    assert done["status"] == "completed", done["error"]
    assert done["result"]["rows"] == 400


def test_worker_supervisor_restarts_a_killed_process(client, credit_model):
    svc = get_services()

    def alive():
        return svc.redis.zrangebyscore(svc.keys.worker_heartbeats(), time.time() - 3, "+inf")
    before = set(wait_for(lambda: len(alive()) >= 2 and alive(), 30, 0.1, "two live workers"))
    victim = sorted(before)[0]
    os.kill(int(victim.rsplit(":", 1)[1]), signal.SIGKILL)
    wait_for(lambda: len(set(alive()) - before) >= 1, 30, 0.1, "a new worker process")
    assert run_job(client, {"model": credit_model, "input": {"fields": FIELDS, "values": [WATSON_ROW]}})[
        "status"] == "completed"


def test_model_file_changed_on_disk_is_refused_by_the_worker(client):
    # Given a registered model whose file is then replaced on disk
    name = f"swap-{uuid.uuid4().hex[:6]}"
    meta = register(client, name, SlowSum(delay_s=0).fit(pd.DataFrame({"a": [0.0]})))
    path = Path(get_services().data.model_file(name, meta["version"]).path)
    path.write_bytes(path.read_bytes() + b"tampered")
    # When a job uses it
    job = run_job(client, {"model": name, "input": {"values": [[1.0]]}})
    # Then it fails with a checksum error
    assert job["status"] == "failed" and job["error"]["type"] == "ChecksumMismatch"
    assert "changed after registration" in job["error"]["message"]


def test_bad_setting_stops_the_process_naming_the_variable(env):
    result = subprocess.run([sys.executable, "-m", "batchsvc.cli", "worker"], cwd=ROOT, capture_output=True,
                            text=True, env={**env, "BATCHSVC_CHUNK_ROWS": "many"}, timeout=60)
    assert result.returncode != 0
    assert "BATCHSVC_CHUNK_ROWS" in result.stderr and "Traceback" not in result.stderr


def test_deleting_a_finished_job_removes_record_and_files(client, credit_model):
    job = run_job(client, {"model": credit_model, "input": {"fields": FIELDS, "values": [WATSON_ROW]}})
    job_dir = get_services().data.job_dir(job["id"])
    assert job_dir.exists()
    assert client.delete(f"/v1/jobs/{job['id']}").status_code == 204
    assert client.get(f"/v1/jobs/{job['id']}").status_code == 404 and not job_dir.exists()


def test_a_job_whose_message_cannot_be_sent_leaves_no_orphan(redis_server, env, credit_model, client):
    # Given a valid request whose enqueue fails (as when Redis drops between the two writes)
    from batchsvc.jobs.accept import submit_job
    from batchsvc.schemas import JobRequest
    svc = get_services()
    request = JobRequest.model_validate({"model": credit_model, "input": {"fields": FIELDS, "values": [WATSON_ROW]},
                                         "idempotency_key": f"orphan-{uuid.uuid4().hex}"})
    before = svc.redis.zcard(svc.keys.jobs_index())

    def broken_enqueue(job_id: str) -> None:
        raise ConnectionError("broker went away")
    # When it is submitted
    try:
        submit_job(svc, request, broken_enqueue)
    except ConnectionError:
        pass
    # Then neither the job nor its idempotency key stays behind, so a retry makes a real job
    assert svc.redis.zcard(svc.keys.jobs_index()) == before
    job, created = submit_job(svc, request, lambda job_id: None)
    assert created and svc.store.get(job["id"])["status"] == "queued"
    svc.store.delete(job["id"])


def test_a_job_is_stored_with_its_message_in_one_transaction_and_never_on_the_unsent_list(client, credit_model,
                                                                                         redis_server):
    # Given a Redis that forgot every script (as after a restart)
    svc = get_services()
    svc.redis.script_flush()
    body = {"model": credit_model, "input": {"fields": FIELDS, "values": [WATSON_ROW]}}
    # When a job is submitted, with every command Redis runs meanwhile watched (MONITOR)
    job, seen = commands_during(redis_server.url, lambda: submit(client, body))
    # Then its record and its message (Dramatiq's script, sent whole) went in one MULTI/EXEC, it never touched the
    # unsent list, and it completes
    sent = next(c for c in seen if c["command"].startswith("EVAL ") and job["id"] in c["command"])
    api = [c for c in seen if c["client_port"] == sent["client_port"]]  # the connection that sent it
    at = api.index(sent)
    multi = max(i for i in range(at) if api[i]["command"] == "MULTI")
    exec_ = min(i for i in range(at, len(api)) if api[i]["command"] == "EXEC")
    assert f"HSET {svc.keys.job(job['id'])} " in " ".join(c["command"] for c in api[multi:exec_])
    assert all(multi < i < exec_ for i, c in enumerate(api) if job["id"] in c["command"])
    assert not any(svc.keys.jobs_unsent() in c["command"] for c in seen)
    assert wait_job(client, job["id"])["status"] == "completed"


def test_a_job_whose_transaction_fails_inside_redis_is_withdrawn(credit_model, redis_server):
    # Given a broker whose Dramatiq heartbeats key holds a string, so its enqueue script fails inside the
    # transaction that stores the job (Redis applies the transaction's other commands all the same)
    from batchsvc.jobs.accept import submit_job
    from batchsvc.schemas import JobRequest
    from batchsvc.storage.redis_keys import Keys
    from batchsvc.worker.send_plan import PlanSender
    from batchsvc.worker.wakeup import WakingRedisBroker
    svc, keys = get_services(), Keys(f"broken-{uuid.uuid4().hex[:8]}")
    broker = WakingRedisBroker(keys=keys, url=redis_server.url, namespace=keys.dramatiq_namespace)
    broker.client.set(f"{keys.dramatiq_namespace}:__heartbeats__", "not a sorted set")
    actor = dramatiq.Actor(lambda job_id: None, broker=broker, actor_name="plan_job", queue_name="default",
                           priority=0, options={})
    request = JobRequest.model_validate({"model": credit_model, "input": {"fields": FIELDS, "values": [WATSON_ROW]}})
    before = svc.redis.zcard(svc.keys.jobs_index())
    # When a job is submitted through it
    with pytest.raises(redis.ResponseError):
        submit_job(svc, request, PlanSender(actor))
    # Then no job stays behind (none indexed, none unsent) and no message was queued
    assert svc.redis.zcard(svc.keys.jobs_index()) == before
    assert broker.client.llen(f"{keys.dramatiq_namespace}:default") == 0
    broker.client.delete(f"{keys.dramatiq_namespace}:__heartbeats__")
    broker.close()


def commands_during(redis_url: str, action) -> tuple[object, list[dict]]:
    """action()'s result, and every command Redis ran meanwhile (MONITOR's dicts, in order), up to an ECHO of
    an end marker sent after it."""
    commands: list[dict] = []
    marker = f"end-{uuid.uuid4().hex}"
    with redis.Redis.from_url(redis_url, decode_responses=True).monitor() as monitor:
        def listen() -> None:
            for command in monitor.listen():
                if marker in command["command"]:
                    return
                commands.append(command)

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        result = action()
        redis.Redis.from_url(redis_url).echo(marker)
        listener.join(JOIN_S)
    assert not listener.is_alive(), "MONITOR never saw the end marker"
    return result, commands


def test_a_job_stored_but_never_sent_is_swept_and_completes(client, credit_model):
    # Given a job whose record was stored but whose message never left (the API died in between)
    from batchsvc.jobs import sweeper
    from batchsvc.worker.broker import install_broker
    svc = get_services()
    install_broker(svc.settings)
    from batchsvc.worker import actors
    job_id = uuid.uuid4().hex
    svc.store.create({"id": job_id, "model": {"name": credit_model, "version": 1}, "spec": {
                          "input": {"kind": "table", "fields": FIELDS, "values": [WATSON_ROW]},
                          "output": {"format": "jsonl", "passthrough": []}, "chunk_size": None, "max_bad_rows": 0}})
    # When the scheduler leader sweeps (here called directly, with no age threshold)
    resent = sweeper.resend_unsent(svc, actors.plan_job.send, older_than_s=0)
    # Then it is sent once, completes, and a second sweep leaves it alone
    assert job_id in resent
    assert wait_job(client, job_id)["status"] == "completed"
    assert job_id not in sweeper.resend_unsent(svc, actors.plan_job.send, older_than_s=0)
