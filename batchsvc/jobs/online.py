"""Online predictions: a request's rows scored at once with the verified, cached model, as inline jobs are.

`score_online` serves both the native routes and the Watson ML ones: give it a model reference or a
deployment's record (`svc.deployments.spec(name)` or `.by_id(id)`); the reference is resolved on every call
(one round trip), so an alias moved under a deployment is followed at once. The caller logs the request.
A deployment's request is routed once, before it scores, to one reference of its traffic split (`routed`, with
the pin and routing-key headers when the dialect has them; jobs/routing.py chooses); the routed record carries
the choice under "routed", so routing it again keeps it.
`run_entry_script` serves the Azure ML route of a code model: its run() gets the raw body (scoring/azure_run.py).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import overload

from batchsvc.errors import (
    BatchsvcError,
    DataError,
    InvalidRequest,
    ModelError,
    ModelNotFound,
    ModelUnavailable,
    PayloadTooLarge,
)
from batchsvc.jobs import routing
from batchsvc.jobs.accept import check_inline
from batchsvc.jobs.model_cache import ModelCache
from batchsvc.schemas import PredictionRequest, RecordsInput, TableInput
from batchsvc.scoring import sources
from batchsvc.scoring.azure_run import Answer, ScoreRequest, call_run
from batchsvc.scoring.engines import AUTO, SKLEARN
from batchsvc.scoring.engines.code import CodeEngine
from batchsvc.scoring.modelinfo import ModelInfo
from batchsvc.scoring.output import watson_shape
from batchsvc.scoring.score import score_batch
from batchsvc.storage.services import Services

API_CACHED_MODELS = 8  # models kept loaded per API process (deployments served by it)


@dataclass
class Scored:
    """An answered request: the predictions body, the model version that made it and the engine that scored."""
    body: dict
    meta: dict
    engine: str | None = None
    batch: int | None = None  # requests scored together in its engine call (batching on), else None


def score_online(svc: Services, cache: ModelCache, target: str | dict, body: PredictionRequest) -> Scored:
    """Score a body ({"input_data": [...]} or {"records": [...]}) with a model reference or a deployment."""
    entries = body_entries(body, svc.settings.max_online_rows)
    target = routed(target)
    meta = resolve(svc, target)
    requested = (target.get("engine") if isinstance(target, dict) else None) or AUTO
    model = load_model(cache, meta, requested)
    info = cache.info(meta)
    tables = [_score_entry(svc, model, info, meta, source, where) for source, where in entries]
    return Scored({"predictions": tables}, meta, getattr(model, "name", None) or SKLEARN)


def run_entry_script(cache: ModelCache, meta: dict, request: ScoreRequest) -> tuple[Answer, CodeEngine]:
    """A code version's run() over one request to its scoring URI, answered as Azure's inference server answers;
    the engine comes back too (what its init printed goes to the deployment's logs)."""
    engine = load_model(cache, meta)
    if not isinstance(engine, CodeEngine):
        raise InvalidRequest(f"model {meta['name']}@{meta['version']} is no code model", field="model")
    return call_run(engine.run, request), engine


@overload
def routed(target: dict, headers: Mapping[str, str] | None = None) -> dict: ...
@overload
def routed(target: str | dict, headers: Mapping[str, str] | None = None) -> str | dict: ...
def routed(target: str | dict, headers: Mapping[str, str] | None = None) -> str | dict:
    """A deployment's record with the reference that answers this request under "routed" (kept when it has one
    already); a model reference as it is. A bad pin header is a 400 naming it."""
    if isinstance(target, str) or "routed" in target:
        return target
    return {**target, "routed": routing.route(target, headers or {})}


def primary(target: dict) -> bool:
    """Whether a deployment's request went to its `model` (only that one's answers show the deployment's state)."""
    return target.get("routed", target["model"]) == target["model"]


def resolve(svc: Services, target: str | dict) -> dict:
    """The version a reference names now (a deployment's routed reference, else its model); for a deployment,
    the error says whose reference names nothing."""
    if isinstance(target, str):
        return svc.registry.resolve(target)
    ref = target.get("routed") or target["model"]
    try:
        return svc.registry.resolve(ref)
    except ModelNotFound as exc:
        raise ModelNotFound(f"deployment {target['name']!r} serves {ref!r}, which names no model "
                            f"version now: {exc.message}", model=ref) from None


def check_deployment(svc: Services, cache: ModelCache, name: str) -> dict:
    """The deployment's record once the version it names now has been loaded and verified here (ready), or
    failed with the reason; a version already shown ready is not loaded again. This process's latest requests
    are written first, so the counters include them."""
    svc.request_log.flush()
    record = svc.deployments.get(name)
    state: dict = {"state": "ready", "reason": None}
    try:
        meta = resolve(svc, record)
        state["serving"] = serving(meta)
        if record["state"] == "ready" and record["serving"] == state["serving"]:
            return record
        load_model(cache, meta)
    except (ModelUnavailable, ModelNotFound) as exc:
        state.update(state="failed", reason=exc.message)
    svc.deployments.set_state(name, state["state"], state["reason"], state.get("serving"))
    return svc.deployments.get(name)


def shown_state(meta: dict | None, exc: Exception | None) -> dict | None:
    """The state a deployment's request showed: ready serving the version that answered, failed when its model is
    gone or does not load, else none (a bad body says nothing of the deployment)."""
    if meta:
        return {"state": "ready", "reason": None, "serving": serving(meta)}
    if isinstance(exc, (ModelUnavailable, ModelNotFound)):
        return {"state": "failed", "reason": exc.message}
    return None


def serving(meta: dict) -> dict:
    """The served version as a deployment records it (the checksum tells a re-registered file apart)."""
    return {"name": meta["name"], "version": meta["version"], "sha256": meta["sha256"]}


def load_model(cache: ModelCache, meta: dict, engine: str = AUTO):
    """The verified engine that serves the version (the fastest verified one, unless `engine` is sklearn); any
    reason it cannot be loaded is a ModelUnavailable (503) naming it."""
    label = f"model {meta['name']}@{meta['version']}"
    try:
        return cache.engine(meta, engine)
    except ModelError as exc:  # chained: a code model's init traceback stays reachable for the deployment's logs
        raise ModelUnavailable(f"{label} cannot be served: {exc.message}", model=meta["name"]) from exc
    except Exception as exc:  # unpickling runs the file's code: anything may come out of it
        raise ModelUnavailable(f"{label} cannot be loaded: {type(exc).__name__}: {exc}", model=meta["name"]) from None


def row_count(body: PredictionRequest) -> int:
    """The rows a body carries, all entries together."""
    if body.records is not None:
        return len(body.records)
    return sum(len(entry.values) for entry in body.input_data or ())


def body_entries(body: PredictionRequest, max_rows: int) -> list[tuple[TableInput | RecordsInput, str]]:
    """Each input of the body with the field path prefix its errors name; refuses two kinds or too many rows."""
    if (body.input_data is None) == (body.records is None):
        raise InvalidRequest("the body needs exactly one of input_data ([{\"fields\": [...], \"values\": "
                             "[[...]]}]) or records ([{...}])", field="input_data")
    rows = row_count(body)
    if rows > max_rows:
        raise PayloadTooLarge(f"{rows} rows in one request, over the limit of {max_rows} "
                              "(BATCHSVC_MAX_ONLINE_ROWS); submit a batch job (POST /v1/jobs) for more",
                              field="input_data" if body.input_data else "records")
    if body.records is not None:
        return [(RecordsInput(records=body.records), "")]
    return [(TableInput(fields=e.fields, values=e.values), f"input_data.{i}.") for i, e in
            enumerate(body.input_data or ())]


def _score_entry(svc: Services, model, info: ModelInfo, meta: dict, source, where: str) -> dict:
    """One entry's predictions in Watson ML's shape; a bad value is a 422 naming its field and row."""
    frame = entry_frame(svc, meta, source, where)
    return score_frame(model, info, frame, where, isinstance(source, RecordsInput))


def entry_frame(svc: Services, meta: dict, source: TableInput | RecordsInput, where: str):
    """An entry checked against its limits and the model's features, as a frame numbered from row 1."""
    return sources.numbered(check_inline(svc, source, meta, [], where).frame(), 1)


def score_frame(model, info: ModelInfo, frame, where: str, records: bool) -> dict:
    """An entry's frame scored, in Watson ML's shape; a bad value is a 422 naming its field and row."""
    try:
        rows, _ = score_batch(model, info, sources.Batch(frame), [], 0, 0)
    except DataError as exc:
        raise located(exc, where, records) from None
    return watson_shape(rows, len(rows))


def located(exc: BatchsvcError, where: str, records: bool) -> BatchsvcError:
    """The error with the request field of its row (rows are numbered from 1 in messages, from 0 in paths)."""
    row = exc.details.get("row")
    if row is not None:
        column = exc.details.get("column")
        rows = f"{where}records" if records else f"{where}values"
        exc.details["field"] = f"{rows}.{row - 1}" + (f".{column}" if records and column else "")
    return exc
