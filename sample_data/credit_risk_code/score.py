"""Credit risk with business rules: the sample pipeline's probability, a threshold decision and a reason.

`reason` names the input field that pushed the row's score towards Risk the most (its one-hot columns or its
scaled value times the logistic regression's coefficients). Rows with a non-positive LoanAmount are not scored:
they come back with a message in `_error` and count against the job's max_bad_rows.
"""

from pathlib import Path

import joblib
import numpy as np
import pandas as pd

THRESHOLD = 0.35  # the business threshold: refer every application at or above this probability of Risk
PIPELINE = None
COLUMN_FIELDS: list[str] = []  # the input field behind each column the pipeline's `prep` step outputs


def init(model_dir: Path) -> None:
    """Load the pipeline once per process and map its encoded columns back to input fields."""
    global PIPELINE, COLUMN_FIELDS
    PIPELINE = joblib.load(Path(model_dir) / "model.joblib")
    prep = PIPELINE.named_steps["prep"]
    fields = sorted(prep.feature_names_in_, key=len, reverse=True)
    COLUMN_FIELDS = [next(f for f in fields if name.split("__", 1)[1].startswith(f))
                     for name in prep.get_feature_names_out()]


def run(batch: pd.DataFrame) -> pd.DataFrame:
    """Probability of Risk, decision (refer/approve), reason and _error for each row, in order."""
    prep, model = PIPELINE.named_steps["prep"], PIPELINE.named_steps["model"]
    bad = batch["LoanAmount"] <= 0
    X = prep.transform(batch[list(prep.feature_names_in_)])
    X = X.toarray() if hasattr(X, "toarray") else np.asarray(X)
    risk = list(model.classes_).index("Risk")
    proba = model.predict_proba(X)[:, risk]
    sign = 1.0 if risk == 1 else -1.0
    pushes = pd.DataFrame(X * model.coef_[0] * sign, columns=COLUMN_FIELDS).T.groupby(level=0).sum().T
    return pd.DataFrame({
        "risk_probability": proba,
        "decision": np.where(proba >= THRESHOLD, "refer", "approve"),
        "reason": pushes.idxmax(axis=1).to_numpy(),
        "_error": np.where(bad, "LoanAmount must be positive", None),
    })
