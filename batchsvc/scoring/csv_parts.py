"""CSV parts: a chunk of a CSV result written as CSV once, so assembling the result is copying bytes.

A CSV part is one line holding its rows' Arrow schema (base64 of Arrow's IPC form), then the rows as CSV text
without a header, exactly as the result's CSV writer writes them, then its row count in a line of fixed width
(a quoted value may hold newlines, so lines do not count rows). Parts that share one schema are joined by
writing the header once and copying each part's rows; parts whose schemas differ are read back with their own
schema (so every value is the one written) and assembled column by column as Parquet parts are.
"""

import base64
import io
from collections.abc import Callable
from typing import BinaryIO

import pyarrow as pa
import pyarrow.csv as pacsv

from batchsvc.scoring.score_text import csv_ready

PARQUET_MAGIC = b"PAR1"  # the first bytes of every Parquet file: a part without them is a CSV part
COPY_BLOCK_BYTES = 1 << 20
SCHEMA_BLOCK_BYTES = 1 << 16
COUNT_LINE_BYTES = 21  # the row count: 20 digits and a newline


class CsvPartWriter:
    """Appends scored batches (Arrow tables) to one CSV part, under its schema line."""

    def __init__(self, sink: BinaryIO):
        self.sink, self.rows = sink, 0
        self.schema: pa.Schema | None = None

    def write(self, table: pa.Table) -> None:
        if self.schema is None:
            self.schema = table.schema.remove_metadata()
            self.sink.write(_schema_line(self.schema))
        if not table.schema.equals(self.schema):
            table = table.cast(self.schema)
        for batch in table.to_batches():
            pacsv.write_csv(csv_ready(batch), self.sink, pacsv.WriteOptions(include_header=False))
        self.rows += table.num_rows

    def close(self) -> None:
        if self.schema is None:  # a chunk whose rows were all bad: an empty part keeps the order simple
            self.sink.write(_schema_line(pa.schema([])))
        self.sink.write(b"%020d\n" % self.rows)


def is_csv_part(part: Callable[[], BinaryIO]) -> bool:
    with part() as f:
        return f.read(len(PARQUET_MAGIC)) != PARQUET_MAGIC


def part_schema(part: Callable[[], BinaryIO]) -> pa.Schema:
    """A CSV part's schema, from its first line."""
    with part() as f:
        return _schema_and_start(f)[0]


def join(parts: list[Callable[[], BinaryIO]], schema: pa.Schema, dest: BinaryIO) -> int:
    """The header, then each part's rows copied as they are (every part written under `schema`); the row count."""
    pacsv.write_csv(schema.empty_table(), dest)
    rows = 0
    for part in parts:
        with part() as f:
            rows_start = _schema_and_start(f)[1]
            size = f.seek(0, io.SEEK_END)
            f.seek(size - COUNT_LINE_BYTES)
            rows += int(f.read(COUNT_LINE_BYTES))
            f.seek(rows_start)
            _copy(f, dest, size - COUNT_LINE_BYTES - rows_start)
    return rows


def _copy(f: BinaryIO, dest: BinaryIO, n_bytes: int) -> None:
    while n_bytes > 0:
        block = f.read(min(COPY_BLOCK_BYTES, n_bytes))
        if not block:
            raise EOFError("a CSV part ended before its row count")
        dest.write(block)
        n_bytes -= len(block)


def read_part(part: Callable[[], BinaryIO]) -> pa.Table:
    """A CSV part's rows read back with the types they were written from (text, empty text and missing
    values told apart as Arrow's writer writes them: "" quoted, missing bare)."""
    with part() as f:
        schema, rows_start = _schema_and_start(f)
        f.seek(rows_start)
        body = f.read()[:-COUNT_LINE_BYTES]
    if not body:
        return schema.empty_table()
    read = pacsv.ReadOptions(column_names=schema.names, use_threads=False)
    convert = pacsv.ConvertOptions(column_types=schema, strings_can_be_null=True, quoted_strings_can_be_null=False)
    return pacsv.read_csv(io.BytesIO(body), read_options=read, convert_options=convert)


def _schema_line(schema: pa.Schema) -> bytes:
    return base64.b64encode(schema.serialize().to_pybytes()) + b"\n"


def _schema_and_start(f: BinaryIO) -> tuple[pa.Schema, int]:
    """The part's schema and where its rows start (read in blocks: pyarrow's own files have no readline)."""
    line = b""
    while b"\n" not in line:
        block = f.read(SCHEMA_BLOCK_BYTES)
        if not block:
            raise EOFError("a CSV part without its schema line")
        line += block
    end = line.index(b"\n")
    return pa.ipc.read_schema(pa.py_buffer(base64.b64decode(line[:end]))), end + 1
