"""Errors on the Watson ML routes in Watson ML's shape: {"trace", "errors": [{"code", "message", "target"?}],
"status_code"}; the native handlers decide the status and message, this only reshapes their answer."""

import re
import uuid

from batchsvc.api import errors
from batchsvc.api.oip.errors import is_oip_path

PREFIXES = ("/ml/", "/v2/", "/v4/", "/icp4d-api/", "/identity/", "/v1/preauth/")  # the paths Watson ML clients call


def is_watson_path(path: str) -> bool:
    """Watson ML's paths; /v2/health/ and /v2/models/ are the Open Inference Protocol's (api/oip/)."""
    return path.startswith(PREFIXES) and not is_oip_path(path)


def watson_body(status: int, error: dict) -> dict:
    """A native {"type", "message", "field"?} error as Watson ML's error document."""
    item: dict = {"code": _snake(error.get("type", "error")), "message": error.get("message", "")}
    if error.get("field"):
        item["target"] = {"type": "field", "name": error["field"]}
    return {"trace": uuid.uuid4().hex, "errors": [item], "status_code": status}


def reshape_all(handlers: dict) -> dict:
    """The app's exception handlers, each reshaping its answers on Watson ML paths."""
    return errors.reshape_all(handlers, is_watson_path, lambda status, error: (status, watson_body(status, error)))


def _snake(name: str) -> str:
    """JobNotFound -> job_not_found: Watson ML's error codes are snake case."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
