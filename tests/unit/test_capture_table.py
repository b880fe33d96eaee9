"""A captured request as Parquet rows, and the writer when its store fails: pure conversions and a real folder,
no Redis."""

import pyarrow.parquet as pq

from batchsvc.schemas import PredictionRequest
from batchsvc.storage.capture_files import page
from batchsvc.storage.capture_table import Captured, table_of
from batchsvc.storage.captures import CaptureWriter
from batchsvc.storage.files import locate

ENTRY = {"ms": 2.5, "status": 200, "version": 3, "error": None}
ANSWER = {"predictions": [{"fields": ["prediction"], "values": [["yes"], ["no"]]}]}


def test_input_data_without_fields_takes_the_versions_feature_names():
    item = Captured(1_000, ENTRY, "m", ["a", "b"], b'{"input_data": [{"values": [[1, "x"], [2, "y"]]}]}', ANSWER)
    rows = table_of([item]).to_pylist()
    assert [(r["input.a"], r["input.b"], r["output.prediction"], r["row"]) for r in rows] == [
        (1, "x", "yes", 0), (2, "y", "no", 1)]
    assert {r["version"] for r in rows} == {3} and rows[0]["request"] == rows[1]["request"]


def test_a_column_of_mixed_kinds_is_kept_as_json_text_and_a_failed_request_has_no_outputs():
    mixed = PredictionRequest.model_validate({"records": [{"a": 1}, {"a": "two"}, {"a": [3]}]})
    failed = {**ENTRY, "status": 422, "error": "DataError: bad"}
    table = table_of([Captured(1_000, failed, "m", ["a"], mixed, None)])
    assert table.column("input.a").to_pylist() == ["1", "two", "[3]"]
    assert table.column("status").to_pylist() == [422] * 3 and "output.prediction" not in table.column_names


def test_text_that_is_no_table_is_one_row_of_body_and_answer():
    table = table_of([Captured(1_000, ENTRY, "m", None, '{"data": [1]}', '{"echo": [1]}')])
    assert table.to_pylist()[0]["input.body"] == '{"data": [1]}'
    assert table.to_pylist()[0]["output.body"] == '{"echo": [1]}'


def test_a_store_that_fails_loses_the_batch_counted_and_the_writer_goes_on(tmp_path):
    # Given a started writer whose first folder cannot be made (a file is where it would go)
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a folder")
    writer = CaptureWriter().start()
    item = Captured(1_000, ENTRY, "m", ["a"], b'{"records": [{"a": 1}]}', ANSWER)
    try:
        # When a capture goes there and another to a folder that works
        writer.add(locate(blocked) / "dep", item)
        writer.flush()
        writer.add(locate(tmp_path) / "ok", item)
    finally:
        writer.stop()
    # Then the first is counted as dropped and the second was written
    assert writer.dropped == 1
    files, _ = page(locate(tmp_path) / "ok", 10)
    assert len(files) == 1 and pq.read_table(files[0].location.path).num_rows == 1


def test_a_full_buffer_drops_new_captures_and_counts_them(tmp_path, monkeypatch):
    # Given a started writer whose buffer holds 2 captures and whose thread does not write before the test asks
    monkeypatch.setattr("batchsvc.storage.captures.MAX_PENDING", 2)
    monkeypatch.setattr("batchsvc.storage.captures.FLUSH_EVERY_S", 3600)
    writer = CaptureWriter().start()
    item = Captured(1_000, ENTRY, "m", ["a"], b'{"records": [{"a": 1}]}', ANSWER)
    # When 5 captures arrive
    for _ in range(5):
        writer.add(locate(tmp_path) / "dep", item)
    writer.stop()
    # Then 2 were written and 3 counted as dropped
    files, _ = page(locate(tmp_path) / "dep", 10)
    assert sum(f.rows for f in files) == 2 and writer.dropped == 3
