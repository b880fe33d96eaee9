"""Score prepared rows: one predict_proba per batch, labels derived from it."""

import numpy as np
import pandas as pd

from batchsvc.errors import ScoringError
from batchsvc.scoring.modelinfo import ModelInfo

PREDICTION = "prediction"
PROBABILITY_PREFIX = "probability_"


def predict(model, info: ModelInfo, features: pd.DataFrame) -> pd.DataFrame:
    """Predictions for each row, in order: `prediction` and `probability_<class>` columns.

    A model error is raised as ScoringError with the batch position of the first row that triggers it (batch_row),
    for the caller to name as an input row or line."""
    X = _model_input(info, features)
    try:
        return _predict(model, info, X, features.index)
    except Exception as exc:  # the model's own error: find the first row that triggers it
        row = _first_failing_row(model, info, X)
        raise ScoringError(f"the model failed: {type(exc).__name__}: {exc}", batch_row=row) from None


def can_predict(model, info: ModelInfo, features: pd.DataFrame) -> bool:
    """Whether the model scores these rows without raising: a probe, whose predictions are thrown away."""
    try:
        _predict(model, info, _model_input(info, features), features.index)
        return True
    except Exception:
        return False


def _model_input(info: ModelInfo, features: pd.DataFrame):
    """A frame for a model fitted on named columns, else a plain array."""
    return features if info.named_features else features.to_numpy()


def _predict(model, info: ModelInfo, X, index) -> pd.DataFrame:
    if info.task == "classification" and info.has_proba:
        proba = model.predict_proba(X)
        classes = np.asarray(model.classes_)
        out = {PREDICTION: classes[proba.argmax(axis=1)]}
        out.update({f"{PROBABILITY_PREFIX}{c}": proba[:, i] for i, c in enumerate(classes)})
        return pd.DataFrame(out, index=index)
    return pd.DataFrame({PREDICTION: model.predict(X)}, index=index)


def _first_failing_row(model, info: ModelInfo, X) -> int | None:
    """Bisect for the first row the model cannot score (about as costly as one more pass)."""
    lo, hi = 0, len(X)
    if hi == 0:
        return None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            _predict(model, info, X[lo:mid], None)
            lo = mid
        except Exception:
            hi = mid
    try:
        _predict(model, info, X[lo:hi], None)
        return None
    except Exception:
        return lo
