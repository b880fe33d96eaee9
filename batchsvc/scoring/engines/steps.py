"""Walking a fitted pipeline: every step, and which columns each ColumnTransformer routes where."""

from collections.abc import Iterator

import numpy as np

PASSTHROUGH = ("drop", "passthrough")


def walk(obj) -> Iterator:
    """The estimator and every step inside it (Pipeline steps, ColumnTransformer and FeatureUnion parts)."""
    if isinstance(obj, str):
        return
    yield obj
    for _, step in getattr(obj, "steps", []) or []:
        yield from walk(step)
    for _, step, *_ in getattr(obj, "transformers_", []) or []:
        yield from walk(step)
    for _, step in getattr(obj, "transformer_list", []) or []:
        yield from walk(step)


def routed(model) -> Iterator[tuple[object, list]]:
    """(transformer, its input columns) for each part of each ColumnTransformer in the model."""
    for step in walk(model):
        for _, transformer, columns in getattr(step, "transformers_", []) or []:
            if not isinstance(transformer, str) and isinstance(columns, (list, tuple, np.ndarray)):
                yield transformer, list(columns)


def first_of(transformer, kind: str):
    """The first step inside `transformer` whose class name is `kind` (e.g. 'OneHotEncoder'), or None."""
    return next((s for s in walk(transformer) if type(s).__name__ == kind), None)
