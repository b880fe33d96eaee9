"""Accepting a job: check the request against the model and the files, then store and enqueue it."""

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Literal, Protocol, runtime_checkable

from redis.client import Pipeline

from batchsvc.errors import Conflict, InvalidRequest, JobNotFound, SchemaError
from batchsvc.jobs.limits import check_inline_size
from batchsvc.jobs.notify import check_hook, notify_on
from batchsvc.jobs.spec import FileSpec, InputSpec, JobSpec, OutputSpec, RecordsSpec, TableSpec
from batchsvc.jobs.uploads import get_upload
from batchsvc.schemas import AssetInput, JobRequest, JobTemplate, RecordsInput, TableInput, UploadInput
from batchsvc.scoring.csvparse import check_encoding
from batchsvc.scoring.engines import choose
from batchsvc.scoring.filesets import SOURCE_FILE_COLUMN
from batchsvc.scoring.prepare import match_fields, require_columns, require_unique
from batchsvc.scoring.sources import header_columns
from batchsvc.storage.files import infer_format, input_files, is_pattern, resolve_input, source_url
from batchsvc.storage.jobs import new_job_id
from batchsvc.storage.models import model_info
from batchsvc.storage.services import Services

CLAIM_ATTEMPTS = 3
UNKNOWN_NAMED = 10  # fields matching no feature named in a lacking-features error, at most


@runtime_checkable
class StoreAndSend(Protocol):
    """An enqueue that can also queue the job's message on the transaction that stores the job."""

    def __call__(self, job_id: str) -> object: ...

    def queue_on(self, pipe: Pipeline, job_id: str) -> None: ...


def submit_job(svc: Services, request: JobRequest, enqueue: Callable[[str], object], *,
               schedule_id: str | None = None, created_by: str | None = None) -> tuple[dict, bool]:
    """Validate, store and enqueue a job; returns (record, created).

    A job without an idempotency key is stored with its message in one transaction when `enqueue` can
    (StoreAndSend); a keyed one is stored, its key claimed, then sent. A repeated key returns the first job."""
    meta, spec = check_request(svc, request)
    fields = {"id": new_job_id(), "name": request.name, "model": {"name": meta["name"], "version": meta["version"]},
              "model_ref": meta["ref"], "deployment": request.deployment,
              "engine": choose(meta.get("engine"), spec.engine),
              "spec": spec.model_dump(mode="json", exclude_none=True), "schedule_id": schedule_id,
              "created_by": created_by, "notify_on": notify_on(spec)}
    if isinstance(enqueue, StoreAndSend) and not request.idempotency_key:
        return _store_and_send(svc, fields, enqueue, request), True
    record = svc.store.create(fields)
    job_id = record["id"]
    try:  # the key is claimed after the record exists, so a claimed key always names a job
        key = request.idempotency_key
        first = _claim_key(svc, request, key, job_id, created_by) if key else None
        if first is None:
            enqueue(job_id)
    except Exception:
        _withdraw(svc, job_id, request, created_by)  # never enqueued: no orphan stays queued
        raise
    if first is not None:
        svc.store.delete(job_id)
        return first, False
    svc.store.mark_sent(job_id)  # if this fails, the sweeper sends it again: a harmless duplicate plan
    return record, True


def _store_and_send(svc: Services, fields: dict, send: StoreAndSend, request: JobRequest) -> dict:
    """The job and its message in one transaction. Redis does not roll a transaction back when a command fails
    in it (the enqueue script), so a job whose transaction failed is withdrawn, as one that could not be sent."""
    try:
        return svc.store.create(fields, then=lambda pipe: send.queue_on(pipe, fields["id"]))
    except Exception:
        _withdraw(svc, fields["id"], request, None)
        raise


def request_of(job: dict) -> JobRequest:
    """A stored job's spec as a new request: the same model version, input, output and limits."""
    spec = JobSpec.model_validate(job["spec"])
    source = spec.input
    if isinstance(source, FileSpec):
        given: dict = {"upload": source.upload} if source.upload else {"path": source.path, "format": source.format}
    else:
        given = source.model_dump(exclude={"kind"})
    model = job["model"]
    return JobRequest.model_validate({
        "model": f"{model['name']}@{model['version']}", "input": given, "name": job.get("name"),
        "output": spec.output.model_dump(), "chunk_size": spec.chunk_size, "max_bad_rows": spec.max_bad_rows,
        "notify": spec.notify and spec.notify.model_dump(exclude_none=True), "capture": spec.capture})


