"""Check a batch against what the model needs and turn its values into the right types.

Values that cannot be read as their column's type make bad rows; the caller decides
whether a bad row fails the job or is skipped.
"""

from dataclasses import dataclass, field

import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from batchsvc.errors import SchemaError
from batchsvc.scoring.modelinfo import ModelInfo


@dataclass
class Prepared:
    frame: pd.DataFrame  # the good rows, every input column kept
    bad: list[dict] = field(default_factory=list)  # {"row", "line", "column", "value", "error"}


def require_columns(present, info: ModelInfo, passthrough: list[str]) -> None:
    """Raise SchemaError naming every feature or passthrough column the input lacks."""
    present = set(present)
    lacking = [f for f in info.features if f not in present]
    if lacking:
        raise SchemaError(f"input lacks columns: {', '.join(lacking)}", columns=lacking)
    lacking = [c for c in passthrough if c != "*" and c not in present]
    if lacking:
        raise SchemaError(f"input lacks passthrough columns: {', '.join(lacking)}", columns=lacking,
                          field="output.passthrough")


def prepare(frame: pd.DataFrame, info: ModelInfo, csv: bool) -> Prepared:
    """Coerce numeric features; rows whose value cannot be read as a number are set aside."""
    bad_mask = pd.Series(False, index=frame.index)
    bad: list[dict] = []
    for column in info.numeric_features:
        values = frame[column]
        if is_numeric_dtype(values) and not is_bool_dtype(values):
            continue
        numbers = pd.to_numeric(values, errors="coerce")
        unreadable = numbers.isna() & values.notna() & (values.astype("string").str.strip() != "")
        for row in frame.index[unreadable.to_numpy()]:
            bad.append({"row": int(row), "line": int(row) + 1 if csv else None, "column": column,
                        "value": str(values.loc[row])[:200], "error": "not a number"})
        bad_mask |= unreadable
        frame[column] = numbers
    if bad_mask.any():
        frame = frame[~bad_mask.to_numpy()]
    return Prepared(frame, sorted(bad, key=lambda b: b["row"]))


def describe_bad_row(bad: dict) -> str:
    """One line naming where a bad row is and what is wrong with it."""
    where = f"line {bad['line']}" if bad.get("line") else f"row {bad.get('row')}"
    if bad.get("column"):
        return f"column {bad['column']}, {where}: {bad['value']!r} is {bad['error']}"
    return f"{where}: {bad['error']}"
