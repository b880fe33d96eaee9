"""Schedule shapes: the request (crontab or interval, timezone, job template), a change, the record."""

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, field_validator

from batchsvc.names import SCHEDULE_NAME
from batchsvc.scheduling.crontab import CrontabTrigger
from batchsvc.schemas import JobTemplate, Strict


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

    @classmethod
    def from_stored(cls, record: dict) -> "ScheduleRecord":
        """A stored schedule (its definition and run state) in the shape the API shows."""
        flat = {**record, **record["definition"]}
        fields: dict[str, Any] = {name: flat.get(name) for name in cls.model_fields}
        hook = (fields["job"] or {}).get("notify")
        if hook:  # a hook's secret is never shown again
            fields["job"] = {**fields["job"], "notify": {k: v for k, v in hook.items() if k != "secret"}}
        return cls(**fields)


class ScheduleList(BaseModel):
    schedules: list[ScheduleRecord]
