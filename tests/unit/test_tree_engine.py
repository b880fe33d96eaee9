"""The compiled engine of tree ensembles against scikit-learn, on edge rows: at the trees' splits (and a float32 step
either side; a double step for HistGradientBoosting), categories no encoder learnt, missing values (which the model
takes: the exact engine scores them for float32 trees, HistGradientBoosting's graph routes them itself)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from batchsvc.scoring.engines.onnx import OnnxEngine, allows_nan
from batchsvc.scoring.engines.sklearn import SklearnEngine
from batchsvc.scoring.engines.splits import split_rows
from batchsvc.scoring.engines.synth import UNSEEN
from batchsvc.scoring.engines.trees import float32_trees
from batchsvc.scoring.engines.verify import compare, trial
from batchsvc.scoring.modelinfo import inspect_model
from batchsvc.scoring.predict import can_predict
from batchsvc.scoring.sample import FIELDS, NUMERIC, credit_risk_pipeline, make_credit_risk

TOLERANCE = 1e-5
ESTIMATORS = [RandomForestClassifier(n_estimators=15, max_depth=8, random_state=0),
              ExtraTreesClassifier(n_estimators=15, max_depth=8, random_state=0),
              GradientBoostingClassifier(n_estimators=15, random_state=0),
              RandomForestRegressor(n_estimators=10, max_depth=8, random_state=0),
              ExtraTreesRegressor(n_estimators=10, max_depth=8, random_state=0),
              GradientBoostingRegressor(n_estimators=15, random_state=0),
              HistGradientBoostingClassifier(max_iter=20, random_state=0),
              HistGradientBoostingRegressor(max_iter=20, random_state=0)]


def fitted(estimator):
    """The credit-risk pipeline ending in `estimator` (regressors predict LoanAmount)."""
    data = make_credit_risk(3000, seed=43)
    pipe = credit_risk_pipeline()
    pipe.steps[-1] = ("model", estimator)
    target = data["Risk"] if hasattr(estimator, "predict_proba") else data["LoanAmount"].astype(float)
    return pipe.fit(data[FIELDS], target)


def edge_rows(model) -> pd.DataFrame:
    """Rows at the splits, plus rows with unseen categories and with missing numbers where the model takes them."""
    base = make_credit_risk(300, seed=9)[FIELDS].astype({"Age": float, "LoanAmount": float})
    unseen, missing = base.iloc[:50].copy(), base.iloc[50:100].copy()
    unseen["Job"], unseen["Sex"] = UNSEEN, UNSEEN
    missing.loc[missing.index[::2], "Age"] = np.nan
    missing.loc[missing.index[1::2], "LoanAmount"] = np.nan
    takes_missing = can_predict(model, inspect_model(model), missing)
    return pd.concat([split_rows(model, base), unseen, *([missing] if takes_missing else [])], ignore_index=True)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_a_tree_ensemble_compiles_and_scores_as_scikit_learn_on_edge_rows(estimator):
    # Given a tree-ensemble pipeline, When its engine is compiled and verified
    model = fitted(estimator)
    info = inspect_model(model)
    record, artefact = trial(model, info, None, TOLERANCE)
    # Then it is accepted, having checked rows at the trees' splits
    assert record["chosen"] == "onnx" and record["sample"]["at_splits"] > 0, record
    # And on rows at the splits, with unseen categories and with missing numbers it agrees with scikit-learn
    rows = edge_rows(model)
    exact = SklearnEngine(model, info) if float32_trees(model) else None  # as a worker loads it (model_cache.py)
    engine = OnnxEngine(artefact, info, {}, allow_nan=allows_nan(model), exact=exact)
    differing, difference = compare(SklearnEngine(model, info).predict(rows), engine.predict(rows))
    assert differing == 0 and difference <= TOLERANCE


def test_rows_at_the_splits_are_where_the_trees_split():
    # Given a forest behind a scaler, When rows are placed at its splits
    model = fitted(RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0))
    rows = split_rows(model, make_credit_risk(20, seed=1)[FIELDS])
    # Then scaling them gives back the trees' thresholds (within a float32 step)
    scaled = model.named_steps["prep"].transform(rows)
    thresholds = {float(t) for e in model.named_steps["model"].estimators_ for t in e.tree_.threshold if t != -2}
    hits = [any(abs(v - t) <= 1e-6 * max(1, abs(t)) for t in thresholds) for v in np.ravel(scaled)]
    assert len(rows) and sum(hits) >= len(rows)


def test_hist_gradient_boosting_without_a_plannable_preprocessing_is_refused_with_the_reason():
    # Given a HistGradientBoosting behind a bare scaler (no ColumnTransformer), When its engine is tried
    data = make_credit_risk(500, seed=43)[list(NUMERIC)]
    model = Pipeline([("scale", StandardScaler()), ("hgb", HistGradientBoostingClassifier(max_iter=10))])
    model.fit(data, data["Age"] > 40)
    record, artefact = trial(model, inspect_model(model), None, TOLERANCE)
    # Then it is refused, saying which preprocessing it compiles behind
    assert record["chosen"] == "sklearn" and artefact is None
    assert record["refused_reason"].startswith("HistGradientBoosting compiles only behind"), record
