"""Azure's @rawhttp, with the vendor's own classes: run() gets Flask's request and may answer a Flask Response (an
AMLResponse), as azmlinfsrv 1.5.1 serves it.

The classes come from `azureml-inference-server-http` (batchsvc's `azure` extra), whose package maps
`azureml.contrib.services.aml_request`/`aml_response` to its own modules. Its `rawhttp` decorator sets one flag for
the whole process (azmlinfsrv serves one script per process); batchsvc reads that flag while each score.py is
imported, one import at a time, and remembers which run functions asked for the request.

Pure: no network; the request is a WSGI environ built by werkzeug from the request's parts, inside a Flask request
context (so `flask.request` is the same object run gets, as in azmlinfsrv).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from batchsvc.scoring.azure_run import ScoreRequest

VENDOR = "azureml-inference-server-http"
EXTRA = "batchsvc[azure]"
VENDOR_MODULES = ("azureml.contrib.services", "azureml_inference_server_http")  # what a @rawhttp script imports
FAILED_HEADER = "x-ms-run-function-failed"
SCORE_PATH = "/score"  # the path run sees, as on azmlinfsrv; the service's own prefix is Flask's script_root
_DROPPED = {"content-length", "transfer-encoding"}  # the body is whole here: werkzeug sets its length

_RAW_RUNS: weakref.WeakSet = weakref.WeakSet()  # run functions whose script applied @rawhttp
_IMPORTING = threading.Lock()  # the vendor's flag is process-wide: one score.py imported at a time while it is read
_APP: list = []  # the one Flask app whose request contexts run in (made on first use)


def vendor_flags() -> Any:
    """The vendor's aml_request module (its rawhttp flag), with azureml.contrib.services mapped to it; None when
    azureml-inference-server-http is not installed."""
    try:
        import azureml_inference_server_http.server  # noqa: F401  (its import maps azureml.contrib.services.*)
        from azureml_inference_server_http.api import aml_request
    except ImportError:
        return None
    return aml_request


def load_marking(load: Callable[[], ModuleType]) -> ModuleType:
    """load() (a score.py imported and initialised); its run is remembered as rawhttp when @rawhttp was applied."""
    flags = vendor_flags()
    if flags is None:
        return load()
    with _IMPORTING:
        flags._rawHttpRequested = False
        try:
            module = load()
            if flags._rawHttpRequested:
                _check_not_schema(module.run)
                _RAW_RUNS.add(module.run)
        finally:
            flags._rawHttpRequested = False
    return module


def is_rawhttp(run: Callable) -> bool:
    return run in _RAW_RUNS


def _check_not_schema(run: Callable) -> None:
    """azmlinfsrv refuses a run that is both @rawhttp and @input_schema."""
    from inference_schema.schema_util import is_schema_decorated
    if is_schema_decorated(run):
        raise TypeError("run() cannot be decorated with both @rawhttp and @input_schema")


@contextmanager
def flask_request(request: ScoreRequest) -> Iterator[Any]:
    """Flask's request (the `flask.request` proxy, as azmlinfsrv passes it) for the block: method, /score with the
    query string, the headers and the body; the service's prefix is its script_root."""
    import flask
    from werkzeug.test import EnvironBuilder

    headers = [(name, value) for name, value in request.headers.items() if name not in _DROPPED]  # Host among them
    builder = EnvironBuilder(path=SCORE_PATH, base_url=f"http://localhost{request.script_root}", method=request.method,
                             query_string=request.query_string, headers=headers, data=request.body)
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    with _app().request_context(environ):
        yield flask.request


def _app():
    if not _APP:
        import flask
        _APP.append(flask.Flask(__name__))
    return _APP[0]


def is_response(value: object) -> bool:
    """Whether run answered with a Flask Response (an AMLResponse is one), sent as it is."""
    import flask
    return isinstance(value, flask.Response)


def response_parts(response: Any, elapsed_ms: float) -> tuple[int, bytes, list[tuple[str, str]]]:
    """A Flask Response as azmlinfsrv sends it: status, body and headers (repeated names kept), run-failed True at a
    5xx, and the time run took."""
    try:
        if response.status_code >= 500:
            if FAILED_HEADER in response.headers:
                response.headers[FAILED_HEADER] = True
            else:
                response.headers.add(FAILED_HEADER, True)
        response.headers.add("x-ms-run-fn-exec-ms", f"{elapsed_ms:.3f}")
        body = response.get_data()
        headers = [(name, value) for name, value in response.headers.items() if name.lower() not in _DROPPED]
        return response.status_code, body, headers
    finally:
        response.close()
