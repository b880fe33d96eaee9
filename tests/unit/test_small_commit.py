"""storage/small_commit.py on a real Redis: a one-chunk job's commit and completion in one script keeps what the
ledger commit, note_chunk and the transition kept one after another: counted once, nothing for a stopped job."""

from batchsvc.status import JobStatus
from batchsvc.storage.jobs import new_job_id

ENTRY = {"rows": 3, "bad_rows": 1, "seconds": 0.004, "worker": "test:1", "engine": "onnx"}
RESULT = {"rows": 3, "bad_rows": 1, "format": "jsonl", "predictions": {"fields": ["prediction"], "values": [[1]]}}


def running_job(svc) -> str:
    job_id = new_job_id()
    svc.store.create({"id": job_id, "model": {"name": "small-commit", "version": 1}, "spec": {"input": {}}})
    assert svc.store.transition(job_id, JobStatus.RUNNING, {JobStatus.QUEUED}, chunks=[{"index": 0, "rows": [0, 3]}],
                                chunks_total=1, rows_total=3)
    return job_id


def test_a_running_job_is_committed_counted_and_completed_in_one_call(svc):
    # Given a running one-chunk job and the rows scored so far
    job_id, scored_before = running_job(svc), svc.counters.snapshot().rows_scored
    # When its chunk is committed and the job completed
    assert svc.small_commit.commit_and_complete(job_id, ENTRY, RESULT)
    # Then the record, the ledger, the events (chunk before completed) and the counters say so
    job = svc.store.get(job_id)
    assert (job["status"], job["result"], job["rows_done"], job["bad_rows"], job["chunks_done"]) == (
        "completed", RESULT, 3, 1, 1)
    assert job["finished_at"] and svc.ledger.entries(job_id) == {0: ENTRY}
    kinds = [e["event"] for e in svc.store.events(job_id)]
    assert kinds[-2:] == ["chunk", "completed"]
    assert svc.counters.snapshot().rows_scored == scored_before + 3
    assert job_id in svc.store.ids_with_status(JobStatus.COMPLETED)
    assert job_id not in svc.store.ids_with_status(JobStatus.RUNNING)


def test_a_duplicate_commit_changes_nothing(svc):
    # Given a job already committed and completed (a redelivered message scored it again)
    job_id = running_job(svc)
    assert svc.small_commit.commit_and_complete(job_id, ENTRY, RESULT)
    scored, events = svc.counters.snapshot().rows_scored, svc.store.events(job_id)
    # When the duplicate commits, Then it is told no, and nothing is counted or logged again
    assert not svc.small_commit.commit_and_complete(job_id, {**ENTRY, "worker": "test:2"}, RESULT)
    assert svc.counters.snapshot().rows_scored == scored and svc.store.events(job_id) == events
    assert svc.store.get(job_id)["rows_done"] == 3 and svc.ledger.entries(job_id) == {0: ENTRY}


def test_a_job_canceled_while_it_scored_gets_nothing_written(svc):
    # Given a running job canceled before its chunk commits
    job_id = running_job(svc)
    assert svc.store.transition(job_id, JobStatus.CANCELED, {JobStatus.RUNNING})
    # When the worker commits, Then it is told no, and the job stays canceled with no chunk, count or result
    assert not svc.small_commit.commit_and_complete(job_id, ENTRY, RESULT)
    job = svc.store.get(job_id)
    assert (job["status"], job.get("result"), job["rows_done"], job["chunks_done"]) == ("canceled", None, 0, 0)
    assert svc.ledger.entries(job_id) == {}
