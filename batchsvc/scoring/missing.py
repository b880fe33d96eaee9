"""Whether a model can score a missing value (NaN) in a column, asked of the model itself, once per model and column.

sklearn's tags are no guide: get_tags(pipeline).input_tags.allow_nan is False even for StandardScaler +
HistGradientBoosting, which scores NaN. So one probe row with the value missing goes through the model's own
predict, and the answer is kept in a weak map keyed by the model object (it goes when the model is dropped).
"""

import threading
import weakref

import numpy as np
import pandas as pd

from batchsvc.scoring.modelinfo import ModelInfo
from batchsvc.scoring.predict import can_predict

_answers: "weakref.WeakKeyDictionary[object, dict[str, bool]]" = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def accepts_missing(model, info: ModelInfo, frame: pd.DataFrame, column: str) -> bool:
    """Whether the model scores a row whose `column` is missing; `frame` (non-empty) lends the probe its text values."""
    answers = _answers_for(model)
    if column not in answers:
        answers[column] = can_predict(model, info, _probe_row(info, frame, column))
    return answers[column]


def _answers_for(model) -> dict[str, bool]:
    """The remembered answers for this model object (a fresh dict, not kept, for one that takes no weak reference)."""
    with _lock:
        try:
            return _answers.setdefault(model, {})
        except TypeError:
            return {}


def _probe_row(info: ModelInfo, frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """The batch's first row with every numeric feature 0 but `column`, which is missing."""
    row = frame[info.features].iloc[:1].copy()
    for name in info.numeric_features:
        row[name] = np.nan if name == column else 0.0
    return row
