"""The code engine: a code model's own run(batch), its result checked and shaped into output columns.

An Azure batch script's run(mini_batch) fits as it is: a DataFrame back, or a list with one element per row.

Pure: it gets the loaded run function (jobs/code_loader.py imports score.py and calls init).
"""

import traceback
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa

from batchsvc.errors import ModelError, UserCodeError
from batchsvc.scoring.engines import CODE, Engine, Features, Scores

ERROR_COLUMN = "_error"  # run() marks rows it could not score with a message here (None for good rows)
PREDICTION = "prediction"


class CodeEngine(Engine):
    name = CODE
    takes_missing = True

    def __init__(self, run: Callable, outputs: list[str], label: str, init_output: str = ""):
        self.run, self.outputs, self.label = run, outputs, label
        self.init_output = init_output  # what importing score.py and init printed (the deployment's logs show it)

    def predict(self, features: Features) -> Scores:
        """run() over a copy of the batch; its result as columns, one row per input row."""
        frame = features.to_pandas() if isinstance(features, pa.RecordBatch) else features
        try:
            result = self.run(frame.copy())
        except Exception as exc:
            raise UserCodeError(f"{self.label}: run() raised {type(exc).__name__}: {exc}",
                                traceback=traceback.format_exc()) from None
        table = self._table(result, len(frame))
        return Scores(table.iloc[:, 0].to_numpy(), columns=table)

    def _table(self, result, rows: int) -> pd.DataFrame:
        """What run() returned as a frame: a DataFrame's columns, or a 1-D result as `prediction`."""
        if isinstance(result, pd.DataFrame):
            table = result.reset_index(drop=True)
            missing = [c for c in self.outputs if c not in table.columns]
            if missing:
                raise ModelError(f"{self.label}: run() returned no column {', '.join(missing)} (declared in outputs)")
        else:
            values = np.asarray(result)
            if values.ndim == 2 and values.shape[1] == len(self.outputs):
                table = pd.DataFrame(values, columns=self.outputs)
            elif values.ndim == 1:
                table = pd.DataFrame({PREDICTION: values})
            else:
                raise ModelError(f"{self.label}: run() returned an array of shape {values.shape}; return a DataFrame, "
                                 "a 1-D array or list, or one column per declared output")
        if len(table) != rows:
            raise ModelError(f"{self.label}: run() returned {len(table)} rows for a batch of {rows}; it must return "
                             f"one row per input row (expected {rows}, returned {len(table)})")
        return table
