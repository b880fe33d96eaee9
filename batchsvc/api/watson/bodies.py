"""The request bodies of the Watson ML routes, and how a deployment job's scoring becomes a native job input."""

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from batchsvc.errors import InvalidRequest
from batchsvc.names import NAME_MAX_CHARS
from batchsvc.schemas import AssetInput, OutputSpec, TableInput, UploadInput
from batchsvc.schemas.common import Strict

UPLOAD_HREF = re.compile(r"^(?:.*/)?v2/assets/([0-9a-fA-F-]{32,36})(?:\?.*)?$")  # /v2/assets/<upload id>?space_id=
ASSET_ID = re.compile(r"^([0-9a-fA-F-]{32,36})$")


class Lenient(BaseModel):
    """Watson ML bodies carry keys batchsvc does not use (space_id, hardware_spec, ...): ignored, not refused."""
    model_config = ConfigDict(extra="ignore")


class InputTable(Strict):
    id: str | None = Field(None, max_length=200)
    fields: list[str] | None = Field(None, min_length=1)
    values: list[list[Any]] = Field(min_length=1)


class Location(Lenient):
    href: str | None = Field(None, max_length=4096)
    path: str | None = Field(None, min_length=1, max_length=4096)
    id: str | None = Field(None, max_length=100)  # a data asset's id
    name: str | None = Field(None, min_length=1, max_length=200)  # an output data asset's name


class DataReference(Lenient):
    type: str = Field("data_asset", max_length=100)
    location: Location


class Scoring(Lenient):
    input_data: list[InputTable] | None = Field(None, min_length=1)
    input_data_references: list[DataReference] | None = Field(None, min_length=1, max_length=1)
    output_data_reference: DataReference | None = None


class DeploymentRef(Lenient):
    id: str = Field(min_length=1, max_length=100)


class DeploymentJobRequest(Lenient):
    deployment: DeploymentRef
    scoring: Scoring
    name: str | None = Field(None, max_length=200)


class AssetMetadata(Lenient):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    asset_type: str = Field("data_asset", max_length=100)


class AssetRequest(Lenient):
    """POST /v2/assets: {"metadata": {"name", "description", "asset_type"}, "entity": {...}}."""
    metadata: AssetMetadata


class ModelRequest(Lenient):
    """POST /ml/v4/models (store_model): the name; type and software_spec are not read (scikit-learn either way)."""
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)


class AssetRef(Lenient):
    id: str = Field(min_length=1, max_length=100)


class DeploymentCreate(Lenient):
    """POST /ml/v4/deployments: a native deployment of the model version `asset.id` names (online or batch alike)."""
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    asset: AssetRef


class PatchOp(Lenient):
    """One operation of the JSON Patch that deployments.update sends: what a native deployment can change."""
    op: Literal["add", "replace"]
    path: Literal["/description", "/asset"] = Field(description="a deployment's name is its native key: not changed")
    value: Any


class DeploymentPatch(RootModel[list[PatchOp]]):
    root: list[PatchOp] = Field(min_length=1)


def native_name(name: str) -> str:
    """A Watson name as a native one: characters a native name cannot hold become '-' ("Credit Risk" -> Credit-Risk)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-._")[:NAME_MAX_CHARS] or "watson"


class AuthorizeRequest(Lenient):
    """Cloud Pak for Data's token request: the key or the password is a batchsvc API key."""
    username: str = Field("", max_length=200)
    api_key: str | None = Field(None, min_length=1, max_length=200)
    password: str | None = Field(None, min_length=1, max_length=200)


def job_input(scoring: Scoring) -> TableInput | AssetInput | UploadInput:
    """The native input of a deployment job: its inline tables as one, or its one data reference."""
    if (scoring.input_data is None) == (scoring.input_data_references is None):
        raise InvalidRequest("scoring needs exactly one of input_data and input_data_references", field="scoring")
    if scoring.input_data is not None:
        return _one_table(scoring.input_data)
    return _reference(scoring.input_data_references[0].location)  # type: ignore[index]


def _one_table(tables: list[InputTable]) -> TableInput:
    """Several input_data entries with the same fields score as one table, rows in order."""
    fields = tables[0].fields
    if any(t.fields != fields for t in tables):
        raise InvalidRequest("every scoring.input_data entry of a job must have the same fields",
                             field="scoring.input_data")
    return TableInput(fields=fields, values=[row for t in tables for row in t.values])


def job_output(scoring: Scoring) -> OutputSpec:
    """A data asset output reference: the results become the asset of that name, CSV, every input field kept."""
    reference = scoring.output_data_reference
    if reference is None:
        return OutputSpec()
    if reference.type != "data_asset" or not reference.location.name:
        raise InvalidRequest("output_data_reference must be of type data_asset with location.name (the results "
                             "file's name)", field="scoring.output_data_reference")
    return OutputSpec(format="csv", passthrough=["*"], asset=reference.location.name)


def _reference(location: Location) -> AssetInput | UploadInput:
    """location.path: a file under the data roots; location.href /v2/assets/<id> or location.id: a data asset, or
    any upload from POST /v1/uploads."""
    if location.path:
        return AssetInput(path=location.path)
    found = UPLOAD_HREF.match(location.href or "") or ASSET_ID.match(location.id or "")
    if not found:
        raise InvalidRequest("input_data_references[0].location needs path (a file under the data roots), "
                             "href /v2/assets/<data asset id or upload id>, or id (a data asset's)",
                             field="scoring.input_data_references.0.location")
    return UploadInput(upload=found.group(1).replace("-", "").lower())
