"""Chunk tasks: many workers score one job; a SIGKILLed worker loses only its chunk; one finalizer."""

import os
import signal
import threading
import uuid

import numpy as np
import pandas as pd
import pytest
from harness import register_slow, result_frame, run_job, submit, wait_for, wait_job

from batchsvc.status import JobStatus
from batchsvc.storage.services import get_services

ROWS, CHUNK = 1_000, 100


@pytest.fixture(scope="module")
def slow_model(client) -> str:
    return register_slow(client, "slow", 0.4)


@pytest.fixture(scope="module")
def numbers(inputs_dir):
    frame = pd.DataFrame({"id": np.arange(ROWS), "a": np.arange(ROWS) * 1.0, "b": np.ones(ROWS)})
    path = inputs_dir / "numbers.parquet"
    frame.to_parquet(path, row_group_size=CHUNK)
    return path, frame


def events(client, job_id: str) -> list[dict]:
    return client.get(f"/v1/jobs/{job_id}/events").json()["events"]


def of(kind: str, log: list[dict]) -> list[dict]:
    return [e for e in log if e["event"] == kind]


def assert_exact(frame: pd.DataFrame, out: pd.DataFrame) -> None:
    assert out["id"].tolist() == frame["id"].tolist()
    assert np.allclose(out["prediction"], frame["a"] + frame["b"])


def test_two_workers_score_one_job_and_match_a_one_chunk_run(client, slow_model, numbers):
    path, frame = numbers
    # Given a 10-chunk job and two worker processes
    job = run_job(client, {"model": slow_model, "input": {"path": str(path)}, "chunk_size": CHUNK,
                           "output": {"passthrough": ["id"]}})
    # Then chunks ran on both workers, and the result equals the input's own sums row for row
    assert job["status"] == "completed", job["error"]
    log = events(client, job["id"])
    assert len({e["worker"] for e in of("chunk", log)}) == 2
    assert sorted(e["index"] for e in of("chunk", log)) == list(range(10))
    assert_exact(frame, result_frame(client, job["id"]))
    single = run_job(client, {"model": slow_model, "input": {"path": str(path)}, "chunk_size": ROWS,
                              "output": {"passthrough": ["id"]}})
    pd.testing.assert_frame_equal(result_frame(client, single["id"]), result_frame(client, job["id"]))


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_killed_worker_loses_only_the_chunk_in_flight(client, slow_model, numbers, fmt):
    path, frame = numbers
    # Given a multi-chunk job being scored into Parquet parts, or CSV parts for a CSV result
    job = submit(client, {"model": slow_model, "input": {"path": str(path)}, "chunk_size": CHUNK,
                          "output": {"passthrough": ["id"], "format": fmt}})
    started = wait_for(lambda: of("chunk_started", events(client, job["id"]))[2:3], 30, 0.01, "a chunk in flight")[0]
    # When the worker process scoring it is SIGKILLed mid-chunk
    os.kill(int(started["worker"].rsplit(":", 1)[1]), signal.SIGKILL)
    # Then the job completes with the same output as a clean run
    done = wait_job(client, job["id"], timeout_s=90)
    assert done["status"] == "completed", done["error"]
    assert_exact(frame, result_frame(client, job["id"]))
    # And only the killed chunk was scored twice
    starts = [e["index"] for e in of("chunk_started", events(client, job["id"]))]
    assert starts.count(started["index"]) == 2
    assert sorted(set(starts)) == list(range(10)) and len(starts) == 11
    assert len(of("finalize_started", events(client, job["id"]))) == 1


