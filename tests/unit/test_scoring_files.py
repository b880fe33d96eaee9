"""scoring.filesets on in-memory files: one schema across files, chunks spanning files, errors naming the file."""

import gzip
import io
import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.linear_model import LinearRegression

from batchsvc.errors import SchemaError, UnreadableInput
from batchsvc.scoring import filesets
from batchsvc.scoring.filesets import SOURCE_FILE_COLUMN, common_columns, plan_files, read_chunk
from batchsvc.scoring.modelinfo import inspect_model
from batchsvc.scoring.score import score_batch
from batchsvc.scoring.sources import FileSource, plan_file, read_file_chunk


def source(name: str, data: bytes, fmt: str = "csv") -> FileSource:
    """A file as the file store hands it over, held in memory."""
    return FileSource(name, fmt, lambda: io.BytesIO(data), len(data))


def csv(name: str, text: str) -> FileSource:
    return source(name, text.encode())


def gz(name: str, text: str) -> FileSource:
    return source(name, gzip.compress(text.encode()))


def parquet(name: str, table: pa.Table, row_group_rows: int | None = None) -> FileSource:
    sink = io.BytesIO()
    pq.write_table(table, sink, row_group_size=row_group_rows)
    return source(name, sink.getvalue(), "parquet")


def rows(n: int, first: int = 0) -> str:
    """n CSV rows a,b after the header; a counts on from `first`."""
    return "a,b\n" + "".join(f"{first + i},{i % 3}\n" for i in range(n))


def read_all(sources: list[FileSource], source_file: bool = False, chunk_rows: int = 100) -> list:
    """Every batch of the job, chunk by chunk."""
    plan = plan_files(sources, chunk_rows, explicit=False)
    return [b for c in plan.chunks for b in read_chunk(sources, c, None, 1000, source_file=source_file)]


@pytest.fixture(scope="module")
def model():
    """A regressor on two numeric features, a and b."""
    estimator = LinearRegression().fit(pd.DataFrame({"a": [0.0, 1.0, 2.0], "b": [1.0, 0.0, 1.0]}), [0.0, 1.0, 2.0])
    return estimator, inspect_model(estimator)


def test_one_file_plans_exactly_as_before():
    # Given one file of each kind: plain CSV, gzip CSV, Parquet in several row groups
    table = pa.table({"a": list(range(500)), "b": [1.0] * 500})
    for one in (csv("a.csv", rows(500)), gz("a.csv.gz", rows(50)), parquet("a.parquet", table, 100)):
        # When the job over just that file is planned, Then its chunks are plan_file's, to the dict
        for explicit in (False, True):
            assert plan_files([one], 120, explicit) == plan_file(one, 120, explicit)
        # And each chunk reads exactly as read_file_chunk reads it
        for chunk in plan_file(one, 120, False).chunks:
            got, want = read_chunk([one], chunk, None, 64), read_file_chunk(one, chunk, None, 64)
            for a, b in zip(got, want, strict=True):
                pd.testing.assert_frame_equal(a.frame, b.frame)
                assert (a.bad, a.csv, a.file) == (b.bad, b.csv, None)


def test_rows_of_several_files_come_in_file_order():
    # Given three CSV files
    files = [csv("a.csv", rows(3, 0)), csv("b.csv", rows(2, 10)), csv("c.csv", rows(4, 20))]
    # When every chunk of the job is read
    batches = read_all(files)
    # Then the rows come file by file, each batch numbered by its row's line in its own file
    assert [b.file for b in batches] == ["a.csv", "b.csv", "c.csv"]
    assert pd.concat([b.frame for b in batches])["a"].tolist() == [0, 1, 2, 10, 11, 20, 21, 22, 23]
    assert [b.frame.index.tolist() for b in batches] == [[1, 2, 3], [1, 2], [1, 2, 3, 4]]
    assert plan_files(files, 100, False).rows_total == 9


