"""Request and response shapes: the handlers validate with these and /openapi.json is made from them."""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Union
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator

from batchsvc.scheduling.crontab import CrontabTrigger

INPUT_KINDS = {"values": "table", "records": "records", "path": "asset", "upload": "upload"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TableInput(Strict):
    """Watson ML's inline shape; without `fields` the values follow the model's feature order."""
    fields: list[str] | None = Field(None, min_length=1)
    values: list[list[Any]] = Field(min_length=1)


class RecordsInput(Strict):
    records: list[dict[str, Any]] = Field(min_length=1)


class AssetInput(Strict):
    path: str = Field(min_length=1, max_length=4096)
    format: Literal["csv", "parquet"] | None = None


class UploadInput(Strict):
    upload: str = Field(pattern=r"^[0-9a-f]{32}$")


def field_path(loc) -> str:
    """A pydantic error location as the request's own path: input.values.0, not input.table.values.0."""
    return ".".join(str(part) for part in loc if part not in INPUT_KINDS.values())


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
    passthrough: list[str] = Field(default_factory=list)


class JobTemplate(Strict):
    """A job request without an idempotency key: what a schedule submits at each fire time."""
    model: str = Field(min_length=1, max_length=200, examples=["credit-risk@production"])
    input: JobInput
    output: OutputSpec = Field(default_factory=OutputSpec)
    chunk_size: int | None = Field(None, gt=0, le=10_000_000)
    max_bad_rows: int = Field(0, ge=0)
    name: str | None = Field(None, max_length=200)


class JobRequest(JobTemplate):
    idempotency_key: str | None = Field(None, min_length=1, max_length=200)


def _check_cron(value: str | None) -> str | None:
    """A crontab string that CrontabTrigger can read (the error names the bad field)."""
    if value is not None:
        CrontabTrigger(value, UTC)
    return value


def _check_timezone(value: str | None) -> str | None:
    if value is not None:
        try:
            ZoneInfo(value)
        except (KeyError, ValueError):
            raise ValueError(f"unknown timezone {value!r}; use an IANA name such as UTC or Europe/Berlin") from None
    return value


SCHEDULE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"


class ScheduleRequest(Strict):
    """A schedule: a 5-field crontab string or interval_s, in a timezone, and the job it submits."""
    name: str = Field(pattern=SCHEDULE_NAME, examples=["nightly-credit"])
    cron: str | None = Field(None, max_length=200, examples=["0 2 * * *"])
    interval_s: int | None = Field(None, gt=0, le=366 * 86400)
    timezone: str = Field("UTC", max_length=100, examples=["Europe/Berlin"])
    start_at: datetime | None = None
    end_at: datetime | None = None
    enabled: bool = True
    job: JobTemplate

    _cron = field_validator("cron")(_check_cron)
    _timezone = field_validator("timezone")(_check_timezone)


class SchedulePatch(Strict):
    """Fields to change; a field set to null is cleared (e.g. cron: null with interval_s: 60)."""
    name: str | None = Field(None, pattern=SCHEDULE_NAME)
    cron: str | None = Field(None, max_length=200)
    interval_s: int | None = Field(None, gt=0, le=366 * 86400)
    timezone: str | None = Field(None, max_length=100)
    start_at: datetime | None = None
    end_at: datetime | None = None
    enabled: bool | None = None
    job: JobTemplate | None = None

    _cron = field_validator("cron")(_check_cron)
    _timezone = field_validator("timezone")(_check_timezone)


class AliasRequest(Strict):
    version: int = Field(gt=0)


class ErrorBody(BaseModel):
    type: str
    message: str
    field: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


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
    status: Literal["queued", "running", "completed", "failed", "canceled"]
    model: ModelRef
    progress: Progress
    created_at: str
    started_at: str | None
    finished_at: str | None
    error: dict | None
    result: dict | None
    schedule_id: str | None
    attempts: int
    created_by: str | None = Field(None, description="the name of the API key that submitted it")


class JobList(BaseModel):
    jobs: list[JobRecord]
    next_cursor: str | None


class ModelVersion(BaseModel):
    name: str
    version: int
    sha256: str
    task: Literal["classification", "regression"]
    features: list[str]
    classes: list | None
    created_at: str
    description: str = ""
    tags: list[str] = []


class Model(BaseModel):
    name: str
    latest_version: int
    aliases: dict[str, int]
    versions: list[ModelVersion]


class ModelSummary(BaseModel):
    name: str
    latest_version: int
    task: str
    aliases: dict[str, int]
    versions: int
    updated_at: str


class ModelList(BaseModel):
    models: list[ModelSummary]


class UploadRecord(BaseModel):
    upload: str
    bytes: int
    format: Literal["csv", "parquet"]


class ScheduleRecord(BaseModel):
    id: str
    name: str
    cron: str | None
    interval_s: int | None
    timezone: str
    start_at: str | None
    end_at: str | None
    enabled: bool
    job: dict
    next_run_at: str | None
    last_run_at: str | None
    last_job_id: str | None
    last_error: dict | None
    created_at: str
    updated_at: str
    source: str = Field(examples=["api", "file:nightly-credit-risk.yaml"])
    created_by: str | None = Field(None, description="the API key name (or file) that created it")


class ScheduleList(BaseModel):
    schedules: list[ScheduleRecord]


class Events(BaseModel):
    events: list[dict]


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    """200 when Redis answers; a 503 carries `error` too, like every other error answer."""
    status: Literal["ok", "unavailable"]
    redis: str
    workers: int | None = Field(None, description="worker processes with a heartbeat in the last 10 s")
