"""Uploaded input files: streamed to the data dir under a server-made name, recorded in Redis."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from batchsvc.clock import iso
from batchsvc.errors import InvalidRequest, UploadNotFound
from batchsvc.storage.files import put_file
from batchsvc.storage.services import Services

PARQUET_MAGIC = b"PAR1"
GZIP_MAGIC = b"\x1f\x8b"
HEAD_BYTES = 4096  # the start of a file kept to tell its format (and a data asset's text)
CONTENT_TYPES = {"text/csv": "csv", "application/vnd.apache.parquet": "parquet", "application/x-parquet": "parquet"}


async def save_upload(svc: Services, chunks: AsyncIterator[bytes], fmt_hint: str | None,
                      created_by: str | None = None) -> dict:
    """Write the stream to uploads/<id>.<ext> (its route's body cap bounds the size); returns the record."""
    record = {"upload": uuid.uuid4().hex, "created_at": iso(), "created_by": created_by or ""}
    record.update(await store_file(svc, record["upload"], chunks, fmt_hint))
    svc.uploads.save(record)
    return {k: record[k] for k in ("upload", "bytes", "format")}


async def store_file(svc: Services, upload_id: str, chunks: AsyncIterator[bytes], fmt_hint: str | None,
                     check: Callable[[bytes], None] = lambda head: None) -> dict:
    """Stream a file into place as the upload's: its bytes, format and path; `check` sees its first bytes."""
    staging = svc.data.staging() / f"{upload_id}.part"
    try:
        size, head = await _stream_to(staging, chunks)
        check(head)
        fmt, gz = _detect(head, fmt_hint)
        final = svc.data.upload_file(upload_id, fmt, gz)
        await asyncio.to_thread(put_file, staging, final)
    finally:
        staging.unlink(missing_ok=True)
    return {"bytes": size, "format": fmt, "path": final.url}


async def _stream_to(path: Path, chunks: AsyncIterator[bytes]) -> tuple[int, bytes]:
    size, head = 0, b""
    with open(path, "wb") as f:
        async for chunk in chunks:
            size += len(chunk)
            if len(head) < HEAD_BYTES:
                head += chunk[:HEAD_BYTES - len(head)]
            f.write(chunk)
    if size == 0:
        raise InvalidRequest("the upload is empty", field="file")
    return size, head


def _detect(head: bytes, hint: str | None) -> tuple[str, bool]:
    if head.startswith(PARQUET_MAGIC):
        return "parquet", False
    if head.startswith(GZIP_MAGIC):
        return "csv", True
    if hint == "parquet":
        raise InvalidRequest("the upload is not a Parquet file (no PAR1 header)", field="file")
    return "csv", False


def format_hint(content_type: str | None, filename: str | None) -> str | None:
    if filename and filename.lower().endswith((".parquet", ".pq")):
        return "parquet"
    return CONTENT_TYPES.get((content_type or "").split(";")[0].strip())


def get_upload(svc: Services, upload_id: str) -> dict:
    record = svc.uploads.get(upload_id)
    if record is None:
        raise UploadNotFound(f"no upload {upload_id!r}; upload the file with POST /v1/uploads first",
                             field="input.upload")
    return record
