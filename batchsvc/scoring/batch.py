"""A batch of input rows as scoring passes it on: a frame numbered by input row, and the rows set aside so far."""

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class Batch:
    frame: pd.DataFrame  # indexed by each row's 1-based number in the whole input
    csv: bool = False  # CSV rows are named by file line (row number + 1, for the header)
    bad: list[dict] = field(default_factory=list)  # rows the reader could not split into fields


def numbered(frame: pd.DataFrame, first_row: int) -> pd.DataFrame:
    """Index a frame by 1-based row numbers, so errors can name the row."""
    return frame.set_axis(pd.RangeIndex(first_row, first_row + len(frame)))
