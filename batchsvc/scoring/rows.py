"""The fast path's pure part: a parsed predictions body read straight into an engine's input arrays (no pandas),
and the engine's scores written as Watson ML's answer.

It takes only what it can answer exactly as the full path would: every feature present once, numbers finite
(whole numbers small enough to be exact in float32), text as strings, categories the model knows, every limit
kept. For anything else `read_entries` returns None and the full path answers, with its own errors.
"""

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from batchsvc.scoring.modelinfo import ModelInfo
from batchsvc.scoring.predict import PREDICTION, PROBABILITY_PREFIX

FAST_ROWS = 64  # more rows in one request: the full path (pandas and Arrow pay off there)
EXACT_INT = 1 << 24  # whole numbers up to this convert to float32 exactly, whatever path they take
FLOAT32_MAX = float(np.finfo(np.float32).max)  # a larger number would reach the engine as infinity
JSON_DIGITS = 10  # digits of a float in the full path's answer (pandas' to_json default double_precision)
FIXED_RANGE = (1e-15, 1e16)  # inside it pandas writes JSON_DIGITS decimal places, outside JSON_DIGITS significant ones
ENTRY_KEYS = frozenset({"fields", "values", "id"})
ID_CHARS = 200  # PredictionInput.id's max_length
SCALARS = (str, int, float, bool, type(None))
PLAIN_TEXT = re.compile(r"[A-Za-z0-9 _.:+-]*")  # text that pandas' JSON writer and the json module write alike
PLAIN_FLOAT_MAX = 1e5  # below it a rounded score has at most 15 digits: formatting it recovers them exactly


@dataclass(frozen=True)
class Limits:
    """The limits the full path enforces (its settings), which the fast path must keep too."""
    online_rows: int
    inline_rows: int
    columns: int
    string_chars: int


Columns = dict[str, list]  # feature -> its values, in row order


def read_entries(body, info: ModelInfo, strict: dict[str, set], limits: Limits) -> list[Columns] | None:
    """Each entry's feature values (input_data entries in order, or the records as one entry); None for a body
    the full path must answer."""
    if not isinstance(body, dict) or len(body) != 1 or not info.named_features:
        return None
    entries = list(_entries(body, info))
    if not entries or any(e is None for e in entries):
        return None
    rows = sum(len(rows) for _, rows in entries)  # type: ignore[misc]
    if rows > min(FAST_ROWS, limits.online_rows):
        return None
    read = [_columns(fields, rows, info, strict, limits) for fields, rows in entries]  # type: ignore[misc]
    return None if any(r is None for r in read) else read  # type: ignore[return-value]


def _entries(body: dict, info: ModelInfo) -> Iterator[tuple[list, list] | None]:
    """(fields, rows) per entry, rows as lists in field order; None for an entry of any other shape."""
    if "records" in body:
        yield _records(body["records"])
        return
    entries = body.get("input_data")
    if not isinstance(entries, list):
        yield None
        return
    for entry in entries:
        yield _table(entry, info)


def _table(entry, info: ModelInfo) -> tuple[list, list] | None:
    if not isinstance(entry, dict) or not ENTRY_KEYS.issuperset(entry):
        return None
    marker = entry.get("id")
    if marker is not None and not (isinstance(marker, str) and len(marker) <= ID_CHARS):
        return None
    fields, rows = entry.get("fields"), entry.get("values")
    if fields is None:
        fields = info.features
    if not (isinstance(fields, list) and fields and all(isinstance(f, str) for f in fields)):
        return None
    if not (isinstance(rows, list) and rows and all(isinstance(r, list) and len(r) == len(fields) for r in rows)):
        return None
    return fields, rows


def _records(records) -> tuple[list, list] | None:
    """Records as a table: every record must have the same keys (a missing one is a missing value)."""
    if not (isinstance(records, list) and records and all(isinstance(r, dict) for r in records)):
        return None
    fields = list(records[0])
    if any(r.keys() != records[0].keys() for r in records):
        return None
    return fields, [[r[f] for f in fields] for r in records]


def _columns(fields: list, rows: list, info: ModelInfo, strict: dict[str, set], limits: Limits) -> Columns | None:
    """The entry's feature columns, checked as the full path checks them."""
    if len(rows) > limits.inline_rows or len(fields) > limits.columns or len(set(fields)) != len(fields):
        return None
    if any(len(f) > limits.string_chars for f in fields):
        return None
    at = {f: i for i, f in enumerate(fields)}
    if any(f not in at for f in info.features):
        return None
    numeric = set(info.numeric_features)
    columns = {f: [row[at[f]] for row in rows] for f in info.features}
    for f, values in columns.items():
        ok = _numbers_ok(values) if f in numeric else _text_ok(values, strict.get(f), limits.string_chars)
        if not ok:
            return None
    others = [i for f, i in at.items() if f not in columns]
    if any(not _scalar_ok(row[i], limits.string_chars) for row in rows for i in others):
        return None
    return columns


