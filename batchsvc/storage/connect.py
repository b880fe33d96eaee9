"""The one way every process reaches Redis: a single server from its URL, or the primary its Sentinels name.

With a Sentinel URL each connection asks the Sentinels for the primary as it connects (redis-py's
`Sentinel.master_for`), so a process follows a failover without a restart: connections to the old primary
fail, the next ones go to the new one. Each change of primary this process sees is counted (/metrics).
"""

import threading

import redis
import redis.asyncio as aredis
import redis.asyncio.sentinel as asentinel
from redis.sentinel import Sentinel, SentinelConnectionPool, SentinelConnectionPoolProxy

from batchsvc.redis_url import SentinelTarget, is_sentinel, parse_sentinel
from batchsvc.settings import Settings

CONNECT_TIMEOUT_S = 2.0
SENTINEL_TIMEOUT_S = 2.0  # one Sentinel that does not answer within this is skipped for the next
HEALTH_CHECK_S = 30  # an idle connection is PINGed before use after this long


class _Failovers:
    """Changes of primary seen by this process, across all its clients."""

    def __init__(self) -> None:
        self.count, self.lock = 0, threading.Lock()

    def seen(self) -> None:
        with self.lock:
            self.count += 1


FAILOVERS = _Failovers()


class _FollowingProxy(SentinelConnectionPoolProxy):
    """What redis-py's Sentinel connections ask for the primary's address; counts each change of it."""

    def get_master_address(self):
        before = self.master_address
        address = super().get_master_address()
        if before is not None and address != before:
            FAILOVERS.seen()
        return address


class FollowingPool(SentinelConnectionPool):
    """redis-py's Sentinel pool, with connections that count each change of primary they follow."""

    def __init__(self, service_name, sentinel_manager, **kwargs):
        super().__init__(service_name, sentinel_manager, **kwargs)
        self.proxy = _FollowingProxy(connection_pool=self, is_master=self.is_master,
                                     check_connection=self.check_connection, service_name=service_name,
                                     sentinel_manager=sentinel_manager)
        self.connection_kwargs["connection_pool"] = self.proxy


def connect(settings: Settings, *, decode: bool = True, **options) -> redis.Redis:
    """A client of the primary; decode=False for Dramatiq, which reads bytes."""
    options = {"decode_responses": decode, "socket_connect_timeout": CONNECT_TIMEOUT_S,
               "health_check_interval": HEALTH_CHECK_S, **options}
    if not is_sentinel(settings.redis_url):
        return redis.Redis.from_url(settings.redis_url, **options)
    target = parse_sentinel(settings.redis_url)
    sentinel = Sentinel(target.sentinels, sentinel_kwargs=_sentinel_options(target, settings), **_login(target))
    return sentinel.master_for(target.service, connection_pool_class=FollowingPool, **options)


def connect_async(settings: Settings) -> aredis.Redis:
    """An asyncio client of the primary (the API's long polls listen with it)."""
    options: dict = {"decode_responses": True, "socket_connect_timeout": CONNECT_TIMEOUT_S}
    if not is_sentinel(settings.redis_url):
        return aredis.Redis.from_url(settings.redis_url, **options)
    target = parse_sentinel(settings.redis_url)
    sentinel = asentinel.Sentinel(target.sentinels, sentinel_kwargs=_sentinel_options(target, settings),
                                  **_login(target))
    return sentinel.master_for(target.service, **options)


def _login(target: SentinelTarget) -> dict:
    return {"username": target.username, "password": target.password, "db": target.db, "ssl": target.ssl}


def _sentinel_options(target: SentinelTarget, settings: Settings) -> dict:
    options = {"socket_connect_timeout": SENTINEL_TIMEOUT_S, "socket_timeout": SENTINEL_TIMEOUT_S,
               "password": settings.redis_sentinel_password, "decode_responses": True}
    return {**options, "ssl": True} if target.ssl else options


def primary_address(client: redis.Redis) -> str:
    """host:port (or the socket path) of the Redis this client writes to now, asking the Sentinels if it has them."""
    pool = client.connection_pool
    if isinstance(pool, SentinelConnectionPool):
        host, port = pool.get_master_address()
        return f"{host}:{port}"
    kwargs = pool.connection_kwargs
    return str(kwargs["path"]) if "path" in kwargs else f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}"
