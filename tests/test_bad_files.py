"""Data is never silently misread: non-UTF-8 text, long CSV rows, NaN/inf and duplicate columns, end to end."""

import gzip
import io
import uuid

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from harness import register, results, run_job
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from batchsvc.scoring.sample import FIELDS, WATSON_ROW, make_credit_risk

NOT_UTF8 = 'not valid UTF-8 text; if the file is in another encoding, set input.encoding (e.g. "latin-1")'
CANNOT_MISS = "missing value, and this model cannot score missing values"


def failed_with(job: dict, kind: str, message: str, **details) -> None:
    assert job["status"] == "failed", job
    assert (job["error"]["type"], job["error"]["message"]) == (kind, message)
    assert {k: job["error"].get(k) for k in details} == details


def refused(response, field: str) -> str:
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field, response.text
    return response.json()["error"]["message"]


def latin1_table(rows: int = 30) -> pd.DataFrame:
    frame = make_credit_risk(rows, seed=21)
    frame.loc[5, "Sex"] = "fémale"  # line 7: the one value that is not ASCII
    return frame


# 1. Encodings and text features

def test_a_latin1_csv_fails_naming_the_column_and_line(client, credit_model, inputs_dir):
    path = inputs_dir / "latin1.csv"
    path.write_bytes(latin1_table().to_csv(index=False).encode("latin-1"))
    job = run_job(client, {"model": credit_model, "input": {"path": str(path)}, "chunk_size": 10})
    failed_with(job, "UnreadableInput", f"column Sex, line 7: {NOT_UTF8}", column="Sex", line=7)


def test_a_latin1_csv_with_its_encoding_scores_like_its_utf8_copy(client, credit_model, inputs_dir):
    frame = latin1_table()
    frame.to_csv(inputs_dir / "copy-utf8.csv", index=False)
    (inputs_dir / "copy-latin1.csv").write_bytes(frame.to_csv(index=False).encode("latin-1"))
    out = {"passthrough": ["CustomerID", "Sex"]}
    utf8 = results(client, run_job(client, {"model": credit_model, "output": out, "chunk_size": 10,
                                            "input": {"path": str(inputs_dir / "copy-utf8.csv")}}))
    latin1 = results(client, run_job(client, {"model": credit_model, "output": out, "chunk_size": 10, "input": {
        "path": str(inputs_dir / "copy-latin1.csv"), "encoding": "latin-1"}}))
    pd.testing.assert_frame_equal(latin1, utf8)
    assert latin1["Sex"][5] == "fémale"


@pytest.mark.parametrize("encoding, says", [
    ("utf-16", "input.encoding 'utf-16' is not ASCII-compatible"),
    ("iso2022_jp", "input.encoding 'iso2022_jp' is not ASCII-compatible"),
    ("klingon", "input.encoding 'klingon' is not a known text encoding"),
])
def test_an_encoding_chunks_cannot_be_cut_in_is_refused_at_submit(client, credit_model, inputs_dir, encoding, says):
    path = inputs_dir / "copy-utf8.csv"
    path.write_text(latin1_table().to_csv(index=False))
    message = refused(client.post("/v1/jobs", json={"model": credit_model,
                                                    "input": {"path": str(path), "encoding": encoding}}),
                      "input.encoding")
    assert message.startswith(says), message


def test_an_encoding_for_parquet_is_refused_at_submit(client, credit_model, inputs_dir):
    make_credit_risk(5).to_parquet(inputs_dir / "enc.parquet")
    body = {"model": credit_model, "input": {"path": str(inputs_dir / "enc.parquet"), "encoding": "latin-1"}}
    assert refused(client.post("/v1/jobs", json=body), "input.encoding") == (
        "input.encoding applies to CSV input only; Parquet text is always UTF-8")


