"""Job records over HTTP, in process: what submit stores and enqueues, listing and paging, cancel and delete
of a job no worker has touched (test_jobs_list_filters_and_pages moved here from tests/test_bad_input.py)."""

from answers import error_of
from harness import submit

from batchsvc.scoring.sample import FIELDS, WATSON_ROW


def inline(model: str, **extra) -> dict:
    return {"model": model, "input": {"fields": FIELDS, "values": [WATSON_ROW]}, **extra}


def test_a_submitted_job_is_stored_queued_with_the_exact_model_version_and_enqueued_once(
        client, credit_model, inproc):
    # When an inline job is submitted
    response = client.post("/v1/jobs", json=inline(credit_model, name="first look"))
    # Then the answer is 202 with the stored record: queued, nothing done yet, the version it will use
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["status"] == "queued" and job["name"] == "first look" and job["attempts"] == 0
    assert job["model"] == {"name": credit_model, "version": 1}
    assert job["progress"] == {"rows_done": 0, "rows_total": None, "chunks_done": 0, "chunks_total": None}
    assert job["started_at"] is None and job["finished_at"] is None and job["error"] is None
    assert job["created_by"] is None  # auth off: no key, so no owner
    # And its id went to the queue exactly once, and it reads back the same
    assert inproc.enqueued.count(job["id"]) == 1
    assert client.get(f"/v1/jobs/{job['id']}").json() == job


def test_the_stored_spec_defaults_inline_output_to_jsonl_and_files_to_parquet(client, credit_model, svc):
    # When an inline job and a Parquet file job are submitted with no output format
    inline_job = submit(client, inline(credit_model))
    file_job = submit(client, {"model": credit_model, "input": {"path": "sample_data/credit_risk.parquet"}})
    # Then the specs the workers will read default to jsonl and parquet, and the file's format is inferred
    assert svc.store.get(inline_job["id"])["spec"]["output"] == {"format": "jsonl", "passthrough": []}
    assert svc.store.get(file_job["id"])["spec"]["input"]["format"] == "parquet"
    assert svc.store.get(file_job["id"])["spec"]["output"]["format"] == "parquet"


def test_jobs_list_filters_and_pages(client, credit_model):
    ids = [submit(client, {"model": credit_model, "input": {"values": [WATSON_ROW]}})["id"] for _ in range(3)]
    page = client.get("/v1/jobs", params={"model": credit_model, "limit": 2}).json()
    assert [j["id"] for j in page["jobs"]] == ids[::-1][:2] and page["next_cursor"]
    rest = client.get("/v1/jobs", params={"model": credit_model, "limit": 2, "cursor": page["next_cursor"]}).json()
    assert ids[0] == rest["jobs"][0]["id"]
    error_of(client.get("/v1/jobs", params={"status": "sleeping"}), 422)
    error_of(client.get("/v1/jobs", params={"limit": "lots"}), 422)


def test_the_status_filter_lists_only_jobs_in_that_state(client, credit_model):
    # Given a queued job and a canceled one
    queued = submit(client, inline(credit_model))["id"]
    canceled = submit(client, inline(credit_model))["id"]
    client.post(f"/v1/jobs/{canceled}/cancel")
    # When jobs are listed by status, Then each list holds its own
    listed = {s: [j["id"] for j in client.get("/v1/jobs", params={"status": s, "limit": 500}).json()["jobs"]]
              for s in ("queued", "canceled")}
    assert queued in listed["queued"] and queued not in listed["canceled"]
    assert canceled in listed["canceled"] and canceled not in listed["queued"]


def test_a_queued_job_can_be_canceled_once_and_then_deleted(client, credit_model):
    # Given a job no worker has started
    job_id = submit(client, inline(credit_model))["id"]
    # When it is canceled, Then it is canceled for good: a second cancel is a conflict
    canceled = client.post(f"/v1/jobs/{job_id}/cancel")
    assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
    assert canceled.json()["finished_at"] is not None
    assert "already canceled" in error_of(client.post(f"/v1/jobs/{job_id}/cancel"), 409)["message"]
    # And a finished job can be deleted, after which it is gone
    assert client.delete(f"/v1/jobs/{job_id}").status_code == 204
    error_of(client.get(f"/v1/jobs/{job_id}"), 404)


def test_an_unfinished_job_has_no_results_and_cannot_be_deleted(client, credit_model):
    # Given a queued job
    job_id = submit(client, inline(credit_model))["id"]
    # When its results or its deletion are asked for, Then both are conflicts saying why
    assert "results exist once it is completed" in error_of(client.get(f"/v1/jobs/{job_id}/results"), 409)["message"]
    assert "cancel it first" in error_of(client.delete(f"/v1/jobs/{job_id}"), 409)["message"]


def test_the_events_of_a_new_job_begin_with_queued(client, credit_model):
    # Given a job just submitted, When its log is read, Then it holds one event: queued
    job_id = submit(client, inline(credit_model))["id"]
    events = client.get(f"/v1/jobs/{job_id}/events").json()["events"]
    assert [e["event"] for e in events] == ["queued"]



def test_the_record_create_returns_is_the_one_a_read_returns(svc):
    """create() answers from what it wrote rather than reading the record back: the two must not differ."""
    from batchsvc.storage.jobs import new_job_id

    # Given a record with empty, numeric, JSON and text fields
    given = {"id": new_job_id(), "name": None, "model": {"name": "create-check", "version": 3}, "model_ref": "x@3",
             "deployment": None, "engine": "sklearn", "spec": {"input": {"kind": "table", "values": [[1.5]]}},
             "schedule_id": "nightly", "created_by": None, "notify_on": "completed"}
    # When it is created
    record = svc.store.create(given)
    try:
        # Then what create returned equals a read of it, field for field and type for type, and it is logged queued
        assert record == svc.store.get(given["id"])
        assert {type(v) for v in record.values()} == {type(v) for v in svc.store.get(given["id"]).values()}
        assert record["status"] == "queued" and record["rows_done"] == 0 and record["name"] is None
        assert [e["event"] for e in svc.store.events(given["id"])] == ["queued"]
    finally:
        svc.store.delete(given["id"])


def test_stalled_names_only_active_jobs_untouched_since_the_cutoff(svc):
    """The reconciler's one-round-trip filter over a backlog: what it keeps is what _reconcile_job would check."""
    from batchsvc.status import JobStatus
    from batchsvc.storage.jobs import new_job_id

    # Given an old queued job, a fresh queued one, an old finished one, and an id with no record
    ids = [new_job_id() for _ in range(4)]
    for job_id in ids[:3]:
        svc.store.create({"id": job_id, "model": {"name": "stall-check", "version": 1}})
    svc.store.update(ids[0], touched_at=1_000)
    svc.store.transition(ids[2], JobStatus.CANCELED, {JobStatus.QUEUED}, touched_at=1_000)
    try:
        # When the jobs stalled before a cutoff between the old and the fresh touch are asked for
        # Then only the old queued one is named
        assert svc.store.stalled(ids, 2_000) == [ids[0]]
    finally:
        for job_id in ids[:3]:
            svc.store.delete(job_id)
