"""The fast path writes every score as the full path does: a float32 engine's at its shortest decimal, then both
rounded as pandas' to_json rounds (halves included, which a float32's shortest decimal often ends in)."""

import json

import numpy as np
import pandas as pd

from batchsvc.scoring.rows import watson_answer
from batchsvc.scoring.score_text import text_ready_frame


def full_path(prediction: np.ndarray, proba: np.ndarray) -> list:
    """The values the full path's answer holds for these scores (output.watson_shape's steps)."""
    frame = text_ready_frame(pd.DataFrame({"prediction": prediction, "probability_a": proba[:, 0],
                                           "probability_b": proba[:, 1]}))
    return [[row[0], row[1:]] for row in json.loads(frame.to_json(orient="values"))]


def test_float32_scores_small_and_large_are_written_alike_by_both_paths():
    # Given a float32 engine's probabilities, many tiny, many ending in a half at the tenth decimal
    rng = np.random.default_rng(7)
    p = np.concatenate([rng.random(20_000), rng.random(20_000) * 1e-3, rng.random(2_000) * 1e-7]).astype(np.float32)
    proba = np.stack([p, 1 - p], axis=1).astype(np.float64)
    labels = np.array(["Risk", "No Risk"])[proba.argmax(axis=1)]
    # When both paths write them, Then every value is the same
    assert watson_answer(labels, proba)["values"] == full_path(labels, proba)


def test_float64_scores_are_rounded_as_pandas_rounds_them():
    # Given scikit-learn's own float64 scores (and a regressor's values far from 1)
    rng = np.random.default_rng(8)
    p = np.concatenate([rng.random(20_000), rng.random(2_000) * 1e-16])
    proba = np.stack([p, 1 - p], axis=1)
    values = rng.normal(0, 1e7, 22_000)
    # Then both paths write the same numbers
    assert watson_answer(values, proba)["values"] == full_path(values, proba)
