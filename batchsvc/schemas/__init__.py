"""Request and response shapes of jobs and models: the handlers validate with these, answers are built from
them, and /openapi.json is made from them (schedule shapes live with scheduling: scheduling/schemas.py).

Core: imports only errors, status and pydantic.
"""

from batchsvc.schemas.common import (
                                     ErrorBody,
                                     ErrorResponse,
                                     Events,
                                     Health,
                                     Readiness,
                                     Strict,
                                     field_path,
                                     problems,
                                     summary,
)
from batchsvc.schemas.deployments import (
                                     DeploymentList,
                                     DeploymentLogs,
                                     DeploymentPatch,
                                     DeploymentRecord,
                                     DeploymentRequest,
                                     PredictionRequest,
                                     PredictionResponse,
                                     TokenRequest,
                                     TokenResponse,
)
from batchsvc.schemas.jobs import (
                                     AssetInput,
                                     JobInput,
                                     JobList,
                                     JobRecord,
                                     JobRequest,
                                     JobTemplate,
                                     ModelRef,
                                     NotifySpec,
                                     OutputSpec,
                                     Progress,
                                     RecordsInput,
                                     TableInput,
                                     UploadInput,
)
from batchsvc.schemas.models import AliasRequest, Model, ModelList, ModelSummary, ModelVersion, UploadRecord

__all__ = ["AliasRequest", "AssetInput", "DeploymentList", "DeploymentLogs", "DeploymentPatch", "DeploymentRecord",
           "DeploymentRequest", "ErrorBody", "ErrorResponse", "Events", "Health", "JobInput", "JobList", "JobRecord",
           "JobRequest", "JobTemplate", "Model", "ModelList", "ModelRef", "ModelSummary", "ModelVersion", "NotifySpec",
           "OutputSpec", "PredictionRequest", "PredictionResponse", "Progress", "Readiness", "RecordsInput",
           "Strict", "TableInput", "TokenRequest", "TokenResponse", "UploadInput", "UploadRecord", "field_path",
           "problems", "summary"]
