"""The parts every process shares, built once from the settings."""

from dataclasses import dataclass
from functools import cached_property

import redis

from .auth import KeyStore
from .keys import Keys
from .registry import Registry
from .schedule_store import ScheduleStore
from .settings import Settings, get_settings
from .storage import DataDir
from .store import JobStore


@dataclass
class Services:
    settings: Settings

    @cached_property
    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.settings.redis_url, decode_responses=True,
                                    socket_connect_timeout=2, health_check_interval=30)

    @cached_property
    def keys(self) -> Keys:
        return Keys(self.settings.namespace)

    @cached_property
    def data(self) -> DataDir:
        return DataDir(self.settings.data_dir)

    @cached_property
    def store(self) -> JobStore:
        return JobStore(self.redis, self.keys)

    @cached_property
    def schedules(self) -> ScheduleStore:
        return ScheduleStore(self.redis, self.keys)

    @cached_property
    def registry(self) -> Registry:
        return Registry(self.redis, self.keys, self.data)

    @cached_property
    def api_keys(self) -> KeyStore:
        return KeyStore(self.redis, self.keys)


_services: Services | None = None


def get_services() -> Services:
    """The process-wide services, made on first use from the environment."""
    global _services
    if _services is None:
        _services = Services(get_settings())
    return _services


def reset_services() -> None:
    """Forget the process-wide services (tests change the environment between runs)."""
    global _services
    get_settings.cache_clear()
    _services = None
