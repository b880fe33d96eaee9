"""Data profiles for drift: a version's baseline, the profile of rows counted in its bins, and their comparison.

A baseline (baseline_of) describes each feature of the training data: a number by the deciles that cut it into
bins (plus below its minimum, above its maximum, missing), a category by its TOP_K most frequent values (plus
"other" and missing). A profile (profile_of) counts rows in exactly those bins, so profiles of chunks merge by
adding (merge) and the profile of a job is the same whichever way its rows were chunked. compare() gives each
feature's population stability index (PSI) against the baseline. Pure and vectorised: it runs on every chunk.
"""

from collections import Counter
from typing import TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import is_bool_dtype, is_numeric_dtype, is_object_dtype

BINS = 10  # quantile bins of a numeric feature
TOP_K = 20  # categories a baseline keeps by name; the rest are "other"
UNSEEN_EXAMPLES = 5  # unseen categories a profile names, most frequent first
EPSILON = 1e-4  # the share an empty bin counts as, so PSI stays finite
DEFAULT_THRESHOLDS = {"psi": 0.2}  # a feature whose PSI exceeds this has drifted

Data: TypeAlias = pd.DataFrame | pa.RecordBatch | pa.Table


def baseline_of(frame: pd.DataFrame, features: list[str] | None = None) -> dict:
    """The baseline of these rows (JSON-able): per feature its type, missing share, and the bins or categories
    that later profiles count in, with the rows' own counts in them (`profile`)."""
    names = list(frame.columns) if features is None else features
    specs = {name: _spec(frame[name]) for name in names}
    baseline = {"rows": len(frame), "features": specs}
    profile = profile_of(frame, baseline)
    for name, spec in specs.items():
        spec["missing_share"] = _share(profile["features"][name]["missing"], len(frame))
    return {**baseline, "profile": profile}


def _spec(values: pd.Series) -> dict:
    """A feature's bins: deciles for a number, the most frequent values for anything else."""
    if _is_number(values.dtype):
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
        numbers = numbers[np.isfinite(numbers)]
        if not len(numbers):
            return {"type": "number", "quantiles": [], "cuts": []}
        quantiles = [_round(q) for q in np.quantile(numbers, np.linspace(0, 1, BINS + 1))]
        return {"type": "number", "quantiles": quantiles, "cuts": sorted(set(quantiles[1:-1]))}
    counts = values.dropna().astype(str).value_counts()
    top = counts.iloc[:TOP_K]
    total = int(counts.sum())
    return {"type": "category", "categories": [str(c) for c in top.index],
            "frequencies": {str(c): _share(int(n), total) for c, n in top.items()},
            "other_share": _share(total - int(top.sum()), total)}


def profile_of(data: Data, baseline: dict) -> dict:
    """The rows (a frame, or an Arrow batch or table) counted in the baseline's bins, feature by feature."""
    rows = data.num_rows if isinstance(data, (pa.RecordBatch, pa.Table)) else len(data)
    present = set(data.schema.names if isinstance(data, (pa.RecordBatch, pa.Table)) else data.columns)
    features = {}
    for name, spec in baseline["features"].items():
        if name not in present:
            features[name] = _empty(spec, missing=rows)
        elif spec["type"] == "number":
            features[name] = _count_numbers(_floats(_column(data, name)), spec)
        else:
            features[name] = _count_categories(_value_counts(_column(data, name)), spec, rows)
    return {"rows": rows, "features": features}


def _column(data: Data, name: str):
    return data.column(name) if isinstance(data, (pa.RecordBatch, pa.Table)) else data[name]


