"""Per-chunk parts and their assembly, in input order, into the job's result file.

A part is written in the result's format where that lets assembly copy it as it is (Parquet row groups, CSV
bytes: csv_parts.py); parts that cannot be copied are read back and written column by column.
"""

from collections.abc import Iterable, Iterator
from typing import BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from batchsvc.scoring import csv_parts, parquet_join
from batchsvc.scoring.output import STREAM_BATCH_ROWS, Opener, parquet_writer, write_batches


def part_writer(sink: BinaryIO, fmt: str):
    """The writer of one chunk's part: CSV text for a CSV result (its assembly then copies bytes), else Parquet."""
    return csv_parts.CsvPartWriter(sink) if fmt == "csv" else PartWriter(sink)


class PartWriter:
    """Appends scored batches (Arrow tables) to one Parquet part."""

    def __init__(self, sink: BinaryIO):
        self.sink, self.rows = sink, 0
        self.writer: pq.ParquetWriter | None = None

    def write(self, rows: pa.Table | pd.DataFrame) -> None:
        table = pa.Table.from_pandas(rows, preserve_index=False) if isinstance(rows, pd.DataFrame) else rows
        if self.writer is None:
            self.writer = parquet_writer(self.sink, table.schema)
        if not table.schema.equals(self.writer.schema):
            table = table.cast(self.writer.schema)
        self.writer.write_table(table)
        self.rows += table.num_rows

    def close(self) -> None:
        if self.writer is None:  # a chunk whose rows were all bad: an empty part keeps the order simple
            pq.write_table(pa.table({}), self.sink)
        else:
            self.writer.close()


def assemble(parts: list[Opener], fmt: str, dest: BinaryIO) -> int:
    """Stream the parts, in order, into one file of the given format; returns the row count.

    Parts of the result's format that share one schema are joined as they are: Parquet parts' row groups copied,
    CSV parts' bytes concatenated under one header; nothing decoded."""
    kinds = [csv_parts.is_csv_part(p) for p in parts]
    schemas = [csv_parts.part_schema(p) if csv else _schema(p) for p, csv in zip(parts, kinds)]
    filled = [(p, s, csv) for p, s, csv in zip(parts, schemas, kinds) if len(s)]
    if filled and all(s.equals(filled[0][1]) and csv == (fmt == "csv") for _, s, csv in filled):
        if fmt == "parquet":
            return parquet_join.join([p for p, _, _ in filled], dest)
        if fmt == "csv":
            return csv_parts.join([p for p, _, _ in filled], filled[0][1], dest)
    schema = _unified_schema(schemas)
    return write_batches(_batches(parts, kinds, schema), schema, fmt, dest)


def _unified_schema(all_schemas: list[pa.Schema]) -> pa.Schema:
    """One schema for all parts, column by column; a column read as numbers in one chunk and text in
    another becomes text (and only that column)."""
    schemas = [s for s in all_schemas if len(s)]
    if not schemas:
        return pa.schema([])
    fields = [_unified_field([s.field(name) for s in schemas if name in s.names]) for name in schemas[0].names]
    return pa.schema(fields)


def _schema(part: Opener) -> pa.Schema:
    """A part's Arrow schema, without the metadata pandas adds (parts written from pandas or Arrow compare equal)."""
    with part() as f:
        return pq.read_schema(f).remove_metadata()


def _unified_field(versions: list[pa.Field]) -> pa.Field:
    try:
        return pa.unify_schemas([pa.schema([f]) for f in versions], promote_options="permissive").field(0)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pa.field(versions[0].name, pa.string())


def _batches(parts: Iterable[Opener], kinds: list[bool], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """Every part's rows (CSV parts read back with their own schema) in the unified schema."""
    for part, csv in zip(parts, kinds):
        if csv:
            table = csv_parts.read_part(part)
            if len(table.schema):
                yield from table.select(schema.names).cast(schema).to_batches(max_chunksize=STREAM_BATCH_ROWS)
            continue
        with part() as f:
            pf = pq.ParquetFile(f, pre_buffer=True)
            if not len(pf.schema_arrow):
                continue
            for batch in pf.iter_batches(batch_size=STREAM_BATCH_ROWS):
                yield pa.Table.from_batches([batch]).select(schema.names).cast(schema).to_batches()[0]
