"""Tensors to rows and predictions to tensors: the Open Inference Protocol's request and response bodies, as
translation only (the online core validates and scores the rows).

Inputs are columns, one per feature named by it (shape [N] or [N, 1]), as MLServer's pandas codec sends them
("parameters": {"content_type": "pd"}, BYTES for text); without "pd", one input of shape [N, F] (F > 1) is a table
whose columns follow the model's feature order. Data comes as JSON, flat or nested, or as raw bytes after the
JSON header (the binary tensor extension tritonclient uses by default). Outputs: `predict` and `predict_proba`.
"""

import json
import math
import struct
from dataclasses import dataclass

import numpy as np
import orjson

from batchsvc.errors import InvalidRequest
from batchsvc.schemas import PredictionRequest
from batchsvc.schemas.deployments import PredictionInput

NUMERIC = {"BOOL": "?", "UINT8": "<u1", "UINT16": "<u2", "UINT32": "<u4", "UINT64": "<u8", "INT8": "<i1",
           "INT16": "<i2", "INT32": "<i4", "INT64": "<i8", "FP16": "<f2", "FP32": "<f4", "FP64": "<f8"}  # numpy dtypes
BYTES = "BYTES"
CONTENT_TYPES = (None, "pd", "np")  # the request's: MLServer's pandas codec, or plain tensors
INPUT_CONTENT_TYPES = (None, "np", "str")  # an input's: what MLServer's pandas codec puts on its columns
OUTPUT_NAMES = {"prediction": "predict", "probability": "predict_proba"}  # the core's fields -> the protocol's
LENGTH = struct.Struct("<I")  # a BYTES element's length prefix in binary data


@dataclass
class Rows:
    fields: list[str] | None  # None: the values follow the model's feature order
    values: list[list]


def split_body(body: bytes, header_length: str | None) -> tuple[dict, bytes]:
    """The JSON header and the binary data after it (Inference-Header-Content-Length says where it ends)."""
    end = len(body)
    if header_length is not None:
        if not header_length.isdigit() or not 0 < int(header_length) <= len(body):
            raise InvalidRequest(f"Inference-Header-Content-Length {header_length!r} is not a length within the "
                                 f"body's {len(body)} bytes", field="Inference-Header-Content-Length")
        end = int(header_length)
    try:
        request = json.loads(body[:end])
    except ValueError as exc:
        raise InvalidRequest(f"the body is not valid JSON: {exc}") from None
    if not isinstance(request, dict) or not isinstance(request.get("inputs"), list) or not request["inputs"]:
        raise InvalidRequest("the body must be an object with inputs: [{name, datatype, shape, data}, ...]",
                             field="inputs")
    return request, body[end:]


def rows(request: dict, binary: bytes) -> Rows:
    """The request's inputs as a table of rows."""
    content_type = (request.get("parameters") or {}).get("content_type")
    if content_type not in CONTENT_TYPES:
        raise InvalidRequest(f"content_type {content_type!r} is not served here; use \"pd\" (a column per input) "
                             "or leave it out", field="parameters.content_type")
    columns, offset = [], 0
    for i, tensor in enumerate(request["inputs"]):
        values, shape, offset = _input(i, tensor, binary, offset)
        columns.append((tensor["name"], values, shape))
    if offset != len(binary):
        raise InvalidRequest(f"{len(binary) - offset} bytes of binary data follow the inputs' binary_data_size")
    if content_type != "pd" and len(columns) == 1 and len(columns[0][2]) == 2 and columns[0][2][1] > 1:
        values, shape = columns[0][1], columns[0][2]
        return Rows(None, [values[r * shape[1]:(r + 1) * shape[1]] for r in range(shape[0])])
    return _columns(columns)


def _columns(columns: list[tuple[str, list, list[int]]]) -> Rows:
    names = [name for name, _, _ in columns]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InvalidRequest(f"inputs name a column twice: {', '.join(twice)}", field="inputs")
    for name, values, shape in columns:
        if len(shape) > 2 or (len(shape) == 2 and shape[1] != 1):
            raise InvalidRequest(f"input {name!r} has shape {shape}; a column is [N] or [N, 1]", field="inputs")
        if len(values) != len(columns[0][1]):
            raise InvalidRequest(f"input {name!r} has {len(values)} rows, input {columns[0][0]!r} has "
                                 f"{len(columns[0][1])}; every column needs one value per row", field="inputs")
    return Rows(names, [list(row) for row in zip(*(values for _, values, _ in columns))])