def _floats(values) -> np.ndarray:
    """A column as float64, NaN where a value is missing or not a number."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        if pa.types.is_integer(values.type) or pa.types.is_floating(values.type):  # nulls become NaN
            return values.to_numpy(zero_copy_only=False).astype("float64", copy=False)
        if pa.types.is_decimal(values.type):
            return pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
        values = values.to_pandas()
    if not (is_numeric_dtype(values.dtype) and not is_bool_dtype(values.dtype)):
        values = pd.to_numeric(values, errors="coerce")
    return values.to_numpy(dtype="float64", na_value=np.nan)


def _count_numbers(numbers: np.ndarray, spec: dict) -> dict:
    """Counts per bin: below the baseline's minimum, one per cut interval, above its maximum, missing (NaN).
    A value's bin is how many edges it reaches: one comparison per edge (at most BINS), no sorting; NaN reaches
    none, so it lands below and is taken out."""
    missing = int(np.isnan(numbers).sum())
    if not spec["quantiles"]:
        return {**_empty(spec, missing=missing), "above": len(numbers) - missing}
    low, high = spec["quantiles"][0], spec["quantiles"][-1]
    reached = np.zeros(len(numbers), dtype=np.intp)
    for edge in (low, *spec["cuts"]):
        reached += numbers >= edge
    counts = np.bincount(reached, minlength=len(spec["cuts"]) + 2)
    above = int((numbers > high).sum())
    counts[0] -= missing
    counts[-1] -= above
    return {"counts": [int(n) for n in counts[1:]], "below": int(counts[0]), "above": above, "missing": missing}


def _value_counts(values) -> Counter:
    """How often each value occurs (as text), missing values left out. A pandas column backed by Arrow (text,
    categories) is counted as Arrow, which is about twice as fast."""
    if isinstance(values, pd.Series) and not is_object_dtype(values.dtype):
        values = pa.array(values, from_pandas=True)
    if isinstance(values, (pa.Array, pa.ChunkedArray)) and pa.types.is_dictionary(values.type):
        pairs = _dictionary_counts(values)
    elif isinstance(values, (pa.Array, pa.ChunkedArray)):
        counted = pc.value_counts(values.drop_null())
        pairs = zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist())
    else:
        pairs = values.value_counts(dropna=True).items()
    counts: Counter = Counter()
    for value, n in pairs:  # one step per distinct value, not per row
        if n:
            counts[str(value)] += int(n)
    return counts


def _dictionary_counts(values):
    """(value, count) pairs of a dictionary-encoded column (Parquet text), counted on its indices: no hashing."""
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    for chunk in chunks:
        indices = chunk.indices.drop_null().to_numpy(zero_copy_only=False)
        yield from zip(chunk.dictionary.to_pylist(), np.bincount(indices, minlength=len(chunk.dictionary)))


def _count_categories(counts: Counter, spec: dict, rows: int) -> dict:
    """Counts per baseline category, then the rest ("other"), with the most frequent unseen values named."""
    known = spec["categories"]
    seen = [counts.get(c, 0) for c in known]
    unseen = Counter({v: n for v, n in counts.items() if v not in set(known)})
    return {"counts": seen, "other": sum(unseen.values()), "missing": rows - sum(counts.values()),
            "unseen": dict(unseen.most_common(UNSEEN_EXAMPLES))}


def _empty(spec: dict, missing: int) -> dict:
    """A feature's counts when every row lacks it."""
    if spec["type"] == "number":
        return {"counts": [0] * (len(spec["cuts"]) + 1), "below": 0, "above": 0, "missing": missing}
    return {"counts": [0] * len(spec["categories"]), "other": 0, "missing": missing, "unseen": {}}


def merge(a: dict, b: dict) -> dict:
    """Two profiles against one baseline as one: every count added."""
    features = {name: _merge_feature(counts, b["features"][name]) for name, counts in a["features"].items()}
    return {"rows": a["rows"] + b["rows"], "features": features}


def _merge_feature(a: dict, b: dict) -> dict:
    merged = {key: a[key] + b[key] for key in ("below", "above", "other", "missing") if key in a}
    merged["counts"] = [x + y for x, y in zip(a["counts"], b["counts"])]
    if "unseen" in a:
        merged["unseen"] = dict((Counter(a["unseen"]) + Counter(b["unseen"])).most_common(UNSEEN_EXAMPLES))
    return merged


def empty_profile(baseline: dict) -> dict:
    """The profile of no rows (what a job shows before its first chunk is scored)."""
    return profile_of(pd.DataFrame(), baseline)


def merge_all(profiles: list[dict]) -> dict | None:
    """Profiles merged in order (None for none)."""
    merged = None
    for profile in profiles:
        merged = profile if merged is None else merge(merged, profile)
    return merged


def compare(baseline: dict, profile: dict, thresholds: dict | None = None) -> dict:
    """Per feature: PSI against the baseline, the share of values the baseline never saw (categories outside its
    list, numbers outside its range), the missing share, and whether PSI exceeds thresholds["psi"]."""
    limit = float({**DEFAULT_THRESHOLDS, **(thresholds or {})}["psi"])
    expected = baseline["profile"]
    features = {}
    for name, counts in profile["features"].items():
        psi = _psi(_shares(expected["features"][name], expected["rows"]), _shares(counts, profile["rows"]))
        outside = counts.get("other", counts.get("below", 0) + counts.get("above", 0))
        features[name] = {"psi": psi, "unseen_share": _share(outside, profile["rows"]),
                          "missing_share": _share(counts["missing"], profile["rows"]),
                          "drifted": psi is not None and psi > limit}
        if counts.get("unseen"):
            features[name]["unseen"] = counts["unseen"]
    return {"rows": profile["rows"], "thresholds": {"psi": limit}, "features": features,
            "drifted": [name for name, f in features.items() if f["drifted"]]}


def _shares(counts: dict, rows: int) -> np.ndarray | None:
    """A feature's counts as shares of the rows, every bin in a fixed order (None for no rows)."""
    if not rows:
        return None
    tail = [counts[k] for k in ("below", "above", "other", "missing") if k in counts]
    return np.asarray(counts["counts"] + tail, dtype="float64") / rows


def _psi(expected: np.ndarray | None, actual: np.ndarray | None) -> float | None:
    """Population stability index: sum of (actual - expected) * ln(actual / expected), empty bins as EPSILON."""
    if expected is None or actual is None:
        return None
    e, a = np.clip(expected, EPSILON, None), np.clip(actual, EPSILON, None)
    return round(float(np.sum((a - e) * np.log(a / e))), 6)


def _is_number(dtype) -> bool:
    return is_numeric_dtype(dtype) and not is_bool_dtype(dtype)


def _round(value: float) -> float:
    """A bin edge to 10 significant digits: what is stored (and bins later rows) is what is shown."""
    return float(f"{value:.10g}")


def _share(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0
