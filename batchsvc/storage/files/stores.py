"""Where a path or URL lives: a local folder, or an S3 bucket through pyarrow's S3FileSystem.

Credentials come from the standard AWS chain (environment, profile, instance role), read by the AWS SDK
inside pyarrow; batchsvc never holds them. BATCHSVC_S3_ENDPOINT_URL points at MinIO or another S3 store.
"""

import functools
import os
from pathlib import Path
from urllib.parse import urlparse

import pyarrow.fs as pafs

from batchsvc.errors import PathNotAllowed
from batchsvc.settings import get_settings
from batchsvc.storage.files.location import Location

S3_SCHEME = "s3"
CONNECT_TIMEOUT_S = 10
REQUEST_TIMEOUT_S = 120
DEFAULT_REGION = "us-east-1"


def is_url(path: str) -> bool:
    return "://" in path


def locate(path: str | Path, field: str | None = None) -> Location:
    """The Location a user's path or s3:// URL names; PathNotAllowed for another scheme or no bucket."""
    text = str(path)
    if not is_url(text):
        return Location(_local(), str(Path(text).resolve()))
    parsed = urlparse(text)
    if parsed.scheme != S3_SCHEME:
        raise PathNotAllowed(f"{text!r}: only s3:// URLs and local paths are supported", field=field)
    if not parsed.netloc:
        raise PathNotAllowed(f"{text!r} names no bucket: write s3://bucket/prefix", field=field)
    key = parsed.path.lstrip("/")
    return Location(s3_filesystem(get_settings().s3_endpoint_url), f"{parsed.netloc}/{key}".rstrip("/"), S3_SCHEME)


@functools.cache
def _local():
    return pafs.LocalFileSystem()


@functools.cache
def s3_filesystem(endpoint_url: str | None):
    """One S3FileSystem per endpoint and process; its connections are pooled inside the AWS SDK."""
    options: dict = {"region": os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
                     or DEFAULT_REGION, "connect_timeout": CONNECT_TIMEOUT_S, "request_timeout": REQUEST_TIMEOUT_S,
                     "allow_delayed_open": True}
    if endpoint_url:
        parsed = urlparse(endpoint_url)
        options.update(endpoint_override=parsed.netloc, scheme=parsed.scheme)
    return pafs.S3FileSystem(**options)
