"""Output: the job's result formats written, read back, converted, and shaped as Watson ML answers.

Every function writes to or reads from binary file objects that the file store opens: no paths here.
"""

import csv
import io
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from batchsvc.scoring.predict import PREDICTION, PROBABILITY_PREFIX
from batchsvc.scoring.score_text import text_ready, text_ready_frame

STREAM_BATCH_ROWS = 65_536
PASSTHROUGH_CLASH_PREFIX = "input_"


def output_frame(rows: pd.DataFrame, predictions: pd.DataFrame, passthrough: list[str]) -> pd.DataFrame:
    """Passthrough columns in front of the predictions, so results join back to their rows."""
    columns = list(rows.columns) if passthrough == ["*"] else passthrough
    if not columns:  # nothing to put in front (most small jobs): spare the selection and the concat
        return predictions.reset_index(drop=True)
    kept = rows[columns].rename(columns=lambda c: _unclash(c, predictions.columns))
    return pd.concat([kept.reset_index(drop=True), predictions.reset_index(drop=True)], axis=1)


def _unclash(column: str, taken) -> str:
    return f"{PASSTHROUGH_CLASH_PREFIX}{column}" if column in taken else column


Opener = Callable[[], BinaryIO]  # a new binary reader of one stored file each call
Sink = BinaryIO | io.RawIOBase  # a binary file, or a Drain


def parquet_writer(dest: Sink, schema: pa.Schema) -> pq.ParquetWriter:
    """A Parquet writer that dictionary-encodes text columns only: trying a dictionary on every column of numbers
    (pyarrow's default) took over half the time of writing a scored part, and their pages end up plain anyway."""
    text = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
            or pa.types.is_dictionary(f.type)]
    return pq.ParquetWriter(dest, schema, use_dictionary=text)


def open_writer(fmt: str, dest: Sink, schema: pa.Schema):
    """A writer with write_batch() and close() for parquet, csv or jsonl, to a binary file object."""
    if fmt == "parquet":
        return parquet_writer(dest, schema)
    if fmt == "csv":
        return CsvWriter(dest, schema)
    return JsonlWriter(dest)


class CsvWriter(pacsv.CSVWriter):
    """Arrow's CSV writer, with score columns at the precision the engine produced (text_ready)."""

    def write_batch(self, batch: pa.RecordBatch, custom_metadata=None) -> None:
        super().write_batch(text_ready(batch), custom_metadata)


class JsonlWriter:
    """JSON lines, one object per row, with ISO dates."""

    def __init__(self, dest: Sink):
        self.f = dest

    def write_batch(self, batch: pa.RecordBatch) -> None:
        self.f.write(_jsonl(batch.to_pandas()))

    def close(self) -> None:
        """The caller owns the file."""


def _jsonl(frame: pd.DataFrame, ready: bool = False) -> bytes:
    """JSON lines of the frame (ready: its scores are text-ready already)."""
    text = (frame if ready else text_ready_frame(frame)).to_json(orient="records", lines=True, date_format="iso")
    return text.encode() + (b"\n" if text and not text.endswith("\n") else b"")


def write_batches(batches: Iterable[pa.RecordBatch], schema: pa.Schema, fmt: str, dest: BinaryIO) -> int:
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


def convert(source: BinaryIO, stored: str, wanted: str) -> Iterator[bytes]:
    """A stored result as bytes of another format, produced batch by batch."""
    schema, batches = read_result(source, stored)
    sink = Drain()
    writer = open_writer(wanted, sink, schema)
    for batch in batches:
        writer.write_batch(batch)
        yield sink.take()
    writer.close()
    yield sink.take()


def read_result(source: BinaryIO, fmt: str) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    """Stream a stored result back as record batches, whatever format it was written in."""
    if fmt == "parquet":
        pf = pq.ParquetFile(source)
        return pf.schema_arrow, pf.iter_batches(batch_size=STREAM_BATCH_ROWS)
    reader = pacsv.open_csv(source) if fmt == "csv" else pajson.open_json(source)
    return reader.schema, iter(reader)


