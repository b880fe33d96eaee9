"""Output: per-chunk part files, assembled in input order into the job's result format."""

import io
import itertools
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from batchsvc.scoring.predict import PROBABILITY_PREFIX

STREAM_BATCH_ROWS = 65_536
PASSTHROUGH_CLASH_PREFIX = "input_"


def output_frame(rows: pd.DataFrame, predictions: pd.DataFrame, passthrough: list[str]) -> pd.DataFrame:
    """Passthrough columns in front of the predictions, so results join back to their rows."""
    columns = list(rows.columns) if passthrough == ["*"] else passthrough
    kept = rows[columns].rename(columns=lambda c: _unclash(c, predictions.columns))
    return pd.concat([kept.reset_index(drop=True), predictions.reset_index(drop=True)], axis=1)


def _unclash(column: str, taken) -> str:
    return f"{PASSTHROUGH_CLASH_PREFIX}{column}" if column in taken else column


class PartWriter:
    """Appends scored batches to one Parquet part file."""

    def __init__(self, path: Path):
        self.path, self.writer, self.rows = path, None, 0

    def write(self, frame: pd.DataFrame) -> None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, table.schema)
        self.writer.write_table(table.cast(self.writer.schema))
        self.rows += len(frame)

    def close(self) -> None:
        if self.writer is None:  # a chunk whose rows were all bad: an empty part keeps the order simple
            pq.write_table(pa.table({}), self.path)
        else:
            self.writer.close()


def assemble(parts: list[Path], fmt: str, dest: Path) -> int:
    """Stream the parts, in order, into one file of the given format; returns the row count."""
    schema = _unified_schema(parts)
    return write_batches(_batches(parts, schema), schema, fmt, dest)


def _unified_schema(parts: list[Path]) -> pa.Schema:
    """One schema for all parts, column by column; a column read as numbers in one chunk and text in
    another becomes text (and only that column)."""
    schemas = [s for s in (pq.read_schema(p) for p in parts) if len(s)]
    if not schemas:
        return pa.schema([])
    fields = [_unified_field([s.field(name) for s in schemas if name in s.names]) for name in schemas[0].names]
    return pa.schema(fields)


def _unified_field(versions: list[pa.Field]) -> pa.Field:
    try:
        return pa.unify_schemas([pa.schema([f]) for f in versions], promote_options="permissive").field(0)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pa.field(versions[0].name, pa.string())


def _batches(parts: Iterable[Path], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    for part in parts:
        pf = pq.ParquetFile(part)
        if not len(pf.schema_arrow):
            continue
        for batch in pf.iter_batches(batch_size=STREAM_BATCH_ROWS):
            yield pa.Table.from_batches([batch]).select(schema.names).cast(schema).to_batches()[0]


def open_writer(fmt: str, dest, schema: pa.Schema):
    """A writer with write_batch() and close() for parquet, csv or jsonl, to a path or binary file object."""
    if fmt == "parquet":
        return pq.ParquetWriter(dest, schema)
    if fmt == "csv":
        return pacsv.CSVWriter(dest, schema)
    return JsonlWriter(dest)


class JsonlWriter:
    def __init__(self, dest):
        self.own = isinstance(dest, (str, Path))
        self.f = open(dest, "wb") if self.own else dest

    def write_batch(self, batch: pa.RecordBatch) -> None:
        text = batch.to_pandas().to_json(orient="records", lines=True, date_format="iso")
        self.f.write(text.encode() + (b"\n" if text and not text.endswith("\n") else b""))

    def close(self) -> None:
        if self.own:
            self.f.close()


def write_batches(batches: Iterable[pa.RecordBatch], schema: pa.Schema, fmt: str, dest) -> int:
    """Write record batches in one format; returns the row count."""
    writer, rows = open_writer(fmt, dest, schema), 0
    try:
        for batch in batches:
            writer.write_batch(batch)
            rows += batch.num_rows
    finally:
        writer.close()
    return rows


class Drain(io.RawIOBase):
    """A write-only sink emptied by the reader after each batch: streams a conversion without a file."""

    def __init__(self):
        super().__init__()
        self.buf, self.pos = bytearray(), 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.buf += data
        self.pos += len(data)
        return len(data)

    def tell(self) -> int:
        return self.pos

    def take(self) -> bytes:
        data = bytes(self.buf)
        self.buf.clear()
        return data


def convert(path: Path, stored: str, wanted: str) -> Iterator[bytes]:
    """A stored result as bytes of another format, produced batch by batch."""
    schema, batches = read_result(path, stored)
    sink = Drain()
    writer = open_writer(wanted, sink, schema)
    for batch in batches:
        writer.write_batch(batch)
        yield sink.take()
    writer.close()
    yield sink.take()


def read_result(path: Path, fmt: str) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    """Stream a stored result back as record batches, whatever format it was written in."""
    dataset = ds.dataset(path, format="json" if fmt == "jsonl" else fmt)
    return dataset.schema, dataset.to_batches(batch_size=STREAM_BATCH_ROWS)


def watson_predictions(path: Path, fmt: str, limit: int) -> dict:
    """The first `limit` result rows in Watson ML's shape, probabilities as one list per row."""
    if fmt == "jsonl":
        return _watson_shape(*_jsonl_head(path, limit))
    schema, batches = read_result(path, fmt)
    frames, rows = [], 0
    for batch in batches:
        frames.append(batch.to_pandas())
        rows += batch.num_rows
        if rows >= limit:
            break
    return watson_shape(pd.concat(frames) if frames else pd.DataFrame(columns=schema.names), limit)


def watson_shape(frame: pd.DataFrame, limit: int) -> dict:
    """An output frame's first `limit` rows in Watson ML's shape."""
    head = frame[:limit]
    return _watson_shape(list(head.columns), json.loads(head.to_json(orient="values")))


def write_frame(frame: pd.DataFrame, fmt: str, dest: Path) -> int:
    """Write one in-memory output frame in the job's format (the small-job path: no parts)."""
    if fmt == "jsonl":
        text = frame.to_json(orient="records", lines=True, date_format="iso")
        dest.write_text(text if not text or text.endswith("\n") else text + "\n")
        return len(frame)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return write_batches(table.to_batches(), table.schema, fmt, dest)


def _jsonl_head(path: Path, limit: int) -> tuple[list[str], list[list]]:
    """The first rows of a JSON-lines result, read with the json module (a dataset costs ms per job)."""
    columns, rows = None, []
    with open(path, "rb") as f:
        for line in itertools.islice((line for line in f if line.strip()), limit):
            record = json.loads(line)
            columns = columns or list(record)
            rows.append([record.get(c) for c in columns])
    return columns or [], rows


def _watson_shape(columns: list[str], rows: list[list]) -> dict:
    proba = [i for i, c in enumerate(columns) if c.startswith(PROBABILITY_PREFIX)]
    plain = [i for i in range(len(columns)) if i not in proba]
    values = [[row[i] for i in plain] + ([[row[i] for i in proba]] if proba else []) for row in rows]
    return {"fields": [columns[i] for i in plain] + (["probability"] if proba else []), "values": values}


