"""Scoring engines: one interface (`predict` a prepared frame or Arrow batch → labels and probabilities).

`sklearn` is the exact path; `onnx` (onnxruntime) is used only once verify.py has shown it agrees with
scikit-learn on a sample. Pure: engines get bytes and objects, never paths.
"""

from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa

SKLEARN, ONNX, CODE = "sklearn", "onnx", "code"
AUTO = "auto"
ENGINES = (SKLEARN, ONNX)


@dataclass
class Scores:
    """One batch's predictions: the label (or regression value) per row, and class probabilities if any;
    a code model gives its output columns as they are instead (`columns`)."""
    prediction: np.ndarray
    proba: np.ndarray | None = None
    columns: pd.DataFrame | None = None


Features: TypeAlias = pd.DataFrame | pa.RecordBatch


class Engine:
    """What every engine offers; subclasses set `name` and implement predict.

    `strict`: columns whose encoder refuses unknown categories, with the categories it knows
    (categories.py makes such rows bad rows before any engine sees them)."""
    name = ""
    strict: dict[str, set] = {}
    takes_missing = False  # True: missing values reach predict as they are (a code model handles its own)
    takes_arrow = False  # True: predict takes an Arrow batch of clean rows as well (scoring/arrow_path.py)

    def predict(self, features: Features) -> Scores:
        """Predictions for every row of `features` (the model's feature columns), in order."""
        raise NotImplementedError


def choose(engine_record: dict | None, requested: str = AUTO) -> str:
    """The engine a job or request uses: the version's verified engine unless `sklearn` is forced."""
    if requested == SKLEARN or not engine_record:
        return SKLEARN
    chosen = engine_record.get("chosen")
    return chosen if chosen in ENGINES and (chosen == SKLEARN or engine_record.get("sha256")) else SKLEARN
