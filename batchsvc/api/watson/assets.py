"""/v2/assets and /v2/asset_types/data_asset/search: Watson ML data assets, which are native uploads with a name.

The client creates an asset, then an attachment whose url1 it PUTs the file to, then completes it; it downloads
through the attachment's url. Both file URLs carry the asset's own signature (the client sends them no token),
as Cloud Pak for Data's signed URLs do; they are handed out only to readers of the asset."""

import hmac

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from batchsvc.api.auth import principal
from batchsvc.api.params import read_json
from batchsvc.api.state import services
from batchsvc.api.uploads import blocks
from batchsvc.api.watson import models, shapes
from batchsvc.api.watson.bodies import AssetRequest
from batchsvc.api.watson.ids import native_upload_id
from batchsvc.errors import AssetNotFound, Forbidden, InvalidRequest
from batchsvc.jobs import data_assets
from batchsvc.roles import Role
from batchsvc.storage.files import locate

READ_BLOCK_BYTES = 1 << 20


async def create(request: Request) -> Response:
    """An empty data asset; its file comes as an attachment."""
    body = await read_json(request, AssetRequest)
    if body.metadata.asset_type != "data_asset":
        raise InvalidRequest("only data assets (asset_type data_asset: a CSV file) can be created here",
                             field="metadata.asset_type")
    record = await run_in_threadpool(data_assets.create_asset, services(request), body.metadata.name,
                                     body.metadata.description, principal(request).name)
    return JSONResponse(shapes.data_asset(record), status_code=201)


async def search(request: Request) -> Response:
    """Every data asset, newest first (the query, *:*, is not read)."""
    found = await run_in_threadpool(services(request).uploads.named)
    return JSONResponse({"total_rows": len(found), "results": [shapes.data_asset(r) for r in found]})


async def delete(request: Request) -> Response:
    """A data asset, or (as repository.delete asks, admins only) a model version by its Watson id."""
    svc, wanted = services(request), request.path_params["asset_id"]
    if await run_in_threadpool(svc.uploads.get, _asset_id(request)) is None:
        if not principal(request).role.allows(Role.ADMIN):
            raise Forbidden(f"deleting model {wanted!r} needs an admin key")
        await run_in_threadpool(models.remove_version, svc, wanted)
    else:
        await run_in_threadpool(data_assets.delete_asset, svc, _asset_id(request))
    return Response(status_code=204)


async def create_attachment(request: Request) -> Response:
    """The one attachment an asset has (its id is the asset's); url1 is where its file is PUT."""
    record = await _asset(request)
    return JSONResponse({"attachment_id": shapes.upload_uuid(record["upload"]), "asset_type": "data_asset",
                         "url1": shapes.file_url(record)}, status_code=201)


async def get_attachment(request: Request) -> Response:
    record = await _asset(request)
    if not record.get("path"):
        raise AssetNotFound(f"data asset {record['name']!r} has no file yet", field="attachment_id")
    return JSONResponse({**shapes.attachment(record), "url": shapes.file_url(record, download=True)})


async def complete_attachment(request: Request) -> Response:
    record = await _asset(request)
    return JSONResponse(shapes.attachment(record))


async def put_file(request: Request) -> Response:
    """The asset's CSV file, multipart `file` (or the raw body), to the signed URL url1."""
    asset_id = await _signed(request)
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        async with request.form(max_files=1, max_fields=1) as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise InvalidRequest("send the file as the multipart field 'file'", field="file")
            record = await data_assets.attach(services(request), asset_id, blocks(upload))
    else:
        record = await data_assets.attach(services(request), asset_id, request.stream())
    return JSONResponse(shapes.attachment(record), status_code=201)


async def get_file(request: Request) -> Response:
    """The asset's file, streamed, from the signed URL an attachment's details give."""
    record = await run_in_threadpool(data_assets.get_asset, services(request), await _signed(request))
    source = await run_in_threadpool(locate(record["path"]).open)
    return StreamingResponse(_read(source), media_type="text/csv")


async def _read(source):
    with source:
        while block := await run_in_threadpool(source.read, READ_BLOCK_BYTES):
            yield block


async def _asset(request: Request) -> dict:
    return await run_in_threadpool(data_assets.get_asset, services(request), _asset_id(request))


def _asset_id(request: Request) -> str:
    return native_upload_id(request.path_params["asset_id"])


async def _signed(request: Request) -> str:
    """The asset id of a file URL whose signature is the asset's (404 alike for a wrong one: nothing to probe)."""
    asset_id = _asset_id(request)
    record = await run_in_threadpool(services(request).uploads.get, asset_id)
    given = request.query_params.get("signature", "")
    if record is None or not record.get("signature") or not hmac.compare_digest(given, record["signature"]):
        raise AssetNotFound(f"no data asset file {request.path_params['asset_id']!r} with this signature",
                            field="signature")
    return asset_id
