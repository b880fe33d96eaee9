"""What the Python client raises: one root, ClientError, with the server's status and error body."""

import httpx

from batchsvc.errors import BatchsvcError


class ClientError(BatchsvcError):
    """The server answered with an error (or not at all); .status and .error hold what it said."""

    def __init__(self, message: str, status: int | None = None, error: dict | None = None):
        super().__init__(message)
        self.status, self.error = status, error or {}


class CannotReach(ClientError):
    """No answer: the server is down, the URL is wrong, or the network is in the way."""


class WaitTimeout(ClientError):
    """Job.wait(timeout=...) ran out before the job finished; the job goes on."""


class JobFailed(ClientError):
    """The job ended failed; .error is the server's error dict and .job the final Job."""

    def __init__(self, job):
        error = job.error or {"type": "Failed", "message": "the job failed"}
        super().__init__(f"job {job.id} {job.status}: {error.get('type')}: {error.get('message')}",
                         error=error)
        self.job = job


class JobCanceled(JobFailed):
    """The job was canceled before it completed."""


def from_response(response: httpx.Response) -> ClientError:
    """The ClientError for an error answer, carrying the server's {"error": {...}} body."""
    try:
        error = response.json().get("error") or {}
    except ValueError:
        error = {}
    if not isinstance(error, dict):
        error = {"message": str(error)}
    message = error.get("message") or response.reason_phrase or "error"
    kind = error.get("type") or "HTTPError"
    return ClientError(f"{message} (HTTP {response.status_code} {kind})", status=response.status_code, error=error)


def unreachable(url: str, exc: Exception) -> CannotReach:
    return CannotReach(f"cannot reach batchsvc at {url}: {exc or type(exc).__name__}")
