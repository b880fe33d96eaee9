"""A version's drift baseline from rows sent at registration: checked against the model's features, then profiled.

A `baseline` file must hold every feature, and a feature the model reads as a number must read as numbers;
otherwise registration is refused naming the field and the column. A verification `sample` that does not fit
gives no baseline (it still serves its first purpose, the engine's check).
"""

import pandas as pd

from batchsvc.errors import SchemaError
from batchsvc.scoring.profile import baseline_of

MIN_ROWS = 20  # fewer rows cannot place ten deciles: the baseline would be noise


def baseline_for(frame: pd.DataFrame, features: list[str], numeric: list[str], field: str = "baseline") -> dict:
    """The baseline of these rows over the model's features; SchemaError names the field and the first column
    that is lacking, or that the model reads as numbers but that holds text."""
    lacking = [f for f in features if f not in frame.columns]
    if lacking:
        raise SchemaError(f"{field} lacks columns the model reads: {', '.join(lacking)}", columns=lacking,
                          field=field)
    if len(frame) < MIN_ROWS:
        raise SchemaError(f"{field} has {len(frame)} rows; a baseline needs at least {MIN_ROWS}", field=field)
    frame = frame[features].copy()
    for column in numeric:
        frame[column] = _numbers(frame[column], column, field)
    return baseline_of(frame, features)


def _numbers(values: pd.Series, column: str, field: str) -> pd.Series:
    """The column as numbers; SchemaError naming it when a value is text that is not a number."""
    numbers = pd.to_numeric(values, errors="coerce")
    unreadable = numbers.isna() & values.notna()
    if unreadable.any():
        first = values[unreadable].iloc[0]
        raise SchemaError(f"column {column} of {field} holds {first!r}, but the model reads {column} as a number",
                          column=column, field=field)
    return numbers


def baseline_or_none(frame: pd.DataFrame | None, features: list[str], numeric: list[str]) -> dict | None:
    """The baseline of a verification sample, or None when there is none or it does not fit the model."""
    if frame is None:
        return None
    try:
        return baseline_for(frame, features, numeric, field="sample")
    except SchemaError:
        return None


def version_baseline(info: dict, baseline: pd.DataFrame | None, sample: pd.DataFrame | None) -> dict | None:
    """A new version's baseline: from its `baseline` file when sent (refused if it does not fit), else from its
    verification `sample` when that fits, else none."""
    features, numeric = info.get("features") or [], info.get("numeric_features") or []
    if not features:  # a code model that declares none reads whatever it gets: nothing to compare feature by feature
        return None
    if baseline is not None:
        return baseline_for(baseline, features, numeric)
    return baseline_or_none(sample, features, numeric)
