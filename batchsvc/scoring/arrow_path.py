"""Scoring an Arrow batch (Parquet, or a clean CSV range) without pandas: the engine fed from Arrow, the output built
as an Arrow table.

Taken only where every check of the pandas path (prepare.py, categories.py) would pass the batch unchanged:
every feature present, numbers finite and never missing, text features text, no category a strict encoder
does not know. Any other batch, and any model error, goes the pandas path, which names the bad rows.
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from batchsvc.scoring.engines import Engine, Scores
from batchsvc.scoring.modelinfo import ModelInfo
from batchsvc.scoring.output import PASSTHROUGH_CLASH_PREFIX
from batchsvc.scoring.predict import PREDICTION, PROBABILITY_PREFIX


def score_arrow(engine: Engine, info: ModelInfo, batch: pa.RecordBatch, passthrough: list[str]) -> pa.Table | None:
    """The output rows (passthrough columns, then predictions); None when the batch needs the pandas path."""
    if not engine.takes_arrow or not clean(batch, info, engine.strict) or not _has(batch, passthrough):
        return None
    try:
        scores = engine.predict(batch.select(info.features))
    except Exception:  # the pandas path scores it again and names the row that fails
        return None
    if scores.columns is not None or len(scores.prediction) != batch.num_rows:
        return None
    return _output(batch, scores, info, passthrough)


def clean(batch: pa.RecordBatch, info: ModelInfo, strict: dict[str, set]) -> bool:
    """Whether the pandas path's checks would leave every row and value of the batch as it is."""
    names = set(batch.schema.names)
    if any(f not in names for f in info.features):
        return False
    if not all(_usable_number(batch.column(f)) for f in info.numeric_features):
        return False
    if not all(_is_text(batch.column(f).type) for f in info.text_features):
        return False
    return all(_all_known(batch.column(c), known) for c, known in strict.items() if c in names)


def _has(batch: pa.RecordBatch, passthrough: list[str]) -> bool:
    return passthrough == ["*"] or all(c in batch.schema.names for c in passthrough)


def _usable_number(column: pa.Array) -> bool:
    """Integers, or floats with no NaN or infinity; never a missing value (nor bool, decimal, half floats)."""
    kind = column.type
    if column.null_count or not (pa.types.is_integer(kind) or pa.types.is_float32(kind) or pa.types.is_float64(kind)):
        return False
    return pa.types.is_integer(kind) or bool(pc.all(pc.is_finite(column)).as_py() is not False)


def _is_text(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _all_known(column: pa.Array, known: set) -> bool:
    """Every value one the encoder learnt (a missing one is not)."""
    if column.null_count:
        return False
    values = column.dictionary if isinstance(column, pa.DictionaryArray) else column
    try:
        return bool(pc.all(pc.is_in(values, value_set=pa.array(list(known)))).as_py() is not False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return False


def _output(batch: pa.RecordBatch, scores: Scores, info: ModelInfo, passthrough: list[str]) -> pa.Table:
    """Passthrough columns (renamed on a clash, text as pandas would write it) in front of the predictions."""
    predicted = _predictions(scores, info)
    kept = batch.schema.names if passthrough == ["*"] else passthrough
    names = [f"{PASSTHROUGH_CLASH_PREFIX}{c}" if c in predicted else c for c in kept]
    columns = [_as_pandas_writes(batch.column(c)) for c in kept]
    return pa.table(columns + list(predicted.values()), names=names + list(predicted))


def _predictions(scores: Scores, info: ModelInfo) -> dict[str, pa.Array]:
    """`prediction` (labels taken from the class list by index: no per-row conversion) and probabilities."""
    if scores.proba is None or not info.classes:
        return {PREDICTION: pa.array(np.asarray(scores.prediction))}
    classes = np.asarray(info.classes, dtype=object if isinstance(info.classes[0], str) else None)
    labels = _as_pandas_writes(pa.array(classes).take(pa.array(scores.proba.argmax(axis=1))))
    probabilities = {f"{PROBABILITY_PREFIX}{c}": pa.array(scores.proba[:, i]) for i, c in enumerate(info.classes)}
    return {PREDICTION: labels, **probabilities}


def _as_pandas_writes(column: pa.Array) -> pa.Array:
    """Text as the pandas path writes it (large_string), so a part's batches share one schema."""
    if isinstance(column, pa.DictionaryArray):
        column = column.dictionary_decode()
    if pa.types.is_string(column.type):
        return column.cast(pa.large_string())
    return column
