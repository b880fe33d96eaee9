"""scoring.output into tmp_path: output frames, Watson ML's shape, each format written, read back and converted.

scoring never opens paths: these tests open the files and hand it file objects, as the file store does.
"""

import functools
import io

import pandas as pd
import pytest

from batchsvc.scoring import output, score_text
from batchsvc.scoring import parts as score_parts

FORMATS = ["parquet", "csv", "jsonl"]
READERS = {"parquet": pd.read_parquet, "csv": pd.read_csv, "jsonl": lambda data: pd.read_json(data, lines=True)}


@pytest.fixture
def scored() -> pd.DataFrame:
    """An output frame: a passthrough id, then a label and two class probabilities."""
    return pd.DataFrame({"CustomerID": [7, 8, 9], "prediction": ["Risk", "No Risk", "No Risk"],
                         "probability_No Risk": [0.25, 0.5, 0.875], "probability_Risk": [0.75, 0.5, 0.125]})


def write_frame(frame: pd.DataFrame, fmt: str, path) -> int:
    with open(path, "wb") as f:
        return output.write_frame(frame, fmt, f)


def test_passthrough_columns_come_first_and_a_clashing_name_is_prefixed():
    # Given input rows with a column named like a prediction column, indexed by row number
    rows = pd.DataFrame({"id": [7, 8], "prediction": ["old", "older"], "a": [1.0, 2.0]}, index=[41, 42])
    predictions = pd.DataFrame({"prediction": ["Risk", "No Risk"]}, index=[41, 42])
    # When the output frame is built with that column passed through
    out = output.output_frame(rows, predictions, ["id", "prediction"])
    # Then the input's column keeps its values under input_<name>, in front, and the index is plain again
    assert list(out.columns) == ["id", "input_prediction", "prediction"]
    assert out.values.tolist() == [[7, "old", "Risk"], [8, "older", "No Risk"]]
    assert out.index.tolist() == [0, 1]
    assert list(output.output_frame(rows, predictions, ["*"]).columns) == ["id", "input_prediction", "a",
                                                                           "prediction"]


def test_watson_shape_gathers_the_probabilities_into_one_list_per_row(scored):
    # When the first two rows are shown in Watson ML's shape, Then each row's probabilities are one list
    assert output.watson_shape(scored, 2) == {
        "fields": ["CustomerID", "prediction", "probability"],
        "values": [[7, "Risk", [0.25, 0.75]], [8, "No Risk", [0.5, 0.5]]]}


def test_watson_shape_of_a_regressor_has_no_probability_field():
    # Given a regressor's output, asking for more rows than there are, Then all come, with no probability
    shape = output.watson_shape(pd.DataFrame({"prediction": [1.5, 2.5]}), 10)
    assert shape == {"fields": ["prediction"], "values": [[1.5], [2.5]]}


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_written_frame_reads_back_row_for_row(scored, tmp_path, fmt):
    # When an output frame is written in a format
    path = tmp_path / f"result.{fmt}"
    rows = write_frame(scored, fmt, path)
    # Then the count is its rows, and the file reads back as the same table
    assert rows == 3
    pd.testing.assert_frame_equal(READERS[fmt](path), scored, check_dtype=False)


@pytest.mark.parametrize("stored", FORMATS)
@pytest.mark.parametrize("wanted", FORMATS)
def test_a_stored_result_converts_to_every_format(scored, tmp_path, stored, wanted):
    # Given a result stored in one format
    path = tmp_path / f"result.{stored}"
    write_frame(scored, stored, path)
    # When it is streamed out as another, block by block
    with open(path, "rb") as f:
        data = b"".join(output.convert(f, stored, wanted))
    # Then the bytes are that format, with the same rows and columns
    pd.testing.assert_frame_equal(READERS[wanted](io.BytesIO(data)), scored, check_dtype=False)


@pytest.mark.parametrize("fmt", FORMATS)
def test_watson_predictions_read_the_first_rows_of_a_stored_result(scored, tmp_path, fmt):
    # Given a stored result, When its first two rows are read for the job record, Then they are the frame's
    path = tmp_path / f"result.{fmt}"
    write_frame(scored, fmt, path)
    with open(path, "rb") as f:
        assert output.watson_predictions(f, fmt, 2) == output.watson_shape(scored, 2)


def test_the_csv_and_jsonl_files_are_what_a_user_opens(scored, tmp_path):
    # When one row is written as CSV and as JSON lines, Then the files hold a header and quoted text, one object
    write_frame(scored.head(1), "csv", tmp_path / "r.csv")
    write_frame(scored.head(1), "jsonl", tmp_path / "r.jsonl")
    assert (tmp_path / "r.csv").read_text() == ('"CustomerID","prediction","probability_No Risk","probability_Risk"\n'
                                                '7,"Risk",0.25,0.75\n')
    assert (tmp_path / "r.jsonl").read_text() == ('{"CustomerID":7,"prediction":"Risk","probability_No Risk":0.25,'
                                                  '"probability_Risk":0.75}\n')


