"""Settings from BATCHSVC_* environment variables (or .env); a bad value fails at start."""

import functools
import re
from urllib.parse import urlparse

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from batchsvc.errors import ConfigError
from batchsvc.redis_url import check_redis_url, is_sentinel

ENV_PREFIX = "BATCHSVC_"


class Settings(BaseSettings):
    """The server's settings; the client's two (API_URL, API_KEY) are read by batchsvc.client.settings."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", extra="ignore")

    redis_url: str = "redis://127.0.0.1:6379/0"  # or redis+sentinel://host:port[,host:port...]/SERVICE[/DB]
    redis_sentinel_password: str | None = None  # the Sentinels' own password (requirepass in sentinel.conf)
    redis_replica_acks: int | None = Field(None, ge=0)  # replicas that must hold a write before 201/202; None:
    # 1 with a Sentinel URL, 0 (no wait) with one Redis
    redis_replica_wait_ms: int = Field(1000, gt=0)  # how long WAIT gives them; past it the request answers 503
    data_dir: str = "./var"  # a folder, or s3://bucket/prefix
    data_roots: str | None = None  # ':'-separated folders or s3:// prefixes; a ':' that begins '://' is its URL's
    s3_endpoint_url: str | None = None  # MinIO or another S3-compatible store; None: AWS
    namespace: str = Field("batchsvc", pattern=r"^[A-Za-z0-9_.-]+$")

    chunk_rows: int = Field(50_000, gt=0)
    max_chunks: int = Field(2_000, gt=0)  # a job's chunk count is capped: more means a larger chunk size
    sweep_after_s: int = Field(60, gt=0)  # a queued job this old that was never enqueued is sent again
    stall_after_s: int = Field(60, gt=0)  # an unfinished job with no progress this long gets its lost work re-sent
    max_inline_rows: int = Field(10_000, gt=0)
    max_json_bytes: int = Field(16 * 2**20, gt=0)
    max_upload_bytes: int = Field(2 * 2**30, gt=0)
    max_inline_result_rows: int = Field(10_000, ge=0)
    max_inline_columns: int = Field(1_000, gt=0)
    max_inline_string_chars: int = Field(10_000, gt=0)
    max_online_rows: int = Field(1_000, gt=0)  # rows in one online predictions request; more: submit a job
    # a deployment's (or model reference's) online limits, per API process, where its `limits` leave them out
    online_max_concurrency: int = Field(16, gt=0)  # requests scoring at once; more wait in the queue
    online_max_queue: int = Field(64, ge=0)  # requests waiting for a slot; past it: 429 at once
    online_timeout_ms: int = Field(60_000, gt=0)  # waiting and scoring together; past it: 504

    auth_required: bool = False  # every request needs a key even before any key exists
    allow_no_keys: bool = False  # start on a non-loopback address with no keys (auth off): only behind a proxy
    metrics_require_key: bool = False  # /metrics needs a reader key
    token_ttl_s: int = Field(3600, gt=0, le=366 * 86400)  # lifetime of a token from POST /v1/token
    token_secret: str | None = Field(None, min_length=32)  # HS256 signing secret; else one generated into Redis

    job_time_limit_s: int = Field(3600, gt=0)
    redis_wait_s: int = Field(300, gt=0)  # a task that meets a Redis error waits this long for it, retrying in place
    shutdown_s: int = Field(30, gt=0)  # SIGTERM: in-flight chunks and requests get this long, then are handed back
    heartbeat_timeout_ms: int = Field(10_000, ge=1000)
    maintenance_chance: int = Field(1_000_000, ge=0, le=1_000_000)
    worker_timeout_ms: int = Field(1000, gt=0)  # idle fetch interval; enqueues wake workers at once (wakeup.py)
    native_threads: int | None = Field(None, gt=0)
    engine_tolerance: float = Field(1e-5, gt=0, lt=1)  # largest probability difference a fast engine may show

    job_ttl_s: int = Field(7 * 86_400, ge=0)  # finished jobs, their keys and files go this long after; 0 keeps them
    upload_ttl_s: int = Field(86_400, ge=0)  # unused uploads go this long after they were made; 0 keeps them
    capture_retention_s: int = Field(7 * 86_400, ge=0)  # captured payloads go this long after; 0 keeps them
    gc_every_s: int = Field(60, gt=0)  # how often the scheduler leader applies retention

    webhook_allow: str | None = None  # ','-separated hosts or CIDRs hooks may target; None: public addresses only
    webhook_timeout_s: float = Field(5.0, gt=0, le=60)  # one delivery attempt's limit (connect to last byte)
    webhook_attempts: int = Field(8, ge=1, le=20)  # attempts before a hook is given up, backoff doubling between
    webhook_backoff_s: float = Field(1.0, gt=0, le=600)  # wait after the first failed attempt (then x2, <= 5 min)

    schedule_grace_s: int = Field(600, ge=0)
    scheduler_lease_ms: int = Field(5_000, ge=300)

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, url: str) -> str:
        return check_redis_url(url)

    @field_validator("webhook_allow")
    @classmethod
    def _webhook_allow(cls, value: str | None) -> str | None:
        from batchsvc.webhooks.targets import parse_allow
        parse_allow(value)
        return value

    @field_validator("data_dir")
    @classmethod
    def _data_dir(cls, value: str) -> str:
        return _store_url(value)

    @field_validator("data_roots")
    @classmethod
    def _data_roots(cls, value: str | None) -> str | None:
        for root in split_roots(value or ""):
            _store_url(root)
        return value

    @field_validator("s3_endpoint_url")
    @classmethod
    def _endpoint(cls, url: str | None) -> str | None:
        if url is not None and (urlparse(url).scheme not in ("http", "https") or not urlparse(url).netloc):
            raise ValueError("must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:9000")
        return url

    @property
    def replica_acks(self) -> int:
        """Replicas a promised write must reach before the API answers 201/202 (0: answer at once)."""
        if self.redis_replica_acks is not None:
            return self.redis_replica_acks
        return 1 if is_sentinel(self.redis_url) else 0

    @property
    def roots(self) -> list[str]:
        """Folders and s3:// prefixes that job inputs may be read from, as written."""
        return split_roots(self.data_roots) if self.data_roots else [self.data_dir, "sample_data"]


def split_roots(value: str) -> list[str]:
    """'s3://in/allowed:s3://out:/srv/data' -> three roots: a ':' followed by '//' belongs to its URL."""
    return [p for p in re.split(r":(?!//)", value) if p]


def _store_url(value: str) -> str:
    """A local path, or an s3:// URL that names a bucket; any other URL is refused at start."""
    if "://" in value:
        parsed = urlparse(value)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise ValueError(f"{value!r}: write a local path or s3://bucket/prefix")
    return value


def load_settings() -> Settings:
    """Read settings now, turning a validation error into one line per bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        lines = [f"{ENV_PREFIX}{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("bad setting: " + "; ".join(lines)) from None


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
