"""Retention: finished jobs and unused uploads expire, everywhere they were kept (Redis, indexes, counts, disk).

The tests run against an API and a worker of their own namespace (collecting "everything older than X" must
not take the session's jobs away from other tests). "Old" comes from passing `now` into collect, or from a
TTL of 1 s and waiting for the condition.
"""

import re
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pandas as pd
import pytest
from harness import JOB_WAIT_S, ROOT, Process, register, run_job, start_api, start_workers, wait_for
from prometheus_client.parser import text_string_to_metric_families
from sklearn.linear_model import LinearRegression

from batchsvc.jobs import retention
from batchsvc.jobs.accept import submit_job
from batchsvc.schemas import JobRequest
from batchsvc.settings import Settings
from batchsvc.status import JobStatus
from batchsvc.storage.services import Services

YEAR_S = 365 * 86_400


@dataclass
class Retained:
    env: dict
    namespace: str
    client: httpx.Client
    model: str  # one feature, "a"

    def services(self, **settings) -> Services:
        """This namespace's stores, with retention settings as given."""
        return Services(Settings(namespace=self.namespace, **settings))

    def job(self) -> dict:
        return run_job(self.client, {"model": self.model, "input": {"fields": ["a"], "values": [[1.0]]}})

    def upload(self) -> str:
        response = self.client.post("/v1/uploads", content=b"a\n1.0\n2.0\n", headers={"Content-Type": "text/csv"})
        assert response.status_code == 201, response.text
        return response.json()["upload"]

    def clear(self) -> None:
        """Collect every finished job and unused upload of the namespace, so that counts start at 0."""
        retention.collect_all(self.services(job_ttl_s=1, upload_ttl_s=1), now=time.time() + YEAR_S)

    def results_dir(self, job_id: str) -> Path:
        return Path(self.env["BATCHSVC_DATA_DIR"]) / "results" / job_id


@pytest.fixture(scope="module")
def kept(env, tmp_path_factory):
    """An API and one worker in a namespace of their own, with a one-feature model."""
    namespace = f"ret-{uuid.uuid4().hex[:8]}"
    renv = {**env, "BATCHSVC_NAMESPACE": namespace}
    logs = tmp_path_factory.mktemp("retention-logs")
    workers = start_workers(renv, logs / "workers.log", processes=1)
    api, url = start_api(renv, logs / "api.log")
    svc = Services(Settings(namespace=namespace))
    wait_for(lambda: svc.redis.zcard(svc.keys.worker_heartbeats()) >= 1, 60, 0.1, "the retention worker")
    with httpx.Client(base_url=url, timeout=JOB_WAIT_S + 10) as client:
        model = register(client, "tiny", LinearRegression().fit(pd.DataFrame({"a": [0.0, 1.0]}), [0.0, 2.0]))
        yield Retained(renv, namespace, client, model["name"])
    workers.stop()
    api.stop()


def jobs_by_state(client: httpx.Client) -> dict[str, float]:
    text = client.get("/metrics").text
    family = next(f for f in text_string_to_metric_families(text) if f.name == "batchsvc_jobs")
    return {s.labels["state"]: s.value for s in family.samples}


def listed(client: httpx.Client, **query) -> set[str]:
    return {j["id"] for j in client.get("/v1/jobs", params={"limit": 500, **query}).json()["jobs"]}


def keys_naming(svc: Services, job_id: str) -> list[str]:
    """Redis keys of the namespace whose name holds the id, or sorted sets that hold it as a member."""
    names = list(svc.redis.scan_iter(f"{svc.keys.prefix}:*"))
    return [k for k in names if job_id in k or (svc.redis.type(k) == "zset" and svc.redis.zscore(k, job_id))]


def test_a_finished_job_past_the_ttl_is_gone_everywhere_and_a_younger_one_stays(kept):
    # Given no finished job yet, then an old job, and a young one finished after `cutoff`
    kept.clear()
    old = kept.job()
    cutoff = time.time()
    young = kept.job()
    assert jobs_by_state(kept.client)["completed"] == 2 and kept.results_dir(old["id"]).is_dir()
    # When retention runs with a TTL that makes only the first one old
    removed = retention.collect(kept.services(job_ttl_s=3600), now=cutoff + 3600)
    # Then the old job is gone from GET, its events, every listing, the counts, Redis and the disk
    assert removed == {"jobs": 1, "uploads": 0, "captures": 0}
    assert kept.client.get(f"/v1/jobs/{old['id']}").status_code == 404
    assert kept.client.get(f"/v1/jobs/{old['id']}/events").status_code == 404
    for query in ({}, {"status": "completed"}, {"model": kept.model}):
        assert old["id"] not in listed(kept.client, **query) and young["id"] in listed(kept.client, **query)
    assert jobs_by_state(kept.client)["completed"] == 1
    assert keys_naming(kept.services(), old["id"]) == []
    assert not kept.results_dir(old["id"]).exists()
    # And the young one stays whole
    assert kept.client.get(f"/v1/jobs/{young['id']}").json()["status"] == "completed"
    assert kept.client.get(f"/v1/jobs/{young['id']}/results").status_code == 200


