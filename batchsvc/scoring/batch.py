"""A batch of input rows as scoring passes it on: a frame numbered by input row, and the rows set aside so far."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pandas as pd

from batchsvc.errors import DataError


@dataclass
class Batch:
    frame: pd.DataFrame  # indexed by each row's 1-based number in the whole input (in its file, for several files)
    csv: bool = False  # CSV rows are named by file line (row number + 1, for the header)
    bad: list[dict] = field(default_factory=list)  # rows the reader could not split into fields
    file: str | None = None  # the file the rows come from, when a job reads several (errors name it); else None


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
