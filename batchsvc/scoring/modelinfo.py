"""What a fitted estimator needs and gives: features, their kinds, task, classes."""

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from sklearn.base import is_classifier, is_regressor

from batchsvc.errors import InvalidModel

ENCODER_NAMES = ("OneHotEncoder", "OrdinalEncoder", "TargetEncoder")


@dataclass
class ModelInfo:
    task: str  # "classification" or "regression"
    features: list[str]
    numeric_features: list[str]
    classes: list | None
    has_proba: bool
    named_features: bool  # fitted on a DataFrame (names) or a plain array (positions)

    @property
    def text_features(self) -> list[str]:
        """Features the model reads as text (a ColumnTransformer routes them to an encoder fitted on strings)."""
        return [f for f in self.features if f not in set(self.numeric_features)]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "ModelInfo":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


def inspect_model(model, declared_features: list[str] | None = None) -> ModelInfo:
    """Describe a fitted estimator; raises InvalidModel for anything that cannot score tables."""
    if not hasattr(model, "predict"):
        raise InvalidModel(f"the file holds a {type(model).__name__}, not an estimator with predict()")
    if is_classifier(model):
        task = "classification"
    elif is_regressor(model):
        task = "regression"
    else:
        raise InvalidModel(f"{type(model).__name__} is neither a classifier nor a regressor")
    names = getattr(model, "feature_names_in_", None)
    count = getattr(model, "n_features_in_", None)
    if names is None and count is None:
        raise InvalidModel(f"{type(model).__name__} is not fitted (no n_features_in_); fit it before saving")
    features = _feature_names(names, count, declared_features)
    classes = getattr(model, "classes_", None)
    return ModelInfo(
        task=task,
        features=features,
        numeric_features=[f for f in features if f not in _text_columns(model)],
        classes=[_plain(c) for c in classes] if task == "classification" and classes is not None else None,
        has_proba=task == "classification" and hasattr(model, "predict_proba"),
        named_features=names is not None,
    )


def _feature_names(names, count, declared: list[str] | None) -> list[str]:
    if names is not None:
        return [str(n) for n in names]
    if declared:
        if len(declared) != count:
            raise InvalidModel(f"features names {len(declared)} columns but the model takes {count}")
        return list(declared)
    return [f"x{i}" for i in range(count)]


def _text_columns(model) -> set[str]:
    """Columns that a ColumnTransformer inside the model routes to an encoder fitted on text (an encoder fitted on
    numbers, e.g. one-hot over integer codes, needs them as numbers)."""
    found: set[str] = set()
    for step in _walk(model):
        for _, transformer, columns in getattr(step, "transformers_", []) or []:
            encoders = [t for t in _walk(transformer) if type(t).__name__ in ENCODER_NAMES]
            if encoders and isinstance(columns, (list, tuple, np.ndarray)):
                found.update(str(c) for i, c in enumerate(columns) if _fitted_on_text(encoders[0], i))
    return found


def _fitted_on_text(encoder, i: int) -> bool:
    """Whether the encoder's i-th input column was text (True when the encoder does not tell)."""
    categories = getattr(encoder, "categories_", None)
    if categories is None or i >= len(categories):
        return True
    kinds = np.asarray(categories[i])
    return kinds.dtype.kind == "U" or (kinds.dtype.kind == "O" and all(isinstance(c, str) or pd.isna(c) for c in kinds))


def _walk(obj):
    yield obj
    for _, step in getattr(obj, "steps", []) or []:
        yield from _walk(step)


def _plain(value):
    """A numpy scalar as the Python value JSON can carry."""
    return value.item() if isinstance(value, np.generic) else value
