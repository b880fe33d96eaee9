"""A regressor that takes its time, so tests can catch a chunk in flight. Workers import it by PYTHONPATH."""

import time

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin


class SlowSum(RegressorMixin, BaseEstimator):
    """Predicts the row sum of its features after sleeping delay_s per predict call."""

    def __init__(self, delay_s: float = 0.5):
        self.delay_s = delay_s

    def fit(self, X, y=None):
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        time.sleep(self.delay_s)
        return np.asarray(X, dtype=float).sum(axis=1)
