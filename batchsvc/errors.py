"""One error root with branches; each message says what to check.

    BatchsvcError
    ├── ConfigError            a setting has a bad value (at start)
    ├── NotFound               404: ModelNotFound, JobNotFound, UploadNotFound (AssetNotFound),
    │                               ScheduleNotFound, DeploymentNotFound
    ├── InvalidRequest         422: PathNotAllowed, InputNotFound, InvalidModel; BadHeader (400)
    ├── Unauthorized           401
    ├── Forbidden              403
    ├── Conflict               409
    ├── PayloadTooLarge        413
    ├── DataError              the input cannot be scored: SchemaError, UnreadableInput, TooManyBadRows
    ├── ModelError             a model a worker cannot use: ChecksumMismatch, ScoringError, UserCodeError
    ├── ModelUnavailable       503: the model an online request needs does not load (the reason says why)
    ├── LimitExceeded          an online request past its deployment's limits: OverCapacity (429, with
    │                               Retry-After), ScoringTimeout (504, naming timeout_ms)
    ├── StorageError           503: the disk or S3 store refused or failed (names the bucket or path, and
    │                               what to check: credentials, endpoint); a job that meets it fails
    └── ReplicaUnavailable     503: no Redis replica held a write in time, so a 201/202 is not promised

The client's ClientError (batchsvc.client.errors) derives from the root too. api/errors.py maps each
branch to its HTTP status in one table.
"""


class BatchsvcError(Exception):
    """Root of every error batchsvc raises on purpose."""

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = {k: v for k, v in details.items() if v is not None}

    @property
    def type(self) -> str:
        return type(self).__name__

    def to_dict(self) -> dict:
        return {"type": self.type, "message": self.message, **self.details}


class ConfigError(BatchsvcError):
    """A setting has a bad value; raised at start."""


class NotFound(BatchsvcError):
    """A named thing does not exist."""


class ModelNotFound(NotFound):
    pass


class JobNotFound(NotFound):
    pass


class UploadNotFound(NotFound):
    pass


class AssetNotFound(UploadNotFound):
    """A Watson ML data asset (an upload with a name), or a model version by its Watson id."""


class ScheduleNotFound(NotFound):
    pass


class DeploymentNotFound(NotFound):
    pass


class InvalidRequest(BatchsvcError):
    """A request that is well-formed but cannot be accepted (HTTP 422)."""


class BadHeader(InvalidRequest):
    """A request header whose value the route cannot take (HTTP 400); `field` names the header."""


class PathNotAllowed(InvalidRequest):
    """An input path resolves outside every data root."""


class InputNotFound(InvalidRequest):
    """An input path inside the data roots names no file."""


class InvalidModel(InvalidRequest):
    """A file offered as a model is not a usable scikit-learn estimator."""


class Unauthorized(BatchsvcError):
    """No API key, or one that is unknown or revoked (HTTP 401)."""


class Forbidden(BatchsvcError):
    """A known API key whose role may not do this (HTTP 403)."""


class Conflict(BatchsvcError):
    """The request clashes with the current state (HTTP 409)."""


class PayloadTooLarge(BatchsvcError):
    """A body or inline table is over its limit (HTTP 413)."""


class DataError(BatchsvcError):
    """The input data cannot be scored; ends the job failed, never retried."""


class SchemaError(DataError):
    """The input lacks columns the model needs, or a value has the wrong type."""


class UnreadableInput(DataError):
    """The input file cannot be read, or is empty; or a job's files differ in format or columns."""


class TooManyBadRows(DataError):
    """More unreadable rows than the job's max_bad_rows allows."""


class ModelError(BatchsvcError):
    """A registered model cannot be used by a worker; ends the job failed."""


class ChecksumMismatch(ModelError):
    """The model file on disk is not the one that was registered."""


class ScoringError(ModelError):
    """The model raised while scoring a chunk."""


class UserCodeError(ModelError):
    """A code model's init() or run() raised; its traceback is kept for the job's events, never in a response."""

    def __init__(self, message: str, traceback: str = "", **details):
        super().__init__(message, **details)
        self.traceback = traceback


class ModelUnavailable(BatchsvcError):
    """An online request's model cannot be loaded (missing file, checksum, unpickling): HTTP 503, API alive."""


class LimitExceeded(BatchsvcError):
    """An online request shed by its deployment's limits (api/online_limits.py), not queued without bound."""


class OverCapacity(LimitExceeded):
    """Every slot and queue place is taken: refused at once (HTTP 429); details carry retry_after_s."""


class ScoringTimeout(LimitExceeded):
    """The request ran past its timeout_ms (HTTP 504); the scoring thread's result is dropped."""


class StorageError(BatchsvcError):
    """The file store (a folder or an S3 bucket) refused or failed; the message never holds a secret."""


class ReplicaUnavailable(BatchsvcError):
    """No Redis replica acknowledged a write in time: the API answers 503 rather than promise what may be lost."""
