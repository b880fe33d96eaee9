"""A hook's signature, as Stripe signs its webhooks: HMAC-SHA256 over "<unix time>.<body>" with the hook's
secret, sent as `batchsvc-signature: t=<unix time>,v1=<hex>`; receivers check it and the time's age."""

import hashlib
import hmac
import time

HEADER = "batchsvc-signature"
TOLERANCE_S = 300  # a receiver refuses a signature older than this (replays)


def sign(secret: str, body: bytes, at_s: int | None = None) -> str:
    """The header value for `body` sent now (or at `at_s`, Unix seconds)."""
    stamp = int(time.time()) if at_s is None else at_s
    return f"t={stamp},v1={_digest(secret, stamp, body)}"


def verify(secret: str, header: str, body: bytes, tolerance_s: float = TOLERANCE_S) -> bool:
    """Whether `header` signs `body` with `secret`, made less than tolerance_s ago: what a receiver runs."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        stamp = int(fields["t"])
    except (ValueError, KeyError):
        return False
    fresh = abs(time.time() - stamp) <= tolerance_s
    return fresh and hmac.compare_digest(fields.get("v1", ""), _digest(secret, stamp, body))


def _digest(secret: str, stamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), str(stamp).encode() + b"." + body, hashlib.sha256).hexdigest()
