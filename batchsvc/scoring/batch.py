"""A batch of input rows as scoring passes it on: a frame numbered by input row, and the rows set aside so far."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa

from batchsvc.errors import DataError


@dataclass
class Batch:
    """Rows as the reader gives them: a pandas frame, or an Arrow batch (Parquet, CSV) made a frame when asked.

    The Arrow form lets scoring feed the engine and write the output without pandas (scoring/arrow_path.py)."""
    rows: pd.DataFrame | None = None  # indexed by each row's 1-based number in the input (in its file, for several)
    csv: bool = False  # CSV rows are named by file line (row number + 1, for the header)
    bad: list[dict] = field(default_factory=list)  # rows the reader could not split into fields
    file: str | None = None  # the file the rows come from, when a job reads several (errors name it); else None
    arrow: pa.RecordBatch | None = None  # the rows as read (Parquet, or CSV), before any conversion
    first_row: int = 1  # the 1-based number of the Arrow batch's first row

    @property
    def frame(self) -> pd.DataFrame:
        """The rows as a frame numbered by input row (converted from Arrow once, on first use)."""
        if self.rows is None:
            assert self.arrow is not None, "a Batch holds a frame or an Arrow batch"
            self.rows = numbered(plain_text(self.arrow).to_pandas(), self.first_row)
        return self.rows

    @frame.setter
    def frame(self, rows: pd.DataFrame) -> None:
        self.rows, self.arrow = rows, None


def plain_text(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Dictionary-encoded columns (text read as categories) decoded to their values, as pandas should see them."""
    if not any(pa.types.is_dictionary(f.type) for f in batch.schema):
        return batch
    columns = [c.dictionary_decode() if pa.types.is_dictionary(c.type) else c for c in batch.columns]
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def numbered(frame: pd.DataFrame, first_row: int) -> pd.DataFrame:
    """Index a frame by 1-based row numbers, so errors can name the row."""
    return frame.set_axis(pd.RangeIndex(first_row, first_row + len(frame)))


def in_file(bad: list[dict], name: str | None) -> list[dict]:
    """Bad rows with the file they are in first (unchanged when the job reads one file: name is None)."""
    return [{"file": name, **b} for b in bad] if name else bad


@contextmanager
def naming_file(name: str | None) -> Iterator[None]:
    """A DataError raised within names the file (once) in its message and details; nothing changes for None."""
    try:
        yield
    except DataError as exc:
        if not name:
            raise
        named = re.search(rf"(^|\s){re.escape(name)}(\s|:|$)", exc.message)  # e.g. "cannot read b.csv: ..."
        message = exc.message if named else f"{name}: {exc.message}"
        raise type(exc)(message, **{**exc.details, "file": name}) from None
