"""Where input rows come from: plan a job's chunks, then read one chunk in bounded batches.

A chunk is a plain dict (JSON-safe) so it can travel in messages and the ledger:
  {"index": i, "rows": [start, stop]}                       Parquet or inline row range
  {"index": i, "bytes": [start, stop], "first_line": n}     plain CSV, cut at line boundaries
  {"index": 0, "stream": True}                              gzip CSV, read from the start
"""

import gzip
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from batchsvc.errors import UnreadableInput
from batchsvc.scoring.batch import Batch, numbered  # noqa: F401 (numbered: jobs/ import it from here)
from batchsvc.scoring.csvparse import header_names, parse_csv
from batchsvc.scoring.prepare import require_unique

CSV_SAMPLE_BYTES = 1 << 20
READ_BLOCK_BYTES = 8 << 20
QUOTED_SPAN_MAX_BYTES = 1 << 20


@dataclass
class Plan:
    chunks: list[dict]
    rows_total: int | None


@dataclass
class FileSource:
    """An input file as the file store hands it over: its name, format, size and a way to open it.

    Scoring never opens a path itself, so the store may be a folder or an object store."""
    name: str
    format: str  # "csv" or "parquet"
    open: Callable[[], BinaryIO]  # a new seekable binary reader each call
    size: int
    encoding: str | None = None  # a CSV's text encoding (ASCII-compatible); None for UTF-8

    @property
    def gzipped(self) -> bool:
        return self.name.lower().endswith(".gz")


def plan_file(source: FileSource, chunk_rows: int, explicit: bool) -> Plan:
    """Split a file into chunks of about chunk_rows rows."""
    try:
        if source.format == "parquet":
            return _plan_parquet(source, chunk_rows, explicit)
        if source.gzipped:
            return _plan_csv_stream(source)
        return _plan_csv(source, chunk_rows)
    except (OSError, EOFError, pa.ArrowException) as exc:
        raise UnreadableInput(f"cannot read {source.name} as {source.format}: {exc}") from None


def header_columns(source: FileSource) -> list[str] | None:
    """The file's column names from its header (Parquet schema or CSV first line); None if unreadable."""
    try:
        if source.format == "parquet":
            with source.open() as f:
                return list(pq.ParquetFile(f).schema_arrow.names)
        with source.open() as raw, (gzip.open(raw, "rb") if source.gzipped else raw) as f:
            header = f.readline()
        return header_names(header, source.encoding) if header.strip() else None
    except (OSError, EOFError, pa.ArrowException, UnreadableInput):
        return None


def plan_rows(rows_total: int, chunk_rows: int) -> Plan:
    """Row ranges over an in-memory table."""
    bounds = range(0, max(rows_total, 1), chunk_rows)
    chunks = [{"index": i, "rows": [s, min(s + chunk_rows, rows_total)]} for i, s in enumerate(bounds)]
    return Plan(chunks, rows_total)


def _plan_parquet(source: FileSource, chunk_rows: int, explicit: bool) -> Plan:
    with source.open() as f:
        pf = pq.ParquetFile(f)
        meta = pf.metadata
        require_unique(pf.schema_arrow.names)
    if meta.num_rows == 0:
        raise UnreadableInput(f"{source.name} has no rows")
    if explicit:
        return plan_rows(meta.num_rows, chunk_rows)
    cuts, start, pos = [], 0, 0
    for g in range(meta.num_row_groups):
        pos += meta.row_group(g).num_rows
        while pos - start > 2 * chunk_rows:  # a row group far larger than a chunk: split it
            start += chunk_rows
            cuts.append(start)
        if pos - start >= chunk_rows // 2 and pos < meta.num_rows:
            start = pos
            cuts.append(pos)
    bounds = [0, *cuts, meta.num_rows]
    chunks = [{"index": i, "rows": [a, b]} for i, (a, b) in enumerate(itertools.pairwise(bounds))]
    return Plan(chunks, meta.num_rows)


def _plan_csv_stream(source: FileSource) -> Plan:
    """A gzip CSV is one chunk streamed from the start; its header is checked now, so a bad one fails at plan."""
    with source.open() as raw, gzip.open(raw, "rb") as f:
        _check_header(source, f.readline())
    return Plan([{"index": 0, "stream": True}], None)


def _plan_csv(source: FileSource, chunk_rows: int) -> Plan:
    size = source.size
    with source.open() as f:
        _check_header(source, f.readline())
        body_start = f.tell()
        sample = f.read(CSV_SAMPLE_BYTES)
        if not sample.strip():
            raise UnreadableInput(f"{source.name} has a header but no rows")
        target = max(1, int(len(sample) / max(1, sample.count(b"\n")) * chunk_rows))
        chunks: list[dict] = []
        start, line, rows_total = body_start, 2, 0
        while start < size:
            stop, lines = _cut(f, start, min(start + target, size), size)
            chunks.append({"index": len(chunks), "bytes": [start, stop], "first_line": line})
            start, line, rows_total = stop, line + lines, rows_total + lines
    return Plan(chunks, rows_total)


