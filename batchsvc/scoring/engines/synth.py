"""Verification rows made from the model's own knowledge, for a version registered without a sample.

Encoded columns cycle through every category the encoder learnt (so rare ones appear as often as common
ones), plus a few unseen values where the encoder ignores unknowns; scaled columns are drawn around the
scaler's mean_ with its scale_, plus rows at ±EDGE_SIGMAS, half of them on whole numbers (counts, ages
and amounts are; a float32 engine that rounds differently near a tree's split shows there). Columns the
model says nothing about are standard normal.
"""

import numpy as np
import pandas as pd

from batchsvc.scoring.engines.steps import routed, walk
from batchsvc.scoring.modelinfo import ModelInfo

SYNTH_ROWS = 4000
UNSEEN = "__batchsvc_unseen__"  # a category no encoder learnt
UNSEEN_SHARE = 0.02  # of rows, in columns whose encoder ignores unknown categories
EDGE_SIGMAS = 4.0
SEED = 20_261_201


def synthesise(model, info: ModelInfo, rows: int = SYNTH_ROWS) -> pd.DataFrame:
    """SYNTH_ROWS rows over the model's features, reproducible."""
    rng = np.random.default_rng(SEED)
    known = knowledge(model, info)
    data = {f: _column(known.get(f), rows, rng) for f in info.features}
    return pd.DataFrame(data)


def knowledge(model, info: ModelInfo) -> dict[str, tuple]:
    """feature -> ("categories", values, handle_unknown) or ("scale", mean, scale), where the model says."""
    known: dict[str, tuple] = {}
    for transformer, columns in routed(model):
        for step in walk(transformer):
            known.update(_learnt(step, [str(c) for c in columns]))
    if not known and hasattr(model, "steps"):  # a pipeline on a plain array: a leading scaler speaks by position
        known.update(_learnt(model.steps[0][1], info.features))
    return known


def _learnt(step, columns: list[str]) -> dict[str, tuple]:
    if step is None:
        return {}
    if getattr(step, "categories_", None) is not None:
        unknown = getattr(step, "handle_unknown", "error")
        return {c: ("categories", list(v), unknown) for c, v in zip(columns, step.categories_)}
    mean, scale = getattr(step, "mean_", None), getattr(step, "scale_", None)
    if mean is None and scale is None:
        return {}
    n = len(columns)
    mean = np.zeros(n) if mean is None else np.asarray(mean)
    scale = np.ones(n) if scale is None else np.asarray(scale)
    return {c: ("scale", float(m), float(s)) for c, m, s in zip(columns, mean, scale)}


def _column(known: tuple | None, rows: int, rng: np.random.Generator) -> np.ndarray:
    if known is None:
        return _around(0.0, 1.0, rows, rng)
    if known[0] == "scale":
        return _around(known[1], known[2], rows, rng)
    return _categories(known[1], known[2], rows, rng)


def _around(mean: float, scale: float, rows: int, rng: np.random.Generator) -> np.ndarray:
    values = mean + scale * rng.standard_normal(rows)
    values[rows // 2:] = np.round(values[rows // 2:])
    edges = mean + scale * np.array([-EDGE_SIGMAS, 0.0, EDGE_SIGMAS])
    values[: min(rows, len(edges))] = edges[: min(rows, len(edges))]
    return values


def _categories(categories: list, unknown: str, rows: int, rng: np.random.Generator) -> np.ndarray:
    values = np.asarray(categories, dtype=object)[rng.permutation(np.arange(rows) % len(categories))]
    if unknown != "error" and all(isinstance(c, str) for c in categories):
        values[rng.random(rows) < UNSEEN_SHARE] = UNSEEN
    return values