def write_part(path, frame: pd.DataFrame | None):
    """A part file, returned as the opener assemble() takes."""
    with open(path, "wb") as f:
        writer = score_parts.PartWriter(f)
        if frame is not None:
            writer.write(frame)
        writer.close()
    return functools.partial(open, path, "rb")


def assemble(parts, fmt: str, path) -> int:
    with open(path, "wb") as f:
        return score_parts.assemble(parts, fmt, f)


def test_parts_are_assembled_in_order_skipping_a_part_whose_rows_were_all_bad(scored, tmp_path):
    # Given three chunk parts, the middle one empty
    parts = [write_part(tmp_path / "0.parquet", scored.iloc[:1]), write_part(tmp_path / "1.parquet", None),
             write_part(tmp_path / "2.parquet", scored.iloc[1:])]
    # When they are assembled into one CSV
    rows = assemble(parts, "csv", tmp_path / "all.csv")
    # Then the file holds every row in part order
    assert rows == 3
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "all.csv"), scored, check_dtype=False)


def test_a_column_read_as_numbers_in_one_part_and_text_in_another_is_assembled_as_text(tmp_path):
    # Given two parts whose id column is numbers in one and text in the other
    parts = [write_part(tmp_path / "0.parquet", pd.DataFrame({"id": [1, 2], "prediction": [0.5, 1.5]})),
             write_part(tmp_path / "1.parquet", pd.DataFrame({"id": ["C-3"], "prediction": [2.5]}))]
    # When they are assembled, Then that column is text, row for row, and the others keep their type
    assemble(parts, "parquet", tmp_path / "all.parquet")
    result = pd.read_parquet(tmp_path / "all.parquet")
    assert result["id"].tolist() == ["1", "2", "C-3"] and result["prediction"].tolist() == [0.5, 1.5, 2.5]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_small_jobs_file_and_inline_predictions_equal_those_written_one_by_one(fmt):
    """write_small makes the scores text-ready once for both; the bytes and the shape must be write_frame's and
    watson_shape's exactly."""
    import numpy as np

    # Given an output frame whose probabilities are float32 values widened to float64 (an onnx engine's)
    proba = np.array([0.049253761768341064, 0.3, 0.7000000476837158], dtype=np.float32).astype(np.float64)
    frame = pd.DataFrame({"id": [1, 2, 3], "prediction": ["a", "b", "b"], "probability_a": proba,
                          "probability_b": 1 - proba})
    separately = io.BytesIO()
    output.write_frame(frame, fmt, separately)
    # When a small job writes it together with its first two rows in Watson ML's shape
    together = io.BytesIO()
    shown = output.write_small(frame, fmt, together, 2)
    # Then the file's bytes and the shape are those of write_frame and watson_shape, the decimals kept short
    assert together.getvalue() == separately.getvalue()
    assert shown == output.watson_shape(frame, 2)
    assert len(shown["values"]) == 2 and shown["values"][0][2] == [0.04925376, 0.95074624]


def test_an_output_frame_with_nothing_passed_through_is_the_predictions_as_the_concat_would_give():
    # Given rows indexed by row number and their predictions
    rows = pd.DataFrame({"a": [1.0, 2.0]}, index=[41, 42])
    predictions = pd.DataFrame({"prediction": ["Risk", "No Risk"], "probability_Risk": [0.75, 0.5]}, index=[41, 42])
    # When the output frame passes nothing through, Then it equals the general path's frame, dtypes and index too
    general = pd.concat([rows[[]].reset_index(drop=True), predictions.reset_index(drop=True)], axis=1)
    pd.testing.assert_frame_equal(output.output_frame(rows, predictions, []), general)


def test_text_ready_leaves_scikit_learns_float64_scores_as_they_are_and_shortens_float32_ones(scored):
    import numpy as np

    # Given scores with digits a float32 cannot hold (scikit-learn's own), When made text-ready
    exact = scored.assign(**{"probability_Risk": [0.1234567890123, 0.1, 0.7],
                             "probability_No Risk": [0.8765432109877, 0.9, 0.3]})
    # Then the frame comes back as it is, the very same object
    assert score_text.text_ready_frame(exact) is exact
    # And widened float32 scores (an onnx engine's) are shortened to their float32's decimals, only that column
    widened = exact.assign(**{"probability_No Risk": np.float32([0.1, 0.2, 0.3]).astype(np.float64)})
    ready = score_text.text_ready_frame(widened)
    assert ready["probability_No Risk"].tolist() == [0.1, 0.2, 0.3]
    assert ready["probability_Risk"].tolist() == exact["probability_Risk"].tolist()