def test_two_chunks_finishing_together_finalize_once(client, slow_model, numbers):
    path, _ = numbers
    job = run_job(client, {"model": slow_model, "input": {"path": str(path)}, "chunk_size": ROWS // 2})
    log = events(client, job["id"])
    assert job["status"] == "completed" and len(of("chunk", log)) == 2
    assert len(of("finalize_started", log)) == 1
    completed = of("completed", log)
    assert len(completed) == 1 and completed[0]["finalize_seconds"] >= 0 and completed[0]["worker"]


def test_ledger_commit_reports_the_last_chunk_to_exactly_one_racer(redis_server, env):
    # Given a job of 8 chunks whose commits race from 8 threads, each commit sent twice
    store, ledger, job_id = get_services().store, get_services().ledger, uuid.uuid4().hex
    store.create({"id": job_id, "model": {"name": "race", "version": 1}, "spec": {}, "chunks_total": 8})
    assert store.transition(job_id, JobStatus.RUNNING, {JobStatus.QUEUED})
    lasts, barrier = [], threading.Barrier(16)

    def commit(index: int) -> None:
        barrier.wait()
        newly, done, total = ledger.commit(job_id, index, {"rows": 1, "bad_rows": 0})
        if newly and done == total:
            lasts.append(index)

    threads = [threading.Thread(target=commit, args=(i % 8,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then exactly one commit saw itself finish the job, and each chunk counted once
    assert len(lasts) == 1
    assert store.get(job_id)["chunks_done"] == 8 and store.get(job_id)["rows_done"] == 8
    # And once the job is no longer running, a late commit writes nothing
    assert store.transition(job_id, JobStatus.CANCELED, {JobStatus.RUNNING})
    store.delete(job_id)
    assert ledger.commit(job_id, 3, {"rows": 1, "bad_rows": 0})[0] is False
    assert not store.r.exists(store.keys.job(job_id))


def test_cancel_running_multi_chunk_job_leaves_no_parts(client, slow_model, numbers):
    path, _ = numbers
    job = submit(client, {"model": slow_model, "input": {"path": str(path)}, "chunk_size": CHUNK})
    wait_for(lambda: of("chunk", events(client, job["id"])), 30, 0.01, "a first finished chunk")
    response = client.post(f"/v1/jobs/{job['id']}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "canceled"
    job_dir = get_services().data.job_dir(job["id"])

    def settled():
        log = events(client, job["id"])
        ended = len(of("chunk", log)) + len(of("chunk_discarded", log))
        return ended == len(of("chunk_started", log))
    wait_for(settled, 10, 0.05, f"in-flight chunks to end: {events(client, job['id'])}")
    assert not job_dir.exists()
    log = events(client, job["id"])
    assert len(of("chunk_started", log)) < 10 and client.get(f"/v1/jobs/{job['id']}").json()["status"] == "canceled"


def test_cancel_queued_job_never_starts(client, slow_model, numbers, credit_model):
    path, _ = numbers
    # Given both workers busy with a long job
    busy = submit(client, {"model": slow_model, "input": {"path": str(path)}, "chunk_size": CHUNK * 5})
    wait_for(lambda: len(of("chunk_started", events(client, busy["id"]))) == 2, 30, 0.01, "both workers busy")
    # When a queued job is canceled
    queued = submit(client, {"model": slow_model, "input": {"values": [[1.0, 2.0]]}})
    assert client.post(f"/v1/jobs/{queued['id']}/cancel").json()["status"] == "canceled"
    # Then it never runs, and stays canceled after the workers are free again
    assert wait_job(client, busy["id"])["status"] == "completed"
    run_job(client, {"model": slow_model, "input": {"values": [[1.0, 2.0]]}})
    final = client.get(f"/v1/jobs/{queued['id']}").json()
    assert final["status"] == "canceled" and final["attempts"] == 0 and final["started_at"] is None
    assert [e["event"] for e in events(client, queued["id"])] == ["queued", "canceled"]
    assert client.post(f"/v1/jobs/{queued['id']}/cancel").status_code == 409


def test_data_error_in_one_chunk_stops_the_others(client, slow_model, inputs_dir):
    # Given a 10-chunk CSV whose second chunk holds a value that is not a number
    frame = pd.DataFrame({"a": np.arange(ROWS, dtype=float).astype(object), "b": np.ones(ROWS)})
    frame.loc[150, "a"] = "oops"
    path = inputs_dir / "one-bad-chunk.csv"
    frame.to_csv(path, index=False)
    # When it runs on two workers
    job = run_job(client, {"model": slow_model, "input": {"path": str(path)}, "chunk_size": CHUNK})
    # Then it fails naming the line, the remaining chunks never start, and no output is left
    assert job["status"] == "failed"
    assert job["error"]["message"] == "column a, line 152: 'oops' is not a number"

    def settled():
        log = events(client, job["id"])
        return len(of("chunk_started", log)) == len(of("chunk", log)) + len(of("chunk_discarded", log)) + 1
    wait_for(settled, 30, 0.05, "in-flight chunks to end")
    assert len(of("chunk_started", events(client, job["id"]))) < 10
    assert not get_services().data.job_dir(job["id"]).exists()


def test_a_tiny_chunk_size_is_raised_to_keep_the_chunk_count_bounded(numbers):
    # Given a job asking for one row per chunk over 1,000 rows, with the chunk count capped at 10
    from batchsvc.jobs.plan import _plan
    from batchsvc.jobs.spec import JobSpec
    svc = get_services()
    job = JobSpec.model_validate({"input": {"kind": "file", "path": str(numbers[0]), "format": "parquet"},
                                  "output": {"format": "parquet"}, "chunk_size": 1})
    svc.settings.max_chunks, saved = 10, svc.settings.max_chunks
    try:
        plan = _plan(svc, job)
    finally:
        svc.settings.max_chunks = saved
    # Then the chunks are at most 10, and still cover every row once, in order
    assert len(plan.chunks) <= 10
    ranges = [c["rows"] for c in plan.chunks]
    assert ranges[0][0] == 0 and ranges[-1][1] == ROWS and all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))


def test_a_small_job_canceled_while_scoring_adds_nothing_and_deletes_cleanly(client, slow_model):
    # Given a one-row inline job on the slow model, caught while it scores
    job = submit(client, {"model": slow_model, "input": {"values": [[1.0, 2.0]]}})
    wait_for(lambda: client.get(f"/v1/jobs/{job['id']}").json()["status"] == "running", 30, 0.005, "running")
    # When it is canceled, then deleted, before the worker finishes
    assert client.post(f"/v1/jobs/{job['id']}/cancel").json()["status"] == "canceled"
    assert client.delete(f"/v1/jobs/{job['id']}").status_code == 204
    # Then the worker's late finish brings nothing back: no record, no files
    svc = get_services()
    later = [submit(client, {"model": slow_model, "input": {"values": [[1.0, 2.0]]}}) for _ in range(2)]
    for other in later:  # one per worker (each takes one message at a time): both are past the canceled job
        assert wait_job(client, other["id"])["status"] == "completed"
    assert client.get(f"/v1/jobs/{job['id']}").status_code == 404
    assert not svc.redis.exists(svc.keys.job(job["id"])) and not svc.data.job_dir(job["id"]).exists()
