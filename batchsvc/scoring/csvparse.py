"""Parse CSV bytes (a header and whole lines) into a Batch, never misreading them.

Text is decoded with the job's input.encoding (UTF-8 by default) and text that is not valid in it fails naming its
column and line, instead of reaching the model as bytes; the model's text features are read as text ("01" stays
"01"); a row longer than pyarrow's block is read by growing the block, up to CSV_MAX_ROW_BYTES.
"""

import codecs
import io
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from batchsvc.errors import UnreadableInput
from batchsvc.scoring.batch import Batch

ARROW_BLOCK_BYTES = 1 << 20  # pyarrow's default block size; one row must fit in one block
CSV_MAX_ROW_BYTES = 64 << 20  # the block grows to hold the longest row up to this; a longer row fails naming its line
MIB_BYTES = 1 << 20
NEWLINE, CARRIAGE_RETURN = ord("\n"), ord("\r")
TEXT_READ = pa.dictionary(pa.int32(), pa.binary())  # text features: each distinct value decoded (and checked) once
ASCII = "".join(map(chr, range(128)))
NOT_UTF8 = 'not valid UTF-8 text; if the file is in another encoding, set input.encoding (e.g. "latin-1")'


def check_encoding(name: str) -> str | None:
    """The codec name to read a CSV with (None for UTF-8); ValueError unless ASCII-compatible, since chunks are
    byte ranges cut at b"\\n" and quotes are counted as bytes."""
    try:
        codec = codecs.lookup(name)
        compatible = ASCII.encode(codec.name) == ASCII.encode() and bytes(range(128)).decode(codec.name) == ASCII
    except LookupError:
        raise ValueError(f"input.encoding {name!r} is not a known text encoding") from None
    except UnicodeError:
        compatible = False
    if not compatible or codec.name.startswith("iso2022"):  # iso2022: escape sequences switch character sets
        raise ValueError(f"input.encoding {name!r} is not ASCII-compatible: CSV input is split at newline bytes, so "
                         "its encoding must write ASCII as single bytes (e.g. latin-1, cp1252, utf-8)")
    return None if codec.name in ("utf-8", "utf-8-sig") else codec.name  # pyarrow skips a UTF-8 BOM itself


def header_names(header: bytes, encoding: str | None) -> list[str]:
    """The column names on a CSV header line."""
    try:
        return pacsv.read_csv(io.BytesIO(header), read_options=_options(encoding)).column_names
    except UnicodeDecodeError:
        raise UnreadableInput(f"line 1: {_not_valid(encoding)}", line=1) from None


def parse_csv(header: bytes, body: bytes, columns: list[str] | None, first_line: int, encoding: str | None = None,
              text: Sequence[str] = ()) -> Batch:
    """Parse header + whole lines; lines with the wrong number of fields are set aside as bad rows."""
    names = header_names(header, encoding)
    include = [c for c in columns if c in names] if columns is not None else None
    convert = pacsv.ConvertOptions(include_columns=include, column_types={c: TEXT_READ for c in text if c in names})
    table, bad = _read(header + body, first_line, encoding, convert)
    lines = np.arange(first_line, first_line + table.num_rows + len(bad))
    lines = np.setdiff1d(lines, [b["line"] for b in bad]) if bad else lines
    table = _as_text(table, lines)
    if not bad and not _may_hold_blank_lines(body):  # rows numbered from first_line on: Arrow as it is
        return Batch(csv=True, arrow=_one_batch(table), first_row=first_line - 1)
    frame = _decoded(table).to_pandas().set_axis(lines - 1)
    return Batch(_drop_blank_lines(frame, body), csv=True, bad=bad)


def _one_batch(table: pa.Table) -> pa.RecordBatch:
    """The table (read in blocks of ARROW_BLOCK_BYTES) as one record batch, so scoring feeds its engine once."""
    return table.combine_chunks().to_batches(max_chunksize=max(table.num_rows, 1))[0] if table.num_rows else \
        pa.RecordBatch.from_pylist([], schema=table.schema)


def _decoded(table: pa.Table) -> pa.Table:
    """Text features read as dictionaries decoded to plain text, as the pandas path takes them."""
    for i, column in enumerate(table.schema):
        if pa.types.is_dictionary(column.type):
            table = table.set_column(i, column.name, table.column(i).cast(column.type.value_type))
    return table


