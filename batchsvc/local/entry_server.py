"""One Azure ML entry script served as azmlinfsrv serves it (GET / Healthy, GET, POST and OPTIONS /score,
GET /swagger.json), no Redis, reloaded when score.py or a file beside it changes: the next request re-imports it and
calls init again. As azmlinfsrv, it sets AZUREML_MODEL_DIR and AML_APP_ROOT, and puts the folder on sys.path, for the
process's life.

A script that fails to import or init is not fatal: the traceback goes to the terminal, requests answer 503 with
the error's type and message until the folder changes again.
"""

import contextlib
import itertools
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from batchsvc.api.azure.answer import request_ids, to_response, with_ids
from batchsvc.errors import UserCodeError
from batchsvc.jobs.code_loader import azure_variables, import_entry
from batchsvc.scoring.azure_run import SCORE_METHODS, Answer, ScoreRequest, call_run, message
from batchsvc.scoring.azure_swagger import SwaggerError, document

SERVICE_NAME = "ML service"  # azmlinfsrv's default SERVICE_NAME, the swagger's title
SKIPPED_PARTS = {"__pycache__", ".git", ".ipynb_checkpoints"}


@dataclass
class Loaded:
    fingerprint: tuple
    run: Callable | None = None
    error: str | None = None  # why the current code does not load: type and message


class EntryScript:
    """The folder's score.py, imported again whenever a file in the folder changes (mtime or size)."""

    def __init__(self, folder: Path, model_dir: Path | None = None):
        self.folder, self.model_dir = folder.resolve(), model_dir
        self._lock = threading.Lock()
        self._names = itertools.count(1)
        self.loaded: Loaded | None = None

    def current(self) -> Loaded:
        """The loaded script, reloaded first when the folder changed since it was loaded."""
        with self._lock:
            stamp = self.fingerprint()
            if self.loaded is None or self.loaded.fingerprint != stamp:
                self.loaded = self._load(stamp)
            return self.loaded

    def fingerprint(self) -> tuple:
        """Each file's path, mtime and size (sub-folders too, caches left out)."""
        files = (p for p in self.folder.rglob("*") if p.is_file() and not SKIPPED_PARTS & set(p.parts))
        return tuple(sorted((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files))

    def _load(self, stamp: tuple) -> Loaded:
        label = f"{self.folder / 'score.py'}"
        try:
            module, printed = import_entry(self.folder, f"batchsvc_serve_{next(self._names)}", label, self.model_dir)
        except UserCodeError as exc:
            _say(f"{exc.message}\n{exc.traceback}")
            return Loaded(stamp, error=exc.message)
        _say(f"{printed}loaded {label}")
        return Loaded(stamp, run=module.run)


def create_app(folder: Path, model_dir: Path | None = None) -> Starlette:
    """The local server's app over one folder."""
    script = EntryScript(folder, model_dir)

    async def health(request: Request) -> Response:
        return _identified(request, lambda: PlainTextResponse("Healthy"))

    async def score(request: Request) -> Response:
        asked = ScoreRequest(await request.body(), dict(request.headers), request.method, request.url.query)
        ids, refused = request_ids(asked.headers)
        answer = refused if refused is not None else await run_in_threadpool(_score, script, asked)
        if answer.traceback:
            _say(answer.traceback)
        return to_response(answer, ids)

    async def swagger_json(request: Request) -> Response:
        loaded = await run_in_threadpool(script.current)
        return _identified(request, lambda: _swagger(loaded, request.query_params.get("version"), script.folder))

    routes = [Route("/", health, methods=["GET"]), Route("/score", score, methods=list(SCORE_METHODS)),
              Route("/swagger.json", swagger_json, methods=["GET"])]
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        _as_azmlinfsrv(script.folder, model_dir or script.folder)
        await run_in_threadpool(script.current)  # import and init at start, as azmlinfsrv does
        yield

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.script = script
    return app


def _as_azmlinfsrv(folder: Path, model_dir: Path) -> None:
    """What azmlinfsrv sets for its process's life (one script per process, as here): AZUREML_MODEL_DIR, AML_APP_ROOT
    and AZUREML_ENTRY_SCRIPT, and the folder appended to sys.path, so run() finds them at call time too."""
    os.environ.update(azure_variables(folder, model_dir))
    sys.path.append(str(folder))


def _identified(request: Request, make: Callable[[], Response]) -> Response:
    """make()'s response with the request ids azmlinfsrv answers on every path (431 instead, for a too long id)."""
    ids, refused = request_ids(dict(request.headers))
    return to_response(refused, ids) if refused is not None else with_ids(make(), ids)


def _swagger(loaded: Loaded, version: str | None, folder: Path) -> Response:
    if loaded.run is None:
        return JSONResponse({"message": _not_loaded(loaded)}, 503)
    try:
        return JSONResponse(document(loaded.run, SERVICE_NAME, "", version, folder))
    except SwaggerError as exc:
        return JSONResponse({"message": exc.message}, 404)


def _score(script: EntryScript, asked: ScoreRequest) -> Answer:
    loaded = script.current()
    if loaded.run is None:
        return message(503, _not_loaded(loaded))
    return call_run(loaded.run, asked)


def _not_loaded(loaded: Loaded) -> str:
    return f"score.py does not load: {loaded.error} (the traceback is in the server's terminal; save a fix)"


def _say(text: str) -> None:
    print(text.rstrip(), file=sys.stderr, flush=True)