def test_small_files_are_grouped_into_one_chunk():
    # Given ten files of three rows
    files = [csv(f"{i:02}.csv", rows(3)) for i in range(10)]
    # When the job is planned with chunks of about 100 rows
    plan = plan_files(files, 100, False)
    # Then one chunk holds a piece of each file, the whole of its body
    body = [len("a,b\n"), len(rows(3))]
    assert plan.chunks == [{"index": 0, "pieces": [{"file": k, "bytes": body, "first_line": 2} for k in range(10)]}]
    assert plan.rows_total == 30
    # And with chunks of about 7 rows, two files (6 rows) share each chunk, never more than 7 rows
    assert [[p["file"] for p in c["pieces"]] for c in plan_files(files, 7, False).chunks] == \
        [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]
    # And the chunks travel as JSON unchanged
    assert json.loads(json.dumps(plan.chunks)) == plan.chunks


def test_a_big_file_is_split_as_before_and_its_last_piece_shares_a_chunk():
    # Given a Parquet file of 250 rows in row groups of 100, then one of 30 rows
    big = parquet("a.parquet", pa.table({"a": list(range(250)), "b": [0.5] * 250}), 100)
    small = parquet("b.parquet", pa.table({"a": list(range(30)), "b": [0.5] * 30}))
    # When the job is planned with chunks of about 100 rows
    plan = plan_files([big, small], 100, False)
    # Then the big file is cut where plan_file cuts it, and the small one joins its last, short piece
    assert [c["rows"] for c in plan_file(big, 100, False).chunks] == [[0, 100], [100, 200], [200, 250]]
    assert plan.chunks == [{"index": 0, "pieces": [{"file": 0, "rows": [0, 100]}]},
                           {"index": 1, "pieces": [{"file": 0, "rows": [100, 200]}]},
                           {"index": 2, "pieces": [{"file": 0, "rows": [200, 250]}, {"file": 1, "rows": [0, 30]}]}]
    assert plan.rows_total == 280
    # And the last chunk's rows are the big file's rows 201-250, then the small file's 1-30
    last = list(read_chunk([big, small], plan.chunks[2], ["a"], 1000))
    assert [(b.file, b.frame.index[0], b.frame.index[-1]) for b in last] == [("a.parquet", 201, 250),
                                                                            ("b.parquet", 1, 30)]


def test_a_file_missing_a_column_fails_naming_file_and_column():
    # Given a second file without the first file's column Age
    files = [csv("a.csv", "id,Age\n1,30\n"), csv("b.csv", "id\n2\n")]
    # When the job is planned, Then it fails naming the file and the column
    with pytest.raises(UnreadableInput) as caught:
        plan_files(files, 100, False)
    assert caught.value.message == "b.csv: no column 'Age' (a.csv has it)"
    assert caught.value.details == {"column": "Age", "file": "b.csv"}


def test_a_file_with_an_extra_column_fails_naming_it():
    # Given a third file with a column the first lacks
    files = [csv("a.csv", "id\n1\n"), csv("b.csv", "id\n2\n"), csv("c.csv", "id,Extra\n3,x\n")]
    # When the job is planned, Then it fails naming that file and column
    with pytest.raises(UnreadableInput, match=r"^c\.csv: column 'Extra' is not in a\.csv$"):
        plan_files(files, 100, False)


def test_columns_in_another_order_are_the_same_schema():
    # Given two CSV files with the same columns in another order
    files = [csv("a.csv", "a,b\n1,2\n"), csv("b.csv", "b,a\n4,3\n")]
    # When both are read, Then each value is under its own column's name
    frames = [b.frame for b in read_all(files)]
    assert [(f["a"].tolist(), f["b"].tolist()) for f in frames] == [([1], [2]), ([3], [4])]


