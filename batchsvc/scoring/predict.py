"""Score prepared rows: one predict_proba per batch, labels derived from it."""

import numpy as np
import pandas as pd

from batchsvc.errors import ScoringError
from batchsvc.scoring.modelinfo import ModelInfo

PREDICTION = "prediction"
PROBABILITY_PREFIX = "probability_"


def predict(model, info: ModelInfo, features: pd.DataFrame) -> pd.DataFrame:
    """Predictions for each row, in order: `prediction` and `probability_<class>` columns."""
    X = features if info.named_features else features.to_numpy()
    try:
        return _predict(model, info, X, features.index)
    except Exception as exc:  # the model's own error: find the first row that triggers it
        row = _first_failing_row(model, info, X)
        where = f" at batch row {row + 1}" if row is not None else ""
        raise ScoringError(f"the model failed{where}: {type(exc).__name__}: {exc}", batch_row=row) from None


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
