"""Data assets (Watson ML's name for a stored CSV file): native uploads that carry a name. One store, uploads:
an asset is created empty, gets its file as an attachment, is read by jobs as an upload, and a job may publish
its results as one (rows: the input's fields, then prediction and probability, as Watson ML writes them)."""

import secrets
import uuid
from collections.abc import AsyncIterator

from batchsvc.clock import iso
from batchsvc.errors import AssetNotFound, InvalidRequest
from batchsvc.jobs.running import RunningJob
from batchsvc.jobs.uploads import GZIP_MAGIC, PARQUET_MAGIC, store_file
from batchsvc.scoring import output
from batchsvc.storage.files import atomic_file, locate
from batchsvc.storage.services import Services

ASSET_RESULT_FORMAT = "csv"  # a job writing to an asset keeps its own result as CSV too


def create_asset(svc: Services, name: str, description: str, created_by: str | None) -> dict:
    """An empty asset (no file yet): its file comes with attach(). Its signature signs the URLs of its file."""
    record = {"upload": uuid.uuid4().hex, "name": name, "description": description, "bytes": 0, "format": "csv",
              "path": "", "signature": secrets.token_hex(16), "created_at": iso(), "created_by": created_by or ""}
    svc.uploads.save(record)
    return record


def get_asset(svc: Services, asset_id: str) -> dict:
    """The asset's record; AssetNotFound (404) for an unknown id or an upload that is no asset."""
    record = svc.uploads.get(asset_id)
    if record is None or not record.get("name"):
        raise AssetNotFound(f"no data asset {asset_id!r}", field="asset_id")
    return record


async def attach(svc: Services, asset_id: str, chunks: AsyncIterator[bytes]) -> dict:
    """Store the asset's file, which must be CSV text (422 naming the asset otherwise)."""
    record = get_asset(svc, asset_id)
    stored = await store_file(svc, asset_id, chunks, "csv", lambda head: _require_csv(head, record["name"]))
    svc.uploads.update(asset_id, stored)
    return {**record, **stored}


def delete_asset(svc: Services, asset_id: str) -> None:
    record = get_asset(svc, asset_id)
    svc.uploads.delete(asset_id)
    if record.get("path"):
        locate(record["path"]).unlink()


def publish_results(svc: Services, job: RunningJob) -> dict:
    """The completed result as the data asset the job names (its id is the job's): the result's `output_asset`
    {id, name}."""
    name = job.spec.output.asset
    if not name:
        return {}
    dest = svc.data.upload_file(job.id, "csv")
    with svc.data.result_file(job.id, job.spec.output.format).open() as source, atomic_file(dest) as out:
        output.write_watson_csv(source, job.spec.output.format, out)
    svc.uploads.save({"upload": job.id, "name": name, "description": f"results of job {job.id}",
                      "bytes": dest.size(), "format": "csv", "path": dest.url, "signature": secrets.token_hex(16),
                      "created_at": iso(),
                      "created_by": job.record.get("created_by") or ""})
    return {"output_asset": {"id": job.id, "name": name}}


def withdraw_results(svc: Services, job: RunningJob) -> None:
    """Remove the asset of a job that did not complete after all."""
    if job.spec.output.asset:
        svc.uploads.delete(job.id)
        svc.data.upload_file(job.id, "csv").unlink()


def _require_csv(head: bytes, name: str) -> None:
    """Parquet, gzip or binary bytes (a NUL in the first 4 KiB) are not the CSV text a data asset holds."""
    if head.startswith((PARQUET_MAGIC, GZIP_MAGIC)) or b"\0" in head:
        raise InvalidRequest(f"data asset {name!r} is not a CSV file: a data asset holds CSV text", field="file")
