"""Turning a prepared frame or Arrow batch into the numpy arrays an onnxruntime session takes.

Text columns go through Arrow dictionary encoding (each distinct value converted once, then taken by
index: about 2 ms per 50k rows against 7-9 ms for astype(str)), or come dictionary-encoded already (Parquet
read with read_dictionary: no encoding at all); numbers become float32 in one copy.
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
    array = text_array(features, name)
    if not isinstance(array, pa.DictionaryArray):
        array = pc.dictionary_encode(array, null_encoding="encode")
    dictionary = array.dictionary.to_numpy(zero_copy_only=False)
    dictionary[pd.isna(dictionary)] = MISSING
    if array.null_count:  # nulls in the indices (a dictionary read from Parquet): one more entry for them
        dictionary = np.append(dictionary, np.array([MISSING], dtype=object))
        indices = array.indices.fill_null(len(dictionary) - 1)
    else:
        indices = array.indices
    return dictionary[indices.to_numpy(zero_copy_only=False)].reshape(-1, 1)


def number_column(features: Features, name: str, dtype: type = np.float32) -> np.ndarray:
    """The column as an (n, 1) float32 (or `dtype`) array."""
    if isinstance(features, pd.DataFrame):
        return features[name].to_numpy(dtype=dtype, na_value=np.nan).reshape(-1, 1)
    arrow_type = pa.float64() if dtype == np.float64 else pa.float32()
    return pc.cast(features.column(name), arrow_type).to_numpy(zero_copy_only=False).reshape(-1, 1)


def text_array(features: Features, name: str) -> pa.Array:
    if isinstance(features, pa.RecordBatch):
        array = features.column(name)
    else:
        array = pa.array(features[name], from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_dictionary(array.type) and _is_string(array.type.value_type):
        return array  # categories as Parquet stored them: each distinct value converted once
    if not _is_string(array.type):
        array = pc.cast(array, pa.string())  # numbers in a text column are read as their text
    return array


def _is_string(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _small_text(values: np.ndarray) -> np.ndarray:
    """A few values as str, missing ones as MISSING (one row online: no Arrow round trip)."""
    missing = pd.isna(values)
    if missing.any():
        values = values.copy()
        values[missing] = MISSING
    if all(isinstance(v, str) for v in values):
        return values
    return values.astype(str).astype(object)
