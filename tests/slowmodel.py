"""A regressor that takes its time, so tests can catch a chunk in flight. Workers import it by PYTHONPATH."""

import time
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin


class SlowSum(RegressorMixin, BaseEstimator):
    """Predicts the row sum of its features after sleeping delay_s per predict call; with a marker path it
    writes <marker>.started before the sleep and <marker>.done after it, so a test can see where it is."""

    def __init__(self, delay_s: float = 0.5, marker: str | None = None):
        self.delay_s = delay_s
        self.marker = marker

    def fit(self, X, y=None):
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        if self.marker:
            Path(f"{self.marker}.started").touch()
        time.sleep(self.delay_s)
        if self.marker:
            Path(f"{self.marker}.done").touch()
        return np.asarray(X, dtype=float).sum(axis=1)
