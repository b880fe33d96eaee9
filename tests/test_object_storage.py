"""Inputs and outputs on an S3-compatible store (moto's server on loopback), through the session's API and workers.

The session's data roots include s3://batchsvc-in/data and s3://batchsvc-out; its data dir stays on disk
(tests/test_no_shared_disk.py runs a stack whose data dir is on S3).
"""

import gzip
import io
import json

import pandas as pd
import pytest
from harness import JOB_WAIT_S, results, run_job, start_api, start_workers, submit, unique, wait_job

from batchsvc.scoring.sample import FIELDS, make_credit_risk

ROWS = 3_000
CHUNK_ROWS = 1_000


def credit_bytes(fmt: str, rows: int = ROWS, seed: int = 5) -> bytes:
    """A credit-risk table with CustomerID as the bytes of a CSV, CSV.gz or Parquet file."""
    frame = make_credit_risk(rows, seed=seed)
    if fmt == "parquet":
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False, row_group_size=CHUNK_ROWS)
        return buffer.getvalue()
    text = frame.to_csv(index=False).encode()
    return gzip.compress(text) if fmt == "csv.gz" else text


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.text
    return response.json()["error"]


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "parquet"])
def test_a_file_on_s3_scores_like_the_same_file_on_disk(client, credit_model, s3_server, inputs_dir, fmt):
    # Given the same table on S3 and on disk
    data = credit_bytes(fmt)
    url = s3_server.put(f"s3://batchsvc-in/data/{unique('one')}/credit.{fmt}", data)
    local = inputs_dir / f"{unique('one')}.{fmt}"
    local.write_bytes(data)
    body = {"model": credit_model, "chunk_size": CHUNK_ROWS, "output": {"passthrough": ["CustomerID"]}}
    # When both are scored
    remote = run_job(client, {**body, "input": {"path": url}})
    on_disk = run_job(client, {**body, "input": {"path": str(local)}})
    # Then the S3 job read it in chunks, knew its size, and its predictions equal the local ones row for row
    progress = remote["progress"]
    assert progress["rows_total"] == (None if fmt == "csv.gz" else ROWS) and progress["rows_done"] == ROWS
    assert progress["chunks_total"] == (1 if fmt == "csv.gz" else ROWS // CHUNK_ROWS)
    pd.testing.assert_frame_equal(results(client, remote), results(client, on_disk))


def test_the_result_is_delivered_to_an_s3_output_prefix(client, credit_model, s3_server):
    # Given an input on S3 and an output prefix on another bucket
    url = s3_server.put(f"s3://batchsvc-in/data/{unique('deliver')}.parquet", credit_bytes("parquet"))
    prefix = f"s3://batchsvc-out/{unique('daily')}/"
    # When the job completes
    job = run_job(client, {"model": credit_model, "input": {"path": url}, "chunk_size": CHUNK_ROWS,
                           "output": {"path": prefix, "format": "csv", "passthrough": ["CustomerID"]}})
    # Then the prefix holds exactly the result the API serves, and the record says where it went
    assert job["result"]["output_url"] == f"{prefix}predictions.csv"
    assert s3_server.files(prefix) == [f"{prefix.removeprefix('s3://batchsvc-out/')}predictions.csv"]
    delivered = pd.read_csv(io.BytesIO(s3_server.get(job["result"]["output_url"])))
    served = pd.read_csv(io.BytesIO(client.get(f"/v1/jobs/{job['id']}/results").content))
    pd.testing.assert_frame_equal(delivered, served)
    assert len(delivered) == ROWS


def test_a_failed_job_writes_nothing_to_its_output_path(client, credit_model, s3_server):
    # Given a CSV on S3 whose second data line cannot be split into fields
    text = credit_bytes("csv", rows=50).decode().splitlines()
    text[2] += ",surplus"
    url = s3_server.put(f"s3://batchsvc-in/data/{unique('bad')}.csv", "\n".join(text).encode())
    prefix = f"s3://batchsvc-out/{unique('never')}/"
    # When a job that allows no bad rows scores it
    job = run_job(client, {"model": credit_model, "input": {"path": url}, "output": {"path": prefix}})
    # Then it fails naming the line, and nothing appears under the prefix
    assert job["status"] == "failed" and "line 3" in job["error"]["message"], job["error"]
    assert s3_server.keys(prefix) == []  # not even a folder marker


@pytest.mark.parametrize(("path", "says"), [
    ("s3://other-bucket/data/x.csv", "outside the data roots"),
    ("s3://batchsvc-in/elsewhere/x.csv", "outside the data roots"),
    ("s3://batchsvc-in/data/../elsewhere/x.csv", "'..'"),
    ("s3://batchsvc-in/database/x.csv", "outside the data roots"),  # a prefix of the root's name is not inside it
    ("gs://batchsvc-in/data/x.csv", "only s3:// URLs"),
    ("s3:///data/x.csv", "names no bucket"),
])
def test_urls_outside_the_data_roots_are_refused(client, credit_model, path, says):
    # When a job names an object outside every root, Then it is refused before anything is read
    error = error_of(client.post("/v1/jobs", json={"model": credit_model, "input": {"path": path}}), 422)
    assert error["type"] == "PathNotAllowed" and error["field"] == "input.path"
    assert says in error["message"], error


def test_an_output_path_outside_the_data_roots_is_refused(client, credit_model):
    body = {"model": credit_model, "input": {"fields": FIELDS, "values": [[None] * len(FIELDS)]},
            "output": {"path": "s3://somebody-else/results/"}}
    error = error_of(client.post("/v1/jobs", json=body), 422)
    assert error["type"] == "PathNotAllowed" and error["field"] == "output.path"


def test_a_missing_object_is_named_at_submit(client, credit_model):
    error = error_of(client.post("/v1/jobs", json={"model": credit_model,
                                                   "input": {"path": "s3://batchsvc-in/data/none-here.csv"}}), 422)
    assert error["type"] == "InputNotFound" and "none-here.csv" in error["message"]


def test_a_worker_with_a_wrong_secret_fails_the_job_naming_bucket_and_credentials(env, s3_server, tmp_path,
                                                                               credit_estimator):
    # Given an API with good credentials and a worker whose secret is wrong, on a namespace of their own
    import httpx
    from harness import register
    wrong = "wrong-secret-Zq9x" * 2
    own = {**env, "BATCHSVC_NAMESPACE": unique("badkey"), "BATCHSVC_DATA_DIR": str(tmp_path / "data")}
    api, url = start_api(own, tmp_path / "api.log")
    worker = start_workers({**own, "AWS_SECRET_ACCESS_KEY": wrong}, tmp_path / "worker.log", processes=1)
    try:
        with httpx.Client(base_url=url, timeout=JOB_WAIT_S) as c:
            register(c, "credit", credit_estimator)
            data = s3_server.put(f"s3://batchsvc-in/data/{unique('secret')}.csv", credit_bytes("csv", rows=20))
            # When a job over an object on S3 runs on that worker
            job = wait_job(c, submit(c, {"model": "credit", "input": {"path": data}})["id"])
            events = c.get(f"/v1/jobs/{job['id']}/events").text
    finally:
        worker.stop()
        api.stop()
    # Then it fails with a storage error that names the bucket and the credentials, and shows no secret
    assert job["status"] == "failed" and job["error"]["type"] == "StorageError", job["error"]
    message = job["error"]["message"]
    assert "bucket batchsvc-in" in message and "credentials were refused" in message, message
    for text in (str(job), events, (tmp_path / "worker.log").read_text()):
        assert wrong not in text and env["AWS_SECRET_ACCESS_KEY"] not in text


def folder_of_files(s3_server, inputs_dir, where: str, fmt: str, sizes=(700, 1_200, 500)):
    """Files named c, a, b (so name order differs from write order) under an s3 prefix or a local folder, and
    one local file holding all their rows in name order: the clean run to compare with."""
    frames = {name: make_credit_risk(rows, seed=i) for i, (name, rows) in enumerate(zip("cab", sizes))}
    base = f"s3://batchsvc-in/data/{unique('folder')}" if where == "s3" else str(inputs_dir / unique("folder"))
    for name, frame in frames.items():
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False) if fmt == "parquet" else frame.to_csv(buffer, index=False)
        _store(s3_server, f"{base}/{name}.{fmt}", buffer.getvalue())
    _store(s3_server, f"{base}/_SUCCESS", b"")  # a marker a folder job skips
    whole = inputs_dir / f"{unique('whole')}.parquet"
    pd.concat([frames[n] for n in sorted(frames)], ignore_index=True).to_parquet(whole, index=False)
    return base, frames, whole


