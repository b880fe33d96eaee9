"""The loopback rule: an API that other machines can reach must demand keys, unless told otherwise explicitly."""

import ipaddress

import redis

from batchsvc.errors import ConfigError
from batchsvc.storage.services import Services

LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1; any other name or address (0.0.0.0 too) is exposed."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def require_keys_for(host: str, svc: Services, allow_no_keys: bool) -> bool:
    """Whether the API on `host` must demand keys for its whole life; refuses an exposed host with no keys."""
    if is_loopback(host) or allow_no_keys or svc.settings.allow_no_keys:
        return False
    if not svc.settings.auth_required and not _any_key(svc):
        raise ConfigError(
            f"refusing to serve on {host} with no API keys: anyone who reaches it could register a model, which "
            "is code. Create one first (batchsvc keys create --role admin), or serve on 127.0.0.1, or pass "
            "--allow-no-keys (BATCHSVC_ALLOW_NO_KEYS=true) if a proxy in front authenticates")
    return True


def _any_key(svc: Services) -> bool:
    try:
        return svc.api_keys.any()
    except redis.RedisError as exc:
        raise ConfigError(f"cannot check for API keys: Redis at {svc.settings.redis_url} does not answer "
                          f"({type(exc).__name__}); check BATCHSVC_REDIS_URL") from None
