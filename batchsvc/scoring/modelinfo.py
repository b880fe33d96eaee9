"""What a fitted estimator needs and gives: features, their kinds, task, classes."""

from dataclasses import asdict, dataclass, field

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
    categories: dict[str, list] = field(default_factory=dict)  # encoded column -> the categories the model knows
    sample: dict = field(default_factory=dict)  # feature -> a typical value (the console's try-it form starts here)
    untyped: list[str] = field(default_factory=list)  # a code model's features declared without a type: passed as read

    @property
    def text_features(self) -> list[str]:
        """Features the model reads as text (a ColumnTransformer routes them to an encoder fitted on strings)."""
        plain = set(self.numeric_features) | set(self.untyped)
        return [f for f in self.features if f not in plain]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "ModelInfo":
        """The info stored with a version; versions registered before a field existed get its default."""
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


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
    categories = _categories(model)
    return ModelInfo(
        task=task,
        features=features,
        numeric_features=[f for f in features if f not in _text_columns(model)],
        classes=[_plain(c) for c in classes] if task == "classification" and classes is not None else None,
        has_proba=task == "classification" and hasattr(model, "predict_proba"),
        named_features=names is not None,
        categories=categories,
        sample=_sample(features, categories, _centres(model)),
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


def _column_steps(model):
    """(fitted transformer, its columns) for each ColumnTransformer branch inside the model."""
    for step in _walk(model):
        for _, transformer, columns in getattr(step, "transformers_", []) or []:
            if isinstance(columns, (list, tuple, np.ndarray)):
                yield from ((inner, [str(c) for c in columns]) for inner in _walk(transformer))


def _categories(model) -> dict[str, list]:
    """Each encoded column's known categories, from a fitted encoder's categories_."""
    found: dict[str, list] = {}
    for transformer, columns in _column_steps(model):
        cats = getattr(transformer, "categories_", None)
        if type(transformer).__name__ in ENCODER_NAMES and cats is not None and len(cats) == len(columns):
            found.update({c: [_plain(v) for v in values] for c, values in zip(columns, cats)})
    return found


def _centres(model) -> dict[str, float]:
    """Each scaled numeric column's training mean, from a fitted scaler's mean_."""
    found: dict[str, float] = {}
    for transformer, columns in _column_steps(model):
        means = getattr(transformer, "mean_", None)
        if means is not None and len(means) == len(columns):
            found.update({c: float(m) for c, m in zip(columns, means)})
    return found


def _sample(features: list[str], categories: dict[str, list], centres: dict[str, float]) -> dict:
    """A row to start from: an encoded column's first category, a numeric one's training mean (else 0)."""
    row: dict = {}
    for name in features:
        if categories.get(name):
            row[name] = categories[name][0]
        else:
            row[name] = round(centres.get(name, 0.0))
    return row


def _walk(obj):
    yield obj
    for _, step in getattr(obj, "steps", []) or []:
        yield from _walk(step)


def _plain(value):
    """A numpy scalar as the Python value JSON can carry."""
    return value.item() if isinstance(value, np.generic) else value