def _store(s3_server, path: str, body: bytes) -> None:
    if path.startswith("s3://"):
        s3_server.put(path, body)
    else:
        from pathlib import Path
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(body)


@pytest.mark.parametrize(("where", "fmt"), [("s3", "csv"), ("s3", "parquet"), ("disk", "csv")])
def test_a_folder_is_one_job_over_its_files_in_name_order(client, credit_model, s3_server, inputs_dir, where, fmt):
    # Given a folder of three files, and one file with all their rows in name order
    base, frames, whole = folder_of_files(s3_server, inputs_dir, where, fmt)
    body = {"model": credit_model, "chunk_size": 1_000, "output": {"passthrough": ["CustomerID", "_source_file"]}}
    # When the folder is scored as one job, chunks spanning its files
    job = run_job(client, {**body, "input": {"path": base + "/"}})
    clean = run_job(client, {**body, "input": {"path": str(whole)}, "output": {"passthrough": ["CustomerID"]}})
    # Then its rows are the files' rows in name order, each naming its file, scored as the clean run scored them
    got, expected = results(client, job), results(client, clean)
    assert job["progress"]["rows_total"] == sum(len(f) for f in frames.values())
    assert job["progress"]["chunks_total"] == 3  # 2,400 rows of 1,000-row chunks, across file boundaries
    assert list(got["_source_file"]) == [f"{n}.{fmt}" for n in sorted(frames) for _ in range(len(frames[n]))]
    pd.testing.assert_frame_equal(got.drop(columns="_source_file"), expected)


