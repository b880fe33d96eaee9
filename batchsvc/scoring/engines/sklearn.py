"""The exact engine: scikit-learn itself, one predict_proba per batch, label = classes_[argmax]."""

import numpy as np
import pyarrow as pa

from batchsvc.scoring.batch import plain_text
from batchsvc.scoring.engines import SKLEARN, Engine, Features, Scores
from batchsvc.scoring.engines.categories import strict_categories
from batchsvc.scoring.modelinfo import ModelInfo


class SklearnEngine(Engine):
    name = SKLEARN
    takes_arrow = True

    def __init__(self, model, info: ModelInfo):
        self.model, self.info = model, info
        self.classes = np.asarray(model.classes_) if info.task == "classification" else None
        self.strict = strict_categories(model)

    def predict(self, features: Features) -> Scores:
        """One predict_proba (classifiers) or predict (regressors) over the batch."""
        frame = plain_text(features).to_pandas() if isinstance(features, pa.RecordBatch) else features
        X = frame if self.info.named_features else frame.to_numpy()
        if self.classes is not None and self.info.has_proba:
            proba = self.model.predict_proba(X)
            return Scores(self.classes[proba.argmax(axis=1)], proba)
        return Scores(np.asarray(self.model.predict(X)))


def as_engine(model_or_engine, info: ModelInfo):
    """An engine as is; a bare estimator wrapped in the exact engine (callers that predate engines)."""
    if isinstance(model_or_engine, Engine):
        return model_or_engine
    return SklearnEngine(model_or_engine, info)