def _withdraw(svc: Services, job_id: str, request: JobRequest, owner: str | None) -> None:
    """Remove a job that was stored but not enqueued, and its key if it holds it; best effort (Redis may be down)."""
    try:
        svc.store.delete(job_id)
        if request.idempotency_key:
            svc.idempotency.release(request.idempotency_key, owner, job_id)
    except Exception:
        pass


def check_request(svc: Services, request: JobTemplate, *, must_exist: bool = True) -> tuple[dict, JobSpec]:
    """The model version a request resolves to and the job spec, as submit checks them; must_exist=False
    lets an input file be missing yet (a schedule's path for a future date), but not outside the data roots.
    A deployment named instead of a model is resolved now to the version it serves."""
    ref = model_ref(svc, request)
    meta = {**svc.registry.resolve(ref), "ref": ref}
    spec = JobSpec(input=_check_input(svc, request, meta, must_exist), output=_output(svc, request),
                   chunk_size=request.chunk_size, max_bad_rows=request.max_bad_rows, engine=request.engine,
                   notify=check_hook(svc.settings, request.notify), capture=request.capture)
    return meta, spec


def model_ref(svc: Services, request: JobTemplate) -> str:
    """The model reference the request names, itself or through its deployment (exactly one of the two)."""
    if (request.model is None) == (request.deployment is None):
        raise InvalidRequest("name exactly one of model (a reference such as credit-risk@production) or "
                             "deployment", field="model" if request.model is None else "deployment")
    return request.model or svc.deployments.spec(str(request.deployment))["model"]


def _claim_key(svc: Services, request: JobRequest, key: str, job_id: str, owner: str | None) -> dict | None:
    """Bind the request's key to this body and job; for a repeat, the first job (409 if the body differs)."""
    body = request.model_dump(mode="json", exclude={"idempotency_key"})
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    store = svc.idempotency
    for _ in range(CLAIM_ATTEMPTS):
        if store.claim(key, owner, job_id, digest):
            return None
        held = store.holder(key, owner)
        if held is None:
            continue  # expired between the two calls: claim again
        first_id, first_digest = held
        if first_digest != digest:
            raise Conflict("idempotency key was already used with a different request body; use a new key",
                           field="idempotency_key")
        try:
            return svc.store.get(first_id)
        except JobNotFound:  # the first job was deleted since: this one takes the key
            store.forget(key, owner)
    store.take(key, owner, job_id, digest)
    return None


def _output(svc: Services, request: JobTemplate) -> OutputSpec:
    """Inline jobs default to JSON lines, files to Parquet; output.path must lie inside a data root."""
    fmt = request.output.format or ("jsonl" if isinstance(request.input, (TableInput, RecordsInput)) else "parquet")
    path = request.output.path
    if path and is_pattern(path):
        raise InvalidRequest("output.path names a folder or prefix, not a pattern", field="output.path")
    where = path and resolve_input(path, svc.settings.roots, svc.data.managed(), field="output.path").url
    return OutputSpec(format=fmt, passthrough=request.output.passthrough, path=where or None,
                      asset=request.output.asset)


def _check_input(svc: Services, request: JobTemplate, meta: dict, must_exist: bool = True) -> InputSpec:
    source = request.input
    if isinstance(source, AssetInput):
        where = resolve_input(source.path, svc.settings.roots, managed=svc.data.managed())
        files = input_files(source.path, where) if must_exist else None
        fmt = _format(source.format, [f.name for f, _ in files] if files else [where.name])
        spec = FileSpec(path=source_url(source.path, where), format=fmt, encoding=_encoding(source.encoding, fmt),
                        files=None if files is None else [(f.url, size) for f, size in _of_format(files, fmt)],
                        size_bytes=where.size() if must_exist and files is None else None)
        return _check_header(spec, request.output.passthrough, must_exist)
    if isinstance(source, UploadInput):
        upload = get_upload(svc, source.upload)
        spec = FileSpec(path=upload["path"], format=upload["format"], upload=source.upload, size_bytes=upload["bytes"],
                        encoding=_encoding(source.encoding, upload["format"]))
        return _check_header(spec, request.output.passthrough)
    return check_inline(svc, source, meta, request.output.passthrough)


