"""Errors on the Open Inference Protocol's paths in its shape, {"error": "..."}, a bad request as 400; the
native handlers decide the status and message, this only reshapes their answer."""

from batchsvc.api import errors

PREFIXES = ("/v2/health/", "/v2/models/")  # and /v2 itself, the server's metadata
BAD_REQUEST = 400  # the protocol's answer to any request it cannot take (the native API says 422)


def is_oip_path(path: str) -> bool:
    return path == "/v2" or path.startswith(PREFIXES)


def oip_body(status: int, error: dict) -> tuple[int, dict]:
    """A native {"type", "message", ...} error as the protocol's {"error": message}."""
    return BAD_REQUEST if status == 422 else status, {"error": error.get("message", "")}


def reshape_all(handlers: dict) -> dict:
    """The app's exception handlers, each reshaping its answers on Open Inference Protocol paths."""
    return errors.reshape_all(handlers, is_oip_path, oip_body)
