"""Unknown categories, as the encoder's handle_unknown says: 'error' makes the row a bad row naming the
column (for every engine: a compiled graph would silently one-hot it to zeros); 'ignore' and the
infrequent modes pass through, to all-zero one-hot columns, which verification checks the engine does."""

import numpy as np
import pandas as pd

from batchsvc.scoring.engines.steps import routed, walk

VALUE_CHARS = 200


def strict_categories(model) -> dict[str, set]:
    """Columns whose encoder refuses unknown categories, with the categories it knows."""
    strict: dict[str, set] = {}
    for transformer, columns in routed(model):
        for step in walk(transformer):
            if getattr(step, "categories_", None) is not None and getattr(step, "handle_unknown", "") == "error":
                strict.update({str(c): set(v) for c, v in zip(columns, step.categories_)})
    return strict


def unknown_rows(frame: pd.DataFrame, strict: dict[str, set], csv: bool) -> tuple[list[dict], np.ndarray]:
    """Bad-row entries for values no strict encoder knows, and the mask of those rows."""
    bad: list[dict] = []
    mask = np.zeros(len(frame), dtype=bool)
    for column, known in strict.items():
        if column not in frame.columns:
            continue
        unknown = ~frame[column].isin(known).to_numpy(dtype=bool)
        for row, value in zip(frame.index[unknown & ~mask], frame[column].to_numpy()[unknown & ~mask]):
            bad.append({"row": int(row), "line": int(row) + 1 if csv else None, "column": column,
                        "value": str(value)[:VALUE_CHARS], "error": "an unknown category"})
        mask |= unknown
    return bad, mask