def watson_predictions(source: BinaryIO, fmt: str, limit: int) -> dict:
    """The first `limit` result rows in Watson ML's shape, probabilities as one list per row."""
    if fmt == "jsonl":
        return _watson_shape(*_jsonl_head(source, limit))
    schema, batches = read_result(source, fmt)
    frames, rows = [], 0
    for batch in batches:
        frames.append(batch.to_pandas())
        rows += batch.num_rows
        if rows >= limit:
            break
    return watson_shape(pd.concat(frames) if frames else pd.DataFrame(columns=schema.names), limit)


def watson_shape(frame: pd.DataFrame, limit: int, ready: bool = False) -> dict:
    """An output frame's first `limit` rows in Watson ML's shape (ready: its scores are text-ready already)."""
    head = frame[:limit] if ready else text_ready_frame(frame[:limit])
    return _watson_shape(list(head.columns), json.loads(head.to_json(orient="values")))


def write_small(frame: pd.DataFrame, fmt: str, dest: BinaryIO, limit: int) -> dict:
    """write_frame and watson_shape of one small job's output together: its scores made text-ready once, for
    the file (when it is text) and for the first `limit` rows in Watson ML's shape."""
    ready = text_ready_frame(frame)
    if fmt == "jsonl":
        dest.write(_jsonl(ready, ready=True))
    else:
        write_frame(frame, fmt, dest)
    return watson_shape(ready, limit, ready=True)


def write_watson_csv(source: BinaryIO, fmt: str, dest: BinaryIO) -> None:
    """A result as Watson ML writes a batch job's CSV: the passed-through columns, prediction, and probability as
    one list per row ("[0.91, 0.09]"), batch by batch."""
    _, batches = read_result(source, fmt)
    text = io.TextIOWrapper(dest, encoding="utf-8", newline="", write_through=True)
    writer, header = csv.writer(text), None
    for batch in batches:
        shaped = _watson_shape(batch.schema.names, json.loads(batch.to_pandas().to_json(orient="values")))
        if header is None:
            header = shaped["fields"]
            writer.writerow(header)
        writer.writerows([json.dumps(v) if isinstance(v, list) else v for v in row] for row in shaped["values"])
    text.flush()
    text.detach()


def write_frame(frame: pd.DataFrame, fmt: str, dest: BinaryIO) -> int:
    """Write one in-memory output frame in the job's format (the small-job path: no parts)."""
    if fmt == "jsonl":
        dest.write(_jsonl(frame))
        return len(frame)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return write_batches(table.to_batches(), table.schema, fmt, dest)


def _jsonl_head(source: BinaryIO, limit: int) -> tuple[list[str], list[list]]:
    """The first rows of a JSON-lines result, read with the json module (a dataset costs ms per job)."""
    columns, rows = None, []
    for line in itertools.islice((line for line in source if line.strip()), limit):
        record = json.loads(line)
        columns = columns or list(record)
        rows.append([record.get(c) for c in columns])
    return columns or [], rows


def _watson_shape(columns: list[str], rows: list[list]) -> dict:
    proba = [i for i, c in enumerate(columns) if c.startswith(PROBABILITY_PREFIX)]
    plain = [i for i in range(len(columns)) if i not in proba]
    values = [[row[i] for i in plain] + ([[row[i] for i in proba]] if proba else []) for row in rows]
    return {"fields": [columns[i] for i in plain] + (["probability"] if proba else []), "values": values}


def relabeled(body: dict, label_field: str) -> dict:
    """A {"predictions": [...]} answer whose label column is named `label_field` (a deployment's choice)."""
    if label_field == PREDICTION:
        return body
    tables = body["predictions"]
    return {**body, "predictions": [{**t, "fields": [label_field if f == PREDICTION else f for f in t["fields"]]}
                                    for t in tables]}
