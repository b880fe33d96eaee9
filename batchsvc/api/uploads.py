"""/v1/uploads: a data file as multipart `file` or as the raw body."""

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from batchsvc.api.auth import principal
from batchsvc.api.params import check_form_fields
from batchsvc.api.state import services
from batchsvc.errors import InvalidRequest
from batchsvc.jobs.uploads import format_hint, save_upload

BLOCK_BYTES = 1 << 20
UPLOAD_FIELDS = ("file",)


async def create(request: Request) -> Response:
    svc = services(request)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        async with request.form(max_files=1, max_fields=5) as form:
            check_form_fields(form, UPLOAD_FIELDS)
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise InvalidRequest("send the data file as the multipart field 'file'", field="file")
            record = await save_upload(svc, blocks(upload), format_hint(upload.content_type, upload.filename),
                                       principal(request).name)
    else:
        record = await save_upload(svc, request.stream(), format_hint(content_type, None), principal(request).name)
    return JSONResponse(record, status_code=201)


async def blocks(upload: UploadFile):
    """The uploaded file, block by block."""
    while block := await upload.read(BLOCK_BYTES):
        yield block