def _input(i: int, tensor, binary: bytes, offset: int) -> tuple[list, list[int], int]:
    """One input's values (flat), its shape, and where the next input's binary data starts."""
    if not isinstance(tensor, dict) or not isinstance(tensor.get("name"), str):
        raise InvalidRequest(f"inputs[{i}] must be an object with a name, datatype, shape and data", field="inputs")
    name, datatype, shape = tensor["name"], tensor.get("datatype"), tensor.get("shape")
    if datatype != BYTES and datatype not in NUMERIC:
        raise InvalidRequest(f"input {name!r} has datatype {datatype!r}; use BYTES or one of "
                             f"{', '.join(NUMERIC)}", field="inputs")
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape) or not shape:
        raise InvalidRequest(f"input {name!r} needs a shape: a list of sizes, e.g. [3] or [3, 1]", field="inputs")
    parameters = tensor.get("parameters") or {}
    if parameters.get("content_type") not in INPUT_CONTENT_TYPES:
        raise InvalidRequest(f"input {name!r} has content_type {parameters['content_type']!r}; send its values "
                             "as they are (BYTES as text)", field="inputs")
    size = parameters.get("binary_data_size")
    if size is not None:
        values = _from_binary(name, datatype, binary[offset:offset + size] if isinstance(size, int) else b"")
        offset += size if isinstance(size, int) else 0
    else:
        values = _from_json(name, datatype, tensor.get("data"))
    if len(values) != math.prod(shape):
        raise InvalidRequest(f"input {name!r} has shape {shape} but {len(values)} values", field="inputs")
    return values, shape, offset


def _from_json(name: str, datatype: str, data) -> list:
    if not isinstance(data, list):
        raise InvalidRequest(f"input {name!r} needs data: a list of values", field="inputs")
    values = _flat(data)
    wanted = (str,) if datatype == BYTES else (bool,) if datatype == "BOOL" else (int, float)
    for value in values:
        if not isinstance(value, wanted) or (datatype != "BOOL" and isinstance(value, bool)):
            raise InvalidRequest(f"input {name!r} is {datatype}, but holds {value!r}", field="inputs")
    return values


def _from_binary(name: str, datatype: str, raw: bytes) -> list:
    if datatype != BYTES:
        dtype = np.dtype(NUMERIC[datatype])
        if len(raw) % dtype.itemsize:
            raise InvalidRequest(f"input {name!r}: {len(raw)} bytes are no whole number of {datatype}", field="inputs")
        return np.frombuffer(raw, dtype).tolist()
    values, at = [], 0
    while at < len(raw):
        length = LENGTH.unpack_from(raw, at)[0] if at + LENGTH.size <= len(raw) else -1
        chunk = raw[at + LENGTH.size:at + LENGTH.size + length]
        if length < 0 or len(chunk) != length:
            raise InvalidRequest(f"input {name!r}: its binary BYTES data ends inside an element", field="inputs")
        try:
            values.append(chunk.decode("utf-8"))
        except UnicodeDecodeError:
            raise InvalidRequest(f"input {name!r}: element {len(values)} is not UTF-8 text", field="inputs") from None
        at += LENGTH.size + length
    return values


def _flat(data: list) -> list:
    return [v for item in data for v in (_flat(item) if isinstance(item, list) else [item])]


def native_body(table: Rows) -> bytes | None:
    """The rows as the native predictions body (JSON) for the fast path; None when JSON cannot hold them as they
    are (a NaN or an infinity becomes null, an integer past 64 bits fails), so the full path reads them."""
    entry = {"values": table.values} if table.fields is None else {"fields": table.fields, "values": table.values}
    if any(isinstance(v, float) and not math.isfinite(v) for row in table.values for v in row):
        return None
    try:
        return orjson.dumps({"input_data": [entry]})
    except orjson.JSONEncodeError:
        return None


def native_request(table: Rows) -> PredictionRequest:
    """The rows as the native predictions request (validated: a bad value is a 422 naming its field)."""
    return PredictionRequest(input_data=[PredictionInput(fields=table.fields, values=table.values)])


def outputs(table: dict, wanted: list | None) -> list[dict]:
    """The core's answer ({"fields", "values"}) as output tensors; `wanted` (the request's outputs) chooses."""
    columns = {OUTPUT_NAMES.get(f, f): [row[i] for row in table["values"]] for i, f in enumerate(table["fields"])}
    names = list(columns) if not wanted else [_output_name(o, columns) for o in wanted]
    return [_tensor(name, columns[name]) for name in names]


def _output_name(requested, columns: dict) -> str:
    name = requested.get("name") if isinstance(requested, dict) else None
    if name not in columns:
        raise InvalidRequest(f"no output {name!r}; this model gives {', '.join(columns)}", field="outputs")
    return str(name)


def _tensor(name: str, values: list) -> dict:
    if values and all(isinstance(v, list) for v in values):  # probabilities: one row of classes per row
        return {"name": name, "datatype": "FP64", "shape": [len(values), len(values[0])], "data": _flat(values)}
    return {"name": name, "datatype": datatype_of(values), "shape": [len(values)],
            "data": values if datatype_of(values) != BYTES else [str(v) for v in values]}


def datatype_of(values: list) -> str:
    """The tensor datatype that holds these values: BOOL, INT64, FP64, else BYTES (text)."""
    if values and all(isinstance(v, bool) for v in values):
        return "BOOL"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "INT64"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "FP64"
    return BYTES
