"""Size limits on inline job input: rows, columns and string length, each a setting, each a clear 413."""

from collections.abc import Iterator
from typing import Any

from batchsvc.errors import PayloadTooLarge
from batchsvc.schemas import RecordsInput, TableInput
from batchsvc.settings import Settings


def check_inline_size(source: TableInput | RecordsInput, settings: Settings, where: str = "input.") -> None:
    """Refuse inline input over BATCHSVC_MAX_INLINE_ROWS, _COLUMNS or _STRING_CHARS, naming the first place
    (field paths start with `where`)."""
    whole = where.rstrip(".") or "records"
    rows = source.values if isinstance(source, TableInput) else source.records
    if len(rows) > settings.max_inline_rows:
        raise PayloadTooLarge(f"inline input has {len(rows)} rows, over the limit of {settings.max_inline_rows} "
                              "(BATCHSVC_MAX_INLINE_ROWS); upload a file instead", field=whole)
    columns = _column_count(source)
    if columns > settings.max_inline_columns:
        raise PayloadTooLarge(f"inline input has {columns} columns, over the limit of {settings.max_inline_columns} "
                              "(BATCHSVC_MAX_INLINE_COLUMNS); upload a file instead", field=whole)
    for place, text in _strings(source, where):
        if len(text) > settings.max_inline_string_chars:
            raise PayloadTooLarge(f"{place} is a string of {len(text)} characters, over the limit of "
                                  f"{settings.max_inline_string_chars} (BATCHSVC_MAX_INLINE_STRING_CHARS)",
                                  field=place)


def _column_count(source: TableInput | RecordsInput) -> int:
    """The widest the input gets: fields, the longest row, or the union of record keys."""
    if isinstance(source, TableInput):
        return max(len(source.fields or ()), max(len(row) for row in source.values))
    return len(set().union(*(record.keys() for record in source.records)))


def _strings(source: TableInput | RecordsInput, where: str) -> Iterator[tuple[str, str]]:
    """Every string in the input (names and values, nested too) with its field path."""
    if isinstance(source, TableInput):
        for j, name in enumerate(source.fields or ()):
            yield f"{where}fields.{j}", name
        for i, row in enumerate(source.values):
            yield from _walk(row, f"{where}values.{i}")
    else:
        for i, record in enumerate(source.records):
            yield from _walk(record, f"{where}records.{i}")


def _walk(value: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield f"{where}.<key>", str(key)
            yield from _walk(item, f"{where}.{key}")
    elif isinstance(value, list):
        for j, item in enumerate(value):
            yield from _walk(item, f"{where}.{j}")
