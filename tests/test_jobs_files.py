"""File jobs end to end: CSV, CSV.gz, Parquet and uploads, each output format, results equal the model's."""

import gzip
import io
import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from harness import ROOT, run_job

from batchsvc.scoring.sample import FIELDS, make_credit_risk

ROWS = 1_200
ENGINE_TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def table():
    return make_credit_risk(ROWS, seed=11)


@pytest.fixture(scope="module")
def files(table, inputs_dir):
    table.to_csv(inputs_dir / "t.csv", index=False)
    with gzip.open(inputs_dir / "t.csv.gz", "wt") as f:
        table.to_csv(f, index=False)
    table.to_parquet(inputs_dir / "t.parquet", index=False, row_group_size=250)
    return {"csv": inputs_dir / "t.csv", "csv.gz": inputs_dir / "t.csv.gz", "parquet": inputs_dir / "t.parquet"}


def read_results(client, job_id: str, fmt: str) -> pd.DataFrame:
    response = client.get(f"/v1/jobs/{job_id}/results", params={"format": fmt})
    assert response.status_code == 200, response.text
    data = io.BytesIO(response.content)
    if fmt == "parquet":
        return pd.read_parquet(data)
    if fmt == "csv":
        return pd.read_csv(data)
    return pd.read_json(data, lines=True)


def assert_matches_model(result: pd.DataFrame, table: pd.DataFrame, estimator) -> None:
    assert result["CustomerID"].tolist() == table["CustomerID"].tolist()
    assert result["prediction"].tolist() == estimator.predict(table[FIELDS]).tolist()
    expected = estimator.predict_proba(table[FIELDS])
    got = result[[f"probability_{c}" for c in estimator.classes_]].to_numpy()
    assert np.abs(got - expected).max() <= ENGINE_TOLERANCE  # the verified onnx engine: within its tolerance


@pytest.mark.parametrize("kind", ["csv", "csv.gz", "parquet"])
def test_file_job_results_equal_calling_the_model_directly(client, credit_model, credit_estimator, files, table,
                                                          kind):
    # Given a file under the data roots, scored in several chunks
    body = {"model": credit_model, "input": {"path": str(files[kind])}, "chunk_size": 300,
            "output": {"passthrough": ["CustomerID"]}}
    # When the job runs
    job = run_job(client, body)
    # Then every row is predicted, in input order, as the model itself predicts it
    assert job["status"] == "completed", job["error"]
    assert job["result"]["rows"] == ROWS
    assert job["progress"]["rows_done"] == ROWS
    assert_matches_model(read_results(client, job["id"], "parquet"), table, credit_estimator)


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_output_formats_and_download_conversion(client, credit_model, credit_estimator, files, table, fmt):
    body = {"model": credit_model, "input": {"path": str(files["parquet"])},
            "output": {"format": fmt, "passthrough": ["CustomerID"]}}
    job = run_job(client, body)
    assert job["status"] == "completed", job["error"]
    assert job["result"]["format"] == fmt
    for wanted in ("parquet", "csv", "jsonl"):
        assert_matches_model(read_results(client, job["id"], wanted), table, credit_estimator)


def test_passthrough_star_copies_every_input_column_in_front(client, credit_model, files, table):
    job = run_job(client, {"model": credit_model, "input": {"path": str(files["csv"])},
                           "output": {"passthrough": ["*"]}})
    assert job["status"] == "completed", job["error"]
    result = read_results(client, job["id"], "parquet")
    assert list(result.columns[: len(table.columns)]) == list(table.columns)
    assert result.columns[len(table.columns)] == "prediction"


def test_sample_data_path_relative_to_the_server(client, credit_model):
    job = run_job(client, {"model": credit_model, "input": {"path": "sample_data/credit_risk.parquet"}})
    assert job["status"] == "completed", job["error"]
    assert job["result"]["rows"] == pq.ParquetFile(ROOT / "sample_data/credit_risk.parquet").metadata.num_rows


