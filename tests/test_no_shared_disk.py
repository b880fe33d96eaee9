"""Hosts that share no disk: the API and two workers, each in its own mount namespace with a private tmpfs over
the run's test folders (and as its TMPDIR), sharing only Redis and the S3 endpoint; the data dir is on S3."""

import hashlib
import io
import os
import signal

import httpx
import numpy as np
import pandas as pd
import pytest
from harness import (
    JOB_WAIT_S,
    own_disk,
    register,
    result_frame,
    run_job,
    start_api,
    start_workers,
    submit,
    unique,
    wait_for,
    wait_job,
)
from slowmodel import SlowSum

from batchsvc.scoring.sample import make_credit_risk

ROWS, CHUNK = 1_000, 100  # 10 chunks


@pytest.fixture(scope="module")
def stack(env, s3_server, tmp_path_factory):
    """(client, data dir URL, the two worker supervisors) of a stack on hosts of their own."""
    namespace = unique("nodisk")
    data_dir = f"s3://batchsvc-data/{namespace}"
    own = {**env, "BATCHSVC_NAMESPACE": namespace, "BATCHSVC_DATA_DIR": data_dir,
           "BATCHSVC_DATA_ROOTS": "s3://batchsvc-in/data:s3://batchsvc-out"}
    logs = tmp_path_factory.mktemp("nodisk")
    private = tmp_path_factory.getbasetemp()
    workers = [start_workers(own, logs / f"worker{i}.log", processes=1, wrapper=own_disk(private)) for i in (1, 2)]
    api, url = start_api(own, logs / "api.log", wrapper=own_disk(private))
    try:
        with httpx.Client(base_url=url, timeout=JOB_WAIT_S) as client:
            wait_for(lambda: client.get("/healthz").status_code == 200, 30, 0.1, "the isolated API")
            yield client, data_dir, workers
    finally:
        for process in (*workers, api):
            process.stop()


def mount_namespace(pid: int) -> str:
    return os.readlink(f"/proc/{pid}/ns/mnt")


def test_each_process_of_the_stack_has_a_disk_of_its_own(stack, env):
    _, _, workers = stack
    spaces = {mount_namespace(w.pid) for w in workers}
    assert len(spaces) == 2 and mount_namespace(os.getpid()) not in spaces
    # the session's own data dir, on this host's disk, is not there for them
    assert os.path.isdir(env["BATCHSVC_DATA_DIR"])
    assert not any(os.path.exists(f"/proc/{w.pid}/root{env['BATCHSVC_DATA_DIR']}") for w in workers)


def test_the_data_dir_on_s3_serves_register_upload_score_and_download(stack, s3_server, credit_estimator):
    client, data_dir, _ = stack
    # Given a model registered and a CSV uploaded through the isolated API
    name = unique("credit")
    meta = register(client, name, credit_estimator)
    frame = make_credit_risk(300, seed=21)
    upload = client.post("/v1/uploads", files={"file": ("rows.csv", frame.to_csv(index=False).encode())})
    assert upload.status_code == 201, upload.text
    # When a job scores the upload on the isolated workers
    job = run_job(client, {"model": name, "input": {"upload": upload.json()["upload"]}, "chunk_size": 100,
                           "output": {"passthrough": ["CustomerID"]}})
    # Then it completes, its result downloads, and every file it needed lives under the data dir's prefix
    assert job["status"] == "completed", job["error"]
    got = result_frame(client, job["id"])
    assert got["CustomerID"].tolist() == frame["CustomerID"].tolist()
    stored = s3_server.files(f"{data_dir}/")
    prefix = data_dir.removeprefix("s3://batchsvc-data/")
    assert f"{prefix}/models/{name}/1/model.joblib" in stored
    assert any(k.startswith(f"{prefix}/uploads/") for k in stored)
    assert f"{prefix}/results/{job['id']}/predictions.parquet" in stored
    assert not any(k.endswith(".tmp") or "/parts/" in k for k in stored)  # temporaries and parts are gone
    model_bytes = s3_server.get(f"{data_dir}/models/{name}/1/model.joblib")
    assert hashlib.sha256(model_bytes).hexdigest() == meta["sha256"]


def test_a_job_scored_across_hosts_survives_a_killed_worker(stack, s3_server):
    client, _, _ = stack
    # Given a 10-chunk job over an S3 input, scored slowly by workers on two hosts
    model = unique("slow")
    register(client, model, SlowSum(delay_s=0.3).fit(pd.DataFrame({"a": [0.0], "b": [0.0]})))
    frame = pd.DataFrame({"id": np.arange(ROWS), "a": np.arange(ROWS) * 1.0, "b": np.full(ROWS, 2.0)})
    buffer = io.BytesIO()
    frame.to_parquet(buffer, row_group_size=CHUNK, index=False)
    url = s3_server.put(f"s3://batchsvc-in/data/{unique('across')}.parquet", buffer.getvalue())
    body = {"model": model, "input": {"path": url}, "chunk_size": CHUNK, "output": {"passthrough": ["id"]}}
    job = submit(client, body)
    started = wait_for(lambda: _of("chunk_started", client, job["id"])[2:3], 60, 0.02, "a chunk in flight")[0]
    # When the worker scoring a chunk is SIGKILLed mid-chunk
    os.kill(int(started["worker"].rsplit(":", 1)[1]), signal.SIGKILL)
    # Then the job completes on both hosts' work, and its output equals a clean run's row for row
    done = wait_job(client, job["id"], timeout_s=120)
    assert done["status"] == "completed", done["error"]
    assert len({e["worker"] for e in _of("chunk", client, job["id"])}) >= 2
    clean = run_job(client, {**body, "chunk_size": ROWS})
    pd.testing.assert_frame_equal(result_frame(client, job["id"]), result_frame(client, clean["id"]))
    assert np.allclose(result_frame(client, job["id"])["prediction"], frame["a"] + frame["b"])


def _of(kind: str, client, job_id: str) -> list[dict]:
    return [e for e in client.get(f"/v1/jobs/{job_id}/events").json()["events"] if e["event"] == kind]
