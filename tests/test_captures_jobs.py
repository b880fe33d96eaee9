"""A job with "capture": true keeps a uniform sample of each scored batch, with its outputs, as Parquet under
captures/jobs/<id>/ in the data dir: on the chunked path (Parquet and CSV input) and the small inline path."""

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from harness import result_frame, run_job, unique

from batchsvc.jobs.capture import JOB_SAMPLE_ROWS
from batchsvc.scoring.sample import FIELDS, make_credit_risk


def job_captures(client, env: dict, job_id: str) -> pa.Table:
    """The job's captures as GET /v1/jobs/{id}/captures lists them (each under the data dir), read with pyarrow."""
    response = client.get(f"/v1/jobs/{job_id}/captures", params={"limit": 1000})
    assert response.status_code == 200, response.text
    files = [f["path"] for f in response.json()["captures"]]
    assert all(Path(f).is_relative_to(Path(env["BATCHSVC_DATA_DIR"], "captures", "jobs", job_id)) for f in files)
    return pa.concat_tables([pq.read_table(f) for f in files]) if files else pa.table({})


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_captured_job_keeps_a_sample_of_each_chunk_with_its_outputs(client, credit_model, env, inputs_dir, fmt):
    # Given 3,000 rows in a file, scored in chunks of 1,500
    frame = make_credit_risk(3_000, seed=11)
    path = inputs_dir / f"{unique('capjob')}.{fmt}"
    frame.to_parquet(path, index=False) if fmt == "parquet" else frame.to_csv(path, index=False)
    # When a job with capture on scores it
    job = run_job(client, {"model": credit_model, "input": {"path": str(path)}, "chunk_size": 1_500,
                           "capture": True, "output": {"format": "parquet", "passthrough": ["CustomerID"]}})
    assert job["status"] == "completed" and job["capture"] is True, job
    # Then 1,000 distinct rows of each of the 2 chunks are captured, each with its own inputs and the job's own outputs
    captured = job_captures(client, env, job["id"]).to_pandas()
    assert len(captured) == 2 * JOB_SAMPLE_ROWS and captured["row"].is_unique
    assert captured["row"].between(1, 3_000).all()  # CSV chunks split by bytes: not exactly 1,500 rows each
    assert set(captured["request"]) == {job["id"]} and set(captured["model"]) == {credit_model}
    by_row = numbered(frame)
    rows = captured["row"].tolist()
    assert captured["input.LoanAmount"].tolist() == by_row.loc[rows, "LoanAmount"].tolist()
    assert "input.CustomerID" not in captured and "output.CustomerID" not in captured
    results = numbered(result_frame(client, job["id"]))
    assert captured["output.prediction"].tolist() == results.loc[rows, "prediction"].tolist()
    # And its two files list a page at a time
    first = client.get(f"/v1/jobs/{job['id']}/captures", params={"limit": 1}).json()
    second = client.get(f"/v1/jobs/{job['id']}/captures", params={"limit": 1, "cursor": first["next_cursor"]}).json()
    assert len(first["captures"]) == len(second["captures"]) == 1 and second["next_cursor"] is None


def numbered(frame):
    """The frame indexed by input row numbers from 1, as captures name rows."""
    return frame.set_axis(range(1, len(frame) + 1))


def test_a_small_inline_job_is_captured_whole_and_a_job_without_capture_is_not(client, credit_model, env):
    # Given 20 inline rows
    records = make_credit_risk(20, seed=12)[FIELDS].to_dict(orient="records")
    # When a job with capture on, and one without, score them
    on = run_job(client, {"model": credit_model, "input": {"records": records}, "capture": True})
    off = run_job(client, {"model": credit_model, "input": {"records": records}})
    # Then the first has all 20 rows captured, in order, and the second none
    captured = job_captures(client, env, on["id"]).to_pandas().sort_values("row")
    assert captured["row"].tolist() == list(range(1, 21))
    assert captured["input.Age"].tolist() == [r["Age"] for r in records]
    assert captured["output.prediction"].tolist() == [p[0] for p in on["result"]["predictions"]["values"]]
    assert off["capture"] is False and job_captures(client, env, off["id"]).num_rows == 0
    assert client.get("/v1/jobs/no-such-job/captures").status_code == 404
