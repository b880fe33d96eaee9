"""Model shapes: a registered version, a model with its aliases, the model list, aliases, uploads."""

from typing import Literal

from pydantic import BaseModel, Field

from batchsvc.schemas.common import Strict


class AliasRequest(Strict):
    version: int = Field(gt=0)


class EngineRecord(BaseModel):
    """What compiling and verifying a fast engine for the version decided."""
    chosen: Literal["sklearn", "onnx"]
    candidate: str = "onnx"
    max_difference: float | None = None
    speedup: float | None = None
    refused_reason: str | None = None
    sample: dict = {}
    tolerance: float | None = None
    sha256: str | None = None
    seconds: float | None = None
    compiled_at: str | None = None


class InitError(BaseModel):
    """Why a code version cannot start (its user's traceback stays in the record and the job's events)."""
    message: str
    at: str


class ModelVersion(BaseModel):
    name: str
    version: int
    sha256: str
    task: Literal["classification", "regression", "custom"]
    features: list[str]
    classes: list | None
    created_at: str
    description: str = ""
    tags: list[str] = []
    engine: EngineRecord | None = None
    numeric_features: list[str] = []
    categories: dict[str, list] = Field({}, description="each encoded feature's categories, as the model knows them")
    sample: dict = Field({}, description="a typical row (first categories, training means): a form's starting point")
    kind: Literal["sklearn", "code"] = Field("sklearn", description="a joblib estimator, or a zip with score.py")
    outputs: list[str] = Field([], description="a code model's output columns, as its manifest declares them")
    requirements: list[str] = Field([], description="a code model's requirements, checked at registration")
    state: Literal["ready", "failed"] = Field("ready", description="failed: a code version's init() raised")
    init_error: InitError | None = None
    baseline: dict | None = Field(None, description="the drift baseline: per feature its type, missing share, "
                                  "quantiles or category frequencies, and the rows it was made of (docs/drift.md)")


class Model(BaseModel):
    name: str
    latest_version: int
    aliases: dict[str, int]
    versions: list[ModelVersion]
    drift_alert: "DriftAlert | None" = None


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


class DriftAlert(Strict):
    """A model's drift thresholds: a job whose input has a feature with PSI above `psi` is marked drifted."""
    psi: float = Field(0.2, gt=0, le=10, description="population stability index above which a feature drifted")


Model.model_rebuild()
