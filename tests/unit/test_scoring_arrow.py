"""The pandas-free chunk path, exact against the pandas one: Arrow batches scored by each engine, and Parquet parts
joined by copying their row groups, equal to a file written at once."""

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from batchsvc.scoring import parquet_join, parts
from batchsvc.scoring.batch import Batch
from batchsvc.scoring.engines.onnx import OnnxEngine, compile_onnx
from batchsvc.scoring.engines.sklearn import SklearnEngine
from batchsvc.scoring.modelinfo import inspect_model
from batchsvc.scoring.sample import FIELDS, make_credit_risk, train_credit_risk
from batchsvc.scoring.score import score_batch, score_table
from batchsvc.scoring.sources import FileSource, read_file_chunk

PASSTHROUGH = ["CustomerID"]


@pytest.fixture(scope="module")
def credit():
    model = train_credit_risk(make_credit_risk(3000, seed=43))
    info = inspect_model(model)
    return {"sklearn": SklearnEngine(model, info), "onnx": OnnxEngine(compile_onnx(model, info), info, {})}, info


def parquet_batches(frame: pd.DataFrame, text: list[str]) -> list[Batch]:
    """The frame as the chunk reader hands a Parquet file over: Arrow batches, text read as dictionaries."""
    data = io.BytesIO()
    frame.to_parquet(data, index=False)
    source = FileSource("in.parquet", "parquet", lambda: io.BytesIO(data.getvalue()), len(data.getvalue()))
    return list(read_file_chunk(source, {"index": 0, "rows": [0, len(frame)]}, None, 50_000, text))


def both_paths(engine, info, batch: Batch, max_bad_rows: int = 0):
    """(the Arrow path's table and bad rows, the pandas path's frame and bad rows) for one batch."""
    fast = score_table(engine, info, batch, PASSTHROUGH, max_bad_rows, 0)
    slow = score_batch(engine, info, Batch(batch.frame.copy(), bad=list(batch.bad)), PASSTHROUGH, max_bad_rows, 0)
    return fast, slow


@pytest.mark.parametrize("engine_name", ["sklearn", "onnx"])
def test_a_clean_arrow_batch_scores_as_the_pandas_path_does(credit, engine_name):
    # Given rows read from Parquet, with a text value in a missing state and categories no encoder learnt
    engines, info = credit
    frame = make_credit_risk(500, seed=5)
    frame.loc[3, "Sex"] = None
    frame.loc[4, "Job"] = "astronaut"
    (batch,) = parquet_batches(frame, info.text_features)
    assert pa.types.is_dictionary(batch.arrow.schema.field("Job").type)
    # When one batch goes the Arrow path and a copy of it the pandas path
    (table, bad), (rows, slow_bad) = both_paths(engines[engine_name], info, batch)
    # Then both give the same columns, types and values, row for row, and no bad rows
    expected = pa.Table.from_pandas(rows, preserve_index=False)
    assert table.schema.remove_metadata().equals(expected.schema.remove_metadata())
    assert table.to_pydict() == expected.to_pydict()
    assert bad == slow_bad == []


@pytest.mark.parametrize("problem", ["missing number", "not finite", "unknown strict category"])
def test_a_batch_with_a_bad_row_goes_the_pandas_path_and_names_it(problem):
    # Given an Arrow batch whose row 2 the pandas path would set aside
    model = Pipeline([("prep", ColumnTransformer([("cat", OneHotEncoder(handle_unknown="error"), ["c"])],
                                                 remainder="passthrough")), ("m", LogisticRegression())])
    model.fit(pd.DataFrame({"c": ["a", "b", "a", "b"], "x": [1.0, 2.0, 3.0, 4.0]}), [0, 1, 0, 1])
    info = inspect_model(model)
    frame = pd.DataFrame({"CustomerID": [1, 2, 3], "c": ["a", "b", "a"], "x": [1.0, 2.0, 3.0]})
    if problem == "missing number":
        frame.loc[1, "x"] = None
    elif problem == "not finite":
        frame.loc[1, "x"] = np.inf
    else:
        frame.loc[1, "c"] = "z"
    (batch,) = parquet_batches(frame, info.text_features)
    # When it is scored through the Arrow entry point with room for one bad row
    (table, bad), (rows, slow_bad) = both_paths(SklearnEngine(model, info), info, batch, max_bad_rows=1)
    # Then the row is set aside, named as the pandas path names it, and the other rows scored alike
    assert [b["row"] for b in bad] == [2] and bad == slow_bad
    assert table.to_pydict() == pa.Table.from_pandas(rows, preserve_index=False).to_pydict()


def written(table: pa.Table, **options) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, row_group_size=700, **options)
    return sink.getvalue()


@pytest.mark.parametrize("options", [{}, {"write_page_index": True}, {"compression": "zstd"}])
def test_parquet_parts_joined_read_back_as_the_file_written_at_once(options):
    # Given a scored table cut into parts, each written as a chunk writes its part (several row groups each)
    rng = np.random.default_rng(3)
    whole = pa.table({"CustomerID": np.arange(5000), "prediction": rng.choice(["Risk", "No Risk"], 5000),
                      "probability_Risk": rng.random(5000)})
    parts = [written(whole.slice(start, 1250), **options) for start in range(0, 5000, 1250)]
    # When the parts are joined without decoding them
    sink = io.BytesIO()
    rows = parquet_join.join([lambda p=p: io.BytesIO(p) for p in parts], sink)
    # Then the result holds every row in order, equal to the table written at once, with every row group
    joined = pq.ParquetFile(io.BytesIO(sink.getvalue()))
    assert rows == joined.metadata.num_rows == 5000 and joined.metadata.num_row_groups == 8
    assert joined.read().equals(pq.read_table(io.BytesIO(written(whole, **options))))
    assert pq.read_table(io.BytesIO(sink.getvalue()), filters=[("CustomerID", ">=", 4990)]).num_rows == 10


def test_a_footer_is_written_back_byte_for_byte():
    # Given a Parquet file's footer, When it is decoded and encoded again, Then the bytes are the same
    data = written(pa.table({"a": [1, 2, 3], "b": ["x", None, "z"]}), write_page_index=True)
    start, footer = parquet_join._footer(io.BytesIO(data))
    assert parquet_join._encode_struct(footer) == data[start:-parquet_join.TAIL_BYTES]


def test_assemble_joins_parts_of_one_schema_and_skips_empty_ones():
    # Given a part, an empty part (every row bad) and another part of the same schema
    frame = make_credit_risk(100, seed=2)[["CustomerID", *FIELDS[:3]]]
    empty = io.BytesIO()
    pq.write_table(pa.table({}), empty)
    stored = [written(pa.Table.from_pandas(frame[:60], preserve_index=False)), empty.getvalue(),
              written(pa.Table.from_pandas(frame[60:], preserve_index=False))]
    # When they are assembled into a Parquet result
    sink = io.BytesIO()
    rows = parts.assemble([lambda p=p: io.BytesIO(p) for p in stored], "parquet", sink)
    # Then it reads back as the frame, row for row
    assert rows == 100
    pd.testing.assert_frame_equal(pd.read_parquet(io.BytesIO(sink.getvalue())), frame.reset_index(drop=True))