def _numbers_ok(values: list) -> bool:
    return all((type(v) is int and -EXACT_INT <= v <= EXACT_INT) or (type(v) is float and abs(v) <= FLOAT32_MAX)
               for v in values)


def _text_ok(values: list, known: set | None, chars: int) -> bool:
    return all(type(v) is str and len(v) <= chars and (known is None or v in known) for v in values)


def _scalar_ok(value, chars: int) -> bool:
    """A column the model does not read: any plain value, as the full path keeps it aside."""
    return isinstance(value, SCALARS) and not (isinstance(value, str) and len(value) > chars)


def engine_inputs(columns: Columns, info: ModelInfo, text: set[str],
                  number: type = np.float32) -> dict[str, np.ndarray]:
    """One (n, 1) array per feature: str objects for the engine's text inputs, `number` (the session's float32, or
    float64 for an exact tree engine) for the others."""
    return {f: np.array(v, dtype=object if f in text else number).reshape(-1, 1) for f, v in columns.items()}


def watson_answer(prediction: np.ndarray, proba: np.ndarray | None) -> dict:
    """One entry of the answer, as the full path writes it: the label (or value) and the probabilities."""
    labels = _as_written(prediction)
    if proba is None:
        return {"fields": ["prediction"], "values": [[label] for label in labels]}
    columns = [_as_written(proba[:, k]) for k in range(proba.shape[1])]
    probabilities = [list(row) for row in zip(*columns)]
    return {"fields": ["prediction", "probability"], "values": [[lab, p] for lab, p in zip(labels, probabilities)]}


def _as_written(values: np.ndarray) -> list:
    """A score column as the full path writes it: a float32 engine's values at their shortest decimals
    (score_text.float32_decimals), then each rounded as pandas' to_json rounds it."""
    if values.dtype.kind == "f":
        narrow = values.astype(np.float32)
        if np.array_equal(narrow.astype(np.float64), values.astype(np.float64)):
            return [_plain(float(str(v))) for v in narrow]
    return [_plain(v) for v in values.tolist()]


def _plain(value):
    """A value as the full path's JSON holds it: a float rounded as pandas' to_json rounds it (its encoder's
    modp_dtoa: the fraction scaled in double arithmetic, an exact half to even), JSON_DIGITS digits."""
    if not isinstance(value, float) or value == 0 or not math.isfinite(value):
        return value
    low, high = FIXED_RANGE
    if not low <= abs(value) < high:
        return float(f"{value:.{JSON_DIGITS - 1}e}")
    whole = int(abs(value))
    scaled = (abs(value) - whole) * 10**JSON_DIGITS
    fraction = int(scaled)
    if scaled - fraction > 0.5 or (scaled - fraction == 0.5 and (fraction == 0 or fraction & 1)):
        fraction += 1
    if fraction == 10**JSON_DIGITS:
        whole, fraction = whole + 1, 0
    return math.copysign(float(f"{whole}.{fraction:0{JSON_DIGITS}d}"), value)


def answer_jsonl(answer: dict, classes: list | None) -> bytes | None:
    """A watson_answer table as the JSON lines the full path writes for the same scores (pandas' to_json records,
    one per row); None when a label or score is one whose text the two might print differently."""
    names = [PREDICTION, *(f"{PROBABILITY_PREFIX}{c}" for c in classes or [])]
    keys = [_json_text(n) for n in names]
    lines = []
    for row in answer["values"]:
        values = [_json_text(v) for v in (row[0], *(row[1] if len(row) > 1 else []))]
        if len(values) != len(names) or None in keys or None in values:
            return None
        lines.append("{" + ",".join(f"{k}:{v}" for k, v in zip(keys, values)) + "}")
    return ("\n".join(lines) + "\n").encode()


def _json_text(value) -> str | None:
    """A value as pandas' JSON writer prints it, for plain text, ints and _plain floats in its fixed notation
    (their digits recovered by '.10f': at most 15 of them); None for anything else."""
    if type(value) is str:
        return f'"{value}"' if PLAIN_TEXT.fullmatch(value) else None
    if type(value) is int:
        return str(value)
    if type(value) is float and ((value == 0 and math.copysign(1, value) > 0)
                                 or FIXED_RANGE[0] <= abs(value) < PLAIN_FLOAT_MAX):
        whole, _, fraction = f"{value:.{JSON_DIGITS}f}".partition(".")
        return f"{whole}.{fraction.rstrip('0') or '0'}"
    return None