@pytest.fixture(scope="module")
def branch_model(client):
    """A model whose text feature looks like numbers: branch codes "01", "02", "10"."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"Branch": rng.choice(["01", "02", "10"], 300), "x": rng.normal(size=300)})
    y = (frame["Branch"] == "02") | (frame["x"] > 1)
    model = Pipeline([("prep", ColumnTransformer([("codes", OneHotEncoder(handle_unknown="ignore"), ["Branch"]),
                                                  ("num", "passthrough", ["x"])])),
                      ("lr", LogisticRegression())]).fit(frame, y)
    name = f"branch-{uuid.uuid4().hex[:6]}"
    register(client, name, model)
    return name, model, frame


def test_a_text_feature_that_looks_like_numbers_is_read_as_text_from_csv(client, branch_model, inputs_dir):
    name, model, frame = branch_model
    frame.to_csv(inputs_dir / "branches.csv", index=False)
    got = results(client, run_job(client, {"model": name, "input": {"path": str(inputs_dir / "branches.csv")}}))
    assert np.allclose(got["probability_True"], model.predict_proba(frame)[:, 1], rtol=0, atol=1e-5)  # engine tolerance


def test_a_parquet_text_feature_of_bytes_is_refused_naming_the_column(client, credit_model, inputs_dir):
    table = pa.Table.from_pandas(make_credit_risk(20), preserve_index=False).replace_schema_metadata(None)
    sex = table.schema.get_field_index("Sex")
    table = table.set_column(sex, "Sex", pa.array([s.encode() for s in table["Sex"].to_pylist()], pa.binary()))
    pq.write_table(table, inputs_dir / "bytes.parquet")
    job = run_job(client, {"model": credit_model, "input": {"path": str(inputs_dir / "bytes.parquet")}})
    failed_with(job, "SchemaError", "column Sex holds bytes, not text; store it as a string (UTF-8) column",
                column="Sex")


def test_a_parquet_text_feature_of_numbers_is_refused_naming_the_column_and_type(client, branch_model, inputs_dir):
    name, _, frame = branch_model
    frame.assign(Branch=frame["Branch"].astype(int)).to_parquet(inputs_dir / "int-branches.parquet")
    job = run_job(client, {"model": name, "input": {"path": str(inputs_dir / "int-branches.parquet")}})
    failed_with(job, "SchemaError", "column Branch is int64, but the model reads it as text; store it as strings",
                column="Branch")


# 2. Long CSV rows

def test_a_csv_field_of_5_mib_is_read_and_scored(client, credit_model, credit_estimator, inputs_dir):
    frame = make_credit_risk(40, seed=2)
    frame["Notes"] = ["x" * (5 << 20) if i == 17 else "short" for i in range(40)]
    frame.to_csv(inputs_dir / "long-field.csv", index=False)
    got = results(client, run_job(client, {"model": credit_model, "input": {"path": str(inputs_dir / "long-field.csv")},
                                           "output": {"passthrough": ["CustomerID"]}}))
    assert got["CustomerID"].tolist() == frame["CustomerID"].tolist()
    assert got["prediction"].tolist() == credit_estimator.predict(frame[FIELDS]).tolist()


# 3. NaN, inf and missing values

def with_value(column: str, line: int, text: str) -> pd.DataFrame:
    frame = make_credit_risk(30, seed=6)
    frame[column] = frame[column].astype(object)
    frame.loc[line - 2, column] = text
    return frame


@pytest.mark.parametrize("column, line, text, message", [
    ("Age", 6, "inf", "column Age, line 6: inf is not a finite number"),
    ("Age", 6, "-inf", "column Age, line 6: -inf is not a finite number"),
    ("Age", 9, "1e400", "column Age, line 9: inf is not a finite number"),
    ("LoanAmount", 4, "", f"column LoanAmount, line 4: {CANNOT_MISS}"),
    ("LoanAmount", 4, "NaN", f"column LoanAmount, line 4: {CANNOT_MISS}"),
])
def test_non_finite_and_missing_numbers_fail_naming_column_and_line(client, credit_model, inputs_dir, column, line,
                                                                     text, message):
    path = inputs_dir / f"nonfinite-{uuid.uuid4().hex[:6]}.csv"
    with_value(column, line, text).to_csv(path, index=False)
    job = run_job(client, {"model": credit_model, "input": {"path": str(path)}})
    failed_with(job, "SchemaError", message, column=column, line=line)


def test_non_finite_and_missing_numbers_are_bad_rows_under_max_bad_rows(client, credit_model, inputs_dir):
    frame = make_credit_risk(30, seed=6).astype({"Age": float, "LoanAmount": float})
    frame.loc[2, "LoanAmount"], frame.loc[4, "Age"] = np.nan, np.inf
    frame.to_parquet(inputs_dir / "nonfinite.parquet")
    job = run_job(client, {"model": credit_model, "input": {"path": str(inputs_dir / "nonfinite.parquet")},
                           "max_bad_rows": 2, "output": {"passthrough": ["CustomerID"]}})
    assert results(client, job)["CustomerID"].tolist() == [i for i in range(1, 31) if i not in (3, 5)]
    errors = pd.read_json(io.BytesIO(client.get(job["result"]["errors_url"]).content), lines=True)
    assert errors[["row", "column", "error"]].values.tolist() == [
        [3, "LoanAmount", CANNOT_MISS], [5, "Age", "not a finite number"]]
    job = run_job(client, {"model": credit_model, "input": {"path": str(inputs_dir / "nonfinite.parquet")},
                           "max_bad_rows": 1})
    failed_with(job, "TooManyBadRows", "column Age, row 5: inf is not a finite number (more than max_bad_rows=1)")


def test_inline_null_is_a_missing_value(client, credit_model):
    row = list(WATSON_ROW)
    row[FIELDS.index("LoanAmount")] = None
    job = run_job(client, {"model": credit_model, "input": {"fields": FIELDS, "values": [WATSON_ROW, row]}})
    failed_with(job, "SchemaError", f"column LoanAmount, row 2: {CANNOT_MISS}", column="LoanAmount", row=2)


def test_a_model_that_accepts_missing_values_scores_them(client, inputs_dir):
    rng = np.random.default_rng(8)
    frame = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    model = Pipeline([("scale", StandardScaler()), ("hgb", HistGradientBoostingClassifier(max_iter=20))])
    model.fit(frame, frame["a"] + frame["b"] > 0)
    name = f"hgb-{uuid.uuid4().hex[:6]}"
    register(client, name, model)
    frame.loc[[3, 50], "a"] = np.nan
    frame.to_csv(inputs_dir / "hgb.csv", index=False)
    got = results(client, run_job(client, {"model": name, "input": {"path": str(inputs_dir / "hgb.csv")}}))
    assert np.allclose(got["probability_True"], model.predict_proba(frame)[:, 1])


# 4. Duplicate columns

@pytest.mark.parametrize("kind", ["csv", "csv.gz", "parquet"])
def test_duplicate_columns_fail_the_job_at_plan(client, credit_model, inputs_dir, kind):
    frame = make_credit_risk(20)
    frame.insert(3, "Age ", frame["Age"] + 1)
    header = ",".join(frame.columns).replace("Age ", "Age")
    text = frame.to_csv(index=False, header=False)
    path = inputs_dir / f"dupes.{kind}"
    if kind == "parquet":
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False).rename_columns(header.split(",")), path)
    else:
        data = f"{header}\n{text}".encode()
        path.write_bytes(gzip.compress(data) if kind == "csv.gz" else data)
    job = run_job(client, {"model": credit_model, "input": {"path": str(path)}})
    failed_with(job, "SchemaError", "input has duplicate columns: Age", columns=["Age"])
    assert job["progress"]["chunks_total"] is None  # refused while planning, before any chunk was sent


def test_duplicate_inline_fields_are_refused_at_submit(client, credit_model):
    body = {"model": credit_model, "input": {"fields": [*FIELDS, "Age"], "values": [[*WATSON_ROW, 30]]}}
    assert refused(client.post("/v1/jobs", json=body), "input.fields") == "input has duplicate columns: Age"

