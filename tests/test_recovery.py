"""Nothing lost: Redis killed under running jobs, lost messages re-sent, orphans swept, workers stopped by SIGTERM."""

import time
import uuid

import numpy as np
import pandas as pd
import pytest
from harness import Process, register_slow, result_frame, submit, wait_for, wait_job

from batchsvc.jobs.reconcile import Senders, reconcile
from batchsvc.status import JobStatus
from batchsvc.storage.services import get_services

ROWS, CHUNK = 600, 60  # 10 chunks


@pytest.fixture(scope="module")
def slow_model(client) -> str:
    return register_slow(client, "recover", 0.3)


@pytest.fixture(scope="module")
def numbers(inputs_dir):
    frame = pd.DataFrame({"id": np.arange(ROWS), "a": np.arange(ROWS) * 1.0, "b": np.full(ROWS, 2.0)})
    path = inputs_dir / "recovery.parquet"
    frame.to_parquet(path, row_group_size=CHUNK)
    return path, frame


def body(model: str, path) -> dict:
    return {"model": model, "input": {"path": str(path)}, "chunk_size": CHUNK, "output": {"passthrough": ["id"]}}


def events(client, job_id: str, kind: str) -> list[dict]:
    return [e for e in client.get(f"/v1/jobs/{job_id}/events").json()["events"] if e["event"] == kind]


def assert_row_for_row(client, job_id: str, frame: pd.DataFrame) -> None:
    out = result_frame(client, job_id)
    assert out["id"].tolist() == frame["id"].tolist()
    assert np.allclose(out["prediction"], frame["a"] + frame["b"])


def test_redis_killed_and_restarted_under_running_jobs_loses_no_job_and_no_row(client, redis_server, slow_model,
                                                                                  numbers):
    # Given four 10-chunk jobs running
    path, frame = numbers
    jobs = [submit(client, body(slow_model, path)) for _ in range(4)]
    wait_for(lambda: sum(client.get(f"/v1/jobs/{j['id']}").json()["progress"]["chunks_done"] for j in jobs) >= 3,
             60, 0.02, "the jobs to be under way")
    # When Redis is killed with kill -9 and started again on its AOF
    redis_server.kill()
    redis_server.start()
    # Then every job completes, and each output equals a clean run's, row for row
    for job in jobs:
        done = wait_job(client, job["id"], timeout_s=120)
        assert done["status"] == "completed", done["error"]
        assert_row_for_row(client, job["id"], frame)


