"""BATCHSVC_REDIS_URL read into where Redis is: one server (redis://, rediss://, unix://) or Sentinels that name it.

The Sentinel form is `redis+sentinel://[user:password@]host:port[,host:port...]/SERVICE_NAME[/DB]`
(`rediss+sentinel://` speaks TLS to the Sentinels and to Redis alike); user and password are Redis's,
the Sentinels' own password comes from BATCHSVC_REDIS_SENTINEL_PASSWORD. Pure parsing: no connection here.
"""

from dataclasses import dataclass
from urllib.parse import unquote, urlparse

PLAIN_SCHEMES = ("redis", "rediss", "unix")
SENTINEL_SCHEMES = {"redis+sentinel": False, "rediss+sentinel": True}  # scheme -> TLS
SENTINEL_PORT = 26379  # a Sentinel's port when a host gives none
FORM = "redis+sentinel://[user:password@]host:port[,host:port...]/SERVICE_NAME[/DB]"


@dataclass(frozen=True)
class SentinelTarget:
    """The Sentinels to ask, the service (master name) they watch, and how to log in to the primary."""

    sentinels: tuple[tuple[str, int], ...]
    service: str
    db: int = 0
    username: str | None = None
    password: str | None = None
    ssl: bool = False

    def describe(self) -> str:
        """The target without its password, for messages and logs."""
        hosts = ",".join(f"{h}:{p}" for h, p in self.sentinels)
        return f"Sentinels {hosts}, service {self.service}, db {self.db}"


def is_sentinel(url: str) -> bool:
    return url.split("://", 1)[0] in SENTINEL_SCHEMES


def check_redis_url(url: str) -> str:
    """The URL, if a plain Redis URL or a well-formed Sentinel URL; else ValueError saying what to write."""
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme in SENTINEL_SCHEMES:
        parse_sentinel(url)
    elif urlparse(url).scheme not in PLAIN_SCHEMES:
        raise ValueError(f"must start with redis://, rediss://, unix:// or redis+sentinel:// ({FORM})")
    return url


def parse_sentinel(url: str) -> SentinelTarget:
    """A Sentinel URL's parts; ValueError naming the part at fault."""
    scheme, rest = url.split("://", 1)
    netloc, _, path = rest.partition("/")
    userinfo, _, hosts = netloc.rpartition("@")
    username, _, password = userinfo.partition(":")
    parts = [p for p in path.split("/") if p]
    if not parts or len(parts) > 2:
        raise ValueError(f"name the service after the hosts, and at most a db after it: {FORM}")
    if len(parts) == 2 and not parts[1].isdigit():
        raise ValueError(f"the db after the service name must be a number, not {parts[1]!r}: {FORM}")
    return SentinelTarget(sentinels=tuple(_host_port(h) for h in hosts.split(",")), service=unquote(parts[0]),
                          db=int(parts[1]) if len(parts) == 2 else 0, username=unquote(username) or None,
                          password=unquote(password) or None, ssl=SENTINEL_SCHEMES[scheme])


def _host_port(text: str) -> tuple[str, int]:
    """'host:port', '[::1]:26379' or a bare host (port 26379)."""
    if not text:
        raise ValueError(f"a Sentinel host is empty (two commas, or none given): {FORM}")
    if text.startswith("["):
        host, _, tail = text[1:].partition("]")
        port = tail.removeprefix(":")
    else:
        host, _, port = text.partition(":")
    if not host or (port and not port.isdigit()) or (port and not 0 < int(port) < 65536):
        raise ValueError(f"{text!r} is not host:port: {FORM}")
    return host, int(port) if port else SENTINEL_PORT
