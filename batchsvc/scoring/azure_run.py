"""An Azure ML entry script's run() called as azmlinfsrv 1.5.1 calls it, its answer encoded as azmlinfsrv does.

Pure: it gets the loaded run function and the request's raw body and headers, and gives back the status, the JSON
bytes and the headers to send. Undecorated, run gets the body as a str; decorated with inference-schema's
@input_schema, it gets each parameter from the body's JSON object (the decorator converts them). A parameter named
`request_headers` gets the request's headers. The return value is json.dumps-ed (a str becomes a JSON string,
None becomes {}); an exception in run, or a value JSON cannot encode, answers with azmlinfsrv's status and message.
"""

import inspect
import json
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

RUN_FAILED = "An unexpected error occurred in scoring script. Check the logs for more info."
INTERNAL = "An unexpected internal error occurred. Check the logs for more info."
FAILED_HEADER = "x-ms-run-function-failed"
HEADERS_PARAMETER = "request_headers"


@dataclass
class Answer:
    """What to send (status, JSON bytes, headers) and, for the logs, the error and its traceback."""
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    traceback: str | None = None


class BadInput(Exception):
    """The request does not fit run's parameters: azmlinfsrv's 400 (or 415) with its message."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def call_run(run: Callable, raw: bytes, headers: dict[str, str], content_type: str = "") -> Answer:
    """run() over one request, answered as azmlinfsrv answers it."""
    try:
        kwargs = _arguments(run, raw, headers, content_type)
    except BadInput as exc:
        return message(exc.status, str(exc), error=f"BadInput: {exc}")
    except Exception as exc:  # what azmlinfsrv's catch-all answers (e.g. a JSON body that is no UTF-8 text)
        return message(500, INTERNAL, error=f"{type(exc).__name__}: {exc}", trace=traceback.format_exc())
    started = time.perf_counter()
    try:
        result = run(**kwargs)
    except Exception as exc:
        return message(500, RUN_FAILED, failed=True, error=f"{type(exc).__name__}: {exc}",
                       trace=traceback.format_exc())
    elapsed_ms = (time.perf_counter() - started) * 1000
    try:
        body = json.dumps({} if result is None else result)
    except Exception as exc:  # json.dumps raises TypeError, ValueError or the object's own error
        return message(500, INTERNAL, error=f"{type(exc).__name__}: {exc}", trace=traceback.format_exc())
    return Answer(200, body.encode(), {FAILED_HEADER: "False", "x-ms-run-fn-exec-ms": f"{elapsed_ms:.3f}"})


def message(status: int, text: str, failed: bool = False, error: str | None = None, trace: str | None = None) -> Answer:
    """azmlinfsrv's error answer: {"message": text} with x-ms-run-function-failed."""
    return Answer(status, json.dumps({"message": text}).encode(), {FAILED_HEADER: str(failed)}, error, trace)


def is_decorated(run: Callable) -> bool:
    """Whether run carries inference-schema's @input_schema (False where inference-schema is not installed)."""
    try:
        from inference_schema.schema_util import is_schema_decorated
    except ImportError:
        return False
    return bool(is_schema_decorated(run))


def check_signature(run: Callable) -> list[inspect.Parameter]:
    """run's data parameters (request_headers left out); azmlinfsrv refuses the same signatures at start."""
    params = list(inspect.signature(run).parameters.values())
    if any(p.kind not in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params):
        raise TypeError("run() cannot accept positional-only arguments, *args, or **kwargs.")
    data = [p for p in params if p.name != HEADERS_PARAMETER]
    if not data:
        raise TypeError("run() needs to accept an argument for input data.")
    return data


def _arguments(run: Callable, raw: bytes, headers: dict[str, str], content_type: str) -> dict:
    """run's keyword arguments for this request: the body as str, or the decorated parameters from its JSON."""
    params = check_signature(run)
    if is_decorated(run):
        kwargs = _from_object(params, raw, content_type)
    else:
        try:
            kwargs = {params[0].name: raw.decode("utf-8")}
        except UnicodeDecodeError as exc:
            raise BadInput(f"Input cannot be decoded as UTF-8: {exc}") from None
    if HEADERS_PARAMETER in inspect.signature(run).parameters:
        kwargs[HEADERS_PARAMETER] = {name.title(): value for name, value in headers.items()}  # as werkzeug names them
    return kwargs


def _from_object(params: list[inspect.Parameter], raw: bytes, content_type: str) -> dict:
    """Each parameter from the body's JSON object, as azmlinfsrv's ObjectInput takes them."""
    mimetype = content_type.split(";", 1)[0].strip().lower()
    if not (mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))):
        raise BadInput("Expects Content-Type to be application/json", 415)
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BadInput(f"POST body could not be decoded as JSON: {exc}" if raw else
                       "POST body is empty. Expecting a JSON dictionary.") from None
    if not isinstance(body, dict):
        raise BadInput("POST body should be a JSON dictionary.")
    kwargs = {}
    for param in params:
        value = body.get(param.name, param.default)
        if value is inspect.Parameter.empty:
            raise BadInput(f"A value is not provided for the {param.name!r} parameter.")
        kwargs[param.name] = value
    return kwargs
