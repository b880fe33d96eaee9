"""A job in flight across the upgrade that renamed parts (`.parquet` to `.part`) finishes with all its rows."""

import io

import pyarrow as pa

from batchsvc.scoring import parts
from batchsvc.storage.files.datadir import DataDir


def _write(location, table: pa.Table, fmt: str) -> None:
    sink = io.BytesIO()
    writer = parts.part_writer(sink, fmt)
    writer.write(table)
    writer.close()
    location.make_parent()
    with open(location.url, "wb") as f:  # a local data dir: the location is a path
        f.write(sink.getvalue())


def test_a_part_written_under_the_old_name_is_found_and_assembled_with_new_ones(tmp_path):
    # Given chunk 0's part written before the upgrade (a Parquet file named .parquet) and chunk 1's after it
    data = DataDir(tmp_path)
    first = pa.table({"id": [1, 2], "prediction": ["No Risk", "Risk"]})
    second = pa.table({"id": [3], "prediction": ["Risk"]})
    _write(data.parts_dir("job1") / "part-000000.parquet", first, "parquet")
    _write(data.part_file("job1", 1), second, "csv")
    # When finalize looks the parts up and assembles a CSV result
    found = data.written_parts("job1", [0, 1])
    out = io.BytesIO()
    rows = parts.assemble([part.open_native for part in found], "csv", out)
    # Then the old part is found under its old name, and the result holds every row in order
    assert [part.name for part in found] == ["part-000000.parquet", "part-000001.part"]
    assert rows == 3
    assert out.getvalue().decode().splitlines() == ['"id","prediction"', '1,"No Risk"', '2,"Risk"', '3,"Risk"']
