"""A job over several files (a folder or a glob): one schema checked across them, chunks that span files.

With one file every chunk is one of sources.py's shapes, exactly as plan_file makes it. With several, a chunk
is a list of pieces, each one of those shapes without "index" and with "file", its index in the job's sources:
  {"index": i, "pieces": [{"file": k, "rows": [start, stop]},                  Parquet row range of file k
                          {"file": k, "bytes": [start, stop], "first_line": n}, plain CSV byte range of file k
                          {"file": k, "stream": True}]}                         gzip CSV k, streamed whole
A big file is split into several chunks as plan_file splits it; consecutive small pieces share a chunk up to
chunk_rows rows, so a folder of many tiny files makes few chunks. A gzip CSV is counted at plan time when its
text is at most GZIP_COUNTED_MAX_BYTES (and shares a chunk like any small file); a bigger one has a chunk of its
own, its rows unknown until read. Rows are numbered within their file, and errors and bad rows name the file.
"""

import dataclasses
import gzip
from collections.abc import Iterator, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from batchsvc.errors import SchemaError, UnreadableInput
from batchsvc.scoring.batch import Batch, in_file, naming_file
from batchsvc.scoring.sources import FileSource, Plan, header_columns, plan_file, read_file_chunk

SOURCE_FILE_COLUMN = "_source_file"  # read_chunk(source_file=True) names each row's file in this column
GZIP_COUNTED_MAX_BYTES = 1 << 20  # a gzip CSV whose text is at most this is counted at plan time

Piece = tuple[dict, int | None]  # a piece of a chunk and its rows (None: unknown until read)


def plan_files(sources: list[FileSource], chunk_rows: int, explicit: bool) -> Plan:
    """Chunks of about chunk_rows rows over the job's files (sorted by the caller), which must share one schema."""
    if not sources:
        raise UnreadableInput("the input names no files")
    if len(sources) == 1:
        return plan_file(sources[0], chunk_rows, explicit)
    _require_one_format(sources)
    pieces: list[Piece] = []
    for k, source in enumerate(sources):
        with naming_file(source.name):
            pieces += _file_pieces(k, source, chunk_rows, explicit)
    _require_one_schema(sources)
    counts = [rows for _, rows in pieces]
    return Plan(_group(pieces, chunk_rows), None if None in counts else sum(c or 0 for c in counts))


def common_columns(sources: list[FileSource]) -> list[str] | None:
    """The job's columns, from the first file's header (plan_files checks the others match); None if unreadable."""
    return header_columns(sources[0]) if sources else None


def read_chunk(sources: list[FileSource], chunk: dict, columns: list[str] | None, batch_rows: int,
               text: Sequence[str] = (), source_file: bool = False) -> Iterator[Batch]:
    """The chunk's batches in file then row order (no pieces: sources[0]'s, as read_file_chunk reads it); with
    source_file each frame gets SOURCE_FILE_COLUMN, its file's name, so the output can name each row's file."""
    if "pieces" not in chunk:
        for batch in read_file_chunk(sources[0], chunk, columns, batch_rows, text):
            yield _with_source_file(batch, sources[0].name) if source_file else batch
        return
    for piece in chunk["pieces"]:
        source = sources[piece["file"]]
        with naming_file(source.name):
            for batch in read_file_chunk(source, piece, columns, batch_rows, text):
                batch = dataclasses.replace(batch, bad=in_file(batch.bad, source.name), file=source.name)
                yield _with_source_file(batch, source.name) if source_file else batch


def _with_source_file(batch: Batch, name: str) -> Batch:
    """The batch with a column naming its file; a file with a column of that name itself is refused."""
    if SOURCE_FILE_COLUMN in batch.frame.columns:
        raise SchemaError(f"{name} has its own column {SOURCE_FILE_COLUMN!r}, the column that names each row's "
                          "file; rename it, or do not ask for the file names", column=SOURCE_FILE_COLUMN)
    batch.frame = batch.frame.assign(**{SOURCE_FILE_COLUMN: name})
    return batch


