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


class Capture(Strict):
    """Sampled requests and answers kept as Parquet files in the data dir (docs/captures.md)."""
    percent: float = Field(strict=True, ge=0, le=100, examples=[10],
                           description="the share of requests captured, each drawn independently; 0 captures none")


class Shadow(Strict):
    """A version that scores a share of the requests off the request path, compared with the answers given."""
    model: str = Field(pattern=MODEL_REF, examples=["credit-risk@5"])
    percent: int = Field(100, strict=True, ge=1, le=100, description="the share of requests shadowed")


TRAFFIC_DOC = ("model references and integer weights summing to 100, e.g. {\"credit-risk@3\": 90, \"credit-risk@4\": "
               "10}: each request goes to one of them by weight; `model` then shows the heaviest")


class Batching(Strict):
    """Adaptive batching: concurrent requests for one model version scored in one engine call (off when absent)."""
    max_batch_size: int = Field(32, strict=True, ge=1, le=4_096, description="rows in one engine call at most")
    max_wait_us: int = Field(500, strict=True, ge=0, le=100_000,
                             description="microseconds a request may wait for others to join its batch")


class DeploymentRequest(Strict):
    """A stable name and scoring URL over a model reference (an alias under it is followed per request), or over
    a traffic split between several; optionally a shadow."""
    name: str = Field(pattern=name_pattern(), examples=["credit-risk-online"])
    model: str | None = Field(None, pattern=MODEL_REF, examples=["credit-risk@production"],
                              description="the one reference it serves; give this or traffic")
    traffic: dict[str, int] | None = Field(None, description=TRAFFIC_DOC)
    shadow: Shadow | None = None
    description: str = Field("", max_length=2000)
    engine: Engine | None = Field(None, description="sklearn forces the exact path; auto (default) lets a "
                                                    "verified compiled engine serve")
    label_field: str = Field("prediction", pattern=LABEL_FIELD, description="the label column's name in its "
                             "answers: predictedLabel, as Watson ML answers for Spark pipelines (the lab's app)")
    limits: Limits | None = None
    capture: Capture | None = None
    batching: Batching | None = Field(None, description="off unless given")


class DeploymentPatch(Strict):
    """Fields to change: point the deployment at another model reference, or describe it."""
    model: str | None = Field(None, pattern=MODEL_REF)
    description: str | None = Field(None, max_length=2000)
    engine: Engine | None = None
    label_field: str | None = Field(None, pattern=LABEL_FIELD)
    limits: Limits | None = Field(None, description="replaces the limits whole; null: the server's defaults")
    capture: Capture | None = Field(None, description="replaces the capture setting; null: capture nothing")
    traffic: dict[str, int] | None = Field(None, description=TRAFFIC_DOC + "; a new model clears it, null too")
    shadow: Shadow | None = Field(None, description="null: no shadow")
    batching: Batching | None = Field(None, description="replaces the batching settings whole; null: off")


class Counters(BaseModel):
    requests: int
    rows: int
    errors: int


class DeploymentRecord(BaseModel):
    name: str
    id: str = Field(description="a UUID: what Watson ML calls the deployment id")
    model: str = Field(description="the model reference it serves, resolved on every request (with a traffic "
                                   "split: the heaviest reference)")
    traffic: dict[str, int] | None = Field(None, description="its split between references, when it has one")
    shadow: Shadow | None = None
    description: str
    engine: str | None
    label_field: str = Field("prediction", description="the label column's name in its answers")
    limits: Limits | None = Field(None, description="its own limits; those left out are the server's")
    capture: Capture | None = Field(None, description="the share of requests captured (GET .../captures)")
    batching: Batching | None = Field(None, description="its batching settings; null: off")
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
    batch: int | None = Field(None, description="requests scored together in its engine call (batching on)")


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


class Change(BaseModel):
    from_: Any = Field(None, alias="from")
    to: Any = None


class HistoryEntry(BaseModel):
    time: str
    by: str | None = Field(None, description="the principal that made the change")
    changes: dict[str, Change] = Field(description="each field changed: its value before and after")


class DeploymentHistoryList(BaseModel):
    history: list[HistoryEntry] = Field(description="every change made by PATCH, newest first")


class DeltaP(BaseModel):
    mean: float
    max: float


class LatencyMs(BaseModel):
    mean: float
    max: float | None


class ShadowComparison(BaseModel):
    model: str | None = Field(description="the shadow reference compared (null: no shadow)")
    percent: int | None
    requests: int = Field(description="requests the shadow scored or failed")
    compared: int = Field(description="requests both answered")
    rows: int = Field(description="rows both answered")
    errors: int = Field(description="requests the shadow failed on (the answer was not affected)")
    dropped: int = Field(description="requests not shadowed because the shadow pool was full")
    label_agreement: float | None = Field(description="the share of rows whose labels are equal")
    abs_delta_p: dict[str, DeltaP] = Field(description="per class: mean and max |p(primary) - p(shadow)| over rows")
    latency_ms: LatencyMs | None = Field(description="the shadow's scoring time")
