"""/metrics in Prometheus text and /readyz: what monitoring scrapes."""

from harness import run_job
from prometheus_client.parser import text_string_to_metric_families

from batchsvc.scoring.sample import FIELDS, WATSON_ROW


def test_metrics_show_jobs_rows_chunk_durations_queue_depth_and_workers(client, credit_model):
    # Given a completed job
    run_job(client, {"model": credit_model, "input": {"fields": FIELDS, "values": [WATSON_ROW]}})
    # When Prometheus scrapes /metrics
    response = client.get("/metrics")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    # Then it is Prometheus text with every family the dashboards need
    assert response.headers["content-type"].startswith("text/plain")
    jobs = {s.labels["state"]: s.value for s in families["batchsvc_jobs"].samples}
    assert set(jobs) == {"queued", "running", "completed", "failed", "canceled"} and jobs["completed"] >= 1
    assert families["batchsvc_rows_scored"].type == "counter"
    assert families["batchsvc_rows_scored"].samples[0].value >= 1
    chunks = families["batchsvc_chunk_duration_seconds"]
    assert chunks.type == "histogram"
    assert [s.value for s in chunks.samples if s.name.endswith("_count")][0] >= 1
    assert any(s.labels.get("le") == "+Inf" for s in chunks.samples)
    assert {s.labels["queue"] for s in families["batchsvc_queue_depth"].samples} == {"batchsvc", "batchsvc.DQ"}
    assert families["batchsvc_workers_live"].samples[0].value >= 2
    assert len(families["batchsvc_worker_last_heartbeat_timestamp_seconds"].samples) >= 2


def test_readyz_reports_redis_and_the_live_workers(client):
    # When a load balancer asks whether the API is ready
    response = client.get("/readyz")
    # Then Redis answers and both worker processes are counted
    assert response.status_code == 200
    assert response.json()["redis"] == "ok" and response.json()["workers"] >= 2
