"""CSV results from CSV parts, exact: bytes equal to the result written at once, whatever the parts hold; and CSV
chunks scored from Arrow exactly as the pandas path scores them."""

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from test_scoring_arrow import PASSTHROUGH, credit  # noqa: F401 (credit: the module's engines, a fixture)

from batchsvc.scoring import output, parts, score_text
from batchsvc.scoring.batch import Batch
from batchsvc.scoring.csvparse import parse_csv
from batchsvc.scoring.sample import make_credit_risk
from batchsvc.scoring.score import score_batch, score_table


def csv_batch(frame: pd.DataFrame, info, first_line: int = 2) -> Batch:
    """The frame as the chunk reader hands a CSV byte range over."""
    header, body = frame.to_csv(index=False).encode().split(b"\n", 1)
    return parse_csv(header + b"\n", body, [*PASSTHROUGH, *info.features], first_line, None, info.text_features)


def part(tables: list[pa.Table | None], fmt: str) -> bytes:
    """One chunk's part in the writer the job's result format picks."""
    sink = io.BytesIO()
    writer = parts.part_writer(sink, fmt)
    for table in tables:
        if table is not None:
            writer.write(table)
    writer.close()
    return sink.getvalue()


def assembled(stored: list[bytes], fmt: str) -> tuple[int, bytes]:
    """The parts assembled, each opened as the file store opens them (pyarrow's own files: no readline)."""
    sink = io.BytesIO()
    rows = parts.assemble([lambda p=p: pa.BufferReader(p) for p in stored], fmt, sink)
    return rows, sink.getvalue()


def at_once(table: pa.Table, fmt: str) -> bytes:
    sink = io.BytesIO()
    output.write_batches(table.to_batches(max_chunksize=output.STREAM_BATCH_ROWS), table.schema, fmt, sink)
    return sink.getvalue()


@pytest.mark.parametrize("engine_name", ["sklearn", "onnx"])
def test_a_csv_result_joined_from_csv_parts_is_byte_equal_to_one_written_at_once(credit, engine_name):
    # Given scored chunks of a CSV input (float32 scores from onnx, float64 from scikit-learn), one of them empty
    engines, info = credit
    frame = make_credit_risk(3000, seed=7)
    scored = [score_table(engines[engine_name], info, csv_batch(frame[i:i + 1000], info, i + 2), PASSTHROUGH, 0, 0)[0]
              for i in range(0, 3000, 1000)]
    stored = [part([scored[0]], "csv"), part([None], "csv"), part([scored[1][:400], scored[1][400:]], "csv"),
              part([scored[2]], "csv")]
    # When the CSV parts are joined into the result
    rows, result = assembled(stored, "csv")
    # Then it is the very bytes of the whole output written as CSV at once, and of today's assembly from Parquet
    whole = pa.concat_tables(scored)
    assert rows == 3000
    assert result == at_once(whole, "csv")
    assert result == assembled([part([t], "parquet") for t in scored], "csv")[1]


def test_csv_parts_of_different_schemas_are_assembled_as_parquet_parts_would_be():
    # Given parts whose id column is numbers in one, text (with an empty and a missing value) in the other
    first = pa.table({"id": [1, 2], "prediction": [0.5, 1.5]})
    second = pa.table({"id": pa.array(["C-3", "", None], pa.large_string()), "prediction": [2.5, 3.5, 4.5]})
    # When they are assembled from CSV parts and from Parquet parts into each format
    for fmt in ("csv", "parquet", "jsonl"):
        from_csv = assembled([part([first], "csv"), part([second], "csv")], fmt)
        from_parquet = assembled([part([first], "parquet"), part([second], "parquet")], fmt)
        # Then both give the same rows and the same bytes
        assert from_csv == from_parquet and from_csv[0] == 5


def test_a_csv_value_holding_a_newline_counts_as_one_row():
    # Given a CSV part whose text value spans two lines
    table = pa.table({"note": pa.array(["one\ntwo", "three"], pa.large_string()), "prediction": [1.0, 2.0]})
    # When it is joined, Then its rows are counted, not its lines, and the bytes are those written at once
    assert assembled([part([table], "csv")], "csv") == (2, at_once(table, "csv"))


@pytest.mark.parametrize("engine_name", ["sklearn", "onnx"])
def test_a_clean_csv_chunk_is_scored_from_arrow_as_the_pandas_path_scores_it(credit, engine_name):
    # Given CSV rows with text that looks like a number, an empty text value and a category no encoder learnt
    engines, info = credit
    frame = make_credit_risk(500, seed=11)
    frame.loc[3, "Job"], frame.loc[4, "Sex"], frame.loc[5, "Telephone"] = "astronaut", "", "01"
    batch = csv_batch(frame, info, first_line=102)
    assert batch.arrow is not None and pa.types.is_dictionary(batch.arrow.schema.field("Job").type)
    # When it is scored from Arrow, and a copy of it as a pandas frame
    table, bad = score_table(engines[engine_name], info, batch, PASSTHROUGH, 0, 0)
    rows, slow_bad = score_batch(engines[engine_name], info, Batch(batch.frame.copy(), csv=True), PASSTHROUGH, 0, 0)
    # Then both give the same columns, types and values, and the rows are numbered by their lines
    expected = pa.Table.from_pandas(rows, preserve_index=False)
    assert table.schema.remove_metadata().equals(expected.schema.remove_metadata())
    assert table.to_pydict() == expected.to_pydict() and bad == slow_bad == []
    assert batch.frame.index[0] == 101 and batch.frame["Telephone"][106] == "01"


def test_a_csv_chunk_with_a_blank_line_or_a_short_row_still_goes_the_pandas_path():
    # Given CSV chunks holding a blank line (\n\n, \r\n\r\n) or a row of too few fields
    header = b"a,b\n"
    for body, bad, kept in [(b"1,2\n\n3,4\n", 0, [1, 3]), (b"1,2\r\n\r\n3,4\r\n", 0, [1, 3]),
                            (b"1,2\n3\n5,6\n", 1, [1, 5])]:
        # When it is parsed, Then its rows are a frame numbered by line without the blank line or the short row
        batch = parse_csv(header, body, None, 2)
        assert batch.arrow is None and len(batch.bad) == bad
        assert batch.frame["a"].tolist() == kept and batch.frame.index.tolist() == [1, 3]


def test_narrowed_scores_print_as_text_ready_ones():
    # Given float32 scores (tiny, huge, round, exponent-printed) widened to float64, and scikit-learn's float64 ones
    rng = np.random.default_rng(3)
    edges = [1e-5, 1e-7, 2.5e-8, 1e-45, 3.4e38, 1e20, 1e16, 1e15, 123456.7, 1.0, 0.0, 0.1, -0.5]
    float32s = np.concatenate([rng.random(20_000), edges]).astype(np.float32).astype(np.float64)
    for values in (float32s, rng.random(20_000)):
        batch = pa.record_batch({"id": np.arange(len(values)), "probability_x": values})
        # When each is written as CSV through csv_ready and through text_ready, Then the bytes are the same
        written = []
        for ready in (score_text.csv_ready, score_text.text_ready):
            sink = io.BytesIO()
            pacsv.write_csv(ready(batch), sink)
            written.append(sink.getvalue())
        assert written[0] == written[1]