def test_a_glob_scores_only_the_matching_files(client, credit_model, s3_server, inputs_dir):
    # Given a prefix holding Parquet files and a CSV
    base, frames, whole = folder_of_files(s3_server, inputs_dir, "s3", "parquet", sizes=(30, 40, 50))
    s3_server.put(f"{base}/extra.csv", make_credit_risk(10, seed=9).to_csv(index=False).encode())
    # When a job names the Parquet files by a glob
    job = run_job(client, {"model": credit_model, "input": {"path": f"{base}/*.parquet"},
                           "output": {"passthrough": ["_source_file"]}})
    # Then it scored exactly those files
    assert sorted(set(results(client, job)["_source_file"])) == ["a.parquet", "b.parquet", "c.parquet"]
    assert job["progress"]["rows_done"] == 120


def test_a_file_whose_columns_differ_fails_the_job_naming_file_and_column(client, credit_model, s3_server):
    # Given a folder whose second file lacks a column the first has
    base = f"s3://batchsvc-in/data/{unique('differ')}"
    frame = make_credit_risk(20, seed=3)
    s3_server.put(f"{base}/a.csv", frame.to_csv(index=False).encode())
    s3_server.put(f"{base}/b.csv", frame.drop(columns="Age").to_csv(index=False).encode())
    # When it is scored
    job = run_job(client, {"model": credit_model, "input": {"path": base + "/"}})
    # Then the job fails naming the file and the column
    assert job["status"] == "failed", job
    assert "b.csv" in job["error"]["message"] and "'Age'" in job["error"]["message"], job["error"]


def test_an_empty_folder_is_refused_at_submit(client, credit_model):
    error = error_of(client.post("/v1/jobs", json={"model": credit_model,
                                                   "input": {"path": f"s3://batchsvc-in/data/{unique('none')}/"}}),
                     422)
    assert error["type"] == "InputNotFound" and error["field"] == "input.path"


def test_an_inline_job_delivers_to_a_local_output_folder_with_its_bad_rows(client, credit_model, inputs_dir):
    # Given an inline job with one good row and one whose LoanDuration is not a number, and an output folder
    good = json.loads(make_credit_risk(1, seed=4)[FIELDS].to_json(orient="values"))[0]
    bad = [*good[:1], "soon", *good[2:]]
    folder = inputs_dir / unique("reports")
    # When it completes, one bad row allowed
    job = run_job(client, {"model": credit_model, "input": {"fields": FIELDS, "values": [good, bad]},
                           "max_bad_rows": 1, "output": {"path": str(folder), "format": "csv"}})
    # Then the folder holds its predictions and its bad-row list, as the API serves them
    assert job["status"] == "completed", job["error"]
    assert sorted(p.name for p in folder.iterdir()) == ["errors.jsonl", "predictions.csv"]
    assert (folder / "predictions.csv").read_bytes() == client.get(f"/v1/jobs/{job['id']}/results").content
    assert "LoanDuration" in (folder / "errors.jsonl").read_text()


@pytest.mark.parametrize("spilled", [False, True])
def test_an_object_appears_whole_or_not_at_all(env, s3_server, monkeypatch, spilled):
    from batchsvc.storage.files import Location, atomic_file, location
    from batchsvc.storage.files.stores import s3_filesystem
    # Given objects small enough to be sent whole, or (a tiny threshold) spilled to a temporary key
    monkeypatch.setattr(location, "SMALL_OBJECT_BYTES", 4 if spilled else 1 << 20)
    prefix = f"s3://batchsvc-out/{unique('atomic')}/"
    where = Location(s3_filesystem(s3_server.url), prefix.removeprefix("s3://").rstrip("/"), "s3")
    # When one write completes and another raises half-way
    with atomic_file(where / "whole.bin") as f:
        f.write(b"0123456789")
        f.write(b"abcdef")
    with pytest.raises(RuntimeError), atomic_file(where / "cut.bin") as f:
        f.write(b"0123456789")
        raise RuntimeError("the writer died")
    # Then the first is there whole, the second not at all, and no temporary is left
    assert s3_server.get(f"{prefix}whole.bin") == b"0123456789abcdef"
    assert [k.rsplit("/", 1)[-1] for k in s3_server.files(prefix)] == ["whole.bin"]
