"""Azure ML's key and token shapes, as its services' REST API names them (camelCase)."""

from typing import Literal

from pydantic import BaseModel, Field

from batchsvc.schemas.common import Strict


class RegenerateKeysRequest(Strict):
    """Which key to replace; the other keeps working (Primary, Secondary; any case)."""
    keyType: str = Field(examples=["Primary"], max_length=20)


class DeploymentKeysResponse(BaseModel):
    primaryKey: str
    secondaryKey: str


class DeploymentTokenResponse(BaseModel):
    accessToken: str
    tokenType: Literal["Bearer"] = "Bearer"
    expiryOn: int = Field(description="Unix seconds")
    refreshAfter: int = Field(description="Unix seconds: get a new token after this")
