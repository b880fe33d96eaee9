"""What a store's failure tells the user: the bucket or path, what went wrong, what to check; never a secret.

pyarrow raises OSError with the AWS error code in its text ('AWS Error ACCESS_DENIED during HeadObject ...');
this turns it into StorageError with a hint per kind of failure. A missing file stays FileNotFoundError.
"""

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from batchsvc.errors import StorageError

SECRET_VARIABLES = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID")
CREDENTIAL_CODES = ("ACCESS_DENIED", "INVALID_ACCESS_KEY_ID", "SIGNATURE_DOES_NOT_MATCH", "InvalidAccessKeyId",
                    "SignatureDoesNotMatch", "AccessDenied", "EXPIRED_TOKEN")
HINTS = [
    (CREDENTIAL_CODES, "the credentials were refused: check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or "
                       "AWS_PROFILE on this host, and that they may use bucket {bucket}"),
    (("NO_SUCH_BUCKET", "NoSuchBucket"), "there is no bucket {bucket} at this endpoint"),
    (("NETWORK_CONNECTION", "curlCode", "Couldn't connect", "Timeout"),
     "the S3 endpoint did not answer: check BATCHSVC_S3_ENDPOINT_URL and the network"),
]


@contextlib.contextmanager
def storage_errors(location: Any) -> Iterator[None]:
    """Turn a store's OSError inside the block into StorageError naming the location; FileNotFoundError passes."""
    try:
        yield
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise StorageError(describe(location, exc), location=location.url) from None


def describe(location: Any, exc: BaseException) -> str:
    """One message for a failed store call: where, why (the store's own words, scrubbed), and what to check."""
    text = scrub(str(exc))
    if location.local:
        return f"cannot use {location.url}: {text}"
    bucket = location.path.split("/", 1)[0]
    hint = next((h for codes, h in HINTS if any(c in text for c in codes)), "check the bucket, the credentials "
                "and BATCHSVC_S3_ENDPOINT_URL")
    return f"cannot use {location.url} (bucket {bucket}): {text.strip()}; {hint.format(bucket=bucket)}"


def scrub(text: str) -> str:
    """The text with any credential value from the environment blanked out (defence in depth)."""
    for name in SECRET_VARIABLES:
        value = os.environ.get(name)
        if value and len(value) >= 4:
            text = text.replace(value, "***")
    return text