def _require_one_format(sources: list[FileSource]) -> None:
    """Refuse a job whose files are not all CSV or all Parquet."""
    first = sources[0]
    for source in sources[1:]:
        if source.format != first.format:
            raise UnreadableInput(f"{source.name} is {source.format} but {first.name} is {first.format}: the files "
                                  "of one job must all be one format", file=source.name)


def _file_pieces(k: int, source: FileSource, chunk_rows: int, explicit: bool) -> list[Piece]:
    """The file's chunks as plan_file cuts them, as pieces of file k with their row counts."""
    plan = plan_file(source, chunk_rows, explicit)
    if plan.rows_total is None:  # a gzip CSV: one stream
        return [({"file": k, "stream": True}, _gzip_rows(source))]
    bodies = [{key: v for key, v in c.items() if key != "index"} for c in plan.chunks]
    return [({"file": k, **body}, rows) for body, rows in zip(bodies, _chunk_rows(plan))]


def _chunk_rows(plan: Plan) -> list[int]:
    """The rows of each of a file's chunks (for CSV, its lines: the next chunk's first line minus its own)."""
    if "rows" in plan.chunks[0]:
        return [c["rows"][1] - c["rows"][0] for c in plan.chunks]
    starts = [c["first_line"] for c in plan.chunks] + [2 + (plan.rows_total or 0)]
    return [b - a for a, b in zip(starts, starts[1:])]


def _gzip_rows(source: FileSource) -> int | None:
    """The lines of a gzip CSV after its header when its text is small enough to count now; None for a big one."""
    try:
        with source.open() as raw, gzip.open(raw, "rb") as f:
            f.readline()
            body = f.read(GZIP_COUNTED_MAX_BYTES + 1)
    except (OSError, EOFError) as exc:
        raise UnreadableInput(f"cannot read {source.name} as {source.format}: {exc}") from None
    if len(body) > GZIP_COUNTED_MAX_BYTES:
        return None
    if not body.strip():
        raise UnreadableInput(f"{source.name} has a header but no rows")
    return body.count(b"\n") + (0 if body.endswith(b"\n") else 1)


def _group(pieces: list[Piece], chunk_rows: int) -> list[dict]:
    """Consecutive pieces in chunks of at most chunk_rows rows (a bigger piece alone); an uncounted one alone."""
    groups: list[list[dict]] = [[]]
    rows = 0
    for piece, n in pieces:
        if groups[-1] and (n is None or rows + n > chunk_rows):
            groups.append([])
            rows = 0
        groups[-1].append(piece)
        rows += chunk_rows + 1 if n is None else n  # nothing joins an uncounted piece
    return [{"index": i, "pieces": g} for i, g in enumerate(groups)]


def _require_one_schema(sources: list[FileSource]) -> None:
    """Refuse a file whose columns (or, for Parquet, their Arrow types) differ from the first file's; column
    order may differ, since columns are read by name."""
    first = _schema(sources[0])
    for source in sources[1:]:
        with naming_file(source.name):
            _compare(sources[0].name, first, source.name, _schema(source))


def _compare(first_name: str, first: dict[str, str | None], name: str, schema: dict[str, str | None]) -> None:
    """Raise naming the file and the first column it lacks, adds or has with another type."""
    for column, kind in first.items():
        if column not in schema:
            raise UnreadableInput(f"{name}: no column {column!r} ({first_name} has it)", column=column)
        if schema[column] != kind:
            raise UnreadableInput(f"{name}: column {column!r} is {schema[column]}, {first_name} has {kind}",
                                  column=column)
    extra = [c for c in schema if c not in first]
    if extra:
        raise UnreadableInput(f"{name}: column {extra[0]!r} is not in {first_name}", column=extra[0])


def _schema(source: FileSource) -> dict[str, str | None]:
    """Column name to Arrow type for Parquet; to None for CSV, whose types are found per chunk."""
    if source.format != "parquet":
        return dict.fromkeys(header_columns(source) or [])
    try:
        with source.open() as f:
            return {field.name: str(field.type) for field in pq.ParquetFile(f).schema_arrow}
    except (OSError, EOFError, pa.ArrowException) as exc:
        raise UnreadableInput(f"cannot read {source.name} as {source.format}: {exc}") from None
