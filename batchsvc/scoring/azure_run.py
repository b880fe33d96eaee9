"""An Azure ML entry script's run() called as azmlinfsrv 1.5.1 calls it, its answer encoded as azmlinfsrv does.

Pure: it gets the loaded run function and the request (method, query string, headers, raw body), and gives back the
status, the body and the headers to send. Undecorated, run gets the body as a str; decorated with inference-schema's
@input_schema, it gets each parameter from the body's JSON object (the decorator converts them). A parameter named
`request_headers` gets the request's headers. The return value is json.dumps-ed (a str becomes a JSON string,
None becomes {}); an exception in run, or a value JSON cannot encode, answers with azmlinfsrv's status and message.
GET passes the query string's values as the body's (each read as JSON where it parses); OPTIONS answers 200 with an
empty body without calling run. A run marked @rawhttp gets Flask's request instead, whatever the method, and may
answer a Flask Response (scoring/azure_rawhttp.py).
"""

import inspect
import json
import time
import traceback
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from batchsvc.scoring import azure_rawhttp

RUN_FAILED = "An unexpected error occurred in scoring script. Check the logs for more info."
INTERNAL = "An unexpected internal error occurred. Check the logs for more info."
FAILED_HEADER = azure_rawhttp.FAILED_HEADER
HEADERS_PARAMETER = "request_headers"
JSON_TYPE = "application/json"
SCORE_METHODS = ("GET", "POST", "OPTIONS")  # azmlinfsrv's /score methods; only a @rawhttp run gets OPTIONS


@dataclass(frozen=True)
class ScoreRequest:
    """What azmlinfsrv reads of a request to /score: method, query string, headers (lower-case names) and body;
    script_root is the service's path before /score (a rawhttp run sees it as Flask's script_root)."""
    body: bytes
    headers: dict[str, str]
    method: str = "POST"
    query_string: str = ""
    script_root: str = ""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@dataclass
class Answer:
    """What to send (status, body, headers) and, for the logs, the error and its traceback. A rawhttp run's own
    Response keeps its headers as a list (names may repeat, Content-Type among them) and has no media_type."""
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    traceback: str | None = None
    listed_headers: list[tuple[str, str]] = field(default_factory=list)
    media_type: str | None = JSON_TYPE

    def encoded_headers(self) -> list[tuple[bytes, bytes]]:
        """listed_headers as ASGI raw headers, to append to a response's."""
        return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in self.listed_headers]


class BadInput(Exception):
    """The request does not fit run's parameters: azmlinfsrv's 400 (or 415) with its message."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def call_run(run: Callable, request: ScoreRequest) -> Answer:
    """run() over one request, answered as azmlinfsrv answers it."""
    raw = azure_rawhttp.is_rawhttp(run)
    if request.method == "OPTIONS" and not raw:
        return options_answer()
    with azure_rawhttp.flask_request(request) if raw else nullcontext() as flask_request:
        try:
            kwargs = _arguments(run, request, flask_request)
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
        return _answer(result, (time.perf_counter() - started) * 1000, raw)


def options_answer() -> Answer:
    """azmlinfsrv's answer to OPTIONS when run does not take the raw request: AMLResponse("", 200), Flask's
    text/html."""
    return Answer(200, b"", {FAILED_HEADER: "False"}, media_type="text/html")


def _answer(result: object, elapsed_ms: float, raw: bool) -> Answer:
    """What run returned, sent as azmlinfsrv sends it: a rawhttp run's Flask Response as it is, else as JSON."""
    try:
        if raw and azure_rawhttp.is_response(result):
            status, body, headers = azure_rawhttp.response_parts(result, elapsed_ms)
            return Answer(status, body, listed_headers=headers, media_type=None)
        encoded = json.dumps({} if result is None else result).encode()
    except Exception as exc:  # json.dumps raises TypeError, ValueError or the object's own error
        return message(500, INTERNAL, error=f"{type(exc).__name__}: {exc}", trace=traceback.format_exc())
    return Answer(200, encoded, {FAILED_HEADER: "False", "x-ms-run-fn-exec-ms": f"{elapsed_ms:.3f}"})


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


def _arguments(run: Callable, request: ScoreRequest, flask_request: object = None) -> dict:
    """run's keyword arguments for this request: Flask's request (rawhttp), the body as str, or the decorated
    parameters from its JSON object; GET takes the query string's values instead of a body."""
    params = check_signature(run)
    if flask_request is not None:
        kwargs = {params[0].name: flask_request}
    elif request.method == "GET":
        values = _query_values(request.query_string)
        kwargs = _extract(params, values) if is_decorated(run) else {params[0].name: json.dumps(values)}
    elif is_decorated(run):
        kwargs = _extract(params, _body_object(request.body, request.content_type))
    else:
        try:
            kwargs = {params[0].name: request.body.decode("utf-8")}
        except UnicodeDecodeError as exc:
            raise BadInput(f"Input cannot be decoded as UTF-8: {exc}") from None
    if HEADERS_PARAMETER in inspect.signature(run).parameters:
        kwargs[HEADERS_PARAMETER] = {name.title(): value for name, value in request.headers.items()}  # as Flask
    return kwargs


def _query_values(query_string: str) -> dict:
    """The query string as azmlinfsrv reads it for GET: each value as JSON where it parses, else as text; a name
    given more than once becomes a list."""
    values: dict[str, list] = {}
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        values.setdefault(name, []).append(_json_or_text(value))
    return {name: found[0] if len(found) == 1 else found for name, found in values.items()}


def _json_or_text(value: str) -> object:
    try:
        return json.loads(value)
    except ValueError:
        return value


def _body_object(raw: bytes, content_type: str) -> dict:
    """The body's JSON object, as azmlinfsrv's ObjectInput reads it (415, or 400 naming what is wrong)."""
    mimetype = content_type.split(";", 1)[0].strip().lower()
    if not (mimetype == JSON_TYPE or (mimetype.startswith("application/") and mimetype.endswith("+json"))):
        raise BadInput("Expects Content-Type to be application/json", 415)
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BadInput(f"POST body could not be decoded as JSON: {exc}" if raw else
                       "POST body is empty. Expecting a JSON dictionary.") from None
    if not isinstance(body, dict):
        raise BadInput("POST body should be a JSON dictionary.")
    return body


def _extract(params: list[inspect.Parameter], body: dict) -> dict:
    """Each parameter from the object; one without a default must be there."""
    kwargs = {}
    for param in params:
        value = body.get(param.name, param.default)
        if value is inspect.Parameter.empty:
            raise BadInput(f"A value is not provided for the {param.name!r} parameter.")
        kwargs[param.name] = value
    return kwargs