def test_parquet_type_mismatch_names_the_column():
    # Given two Parquet files whose Age is int64 in one and string in the other
    a = parquet("a.parquet", pa.table({"id": [1], "Age": pa.array([30], pa.int64())}))
    b = parquet("b.parquet", pa.table({"id": [2], "Age": pa.array(["31"], pa.string())}))
    # When the job is planned, Then it fails naming the second file, the column and both types
    with pytest.raises(UnreadableInput, match=r"^b\.parquet: column 'Age' is string, a\.parquet has int64$"):
        plan_files([a, b], 100, False)


def test_files_of_two_formats_fail():
    # Given a CSV and a Parquet file in one job
    files = [csv("a.csv", "a\n1\n"), parquet("b.parquet", pa.table({"a": [1]}))]
    # When it is planned, Then it fails saying the formats differ
    with pytest.raises(UnreadableInput, match="b.parquet is parquet but a.csv is csv: the files of one job must all"):
        plan_files(files, 100, False)


def test_a_file_that_cannot_be_planned_is_named():
    # Given a second file that names a column twice, and one with a header and no rows
    twice = [csv("a.csv", "a,b\n1,2\n"), csv("b.csv", "a,a\n1,2\n")]
    empty = [csv("a.csv", "a,b\n1,2\n"), csv("b.csv", "a,b\n")]
    # When each job is planned, Then it fails naming the file (once)
    with pytest.raises(SchemaError, match=r"^b\.csv: input has duplicate columns: a$"):
        plan_files(twice, 100, False)
    with pytest.raises(UnreadableInput, match=r"^b\.csv has a header but no rows$"):
        plan_files(empty, 100, False)
    with pytest.raises(UnreadableInput, match="names no files"):
        plan_files([], 100, False)


def test_source_file_column_names_each_rows_file():
    # Given two files
    files = [csv("2024/a.csv", rows(2)), csv("2024/b.csv", rows(1, 7))]
    # When they are read asking for the file names
    frame = pd.concat([b.frame for b in read_all(files, source_file=True)])
    # Then each row names its file in _source_file
    assert SOURCE_FILE_COLUMN == "_source_file"
    assert frame[SOURCE_FILE_COLUMN].tolist() == ["2024/a.csv", "2024/a.csv", "2024/b.csv"]
    # And a job of one file names it too, when asked, but not otherwise
    one = read_all(files[:1], source_file=True)[0].frame
    assert one[SOURCE_FILE_COLUMN].tolist() == ["2024/a.csv"] * 2
    assert SOURCE_FILE_COLUMN not in read_all(files[:1])[0].frame.columns


def test_source_file_passes_through_to_the_output(model):
    # Given two files read with their names, and a passthrough of _source_file
    files = [csv("a.csv", rows(2)), csv("b.csv", rows(1, 5))]
    out = pd.concat([score_batch(*model, b, ["a", SOURCE_FILE_COLUMN], 0, 0)[0]
                     for b in read_all(files, source_file=True)])
    # Then each output row names its file
    assert out[["a", SOURCE_FILE_COLUMN]].values.tolist() == [[0, "a.csv"], [1, "a.csv"], [5, "b.csv"]]


def test_a_file_with_its_own_source_file_column_is_refused_when_names_are_asked_for():
    # Given a file that has a column _source_file already
    files = [csv("a.csv", "a,_source_file\n1,x\n"), csv("b.csv", "a,_source_file\n2,y\n")]
    # When it is read asking for the file names, Then it fails rather than overwrite the column
    with pytest.raises(SchemaError, match=r"^a\.csv has its own column '_source_file'"):
        read_all(files, source_file=True)


