"""Errors on the Azure ML scoring paths in azmlinfsrv's shape, {"message": ...}: the native handlers decide the
status and message (api/errors.py), this only reshapes their answer (status and WWW-Authenticate kept)."""

from batchsvc.api import errors
from batchsvc.api.azure.paths import PREFIX


def is_azure_path(path: str) -> bool:
    return path.startswith(PREFIX)


def azure_body(status: int, error: dict) -> tuple[int, dict]:
    """A native {"type", "message", ...} error as azmlinfsrv's {"message": ...}."""
    return status, {"message": error.get("message", "")}


def reshape_all(handlers: dict) -> dict:
    """The app's exception handlers, each reshaping its answers on Azure ML paths."""
    return errors.reshape_all(handlers, is_azure_path, azure_body)
