"""Verification rows at a tree ensemble's splits: copies of sample rows with one number placed at a threshold and
one step either side (a float32 step for trees that compare float32, trees.py; a double step for
HistGradientBoosting, hist.py), mapped back through the scaler before the trees."""

import numpy as np
import pandas as pd

from batchsvc.scoring.engines.hist import hist_model, hist_splits
from batchsvc.scoring.engines.steps import walk
from batchsvc.scoring.engines.trees import float32_trees, round_down32

SPLIT_ROWS_MAX = 3000  # verification rows placed at the trees' split points
SPLIT_SEED = 20_261_203


def split_rows(model, rows: pd.DataFrame) -> pd.DataFrame:
    """The rows at the splits; empty when the model has no trees or its splits cannot be traced to input columns."""
    found, inputs = tree_splits(model), _tree_inputs(model)
    if found is None or not inputs or not len(rows):
        return rows.iloc[:0]
    pairs, single = found
    splits = [(f, t) for f, t in pairs if f in inputs and np.isfinite(t)]
    rng = np.random.default_rng(SPLIT_SEED)
    picked = [splits[i] for i in rng.permutation(len(splits))[: SPLIT_ROWS_MAX // 3]]
    out = rows.iloc[np.arange(3 * len(picked)) % len(rows)].copy().reset_index(drop=True)
    out = out.astype({column: np.float64 for column, _, _ in inputs.values()})
    for k, (feature, threshold) in enumerate(picked):
        column, mean, scale = inputs[feature]
        for j, t in enumerate(_around32(threshold) if single else _around64(threshold)):
            out.loc[3 * k + j, column] = float(t) * scale + mean
    return out


def tree_splits(model) -> tuple[list[tuple[int, float]], bool] | None:
    """(feature, threshold) of every split, and whether the trees compare float32; None without trees."""
    trees = float32_trees(model)
    if trees is not None:
        return [(f, t) for tree in trees for f, t in zip(tree.feature, tree.threshold) if f >= 0], True
    final = hist_model(model)
    return (hist_splits(final), False) if final is not None else None


def _around32(threshold: float) -> np.ndarray:
    below = round_down32(np.array([threshold]))[0]
    return np.array([below, np.nextafter(below, np.float32(np.inf)), np.nextafter(below, np.float32(-np.inf))])


def _around64(threshold: float) -> np.ndarray:
    return np.array([threshold, np.nextafter(threshold, np.inf), np.nextafter(threshold, -np.inf)])


def _tree_inputs(model) -> dict[int, tuple[str, float, float]]:
    """The trees' input index -> (input column, mean, scale) for columns scaled (or passed) straight to them."""
    prep = next((s for s in walk(model) if hasattr(s, "output_indices_")), None)
    if prep is None:
        return {}
    inputs: dict[int, tuple[str, float, float]] = {}
    for name, transformer, columns in prep.transformers_:
        where = prep.output_indices_.get(name)
        if where is None or not isinstance(columns, (list, tuple, np.ndarray)):
            continue
        mean = getattr(transformer, "mean_", None)
        scale = getattr(transformer, "scale_", None)
        if transformer == "passthrough" or type(transformer).__name__ == "StandardScaler":
            for j, column in enumerate(columns):
                inputs[where.start + j] = (str(column), float(mean[j]) if mean is not None else 0.0,
                                           float(scale[j]) if scale is not None else 1.0)
    return inputs
