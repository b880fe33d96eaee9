"""A regressor that refuses some finite values, so tests can reach the model's own errors. Workers import it by
PYTHONPATH."""

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin


class NoNegatives(RegressorMixin, BaseEstimator):
    """Predicts the row sum; raises ValueError for a row holding a negative number."""

    def fit(self, X, y=None):
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        values = np.asarray(X, dtype=float)
        if (values < 0).any():
            raise ValueError("negative values are not allowed")
        return values.sum(axis=1)
