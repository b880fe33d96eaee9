"""Scores as text: a float32 engine's scores printed as the shortest decimals that read back as those float32s,
for every format written as text (CSV, JSON lines, Watson ML's JSON answers); scikit-learn's float64 scores as
they are."""

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from batchsvc.scoring.predict import PREDICTION, PROBABILITY_PREFIX


def float32_decimals(values: pa.Array) -> pa.Array:
    """A float64 score column whose every value is exactly a float32 (a float32 engine's output, widened) as the
    float64s of those float32s' shortest decimals: CSV and JSON print 0.04925376, not 0.049253761768341064, and
    each still reads back as the very float32 the engine produced. Any other column is returned as it is."""
    if not pa.types.is_float64(values.type):
        return values
    narrow = pc.cast(values, pa.float32())
    if not pc.all(pc.equal(pc.cast(narrow, pa.float64()), values)).as_py():
        return values  # scikit-learn's own float64 scores: every digit is real
    return pc.cast(pc.cast(narrow, pa.string()), pa.float64())


def narrowed(values: pa.Array) -> pa.Array:
    """A float64 score column whose every value is exactly a float32, as those float32s: Arrow's CSV writer prints
    them as their shortest decimals, the very text float32_decimals leads to, without a round trip through text."""
    if not pa.types.is_float64(values.type):
        return values
    narrow = pc.cast(values, pa.float32())
    return narrow if pc.all(pc.equal(pc.cast(narrow, pa.float64()), values)).as_py() else values


def csv_ready(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The batch with its score columns narrowed, for Arrow's CSV writer only (its text equals text_ready's)."""
    columns = [narrowed(c) if _is_score(n) else c for n, c in zip(batch.schema.names, batch.columns)]
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def _is_score(name: str) -> bool:
    return name == PREDICTION or name.startswith(PROBABILITY_PREFIX)


def text_ready(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The batch with its score columns as float32_decimals, for formats written as text (CSV, JSON)."""
    columns = [float32_decimals(c) if _is_score(n) else c for n, c in zip(batch.schema.names, batch.columns)]
    return pa.RecordBatch.from_arrays(columns, schema=batch.schema)


def text_ready_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """text_ready for a pandas frame (the small-job and online paths); the frame itself when no column changes
    (scikit-learn's own float64 scores), sparing a copy."""
    scores = {str(c): pa.array(frame[c].to_numpy()) for c in frame.columns
              if _is_score(str(c)) and frame[c].dtype == "float64"}
    ready = {c: float32_decimals(values) for c, values in scores.items()}
    changed = {c: values.to_numpy() for c, values in ready.items() if values is not scores[c]}
    return frame.assign(**changed) if changed else frame
