"""Watson ML ids from native ones: a job's 32-hex id is the same 128 bits as a dashed UUID; one fixed space."""

import uuid

from batchsvc.errors import AssetNotFound, JobNotFound

SPACE_ID = "5ba7c0de-0000-4000-8000-000000000001"  # the one deployment space everything lives in
SPACE_NAME = "batchsvc"


def new_id() -> str:
    """A fresh Watson id (a model created by a Watson client)."""
    return str(uuid.uuid4())


def job_uuid(native_id: str) -> str:
    """The 36-character UUID form (8-4-4-4-12) of a native 32-hex job id."""
    return str(uuid.UUID(hex=native_id))


def upload_uuid(native_id: str) -> str:
    """A data asset id: its upload's 32-hex id as a UUID."""
    return job_uuid(native_id)


def native_job_id(watson_id: str) -> str:
    """The native 32-hex id of a Watson job id (either form); 404 for anything that is no UUID."""
    try:
        return uuid.UUID(watson_id).hex
    except ValueError:
        raise JobNotFound(f"no deployment job {watson_id!r}", job_id=watson_id) from None


def asset_id(sha256: str) -> str:
    """A model version's asset id: the first 128 bits of its file's sha256, as a UUID."""
    return str(uuid.UUID(hex=sha256[:32]))


def native_upload_id(watson_id: str) -> str:
    """The upload behind a data asset id (either form); 404 for anything that is no UUID."""
    try:
        return uuid.UUID(watson_id).hex
    except ValueError:
        raise AssetNotFound(f"no data asset {watson_id!r}", field="asset_id") from None
