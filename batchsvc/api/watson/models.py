"""/ml/v4/models: native model versions as Watson ML models, listed, read and deleted; store_model's two requests
(create, then PUT the content: a tar.gz holding the joblib-pickled estimator) register a new native version.
A version's id is the UUID it was stored under by a Watson client, else the first 128 bits of its file's sha256.
The content's answer does not wait for the engine: the Watson clients upload it with httpx's default 5 s timeout
(`httpx.put` in their repository client), so the version is answered once stored and its onnx engine is compiled
and verified afterwards in the compile process (scikit-learn serves it meanwhile), as a native registration's is
compiled before its answer."""

import logging
import tarfile
import tempfile
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from batchsvc.api.params import read_json
from batchsvc.api.state import services
from batchsvc.api.watson import shapes
from batchsvc.api.watson.bodies import ModelRequest, native_name
from batchsvc.api.watson.ids import asset_id, new_id
from batchsvc.errors import AssetNotFound, BatchsvcError, InvalidRequest
from batchsvc.jobs.compile_process import Compiler
from batchsvc.storage.services import Services
from batchsvc.storage.watson_models import WatsonModels

MODEL_SUFFIXES = (".pkl", ".joblib")  # the estimator's file inside the content archive
log = logging.getLogger(__name__)


async def create_model(request: Request) -> Response:
    """A model without content yet: its id, and its name for the version its content will become."""
    body = await read_json(request, ModelRequest)
    model_id, name = new_id(), native_name(body.name)
    await run_in_threadpool(_ids(request).pend, model_id, {"name": name, "description": body.description or ""})
    return JSONResponse(shapes.pending_model(model_id, name, body.description or ""), status_code=201)


async def put_content(request: Request) -> Response:
    """The content of a created model (tar.gz with the pickled estimator) registered as its native version."""
    svc, model_id = services(request), request.path_params["model_id"]
    pending = await run_in_threadpool(_ids(request).pending, model_id)
    if pending is None:
        raise AssetNotFound(f"no model {model_id!r} awaiting content; create it with POST /ml/v4/models",
                            field="model_id")
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "content"
        with open(archive, "wb") as f:
            async for block in request.stream():
                f.write(block)
        meta, created = await run_in_threadpool(_register, svc, pending, archive, Path(tmp) / "unpacked")
    await run_in_threadpool(_ids(request).bind, model_id, f"{meta['name']}@{meta['version']}")
    later = BackgroundTask(_compile_later, request.app.state.compiler, meta) if created else None
    return JSONResponse(shapes.model(meta, model_id), status_code=201, background=later)


async def _compile_later(compiler: Compiler, meta: dict) -> None:
    """The stored version's engine compiled and verified once the content is answered; a failure is logged (the
    version stays served by scikit-learn, and POST /v1/models/{name}/versions/{v}/compile tries again)."""
    try:
        await compiler.compile(meta)
    except Exception as exc:  # a background task has nobody to answer: the log is where it is seen
        log.warning("compiling model %s@%s after its Watson ML content upload failed: %s", meta["name"],
                    meta["version"], exc)


async def list_models(request: Request) -> Response:
    """Every version of every model, newest first."""
    svc = services(request)
    versions = await run_in_threadpool(all_versions, svc)
    ids = await run_in_threadpool(model_ids, svc, versions)
    resources = [shapes.model(v, i) for v, i in zip(versions, ids)]
    return JSONResponse({"total_count": len(resources), "limit": len(resources), "resources": resources})


async def get_model(request: Request) -> Response:
    wanted = request.path_params["model_id"]
    return JSONResponse(shapes.model(await run_in_threadpool(find_version, services(request), wanted), wanted))


async def delete_model(request: Request) -> Response:
    """Remove the native version (and the aliases that point at it), as DELETE /v1/models/{name}/versions/{v}."""
    await run_in_threadpool(remove_version, services(request), request.path_params["model_id"])
    return Response(status_code=204)


def remove_version(svc: Services, wanted: str) -> None:
    version = find_version(svc, wanted)
    svc.registry.delete_version(version["name"], version["version"])


def all_versions(svc: Services) -> list[dict]:
    """Every model version, newest first."""
    found = []
    for model in svc.registry.list():
        found += svc.registry.versions(model["name"])
    return sorted(found, key=lambda v: v["created_at"], reverse=True)


def model_ids(svc: Services, versions: list[dict]) -> list[str]:
    """Each version's Watson id: the UUID a Watson client stored it under, else from its file's sha256."""
    bound = WatsonModels(svc.redis, svc.keys).ids([f"{v['name']}@{v['version']}" for v in versions])
    return [given or asset_id(v["sha256"]) for v, given in zip(versions, bound)]


def find_version(svc: Services, wanted: str) -> dict:
    """The model version whose Watson id is `wanted` (the newest, should two hold the very same file)."""
    ref = WatsonModels(svc.redis, svc.keys).ref(wanted)
    if ref is not None:
        try:
            return svc.registry.resolve(ref)
        except BatchsvcError:
            pass
    for version in all_versions(svc):
        if ref is None and asset_id(version["sha256"]) == wanted:
            return version
    raise AssetNotFound(f"no model {wanted!r}; GET /ml/v4/models lists them", field="model_id")


def _register(svc: Services, pending: dict, archive: Path, folder: Path) -> tuple[dict, bool]:
    """The estimator file in the archive registered as the model's next version (False: the same file was the
    latest version already)."""
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(folder, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise InvalidRequest(f"the model content is not a tar.gz archive: {exc}", field="content") from None
    found = sorted(p for p in folder.rglob("*") if p.suffix in MODEL_SUFFIXES)
    if not found:
        raise InvalidRequest("the model content holds no .pkl or .joblib file", field="content")
    return svc.registry.register(pending["name"], found[0], pending["description"])


def _ids(request: Request) -> WatsonModels:
    svc = services(request)
    return WatsonModels(svc.redis, svc.keys)