def test_gzip_file_among_plain_ones_is_streamed(monkeypatch):
    # Given a plain CSV, a small gzip CSV, and another plain CSV
    files = [csv("a.csv", rows(2)), gz("b.csv.gz", rows(3, 10)), csv("c.csv", rows(1, 20))]
    # When the job is planned, Then the gzip file is one stream piece, counted, sharing the chunk
    plan = plan_files(files, 100, False)
    assert [p for c in plan.chunks for p in c["pieces"]][1] == {"file": 1, "stream": True}
    assert len(plan.chunks) == 1 and plan.rows_total == 6
    # And its rows are read in file order
    assert pd.concat([b.frame for b in read_all(files)])["a"].tolist() == [0, 1, 10, 11, 12, 20]
    # But a gzip file too big to count at plan time is a chunk of its own and the total is unknown
    monkeypatch.setattr(filesets, "GZIP_COUNTED_MAX_BYTES", 8)
    plan = plan_files(files, 100, False)
    assert [c["pieces"] for c in plan.chunks] == [[{"file": 0, "bytes": [4, len(rows(2))], "first_line": 2}],
                                                  [{"file": 1, "stream": True}],
                                                  [{"file": 2, "bytes": [4, len(rows(1, 20))], "first_line": 2}]]
    assert plan.rows_total is None


def test_a_bad_row_in_the_second_file_names_that_file(model):
    # Given a second file whose line 3 has one field too many
    files = [csv("a.csv", rows(2)), csv("b.csv", "a,b\n1,2\n3,4,5\n6,7\n")]
    second = read_all(files)[1]
    # When it is read, Then its bad row names the file, then where in it
    assert second.bad == [{"file": "b.csv", "row": 2, "line": 3, "value": "3,4,5",
                           "error": "expected 2 fields, found 3"}]
    # And with no bad rows allowed the job fails naming file and line
    with pytest.raises(SchemaError) as caught:
        score_batch(*model, second, [], 0, 0)
    assert caught.value.message == "b.csv: line 3: expected 2 fields, found 3"
    assert caught.value.details == {"row": 2, "line": 3, "file": "b.csv"}


def test_a_bad_value_in_the_second_file_names_that_file(model):
    # Given a second file whose line 2 has a value that is not a number
    files = [csv("a.csv", rows(2)), csv("b.csv", "a,b\nlots,2\n3,4\n")]
    # When it is scored with one bad row allowed, Then the bad row names the file
    out, bad = score_batch(*model, read_all(files)[1], ["a"], 1, 0)
    assert bad == [{"file": "b.csv", "row": 1, "line": 2, "column": "a", "value": "lots", "error": "not a number"}]
    assert out["a"].tolist() == [3]
    # And with none allowed, the error names file, column and line
    with pytest.raises(SchemaError, match=r"^b\.csv: column a, line 2: 'lots' is not a number$"):
        score_batch(*model, read_all(files)[1], [], 0, 0)


def test_a_bad_row_of_a_single_file_job_is_as_before(model):
    # Given a job of one file with a bad line
    files = [csv("b.csv", "a,b\n1,2\n3,4,5\n")]
    # When it is scored, Then the bad row and the error do not name the file, as they never did
    assert score_batch(*model, read_all(files)[0], [], 1, 0)[1] == [{"row": 2, "line": 3, "value": "3,4,5",
                                                                     "error": "expected 2 fields, found 3"}]
    with pytest.raises(SchemaError) as caught:
        score_batch(*model, read_all(files)[0], [], 0, 0)
    assert (caught.value.message, caught.value.details) == ("line 3: expected 2 fields, found 3",
                                                            {"row": 2, "line": 3})


def test_text_that_cannot_be_read_in_the_second_file_names_that_file():
    # Given a second file with a value that is not UTF-8
    files = [csv("a.csv", "a,b\n1,x\n"), source("b.csv", b"a,b\n2,\xff\n")]
    # When it is read, Then the error names the file, the column and the line
    with pytest.raises(UnreadableInput) as caught:
        read_all(files)
    assert caught.value.message.startswith("b.csv: column b, line 2: not valid UTF-8 text")
    assert caught.value.details == {"column": "b", "line": 2, "file": "b.csv"}


def test_the_columns_of_several_files_are_the_first_file_s():
    # Given two files with the same columns, When their columns are asked for, Then they are the header's
    assert common_columns([csv("a.csv", "x,y\n1,2\n"), csv("b.csv", "x,y\n3,4\n")]) == ["x", "y"]
    assert common_columns([]) is None
