"""/v1/models: register versions (multipart), read, alias, delete."""

import tempfile
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from batchsvc.api.params import check_form_fields, read_json
from batchsvc.api.profiles import drift_alert_field, model_with_alert
from batchsvc.api.state import services
from batchsvc.errors import InvalidRequest
from batchsvc.jobs.compile import read_sample
from batchsvc.schemas import AliasRequest, Model, ModelList, ModelVersion

COPY_BLOCK_BYTES = 1 << 20
MODEL_FIELDS = ("file", "description", "tags", "features", "sample", "force", "baseline", "drift_alert")


async def register(request: Request) -> Response:
    svc, name = services(request), request.path_params["name"]
    async with request.form(max_files=3, max_fields=10) as form:
        check_form_fields(form, MODEL_FIELDS)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidRequest("send the joblib file (or a code model's zip) as the multipart field 'file'",
                                 field="file")
        sample = await _sample(form.get("sample"))
        baseline = await _sample(form.get("baseline"), "baseline")
        alert = drift_alert_field(form.get("drift_alert"))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.joblib"
            await _save(upload, path)
            meta, created = await run_in_threadpool(
                svc.registry.register, name, path, str(form.get("description") or ""),
                _split(form.get("tags")), _split(form.get("features")) or None, _flag(form.get("force")),
                baseline, sample)
    if alert is not None:
        await run_in_threadpool(svc.drift.set_alert, name, alert)
    if created and meta.get("kind") != "code":  # a code model has no fast engine to compile
        meta = await request.app.state.compiler.compile(meta, sample)  # in the compile process
    return JSONResponse(_public(meta), status_code=201 if created else 200)


def _flag(value) -> bool:
    """A form field read as a boolean: true/1/yes, false/0/no or absent."""
    text = str(value or "false").strip().lower()
    if text not in ("true", "1", "yes", "false", "0", "no", ""):
        raise InvalidRequest("force must be true or false", field="force")
    return text in ("true", "1", "yes")


async def compile_engine(request: Request) -> Response:
    """Trial the fast engine again for an existing version, on rows synthesised from the model."""
    svc = services(request)
    meta = await run_in_threadpool(svc.registry.version, request.path_params["name"], _version(request))
    return JSONResponse(_public(await request.app.state.compiler.compile(meta)))


async def _sample(field, name: str = "sample"):
    """The verification sample (or drift baseline: name) sent with a registration (CSV or Parquet), or None."""
    if field is None or field == "":
        return None
    if not isinstance(field, UploadFile):
        raise InvalidRequest(f"send the {name} as a file (CSV or Parquet) in the multipart field '{name}'",
                             field=name)
    return await run_in_threadpool(read_sample, await field.read(), field.filename or name, name)


async def _save(upload: UploadFile, path: Path) -> None:
    """Copy the uploaded file out (its route's body cap has bounded its size)."""
    with open(path, "wb") as f:
        while block := await upload.read(COPY_BLOCK_BYTES):
            f.write(block)


def _split(value) -> list[str]:
    return [v.strip() for v in str(value or "").split(",") if v.strip()]


def _public(meta: dict) -> dict:
    """A version's stored metadata as the API shows it (ModelVersion, as /openapi.json documents)."""
    return ModelVersion.model_validate(meta).model_dump(mode="json")


def _model(model: dict) -> dict:
    """A model with its aliases and versions (Model)."""
    return Model.model_validate(model).model_dump(mode="json")


async def list_models(request: Request) -> Response:
    models = await run_in_threadpool(services(request).registry.list)
    return JSONResponse(ModelList.model_validate({"models": models}).model_dump(mode="json"))


async def get_model(request: Request) -> Response:
    svc = services(request)
    model = await run_in_threadpool(model_with_alert, svc, request.path_params["name"])
    return JSONResponse(_model(model))


async def get_version(request: Request) -> Response:
    meta = await run_in_threadpool(services(request).registry.version, request.path_params["name"],
                                   _version(request))
    return JSONResponse(_public(meta))


async def set_alias(request: Request) -> Response:
    svc = services(request)
    body = await read_json(request, AliasRequest)
    model = await run_in_threadpool(svc.registry.set_alias, request.path_params["name"],
                                    request.path_params["alias"], body.version)
    return JSONResponse(_model(model))


async def delete_version(request: Request) -> Response:
    await run_in_threadpool(services(request).registry.delete_version, request.path_params["name"],
                            _version(request))
    return Response(status_code=204)


def _version(request: Request) -> int:
    raw = request.path_params["version"]
    if not raw.isdigit():
        raise InvalidRequest(f"version must be a whole number, not {raw!r}", field="version")
    return int(raw)
