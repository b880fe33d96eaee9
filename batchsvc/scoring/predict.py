"""Score prepared rows through an engine: one predict_proba-like call per batch, labels derived from it."""

import pandas as pd

from batchsvc.errors import ModelError, ScoringError
from batchsvc.scoring.engines import Engine, Scores
from batchsvc.scoring.engines.sklearn import as_engine
from batchsvc.scoring.modelinfo import ModelInfo

PREDICTION = "prediction"
PROBABILITY_PREFIX = "probability_"


def predict(model, info: ModelInfo, features: pd.DataFrame) -> pd.DataFrame:
    """Predictions for each row, in order: `prediction` and `probability_<class>` columns.

    `model` is an Engine, or a bare estimator (scored by the exact engine). A model error is raised as
    ScoringError with the batch position of the first row that triggers it (batch_row), for the caller to name
    as an input row or line."""
    engine = as_engine(model, info)
    try:
        return scores_frame(engine.predict(features), info, features.index)
    except ModelError:  # a code model's own error, already named: no row to find
        raise
    except Exception as exc:  # the model's own error: find the first row that triggers it
        row = _first_failing_row(engine, features)
        raise ScoringError(f"the model failed: {type(exc).__name__}: {exc}", batch_row=row) from None


def can_predict(model, info: ModelInfo, features: pd.DataFrame) -> bool:
    """Whether the model scores these rows without raising: a probe, whose predictions are thrown away."""
    try:
        as_engine(model, info).predict(features)
        return True
    except Exception:
        return False


def scores_frame(scores: Scores, info: ModelInfo, index) -> pd.DataFrame:
    """An engine's scores as output columns."""
    if scores.columns is not None:
        return scores.columns.set_axis(index)
    out = {PREDICTION: scores.prediction}
    if scores.proba is not None:
        out.update({f"{PROBABILITY_PREFIX}{c}": scores.proba[:, i] for i, c in enumerate(info.classes or [])})
    return pd.DataFrame(out, index=index)


def _first_failing_row(engine: Engine, features: pd.DataFrame) -> int | None:
    """Bisect for the first row the model cannot score (about as costly as one more pass)."""
    lo, hi = 0, len(features)
    if hi == 0:
        return None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            engine.predict(features.iloc[lo:mid])
            lo = mid
        except Exception:
            hi = mid
    try:
        engine.predict(features.iloc[lo:hi])
        return None
    except Exception:
        return lo
