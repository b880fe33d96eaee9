"""Score one batch of input rows: check columns, coerce types, keep bad rows within budget, predict.

Pure: it knows nothing of Redis, Dramatiq or files, so the chunk path and the small-job path share it.
"""

import pandas as pd
import pyarrow as pa

from batchsvc.errors import DataError, SchemaError, ScoringError, TooManyBadRows
from batchsvc.scoring.arrow_path import score_arrow
from batchsvc.scoring.batch import Batch, in_file, naming_file
from batchsvc.scoring.engines.categories import unknown_rows
from batchsvc.scoring.engines.code import ERROR_COLUMN
from batchsvc.scoring.engines.sklearn import as_engine
from batchsvc.scoring.missing import accepts_missing
from batchsvc.scoring.modelinfo import ModelInfo
from batchsvc.scoring.output import output_frame
from batchsvc.scoring.predict import predict
from batchsvc.scoring.prepare import describe_bad_row, prepare, require_columns


def score_batch(model, info: ModelInfo, batch: Batch, passthrough: list[str], max_bad_rows: int,
                bad_seen: int) -> tuple[pd.DataFrame, list[dict]]:
    """The batch's output rows (passthrough columns, then predictions) and its bad rows, in input order.

    `model` is an Engine, or a bare estimator (scored by the exact engine). A batch from one of several files
    (batch.file) names that file in each bad row and in any DataError."""
    with naming_file(batch.file):
        rows, bad = _score(model, info, batch, passthrough, max_bad_rows, bad_seen)
    return rows, in_file(bad, batch.file)


def score_table(model, info: ModelInfo, batch: Batch, passthrough: list[str], max_bad_rows: int,
                bad_seen: int) -> tuple[pa.Table, list[dict]]:
    """score_batch's result as an Arrow table; a clean Arrow batch never becomes a pandas frame on the way."""
    if batch.arrow is not None and not batch.bad:
        table = score_arrow(as_engine(model, info), info, batch.arrow, passthrough)
        if table is not None:
            return table, []
    rows, bad = score_batch(model, info, batch, passthrough, max_bad_rows, bad_seen)
    return pa.Table.from_pandas(rows, preserve_index=False), bad


def _score(model, info: ModelInfo, batch: Batch, passthrough: list[str], max_bad_rows: int,
           bad_seen: int) -> tuple[pd.DataFrame, list[dict]]:
    engine = as_engine(model, info)
    require_columns(batch.frame.columns, info, passthrough)
    source = batch.frame
    ready = prepare(source, info, batch.csv,
                    lambda column: engine.takes_missing or accepts_missing(model, info, source, column))
    unknown, mask = unknown_rows(ready.frame, engine.strict, batch.csv)
    frame = ready.frame[~mask] if unknown else ready.frame
    bad = within_budget(batch.bad + ready.bad + unknown, max_bad_rows, bad_seen)
    predictions = _predict(engine, info, frame, batch.csv)
    if ERROR_COLUMN in predictions.columns:
        frame, predictions, flagged = _flagged(frame, predictions, batch.csv)
        bad = sorted(bad + within_budget(flagged, max_bad_rows, bad_seen + len(bad)), key=lambda b: b["row"])
    return output_frame(frame, predictions, passthrough), bad


def _flagged(frame: pd.DataFrame, predictions: pd.DataFrame,
             csv: bool) -> tuple[pd.DataFrame, pd.DataFrame, list[dict]]:
    """Rows a code model's run() marked in its `_error` column, set aside as bad rows (the column dropped)."""
    marked = predictions[ERROR_COLUMN].notna().to_numpy()
    rows = frame.index[marked].astype(int)
    flagged = [{"row": int(row), "line": int(row) + 1 if csv else None, "column": None, "value": None,
                "error": str(message)} for row, message in zip(rows, predictions[ERROR_COLUMN][marked])]
    return frame[~marked], predictions[~marked].drop(columns=ERROR_COLUMN), flagged


def within_budget(bad: list[dict], max_bad_rows: int, seen: int) -> list[dict]:
    """Bad rows within the job's budget are kept for the errors file; the first row past it fails the job."""
    bad = sorted(bad, key=lambda b: b["row"])
    if bad and seen + len(bad) > max_bad_rows:
        over = bad[max(0, max_bad_rows - seen)]
        cls = SchemaError if max_bad_rows == 0 else TooManyBadRows
        budget = "" if max_bad_rows == 0 else f" (more than max_bad_rows={max_bad_rows})"
        raise cls(describe_bad_row(over) + budget, column=over.get("column"), row=over.get("row"),
                  line=over.get("line"))
    return bad


def _predict(model, info: ModelInfo, frame: pd.DataFrame, csv: bool) -> pd.DataFrame:
    """Predictions; a model error names the input row (or CSV line) that caused it."""
    try:
        wanted = info.features and list(frame.columns) != info.features  # none declared: every column
        return predict(model, info, frame[info.features] if wanted else frame)  # no copy when already so
    except ScoringError as exc:
        position = exc.details.get("batch_row")
        if position is None:
            raise
        row = int(frame.index[position])
        where = f"line {row + 1}" if csv else f"row {row}"
        raise DataError(f"{where}: {exc.message}", row=row, line=row + 1 if csv else None) from None
