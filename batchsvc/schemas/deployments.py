"""Deployment, online prediction and token shapes: requests the handlers validate, answers they build."""

from typing import Any, Literal

from pydantic import BaseModel, Field

from batchsvc.names import name_pattern
from batchsvc.schemas.common import Strict
from batchsvc.schemas.jobs import ModelRef, TableInput

MODEL_REF = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}(@[A-Za-z0-9][A-Za-z0-9_.-]{0,63})?$"  # name, name@3, name@alias
Engine = Literal["auto", "sklearn"]
LABEL_FIELD = r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$"  # a column name: predictedLabel, prediction


class Limits(Strict):
    """Online limits per API process; each one left out is the server's BATCHSVC_ONLINE_* setting."""
    max_concurrency: int | None = Field(None, strict=True, ge=1, le=10_000,
                                        description="requests scoring at once")
    max_queue: int | None = Field(None, strict=True, ge=0, le=100_000,
                                  description="requests waiting for a slot; past it 429 with Retry-After, at once")
    timeout_ms: int | None = Field(None, strict=True, ge=1, le=3_600_000,
                                   description="milliseconds for waiting and scoring together; past it 504")


class DeploymentRequest(Strict):
    """A stable name and scoring URL over a model reference (an alias under it is followed per request)."""
    name: str = Field(pattern=name_pattern(), examples=["credit-risk-online"])
    model: str = Field(pattern=MODEL_REF, examples=["credit-risk@production"])
    description: str = Field("", max_length=2000)
    engine: Engine | None = Field(None, description="sklearn forces the exact path; auto (default) lets a "
                                                    "verified compiled engine serve")
    label_field: str = Field("prediction", pattern=LABEL_FIELD, description="the label column's name in its "
                             "answers: predictedLabel, as Watson ML answers for Spark pipelines (the lab's app)")
    limits: Limits | None = None
    capture: "Capture | None" = None


class DeploymentPatch(Strict):
    """Fields to change: point the deployment at another model reference, or describe it."""
    model: str | None = Field(None, pattern=MODEL_REF)
    description: str | None = Field(None, max_length=2000)
    engine: Engine | None = None
    label_field: str | None = Field(None, pattern=LABEL_FIELD)
    limits: Limits | None = Field(None, description="replaces the limits whole; null: the server's defaults")
    capture: "Capture | None" = Field(None, description="replaces the capture setting; null: capture nothing")


class Counters(BaseModel):
    requests: int
    rows: int
    errors: int


class DeploymentRecord(BaseModel):
    name: str
    id: str = Field(description="a UUID: what Watson ML calls the deployment id")
    model: str = Field(description="the model reference it serves, resolved on every request")
    description: str
    engine: str | None
    label_field: str = Field("prediction", description="the label column's name in its answers")
    limits: Limits | None = Field(None, description="its own limits; those left out are the server's")
    capture: "Capture | None" = Field(None, description="the share of requests captured (GET .../captures)")
    state: Literal["ready", "failed"] = Field(description="ready once its model loads and passes its checksum")
    reason: str | None = Field(None, description="why the state is failed")
    serving: ModelRef | None = Field(description="the model version the reference names now")
    scoring_url: str
    scoring_uri: str | None = Field(None, description="Azure ML's scoring URI: POST /api/v1/service/{name}/score")
    created_at: str
    updated_at: str
    created_by: str | None = None
    counters: Counters


class DeploymentList(BaseModel):
    deployments: list[DeploymentRecord]


class LogEntry(BaseModel):
    time: str
    rows: int
    ms: float
    status: int
    version: int | None = None
    engine: str | None = None
    error: str | None = None
    traceback: str | None = Field(None, description="a code model's error: its traceback (the last 8,000 characters)")
    output: str | None = Field(None, description="what a code model's init printed, with the first request a process "
                                                 "answers with it")


class DeploymentLogs(BaseModel):
    logs: list[LogEntry] = Field(description="the most recent requests, newest first")


class PredictionInput(TableInput):
    """One entry of Watson ML's input_data; each is answered by one entry of predictions, in order."""
    id: str | None = Field(None, max_length=200)


class PredictionRequest(Strict):
    """Exactly one of input_data (Watson ML's body) or records."""
    input_data: list[PredictionInput] | None = Field(None, min_length=1)
    records: list[dict[str, Any]] | None = Field(None, min_length=1)


class PredictionTable(BaseModel):
    fields: list[str] = Field(examples=[["prediction", "probability"]])
    values: list[list[Any]]


class PredictionResponse(BaseModel):
    predictions: list[PredictionTable]


class TokenRequest(Strict):
    """The API key to exchange; without a body, the key the request presents."""
    api_key: str | None = Field(None, min_length=1, max_length=200)


class TokenResponse(BaseModel):
    token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="seconds")
    expires_at: str


class Capture(Strict):
    """Sampled requests and answers kept as Parquet files in the data dir (docs/captures.md)."""
    percent: float = Field(strict=True, ge=0, le=100, examples=[10],
                           description="the share of requests captured, each drawn independently; 0 captures none")


for _model in (DeploymentRequest, DeploymentPatch, DeploymentRecord):  # their capture field names Capture
    _model.model_rebuild()