def test_a_ttl_of_0_keeps_finished_jobs_and_uploads(kept):
    # Given a finished job and an upload
    job, upload = kept.job(), kept.upload()
    # When retention runs a year later with both TTLs 0
    removed = retention.collect_all(kept.services(job_ttl_s=0, upload_ttl_s=0), now=time.time() + YEAR_S)
    # Then nothing is removed: the job reads back and the upload still scores
    assert removed == {"jobs": 0, "uploads": 0, "captures": 0}
    assert kept.client.get(f"/v1/jobs/{job['id']}").json()["status"] == "completed"
    assert kept.results_dir(job["id"]).is_dir()
    scored = run_job(kept.client, {"model": kept.model, "input": {"upload": upload}})
    assert scored["status"] == "completed", scored["error"]


def accepted(kept: Retained, upload: str) -> str:
    """A job over the upload, stored as POST /v1/jobs stores it, whose message is never sent: it stays queued."""
    request = JobRequest(model=kept.model, input={"upload": upload})
    return submit_job(kept.services(), request, enqueue=lambda job_id: None)[0]["id"]


def upload_answer(kept: Retained, upload: str) -> int:
    return kept.client.post("/v1/jobs", json={"model": kept.model, "input": {"upload": upload}}).status_code


def test_an_old_upload_goes_unless_a_queued_or_running_job_or_a_schedule_reads_it(kept):
    # Given four uploads: one unused, one a queued job reads, one a running job, one a schedule's template
    kept.clear()
    free, queued, running, scheduled = (kept.upload() for _ in range(4))
    svc = kept.services(upload_ttl_s=60)
    queued_job, running_job = accepted(kept, queued), accepted(kept, running)
    assert svc.store.transition(running_job, JobStatus.RUNNING, {JobStatus.QUEUED})
    schedule = kept.client.post("/v1/schedules", json={"name": "uses-upload", "interval_s": YEAR_S,
                                                       "job": {"model": kept.model, "input": {"upload": scheduled}}})
    assert schedule.status_code == 201, schedule.text
    files = {u: Path(svc.uploads.get(u)["path"]) for u in (free, queued, running, scheduled)}
    # When retention runs after the uploads' TTL
    later = time.time() + 120
    removed = retention.collect(svc, now=later)
    # Then only the unused upload is gone, its file and its record (a job naming it is refused)
    assert removed["uploads"] == 1
    assert not files[free].exists() and upload_answer(kept, free) == 404
    assert all(files[u].exists() for u in (queued, running, scheduled))
    # And once nothing reads the others, they go a TTL after they were last found in use
    for job_id in (queued_job, running_job):
        assert kept.client.post(f"/v1/jobs/{job_id}/cancel").status_code == 200
    assert kept.client.delete(f"/v1/schedules/{schedule.json()['id']}").status_code == 204
    assert retention.collect(svc, now=later + 30)["uploads"] == 0
    assert retention.collect(svc, now=later + 61)["uploads"] == 3
    assert not any(files[u].exists() for u in (queued, running, scheduled))


def gc(kept: Retained) -> str:
    """`batchsvc gc` in its own process, with a TTL of 1 s; its stdout."""
    env = {**kept.env, "BATCHSVC_JOB_TTL_S": "1", "BATCHSVC_UPLOAD_TTL_S": "1"}
    done = subprocess.run([sys.executable, "-m", "batchsvc.cli", "gc"], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_batchsvc_gc_removes_expired_jobs_and_uploads_and_says_how_many(kept):
    # Given a finished job and an unused upload
    job, upload = kept.job(), kept.upload()
    # When `batchsvc gc` runs with TTLs of 1 s until the job is old enough
    said = []
    wait_for(lambda: said.append(gc(kept)) or kept.client.get(f"/v1/jobs/{job['id']}").status_code == 404,
             60, 0.2, "batchsvc gc to remove the job")
    # Then the job and the upload are gone and the command said so
    counts = re.fullmatch(r"removed (\d+) finished jobs older than 1 s and (\d+) unused uploads older than 1 s; "
                          r"\d+ capture files older than \d+ s\n",
                          said[-1])
    assert counts and int(counts[1]) >= 1, said
    assert upload_answer(kept, upload) == 404
    assert sum(int(re.search(r"and (\d+) unused", s)[1]) for s in said) >= 1


def test_the_scheduler_leader_collects_expired_jobs_by_itself(kept, tmp_path):
    # Given a scheduler in the namespace, applying a job TTL of 1 s every second
    env = {**kept.env, "BATCHSVC_JOB_TTL_S": "1", "BATCHSVC_GC_EVERY_S": "1", "BATCHSVC_SCHEDULER_LEASE_MS": "1500"}
    scheduler = Process(["scheduler"], env, tmp_path / "scheduler.log")
    try:
        # When a job finishes
        job = kept.job()
        # Then it is removed without anyone asking, from the record to its results folder
        wait_for(lambda: kept.client.get(f"/v1/jobs/{job['id']}").status_code == 404, 60, 0.2,
                 f"the scheduler to collect job {job['id']} (see {tmp_path / 'scheduler.log'})")
        wait_for(lambda: not kept.results_dir(job["id"]).exists(), 10, 0.1, "its results folder to go")
        assert job["id"] not in listed(kept.client)
    finally:
        scheduler.stop()
