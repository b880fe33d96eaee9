"""Bad input gets a clear answer naming the field, column or line; the worker goes on to the next job.

Bad requests refused at submit, which no worker sees, are tested in process: tests/unit/test_api_requests.py.
"""

import io
import uuid

import pandas as pd
import pytest
from answers import error_of
from harness import register, result_frame, run_job

from batchsvc.scoring.sample import FIELDS, WATSON_ROW, make_credit_risk


def write(inputs_dir, name: str, data) -> str:
    path = inputs_dir / name
    path.write_bytes(data) if isinstance(data, bytes) else path.write_text(data)
    return str(path)


def csv_with_bad_amounts(rows: int, bad_lines: list[int]) -> str:
    frame = make_credit_risk(rows, seed=5)
    frame["LoanAmount"] = frame["LoanAmount"].astype(object)
    for line in bad_lines:
        frame.loc[line - 2, "LoanAmount"] = "lots"
    return frame.to_csv(index=False)


def test_file_lacking_columns_fails_naming_them(client, credit_model, inputs_dir):
    frame = make_credit_risk(10).drop(columns=["Age", "LoanAmount"])
    job = run_job(client, {"model": credit_model, "input": {"path": write(inputs_dir, "lack.csv", frame.to_csv())}})
    assert job["status"] == "failed"
    assert job["error"]["type"] == "SchemaError"
    assert job["error"]["message"] == "input lacks columns: LoanAmount, Age"


def test_unreadable_value_fails_naming_column_and_line(client, credit_model, inputs_dir):
    path = write(inputs_dir, "badvalue.csv", csv_with_bad_amounts(500, [137]))
    job = run_job(client, {"model": credit_model, "input": {"path": path}, "chunk_size": 100})
    assert job["status"] == "failed"
    assert job["error"]["message"] == "column LoanAmount, line 137: 'lots' is not a number"
    assert job["error"]["line"] == 137 and job["error"]["column"] == "LoanAmount"


def test_unreadable_value_in_parquet_names_the_row(client, credit_model, inputs_dir):
    frame = make_credit_risk(50, seed=9)
    frame["Age"] = frame["Age"].astype(str)
    frame.loc[41, "Age"] = "forty"
    frame.to_parquet(inputs_dir / "badrow.parquet")
    job = run_job(client, {"model": credit_model, "input": {"path": str(inputs_dir / "badrow.parquet")}})
    assert job["status"] == "failed"
    assert job["error"]["message"] == "column Age, row 42: 'forty' is not a number"


def test_max_bad_rows_skips_counts_and_lists_them(client, credit_model, inputs_dir):
    path = write(inputs_dir, "somebad.csv", csv_with_bad_amounts(300, [10, 150, 299]))
    job = run_job(client, {"model": credit_model, "input": {"path": path}, "chunk_size": 100, "max_bad_rows": 3,
                           "output": {"passthrough": ["CustomerID"]}})
    assert job["status"] == "completed", job["error"]
    assert job["result"]["rows"] == 297 and job["result"]["bad_rows"] == 3
    errors = pd.read_json(io.BytesIO(client.get(job["result"]["errors_url"]).content), lines=True)
    assert errors["line"].tolist() == [10, 150, 299] and set(errors["column"]) == {"LoanAmount"}
    result = result_frame(client, job["id"])
    assert 9 not in result["CustomerID"].tolist() and len(result) == 297


def test_more_bad_rows_than_allowed_fails_the_job(client, credit_model, inputs_dir):
    path = write(inputs_dir, "toobad.csv", csv_with_bad_amounts(300, [10, 150, 299]))
    job = run_job(client, {"model": credit_model, "input": {"path": path}, "chunk_size": 100, "max_bad_rows": 2})
    assert job["status"] == "failed" and job["error"]["type"] == "TooManyBadRows"


@pytest.mark.parametrize("name, data, expect", [
    ("empty.csv", b"", "empty"),
    ("header-only.csv", b"a,b\n", "no rows"),
    ("garbage.parquet", b"this is not parquet", "cannot read"),
])
def test_unreadable_or_empty_file_fails_the_job(client, credit_model, inputs_dir, name, data, expect):
    job = run_job(client, {"model": credit_model, "input": {"path": write(inputs_dir, name, data)}})
    assert job["status"] == "failed" and job["error"]["type"] == "UnreadableInput"
    assert expect in job["error"]["message"]


def test_model_error_names_the_line_and_the_worker_goes_on(client, inputs_dir):
    # Given a model that refuses negative numbers, and a file with one at data row 7
    from pickymodel import NoNegatives
    name = f"picky-{uuid.uuid4().hex[:6]}"
    register(client, name, NoNegatives().fit(pd.DataFrame({"x": [0.0, 1.0, 2.0]})))
    path = write(inputs_dir, "negative.csv", "id,x\n" + "".join(f"{i},{-i if i == 7 else i}\n" for i in range(1, 20)))
    # When it is scored
    job = run_job(client, {"model": name, "input": {"path": path}})
    # Then the job fails naming the line (not an internal batch row), and the next job still completes
    assert job["status"] == "failed"
    assert job["error"]["message"] == "line 8: the model failed: ValueError: negative values are not allowed"
    assert job["error"]["line"] == 8
    assert run_job(client, {"model": name, "input": {"values": [[1.0]]}})["status"] == "completed"


def test_lines_stay_exact_after_blank_and_malformed_lines(client, credit_model, inputs_dir):
    # Given a CSV with a blank line, a line with too few fields, and a bad number further down
    lines = csv_with_bad_amounts(30, [25]).splitlines()
    lines.insert(4, "")  # becomes line 5
    lines.insert(9, "1,no_checking,13")  # becomes line 10
    path = write(inputs_dir, "messy.csv", "\n".join(lines) + "\n")
    # When it is scored allowing one bad row
    job = run_job(client, {"model": credit_model, "input": {"path": path}, "max_bad_rows": 1})
    # Then the malformed line is the one bad row, and the bad number is named at its real line (25 + 2)
    assert job["status"] == "failed"
    assert job["error"]["message"].startswith("column LoanAmount, line 27: 'lots' is not a number")
    job = run_job(client, {"model": credit_model, "input": {"path": path}, "max_bad_rows": 2})
    assert job["status"] == "completed" and job["result"]["rows"] == 29
    errors = client.get(job["result"]["errors_url"]).text.splitlines()
    assert ['"line": 10' in errors[0], '"line": 27' in errors[1]] == [True, True]


def test_the_server_own_files_are_not_inputs_by_path(client, credit_model):
    # Given a finished job whose results lie under the data dir, which is one of the data roots
    job = run_job(client, {"model": credit_model, "input": {"fields": FIELDS, "values": [WATSON_ROW]}})
    from batchsvc.storage.services import get_services
    result = get_services().data.result_file(job["id"], job["result"]["format"])
    assert result.exists()
    # When another job names that file by path, Then it is refused: results and uploads go by id and owner
    error = error_of(client.post("/v1/jobs", json={"model": credit_model, "input": {"path": str(result),
                                                                                    "format": "csv"}}), 422)
    assert "server's own files" in error["message"]
