"""Job shapes: the inputs a request may carry, the job request, and the job record the API answers with."""

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, Discriminator, Field, Tag, field_validator

from batchsvc.schemas.common import INPUT_KINDS, Strict
from batchsvc.status import JobStatus


class TableInput(Strict):
    """Watson ML's inline shape; without `fields` the values follow the model's feature order."""
    fields: list[str] | None = Field(None, min_length=1)
    values: list[list[Any]] = Field(min_length=1)


class RecordsInput(Strict):
    records: list[dict[str, Any]] = Field(min_length=1)


def _encoding():
    return Field(None, min_length=1, max_length=40, examples=["latin-1"],
                 description="a CSV's text encoding, ASCII-compatible (latin-1, cp1252, ...); UTF-8 when left out")


class AssetInput(Strict):
    path: str = Field(min_length=1, max_length=4096)
    format: Literal["csv", "parquet"] | None = None
    encoding: str | None = _encoding()


class UploadInput(Strict):
    upload: str = Field(pattern=r"^[0-9a-f]{32}$")
    encoding: str | None = _encoding()


def _input_kind(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        value = value.model_dump(exclude_none=True)
    if not isinstance(value, dict):
        return None
    kinds = [INPUT_KINDS[k] for k in value if k in INPUT_KINDS]
    return kinds[0] if len(kinds) == 1 else None


JobInput = Annotated[
    Union[Annotated[TableInput, Tag("table")], Annotated[RecordsInput, Tag("records")],
          Annotated[AssetInput, Tag("asset")], Annotated[UploadInput, Tag("upload")]],
    Discriminator(_input_kind, custom_error_type="input_kind",
                  custom_error_message="input must have exactly one of: values (with optional fields), "
                                       "records, path, upload"),
]


class OutputSpec(Strict):
    format: Literal["parquet", "csv", "jsonl"] | None = None
    passthrough: list[str] = Field(default_factory=list, description='input columns to copy; "*" for all')
    path: str | None = Field(None, description="a folder or s3:// prefix under a data root that receives the "
                                               "completed result as predictions.<format> (and errors.jsonl)")
    asset: str | None = Field(None, min_length=1, max_length=200,
                              description="a data asset (a named upload) that receives the completed result as CSV: "
                                          "the passed-through columns, prediction, probability (Watson ML's rows)")

    @field_validator("passthrough", mode="before")
    @classmethod
    def _one_column(cls, value: Any) -> Any:
        """A bare string ("*", as design.md writes it, or one column) is a list of one."""
        return [value] if isinstance(value, str) else value


HookEvent = Literal["completed", "failed", "canceled", "drift"]  # drift: see docs/drift.md


def _default_events() -> list[HookEvent]:
    return ["completed", "failed"]


class NotifySpec(Strict):
    """A webhook: a signed JSON POST of the job's record when it ends in one of `events` (see docs/notify.md)."""
    url: str = Field(min_length=8, max_length=2000, pattern=r"^https?://", examples=["https://hooks.example.com/jobs"])
    events: list[HookEvent] = Field(default_factory=_default_events, min_length=1)
    secret: str | None = Field(None, min_length=16, max_length=200, description="HMAC-SHA256 key of the "
                               "batchsvc-signature header; never shown again")


class JobTemplate(Strict):
    """A job request without an idempotency key: what a schedule submits at each fire time.

    Exactly one of model and deployment (a deployment is resolved at submit to the version it serves)."""
    model: str | None = Field(None, min_length=1, max_length=200, examples=["credit-risk@production"])
    deployment: str | None = Field(None, min_length=1, max_length=200, examples=["credit-risk-online"])
    input: JobInput
    output: OutputSpec = Field(default_factory=OutputSpec)
    chunk_size: int | None = Field(None, gt=0, le=10_000_000)
    max_bad_rows: int = Field(0, ge=0)
    name: str | None = Field(None, max_length=200)
    engine: Literal["auto", "sklearn"] = Field(
        "auto", description="auto: the version's fastest verified engine; sklearn: the exact scikit-learn path")
    notify: NotifySpec | None = None
    capture: bool = Field(False, description="keep a sample of the scored rows with their outputs as Parquet "
                          "captures under captures/jobs/<id>/ in the data dir (docs/captures.md)")


class JobRequest(JobTemplate):
    idempotency_key: str | None = Field(None, min_length=1, max_length=200)


class ModelRef(BaseModel):
    name: str
    version: int


class Progress(BaseModel):
    rows_done: int
    rows_total: int | None
    chunks_done: int
    chunks_total: int | None


class JobRecord(BaseModel):
    id: str
    name: str | None
    status: JobStatus
    model: ModelRef
    deployment: str | None = Field(None, description="the deployment the job named, if it named one")
    progress: Progress
    created_at: str
    started_at: str | None
    finished_at: str | None
    error: dict | None
    result: dict | None
    schedule_id: str | None
    attempts: int
    engine: str | None = Field(None, description="the engine chosen at submit (each chunk's event names its own)")
    created_by: str | None = Field(None, description="the name of the API key that submitted it")
    notify: dict | None = Field(None, description="the job's webhook: url and events (its secret is never shown)")
    input: dict | None = Field(None, description="where its rows come from: {kind: file, path, format, files} "
                                                 "(files: how many, for a folder or glob), {kind: upload, upload, "
                                                 "format} or {kind: inline, rows}")
    capture: bool = Field(False, description="whether a sample of its scored rows is captured")

    @classmethod
    def from_stored(cls, job: dict) -> "JobRecord":
        """A job as Redis holds it, in the shape the API shows."""
        progress = Progress(rows_done=job["rows_done"], rows_total=job.get("rows_total"),
                            chunks_done=job["chunks_done"], chunks_total=job.get("chunks_total"))
        fields: dict[str, Any] = {name: job.get(name) for name in cls.model_fields if name not in ("progress", "input")}
        hook = (job.get("spec") or {}).get("notify")
        fields["notify"] = hook and {"url": hook["url"], "events": hook["events"]}
        fields["capture"] = bool((job.get("spec") or {}).get("capture"))
        return cls(progress=progress, input=input_summary((job.get("spec") or {}).get("input")), **fields)


def input_summary(source: dict | None) -> dict | None:
    """A stored spec's input as the record shows it: never an upload's server path, nor inline rows themselves."""
    if not source:
        return None
    if source.get("kind") == "file":
        if source.get("upload"):
            return {"kind": "upload", "upload": source["upload"], "format": source["format"]}
        files = source.get("files")
        return {"kind": "file", "path": source["path"], "format": source["format"],
                "files": len(files) if files is not None else None}
    return {"kind": "inline", "rows": len(source.get("values") or source.get("records") or [])}


class JobList(BaseModel):
    jobs: list[JobRecord]
    next_cursor: str | None


class JobProfile(BaseModel):
    """A job's input profile against its version's baseline (docs/drift.md); partial while the job runs."""
    job_id: str
    model: ModelRef
    status: JobStatus
    complete: bool = Field(description="every chunk is counted: the profile covers the whole input")
    rows: int
    thresholds: dict = Field(description="the model's drift thresholds the features were judged by")
    judged: bool = Field(True, description="false: too few rows (under 100) to call any feature drifted; the "
                                           "figures are shown all the same")
    features: dict = Field(description="per feature: psi, unseen_share, missing_share, drifted (and unseen: the "
                                       "most frequent categories the baseline never saw)")
    drifted: list[str] = Field(description="the features whose PSI is above the threshold")
    profile: dict = Field(description="the merged counts in the baseline's bins")