def _check_header(source: FileSource, header: bytes) -> None:
    """Refuse a CSV without a header line, or whose header names a column twice."""
    if not header.strip():
        raise UnreadableInput(f"{source.name} is empty: no header line")
    require_unique(header_names(header, source.encoding))


def _cut(f, start: int, near: int, size: int) -> tuple[int, int]:
    """The first line end at or after `near` outside a quoted field; (stop, lines in [start, stop)).

    Quotes are counted from the chunk's start: an odd count means the line end is inside a quoted field
    that spans lines. A stray quote (`5" screen`) would make every later line look quoted, so a quoted
    field may span at most QUOTED_SPAN_MAX_BYTES; past that the plain line end is taken.
    """
    f.seek(near)
    f.readline()
    plain = min(f.tell(), size)
    lines, quotes = _count(f, start, plain)
    stop = plain
    extra_lines = 0
    while quotes % 2 and stop < size and stop - plain < QUOTED_SPAN_MAX_BYTES:
        f.seek(stop)
        f.readline()
        end = min(f.tell(), size)
        more_lines, more_quotes = _count(f, stop, end)
        stop, extra_lines, quotes = end, extra_lines + more_lines, quotes + more_quotes
    if quotes % 2:  # no closing quote within reach: a stray quote, not a field spanning lines
        return plain, lines
    return stop, lines + extra_lines


def _count(f, start: int, stop: int) -> tuple[int, int]:
    """Lines (a last line without its newline counts) and double quotes in the bytes [start, stop)."""
    f.seek(start)
    lines, quotes, left, last = 0, 0, stop - start, b""
    while left > 0:
        block = f.read(min(READ_BLOCK_BYTES, left))
        lines, quotes = lines + block.count(b"\n"), quotes + block.count(b'"')
        left, last = left - len(block), block[-1:] or last
    return lines + (1 if last not in (b"\n", b"") else 0), quotes


def read_file_chunk(source: FileSource, chunk: dict, columns: list[str] | None, batch_rows: int,
                    text: Sequence[str] = ()) -> Iterator[Batch]:
    """The chunk's rows as DataFrames of at most batch_rows rows (CSV byte chunks: one frame); CSV columns named in
    `text` (the model's text features) are read as text, never guessed as numbers."""
    try:
        if "rows" in chunk:
            start, stop = chunk["rows"]
            yield from _read_parquet_rows(source, start, stop, columns, batch_rows, text)
        elif "bytes" in chunk:
            yield _read_csv_bytes(source, chunk, columns, text)
        else:
            yield from _read_csv_stream(source, columns, batch_rows, text)
    except (OSError, EOFError, pa.ArrowException) as exc:
        raise UnreadableInput(f"cannot read {source.name}: {exc}") from None


def _read_parquet_rows(source: FileSource, start: int, stop: int, columns, batch_rows: int,
                       text: Sequence[str]) -> Iterator[Batch]:
    """pre_buffer: a row group's column chunks are read in a few coalesced requests, not one per column (S3).
    Text features stored as strings are read as Parquet's own dictionaries: each category is decoded once."""
    with source.open() as f:
        meta = pq.read_metadata(f)  # the footer, read once and handed to the reader
        names = meta.schema.to_arrow_schema().names
        reader = pq.ParquetFile(f, metadata=meta, pre_buffer=True, read_dictionary=[c for c in text if c in names])
        yield from _parquet_rows(reader, start, stop, columns, batch_rows)


def _parquet_rows(pf: pq.ParquetFile, start: int, stop: int, columns, batch_rows: int) -> Iterator[Batch]:
    """The rows [start, stop) from the row groups that hold them, in batches."""
    groups, first, pos = [], None, 0
    for g in range(pf.metadata.num_row_groups):
        n = pf.metadata.row_group(g).num_rows
        if pos < stop and pos + n > start:
            groups.append(g)
            first = pos if first is None else first
        pos += n
    columns = [c for c in columns if c in pf.schema_arrow.names] if columns is not None else None
    pos = first or 0
    for batch in pf.iter_batches(batch_size=batch_rows, row_groups=groups, columns=columns):
        lo, hi = max(start, pos), min(stop, pos + batch.num_rows)
        if lo < hi:
            yield Batch(arrow=batch.slice(lo - pos, hi - lo), first_row=lo + 1)
        pos += batch.num_rows
        if pos >= stop:
            return


def _read_csv_bytes(source: FileSource, chunk: dict, columns, text: Sequence[str]) -> Batch:
    start, stop = chunk["bytes"]
    with source.open() as f:
        header = f.readline()
        f.seek(start)
        body = f.read(stop - start)
    return parse_csv(header, body, columns, chunk["first_line"], source.encoding, text)


def _read_csv_stream(source: FileSource, columns, batch_rows: int, text: Sequence[str]) -> Iterator[Batch]:
    with source.open() as raw, gzip.open(raw, "rb") as f:
        header = f.readline()
        if not header.strip():
            raise UnreadableInput(f"{source.name} is empty: no header line")
        line = 2
        while lines := list(itertools.islice(f, batch_rows)):
            yield parse_csv(header, b"".join(lines), columns, line, source.encoding, text)
            line += len(lines)
        if line == 2:
            raise UnreadableInput(f"{source.name} has a header but no rows")
