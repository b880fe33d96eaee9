"""A captured request as rows of a Parquet table: its input rows as columns beside its answer's columns.

Each input row becomes one row: `input.<column>` for what was sent, `output.<column>` for what was answered
(`output.prediction`, `output.probability`), and the request's own columns: time, request (an id shared by
its rows), row, model, version, ms, status, error, shadow (true: the row is a shadow's answer to the request of
that id, false: the answer given). A body that is not a table (a code model's run() on the Azure
route) is one row with `input.body` and `output.body` as text. Headers are never part of a capture.
"""

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson
import pyarrow as pa

INPUT, OUTPUT = "input.", "output."
META = ("time", "request", "row", "model", "version", "ms", "status", "error", "shadow")
TIME_TYPE = pa.timestamp("ms", tz="UTC")


@dataclass
class Captured:
    """One sampled request as the request path hands it over: nothing is parsed or copied until it is written."""
    time_ms: int
    entry: dict  # the request log's entry: ms, status, version, error
    model: str | None
    features: list[str] | None  # the version's feature order, for input_data without fields
    given: Any  # raw JSON bytes, a pydantic PredictionRequest, or text (a code model's body)
    answer: Any  # the {"predictions": [...]} body, raw bytes or text, or None when it failed
    request: str = field(default_factory=lambda: uuid.uuid4().hex)  # shared by its rows, and by its shadow's
    shadow: bool = False  # the shadow's answer to `request`, not the answer given


def table_of(items: list[Captured]) -> pa.Table:
    """The rows of many captured requests as one table; a column of mixed kinds is kept as JSON text."""
    rows = [row for item in items for row in rows_of(item)]
    names = list(META) + sorted({k for row in rows for k in row} - set(META))
    columns = {name: [row.get(name) for row in rows] for name in names}
    arrays = [_array(name, values) for name, values in columns.items()]
    return pa.table(arrays, names=names)


def rows_of(item: Captured) -> list[dict]:
    """One row per input row of the request (one row for a body that is not a table)."""
    base = {"time": item.time_ms, "request": item.request, "model": item.model,
            "version": item.entry.get("version"), "ms": item.entry.get("ms"), "status": item.entry.get("status"),
            "error": item.entry.get("error"), "shadow": item.shadow}
    inputs, outputs = _inputs(item), _outputs(item.answer)
    if inputs is None:
        return [{**base, "row": 0, "input.body": _text(item.given), "output.body": _text(item.answer)}]
    return [{**base, "row": i, **row, **(outputs[i] if i < len(outputs) else {})} for i, row in enumerate(inputs)]


def _inputs(item: Captured) -> list[dict] | None:
    """The request's rows as {input.column: value}, all entries in order; None when it is no table."""
    body = _body(item.given)
    if not isinstance(body, dict) or (body.get("records") is None and body.get("input_data") is None):
        return None
    if body.get("records") is not None:
        return [{INPUT + str(k): v for k, v in record.items()} for record in body["records"]]
    rows = []
    for entry in body.get("input_data") or ():
        fields = entry.get("fields") or item.features or [str(i) for i in range(len(entry["values"][0]))]
        rows += [{INPUT + str(f): v for f, v in zip(fields, values)} for values in entry["values"]]
    return rows


def _outputs(answer: Any) -> list[dict]:
    """The answer's rows as {output.column: value}, all tables in order (none for a failed request)."""
    body = _body(answer)
    if not isinstance(body, dict):
        return []
    return [{OUTPUT + f: v for f, v in zip(table["fields"], values)}
            for table in body.get("predictions") or () for values in table["values"]]


def _body(given: Any) -> Any:
    """A JSON body as a dict, whichever form the request path kept it in (bytes: JSON; str: text, never parsed)."""
    if hasattr(given, "model_dump"):
        return given.model_dump(exclude_none=True)
    if isinstance(given, bytes):
        try:
            return orjson.loads(given)
        except orjson.JSONDecodeError:
            return None
    return given if isinstance(given, dict) else None


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return json.dumps(value, default=str)


def _array(name: str, values: list) -> pa.Array:
    """A column in the type its values share; a mix pyarrow cannot type is written as JSON text."""
    if name == "time":
        return pa.array(values, TIME_TYPE)
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
        return pa.array([v if v is None or isinstance(v, str) else json.dumps(v, default=str) for v in values],
                        pa.string())