def _read(data: bytes, first_line: int, encoding: str | None, convert) -> tuple[pa.Table, list[dict]]:
    """The table and its set-aside rows; a row longer than pyarrow's block is read again with a block that holds it."""
    try:
        try:
            return _read_with(data, first_line, _options(encoding, ARROW_BLOCK_BYTES), convert)
        except pa.ArrowInvalid as exc:
            if "straddl" not in str(exc):
                raise
        return _read_with(data, first_line, _options(encoding, _row_block_bytes(data, first_line)), convert)
    except pa.ArrowInvalid as exc:
        raise UnreadableInput(f"CSV rows from line {first_line}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise UnreadableInput(f"CSV rows from line {first_line}: {_not_valid(encoding)} ({exc})") from None


def _read_with(data: bytes, first_line: int, options, convert) -> tuple[pa.Table, list[dict]]:
    bad: list[dict] = []

    def set_aside(row) -> str:
        line = first_line + row.number - 2  # row.number counts the header as line 1
        bad.append({"row": line - 1, "line": line, "value": row.text[:200],
                    "error": f"expected {row.expected_columns} fields, found {row.actual_columns}"})
        return "skip"

    parse = pacsv.ParseOptions(invalid_row_handler=set_aside, ignore_empty_lines=False)
    return pacsv.read_csv(io.BytesIO(data), read_options=options, parse_options=parse, convert_options=convert), bad


def _options(encoding: str | None, block_bytes: int = ARROW_BLOCK_BYTES) -> pacsv.ReadOptions:
    return pacsv.ReadOptions(use_threads=False, block_size=block_bytes, encoding=encoding or "utf8")


def _row_block_bytes(data: bytes, first_line: int) -> int:
    """A block size that holds the longest line of header + body; a line over CSV_MAX_ROW_BYTES fails naming it."""
    ends = np.flatnonzero(np.frombuffer(data, np.uint8) == ord("\n"))
    lengths = np.diff(np.concatenate(([-1], ends, [len(data)])))
    if lengths.max() > CSV_MAX_ROW_BYTES:
        index = int(np.argmax(lengths > CSV_MAX_ROW_BYTES))
        line = 1 if index == 0 else first_line + index - 1
        raise UnreadableInput(f"line {line}: a CSV row longer than {_size(CSV_MAX_ROW_BYTES)}, the most one row may "
                              "take (CSV_MAX_ROW_BYTES); store such long values in Parquet", line=line)
    return max(ARROW_BLOCK_BYTES, int(lengths.max()) + 1)


def _size(n_bytes: int) -> str:
    return f"{n_bytes // MIB_BYTES} MiB" if n_bytes % MIB_BYTES == 0 else f"{n_bytes} bytes"


def _as_text(table: pa.Table, lines: np.ndarray) -> pa.Table:
    """Binary columns (text features read raw, or text pyarrow found not UTF-8) as strings, or an error naming the
    column and line of the first value that is not valid UTF-8."""
    for i, column in enumerate(table.schema):
        kind = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
        if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
            table = table.set_column(i, column.name, _utf8(table.column(i), column.name, lines))
    return table


def _utf8(values: pa.ChunkedArray, name: str, lines: np.ndarray) -> pa.ChunkedArray:
    try:
        if pa.types.is_dictionary(values.type):  # only the distinct values are checked and cast
            return pa.chunked_array([pa.DictionaryArray.from_arrays(c.indices, c.dictionary.cast(pa.string()))
                                     for c in values.chunks], pa.dictionary(values.type.index_type, pa.string()))
        return values.cast(pa.string())
    except pa.ArrowInvalid:
        values = values.cast(values.type.value_type) if pa.types.is_dictionary(values.type) else values
        row = next(i for i, v in enumerate(values.to_pylist()) if v is not None and not _is_utf8(v))
        raise UnreadableInput(f"column {name}, line {lines[row]}: {NOT_UTF8}", column=name,
                              line=int(lines[row])) from None


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _not_valid(encoding: str | None) -> str:
    return NOT_UTF8 if encoding is None else f"not valid {encoding} text; check input.encoding"


def _drop_blank_lines(frame: pd.DataFrame, body: bytes) -> pd.DataFrame:
    """Blank lines parse as rows of empty values: drop rows whose every value is empty (looked for only
    when the bytes hold a blank line, so a normal chunk pays one search)."""
    if not _may_hold_blank_lines(body):
        return frame
    empty = frame.isna() | frame.astype("string").apply(lambda column: column.str.strip() == "")
    return frame[~empty.all(axis=1).to_numpy(dtype=bool)]


def _may_hold_blank_lines(body: bytes) -> bool:
    """Whether the bytes hold a blank line ("\\n\\n" or "\\n\\r\\n"), found among the newlines' positions (numpy:
    a quarter of the time of searching the bytes for either)."""
    if body[:1] in (b"\n", b"\r"):
        return True
    data = np.frombuffer(body, np.uint8)
    ends = np.flatnonzero(data == NEWLINE)
    gaps = np.diff(ends)
    return bool((gaps == 1).any() or (data[ends[:-1][gaps == 2] + 1] == CARRIAGE_RETURN).any())
