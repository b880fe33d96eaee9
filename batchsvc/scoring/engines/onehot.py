"""A tree ensemble's preprocessing in numpy instead of in its graph: category codes to one-hot columns, the scaler
in doubles, one float32 matrix for the trees alone.

The credit forest's graph spent most of its time one-hot encoding strings (profile_chunk.py --trees); here each
distinct value of a text column is looked up once (Arrow dictionary codes) and its rows set by index. Exact:
one-hot values are 0 or 1, the scaler runs scikit-learn's own float64 operations ((x - mean_) / scale_), and the
matrix is then cast to float32 as scikit-learn's trees cast it. Only a pipeline of one ColumnTransformer of
plain OneHotEncoders, StandardScalers and passthrough columns before the trees has a plan; others keep the graph.
"""

import json

import numpy as np
import pandas as pd
import pyarrow as pa

from batchsvc.scoring.engines.feed import SMALL_ROWS, number_column, text_array

PLAN_KEY = "batchsvc.onehot"  # the plan's key in the graph's metadata
INPUT = "onehot_matrix"  # the graph's one input: the float32 matrix the trees take


def onehot_plan(model, double: bool = False) -> dict | None:
    """The layout of the matrix before the model's trees ({"width", "dtype", "categorical", "numeric"}), or None;
    `double`: a float64 matrix (HistGradientBoosting compares doubles), else float32."""
    steps = getattr(model, "steps", None)
    if not steps or len(steps) != 2 or not hasattr(steps[0][1], "output_indices_"):
        return None
    prep = steps[0][1]
    width = max(s.stop for s in prep.output_indices_.values())
    if width != getattr(steps[1][1], "n_features_in_", None):
        return None
    plan: dict = {"width": int(width), "dtype": "float64" if double else "float32", "categorical": [], "numeric": []}
    for name, transformer, columns in prep.transformers_:
        where = prep.output_indices_.get(name)
        if transformer == "drop" or (where is not None and where.start == where.stop):
            continue
        if name == "remainder" or not isinstance(columns, (list, tuple, np.ndarray)) or where is None:
            return None
        part = _part(transformer, [str(c) for c in columns], where.start)
        if part is None:
            return None
        plan[part[0]].extend(part[1])
    names = [p["column"] for p in plan["categorical"] + plan["numeric"]]
    return plan if INPUT not in names and len(names) == len(set(names)) else None


def _part(transformer, columns: list[str], start: int) -> tuple[str, list[dict]] | None:
    """One transformer's columns in the plan: ("categorical", ...) or ("numeric", ...), or None if unplanned."""
    kind = type(transformer).__name__
    if kind == "OneHotEncoder":
        categories = transformer.categories_
        if (transformer.drop_idx_ is not None or getattr(transformer, "_infrequent_enabled", False)
                or not all(isinstance(c, str) for cats in categories for c in cats)):
            return None
        offsets = np.cumsum([0] + [len(c) for c in categories])
        return "categorical", [{"column": c, "start": start + int(o), "categories": [str(v) for v in cats]}
                               for c, o, cats in zip(columns, offsets, categories)]
    if kind == "StandardScaler" or transformer == "passthrough":
        mean = transformer.mean_ if kind == "StandardScaler" and transformer.with_mean else None
        scale = transformer.scale_ if kind == "StandardScaler" and transformer.with_std else None
        return "numeric", [{"column": c, "index": start + j, "mean": None if mean is None else float(mean[j]),
                            "scale": None if scale is None else float(scale[j])} for j, c in enumerate(columns)]
    return None


class OneHot:
    """The matrix a plan describes, made from a frame, an Arrow batch or the online path's (n, 1) arrays."""

    def __init__(self, plan: dict | str):
        self.plan = json.loads(plan) if isinstance(plan, str) else plan
        self.lookups = [{v: k for k, v in enumerate(p["categories"])} for p in self.plan["categorical"]]
        self.text = {p["column"] for p in self.plan["categorical"]}

    def matrix(self, features) -> np.ndarray:
        """The (n, width) matrix: one-hot columns set from codes, scaled numbers (cast from doubles to float32
        unless the plan is float64)."""
        rows = _rows(features)
        out = np.zeros((rows, self.plan["width"]), dtype=np.dtype(self.plan.get("dtype", "float32")))
        flat = out.reshape(-1)
        base = np.arange(rows, dtype=np.int64) * self.plan["width"]
        for part, lookup in zip(self.plan["categorical"], self.lookups):
            codes = _codes(features, part["column"], lookup)
            known = codes >= 0
            flat[base[known] + part["start"] + codes[known]] = 1.0
        for part in self.plan["numeric"]:
            values = _numbers(features, part["column"])
            if part["mean"] is not None:
                values = values - part["mean"]
            if part["scale"] is not None:
                values = values / part["scale"]
            out[:, part["index"]] = values
        return out


def _rows(features) -> int:
    if isinstance(features, dict):
        return len(next(iter(features.values())))
    return features.num_rows if isinstance(features, pa.RecordBatch) else len(features)


def _codes(features, column: str, lookup: dict[str, int]) -> np.ndarray:
    """Each row's category index, -1 for a value the encoder never saw (its one-hot columns stay zero)."""
    if isinstance(features, dict) or (isinstance(features, pd.DataFrame) and len(features) < SMALL_ROWS):
        values = np.asarray(features[column], dtype=object).ravel()
        return np.array([-1 if _missing(v) else lookup.get(str(v), -1) for v in values], dtype=np.int64)
    array = text_array(features, column)
    if not isinstance(array, pa.DictionaryArray):
        array = array.dictionary_encode()
    table = np.array([-1 if v is None else lookup.get(v, -1) for v in array.dictionary.to_pylist()] + [-1],
                     dtype=np.int64)
    indices = array.indices.fill_null(len(table) - 1) if array.null_count else array.indices
    return table[indices.to_numpy(zero_copy_only=False)]


def _numbers(features, column: str) -> np.ndarray:
    if isinstance(features, dict):
        return np.asarray(features[column], dtype=np.float64).ravel()
    return number_column(features, column, np.float64).ravel()


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))