def stalled_running_job(svc, model: str, path, indexes_done: int = 0) -> str:
    """A running, dispatched job whose chunk messages were all lost (as when a retry could not be enqueued)."""
    job_id = uuid.uuid4().hex
    spec = {"input": {"kind": "file", "path": str(path), "format": "parquet"},
            "output": {"format": "parquet", "passthrough": ["id"]}, "chunk_size": CHUNK, "max_bad_rows": 0}
    svc.store.create({"id": job_id, "model": {"name": model, "version": 1}, "spec": spec})
    svc.store.mark_sent(job_id)
    chunks = [{"index": i, "rows": [i * CHUNK, (i + 1) * CHUNK]} for i in range(ROWS // CHUNK)]
    svc.store.update(job_id, chunks=chunks, chunks_total=len(chunks), rows_total=ROWS, dispatched=1)
    assert svc.store.transition(job_id, JobStatus.RUNNING, {JobStatus.QUEUED})
    return job_id


def test_a_running_job_whose_chunk_messages_were_lost_is_resent_and_completes(client, slow_model, numbers):
    # Given a running job none of whose chunk messages exists any more, and no worker holding any chunk
    path, frame = numbers
    svc = get_services()
    job_id = stalled_running_job(svc, slow_model, path)
    # When it has made no progress for BATCHSVC_STALL_AFTER_S (6 s in the tests)
    done = wait_job(client, job_id, timeout_s=90)
    # Then the reconciler re-sent its chunks, recorded it, and the job completed with every row
    assert done["status"] == "completed", done["error"]
    resent = events(client, job_id, "resent")
    assert resent and resent[0]["what"].startswith("chunks 0, 1, 2")
    assert_row_for_row(client, job_id, frame)


def test_an_orphan_of_an_api_killed_mid_submit_is_resent_within_seconds_of_the_setting(client, credit_model):
    # Given a job stored as the API stores it, whose message never left (the API died between the two writes)
    svc = get_services()
    job_id = uuid.uuid4().hex
    spec = {"input": {"kind": "records", "records": [{"a": 1}]}, "output": {"format": "jsonl", "passthrough": []}}
    svc.store.create({"id": job_id, "model": {"name": credit_model, "version": 1}, "spec": spec})
    # When BATCHSVC_SWEEP_AFTER_S (2 s in the tests) passes
    wait_for(lambda: events(client, job_id, "resent"), 30, 0.1, "the orphan to be resent")
    # Then it was resent within a few seconds of the setting (the sweep runs every quarter of it)
    queued, resent = events(client, job_id, "queued")[0], events(client, job_id, "resent")[0]
    waited_s = pd.Timestamp(resent["at"]).timestamp() - pd.Timestamp(queued["at"]).timestamp()
    assert 2 <= waited_s <= 2 + 5, waited_s
    assert wait_job(client, job_id)["status"] in ("completed", "failed")


class Recorder:
    """Senders that record what the reconciler sends, for in-process checks."""

    def __init__(self):
        self.sent: list[tuple] = []
        self.senders = Senders(plan=lambda j: self.sent.append(("plan", j)),
                               chunk=lambda j, i: self.sent.append(("chunk", j, i)),
                               finalize=lambda j: self.sent.append(("finalize", j)))

    def of(self, job_id: str) -> list[tuple]:
        return [s for s in self.sent if s[1] == job_id]


def test_the_reconciler_sends_each_stalled_job_what_it_lacks_and_nothing_to_a_live_one(env, numbers):
    # Given a stalled queued job, a stalled running job with one chunk held by a live worker and one by a dead
    # one, a running job whose every chunk is done, and a fresh job
    path, _ = numbers
    svc, rec = get_services(), Recorder()
    queued = uuid.uuid4().hex
    svc.store.create({"id": queued, "model": {"name": "m", "version": 1}, "spec": {}})
    running = stalled_running_job(svc, "m", path)
    svc.workers.beat("alive:1")
    svc.ledger.hold(running, 0, "alive:1")
    svc.ledger.hold(running, 1, "dead:2")
    finishing = stalled_running_job(svc, "m", path)
    for i in range(ROWS // CHUNK):
        svc.ledger.commit(finishing, i, {"rows": CHUNK, "bad_rows": 0})
    # When the reconciler looks 60 s later
    later = time.time() + 60
    reconcile(svc, rec.senders, stall_after_s=30, now_s=later)
    # Then each gets what it lacks: a plan, the chunks no live worker holds, a finalize
    assert rec.of(queued) == [("plan", queued)]
    assert rec.of(running) == [("chunk", running, i) for i in range(1, ROWS // CHUNK)]
    assert rec.of(finishing) == [("finalize", finishing)]
    # And a job re-sent just now is not re-sent again within the stall period
    rec.sent.clear()
    reconcile(svc, rec.senders, stall_after_s=30, now_s=time.time())
    assert rec.of(queued) == [] and rec.of(running) == []
    for job_id in (queued, running, finishing):
        svc.store.transition(job_id, JobStatus.CANCELED, {JobStatus.QUEUED, JobStatus.RUNNING})


def test_sigterm_lets_a_worker_finish_its_chunk_and_the_job_completes_row_for_row(env, client, slow_model, numbers,
                                                                                  tmp_path):
    # Given a third worker process with a 5 s shutdown budget, scoring chunks of a running job
    path, frame = numbers
    extra = Process(["worker", "--processes", "1"], {**env, "BATCHSVC_SHUTDOWN_S": "5"}, tmp_path / "w.log")
    svc = get_services()
    before = set(svc.workers.live())
    name = wait_for(lambda: (set(svc.workers.live()) - before) and (set(svc.workers.live()) - before).pop(),
                    60, 0.1, "the third worker")
    job = submit(client, body(slow_model, path))
    wait_for(lambda: [e for e in events(client, job["id"], "chunk_started") if e["worker"] == name], 60, 0.01,
             "the third worker to take a chunk")
    # When it gets SIGTERM
    stopped_at = time.monotonic()
    extra.stop(timeout_s=30)
    # Then it stopped by itself within its budget (not killed), its chunk committed or handed back
    assert time.monotonic() - stopped_at < 5 + 5 and extra.proc.returncode == 0, extra.proc.returncode
    log = (tmp_path / "w.log").read_text()
    assert "in-flight tasks get 5 s" in log
    # And the job completes with every row, each chunk once in the ledger
    done = wait_job(client, job["id"], timeout_s=90)
    assert done["status"] == "completed", done["error"]
    assert_row_for_row(client, job["id"], frame)
    assert sorted(e["index"] for e in events(client, job["id"], "chunk")) == list(range(ROWS // CHUNK))