def _format(given: Literal["csv", "parquet"] | None, names: list[str]) -> Literal["csv", "parquet"]:
    """The input's format: as given, else from its file names, which must agree."""
    if given is not None:
        return given
    found = {n: infer_format(n) for n in names}
    formats = set(found.values())
    fmt = formats.pop() if len(formats) == 1 else None
    if fmt is None and len(names) == 1:
        raise InvalidRequest(f"cannot tell the format of {names[0]!r}; set input.format to csv or parquet",
                             field="input.format")
    if fmt is None:
        named = ", ".join(f"{n} ({f or 'unknown'})" for n, f in list(found.items())[:5])
        raise InvalidRequest(f"cannot tell one format from the input's file names: {named}; set input.format to "
                             "csv or parquet (a folder job reads one format)", field="input.format")
    return fmt


def _of_format(files: list, fmt: str) -> list:
    """A folder's files of the job's format (a folder may hold others); a glob's matches are all kept."""
    kept = [f for f in files if infer_format(f[0].name) in (fmt, None)]
    return kept or files


def _encoding(name: str | None, fmt: str) -> str | None:
    """The codec a CSV input is read with (None: UTF-8); refused for Parquet, and for an encoding whose bytes
    chunks cannot be cut at newlines in."""
    if name is None:
        return None
    if fmt != "csv":
        raise InvalidRequest("input.encoding applies to CSV input only; Parquet text is always UTF-8",
                             field="input.encoding")
    try:
        return check_encoding(name)
    except ValueError as exc:
        raise InvalidRequest(str(exc), field="input.encoding") from None


def _check_header(spec: FileSpec, passthrough: list[str], must_exist: bool = True) -> FileSpec:
    """Refuse passthrough columns the file's header lacks (an unreadable file fails as a job, with its error)."""
    wanted = [c for c in passthrough if c not in ("*", SOURCE_FILE_COLUMN)]
    if not wanted or not must_exist:
        return spec
    columns = header_columns(spec.source())
    lacking = [c for c in wanted if columns is not None and c not in columns]
    if lacking:
        raise InvalidRequest(f"the input file has no column {', '.join(map(repr, lacking))} to pass through; "
                             f"its columns are: {', '.join(columns or [])}", field="output.passthrough")
    return spec


def check_inline(svc: Services, source: TableInput | RecordsInput, meta: dict, passthrough: list[str],
                 where: str = "input.") -> TableSpec | RecordsSpec:
    """Inline rows checked against their limits and the model's features (422 naming the field); `where`
    prefixes field paths (online requests: input_data.0. or nothing)."""
    check_inline_size(source, svc.settings, where)
    info = model_info(meta)
    if isinstance(source, RecordsInput):
        columns = set().union(*(r.keys() for r in source.records))
        _require(columns, info, passthrough, _whole(where))
        return RecordsSpec(records=source.records)
    fields = source.fields or info.features
    for i, row in enumerate(source.values):
        if len(row) != len(fields):
            raise InvalidRequest(f"{where}values[{i}] has {len(row)} values but there are {len(fields)} fields",
                                 field=f"{where}values.{i}")
    with _refused(f"{where}fields"):
        require_unique(fields)
        fields = match_fields(fields, info.features)
        require_unique(fields)  # AGE and age both read Age
    unknown = [f for f in fields if f not in info.features and f not in passthrough]
    _require(fields, info, passthrough, _whole(where), unknown)
    return TableSpec(fields=fields, values=source.values)


def _whole(where: str) -> str:
    """The field that names the whole inline input: input, input_data.0, or records for a records body."""
    return where.rstrip(".") or "records"


def _require(columns, info, passthrough, field: str, unknown: list[str] | None = None) -> None:
    """The features and passthrough columns present, else a 422 naming the lacking ones (and the given fields
    that match no feature, as likely misspellings of them)."""
    with _refused(field):
        try:
            require_columns(columns, info, passthrough)
        except SchemaError as exc:
            if unknown and exc.details.get("field") is None:
                exc.message += f" (fields matching no feature: {', '.join(unknown[:UNKNOWN_NAMED])})"
            raise


@contextlib.contextmanager
def _refused(field: str) -> Iterator[None]:
    """A SchemaError found at submit as a 422 naming the request field (its own, else `field`)."""
    try:
        yield
    except SchemaError as exc:
        raise InvalidRequest(exc.message, field=exc.details.get("field", field)) from None
