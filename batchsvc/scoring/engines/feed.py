"""Turning a prepared frame or Arrow batch into the numpy arrays an onnxruntime session takes.

Text columns go through Arrow dictionary encoding (each distinct value converted once, then taken by
index: about 2 ms per 50k rows against 7-9 ms for astype(str)); numbers become float32 in one copy.
"""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from batchsvc.scoring.engines import Features

MISSING = "\x00missing"  # a missing text value: matches no category, as NaN matches none in scikit-learn
SMALL_ROWS = 64  # below this many rows plain numpy is cheaper than Arrow's per-call overhead


def text_column(features: Features, name: str) -> np.ndarray:
    """The column as an (n, 1) object array of str, missing values as MISSING."""
    if isinstance(features, pd.DataFrame) and len(features) < SMALL_ROWS:
        return _small_text(features[name].to_numpy(dtype=object)).reshape(-1, 1)
    encoded = pc.dictionary_encode(_text_array(features, name), null_encoding="encode")
    dictionary = encoded.dictionary.to_numpy(zero_copy_only=False)
    dictionary[pd.isna(dictionary)] = MISSING
    return dictionary[encoded.indices.to_numpy(zero_copy_only=False)].reshape(-1, 1)


def number_column(features: Features, name: str) -> np.ndarray:
    """The column as an (n, 1) float32 array."""
    if isinstance(features, pd.DataFrame):
        return features[name].to_numpy(dtype=np.float32, na_value=np.nan).reshape(-1, 1)
    return pc.cast(features.column(name), pa.float32()).to_numpy(zero_copy_only=False).reshape(-1, 1)


def _text_array(features: Features, name: str) -> pa.Array:
    if isinstance(features, pa.RecordBatch):
        array = features.column(name)
    else:
        array = pa.array(features[name], from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        array = pc.cast(array, pa.string())  # numbers in a text column are read as their text
    return array


def _small_text(values: np.ndarray) -> np.ndarray:
    """A few values as str, missing ones as MISSING (one row online: no Arrow round trip)."""
    missing = pd.isna(values)
    if missing.any():
        values = values.copy()
        values[missing] = MISSING
    if all(isinstance(v, str) for v in values):
        return values
    return values.astype(str).astype(object)