@pytest.mark.parametrize("kind", ["raw-csv", "multipart-parquet", "multipart-csv.gz"])
def test_uploaded_file_is_scored(client, credit_model, credit_estimator, files, table, kind):
    if kind == "raw-csv":
        response = client.post("/v1/uploads", content=files["csv"].read_bytes(),
                               headers={"Content-Type": "text/csv"})
    else:
        path = files["parquet" if kind.endswith("parquet") else "csv.gz"]
        response = client.post("/v1/uploads", files={"file": (path.name, path.read_bytes())})
    assert response.status_code == 201, response.text
    upload = response.json()
    assert upload["bytes"] > 0 and upload["format"] == ("parquet" if kind.endswith("parquet") else "csv")
    job = run_job(client, {"model": credit_model, "input": {"upload": upload["upload"]},
                           "output": {"passthrough": ["CustomerID"]}})
    assert job["status"] == "completed", job["error"]
    assert_matches_model(read_results(client, job["id"], "parquet"), table, credit_estimator)


def test_events_list_state_changes_and_chunk_timings(client, credit_model, files):
    job = run_job(client, {"model": credit_model, "input": {"path": str(files["parquet"])}, "chunk_size": 400})
    events = client.get(f"/v1/jobs/{job['id']}/events").json()["events"]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "queued" and "running" in kinds and kinds[-1] == "completed"
    chunks = [e for e in events if e["event"] == "chunk"]
    assert sorted(e["index"] for e in chunks) == [0, 1, 2]
    assert all(e["seconds"] >= 0 and e["rows"] == 400 for e in chunks)
    json.dumps(events)


def test_passthrough_column_read_as_numbers_in_one_chunk_and_text_in_another(client, credit_model, inputs_dir):
    # Given a CSV whose CustomerID is numeric in its first rows and text further down
    frame = make_credit_risk(600, seed=4)
    frame["CustomerID"] = [str(i) if i < 300 else f"C-{i}" for i in range(600)]
    frame.to_csv(inputs_dir / "mixed-ids.csv", index=False)
    # When it is scored in chunks that each guess their own column types
    job = run_job(client, {"model": credit_model, "input": {"path": str(inputs_dir / "mixed-ids.csv")},
                           "chunk_size": 100, "output": {"passthrough": ["CustomerID"]}})
    # Then the job completes and the column comes back as text, row for row
    assert job["status"] == "completed", job["error"]
    assert read_results(client, job["id"], "parquet")["CustomerID"].tolist() == frame["CustomerID"].tolist()


def test_quoted_fields_spanning_lines_are_never_cut_between_chunks(client, credit_model, inputs_dir):
    # Given a CSV whose passthrough column holds quoted text with newlines, scored in small chunks
    frame = make_credit_risk(300, seed=8)
    frame["Note"] = [f"note {i}\nsecond line" if i % 7 == 3 else f"note {i}" for i in range(300)]
    frame.to_csv(inputs_dir / "notes.csv", index=False)
    job = run_job(client, {"model": credit_model, "input": {"path": str(inputs_dir / "notes.csv")},
                           "chunk_size": 20, "output": {"passthrough": ["CustomerID", "Note"]}})
    # Then every row comes back whole, in order
    assert job["status"] == "completed", job["error"]
    result = read_results(client, job["id"], "parquet")
    assert result["Note"].tolist() == frame["Note"].tolist()


def test_a_stray_quote_does_not_merge_the_rest_of_the_file_into_one_chunk(client, credit_model, inputs_dir):
    frame = make_credit_risk(400, seed=12)
    frame["Note"] = ['5" screen' if i == 3 else "plain" for i in range(400)]
    frame.to_csv(inputs_dir / "inches.csv", index=False, quoting=3)  # csv.QUOTE_NONE: the quote stays bare
    job = run_job(client, {"model": credit_model, "input": {"path": str(inputs_dir / "inches.csv")},
                           "chunk_size": 50, "output": {"passthrough": ["Note"]}})
    assert job["status"] == "completed", job["error"]
    assert job["progress"]["chunks_total"] >= 7
    assert read_results(client, job["id"], "parquet")["Note"].tolist() == frame["Note"].tolist()
