"""Check a batch against what the model needs and turn its values into the right types.

Values that cannot be read as their column's type make bad rows (unreadable, infinite, or missing where the model
cannot score missing values); the caller decides whether a bad row fails the job or is skipped. A text feature
holding numbers or bytes fails the job: the model would read every such value as an unknown category.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype, is_object_dtype, is_string_dtype

from batchsvc.errors import SchemaError
from batchsvc.scoring.modelinfo import ModelInfo

NOT_A_NUMBER = "not a number"
NOT_FINITE = "not a finite number"
CANNOT_MISS = "missing value, and this model cannot score missing values"


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


def require_unique(names) -> None:
    """Raise SchemaError naming every column name the input has more than once (which one would be read?)."""
    twice = [name for name, count in Counter(names).items() if count > 1]
    if twice:
        raise SchemaError(f"input has duplicate columns: {', '.join(twice)}", columns=twice)


def match_fields(fields: list[str], features: list[str]) -> list[str]:
    """The fields with each name that is no feature renamed to the one feature it equals ignoring case, as Watson
    ML resolves a Spark pipeline's columns (LOANAMOUNT reads LoanAmount); SchemaError names an ambiguous one."""
    exact, folded = set(fields), dict[str, list[str]]()
    for feature in features:
        folded.setdefault(feature.casefold(), []).append(feature)
    matched = []
    for name in fields:
        candidates = [] if name in features else folded.get(name.casefold(), [])
        if len(candidates) > 1:
            raise SchemaError(f"field {name!r} matches several features ignoring case: {', '.join(candidates)}; "
                              "name it exactly", columns=[name])
        matched.append(candidates[0] if candidates and candidates[0] not in exact else name)
    return matched


def prepare(frame: pd.DataFrame, info: ModelInfo, csv: bool, accepts_missing: Callable[[str], bool]) -> Prepared:
    """Check text features; coerce numeric ones, setting aside rows whose value is unreadable, infinite, or missing
    where accepts_missing(column) says the model cannot score it (one bad row per row, its first problem)."""
    for column in info.features:
        _refuse_bytes(frame[column], column)
    for column in info.text_features:
        _require_text(frame[column], column)
    bad: list[dict] = []
    for column in info.numeric_features:
        values = frame[column]
        numbers, found = _numbers(values, column, csv, accepts_missing)
        if numbers is not values:  # a column numeric already stays as it is (no write into the frame)
            frame[column] = numbers
        bad += found
    bad = _first_per_row(bad)
    if bad:
        frame = frame[~frame.index.isin([b["row"] for b in bad])]
    return Prepared(frame, bad)


def _numbers(values: pd.Series, column: str, csv: bool,
             accepts_missing: Callable[[str], bool]) -> tuple[pd.Series, list[dict]]:
    """The column as numbers, and a bad row for each value that is not a usable number."""
    if is_numeric_dtype(values) and not is_bool_dtype(values):
        numbers, unreadable = values, np.zeros(len(values), dtype=bool)
    else:
        numbers = pd.to_numeric(values, errors="coerce")
        unreadable = (numbers.isna() & values.notna() & (values.astype("string").str.strip() != "")).to_numpy()
    floats = numbers.to_numpy(dtype="float64", na_value=np.nan)
    missing = np.isnan(floats) & ~unreadable
    if missing.any() and accepts_missing(column):
        missing[:] = False
    found = [_bad(values, column, csv, unreadable, lambda v: str(v)[:200], NOT_A_NUMBER),
             _bad(values, column, csv, np.isinf(floats), lambda v: str(float(v)), NOT_FINITE),
             _bad(values, column, csv, missing, lambda v: None, CANNOT_MISS)]
    return numbers, [b for group in found for b in group]


def _bad(values: pd.Series, column: str, csv: bool, mask: np.ndarray, shown, error: str) -> list[dict]:
    if not mask.any():
        return []
    return [{"row": int(row), "line": int(row) + 1 if csv else None, "column": column,
             "value": shown(values.loc[row]), "error": error} for row in values.index[mask]]


def _first_per_row(bad: list[dict]) -> list[dict]:
    """One bad row per input row (the first problem found), in row order."""
    first: dict[int, dict] = {}
    for b in bad:
        first.setdefault(b["row"], b)
    return [first[row] for row in sorted(first)]


def _refuse_bytes(values: pd.Series, column: str) -> None:
    odd = _first_not_text(values)
    if isinstance(odd, (bytes, bytearray)):
        raise SchemaError(f"column {column} holds bytes, not text; store it as a string (UTF-8) column",
                          column=column)


def _require_text(values: pd.Series, column: str) -> None:
    """A text feature holds text or missing values: numbers would reach the encoder as unknown categories."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        values, dtype = pd.Series(dtype.categories), dtype.categories.dtype
    if is_object_dtype(dtype):
        odd = _first_not_text(values)
        if odd is not None:
            raise SchemaError(f"column {column} holds {type(odd).__name__} values ({odd!r}), but the model reads it "
                              "as text; store it as strings", column=column)
    elif not is_string_dtype(dtype) and values.notna().any():
        raise SchemaError(f"column {column} is {dtype}, but the model reads it as text; store it as strings",
                          column=column)


def _first_not_text(values: pd.Series):
    """The first value of an object column that is neither text nor missing (None when there is none)."""
    if not is_object_dtype(values.dtype):
        return None
    return next((v for v in values if not isinstance(v, str) and not _is_missing(v)), None)


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def describe_bad_row(bad: dict) -> str:
    """One line naming where a bad row is and what is wrong with it."""
    where = f"line {bad['line']}" if bad.get("line") else f"row {bad.get('row')}"
    if not bad.get("column"):
        return f"{where}: {bad['error']}"
    if bad.get("value") is None:
        return f"column {bad['column']}, {where}: {bad['error']}"
    shown = bad["value"] if bad["error"] == NOT_FINITE else repr(bad["value"])  # a number, as it was read
    return f"column {bad['column']}, {where}: {shown} is {bad['error']}"
