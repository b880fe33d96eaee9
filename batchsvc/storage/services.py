"""The parts every process shares, built once from the settings."""

from dataclasses import dataclass
from functools import cached_property

import redis

from batchsvc.settings import Settings, get_settings
from batchsvc.storage.api_keys import KeyStore
from batchsvc.storage.captures import CaptureWriter
from batchsvc.storage.connect import connect
from batchsvc.storage.counters import Counters
from batchsvc.storage.deployment_keys import DeploymentKeys
from batchsvc.storage.deployments import DeploymentStore
from batchsvc.storage.files import DataDir
from batchsvc.storage.hooks import HookOutbox
from batchsvc.storage.idempotency import IdempotencyStore
from batchsvc.storage.jobs import JobStore
from batchsvc.storage.ledger import ChunkLedger
from batchsvc.storage.local_cache import LocalCache
from batchsvc.storage.models import Registry
from batchsvc.storage.profiles import DriftStore
from batchsvc.storage.redis_keys import Keys
from batchsvc.storage.replication import ReplicaAck
from batchsvc.storage.request_log import RequestLog
from batchsvc.storage.schedules import ScheduleStore
from batchsvc.storage.small_commit import SmallCommit
from batchsvc.storage.tokens import TokenIssuer
from batchsvc.storage.uploads import UploadStore
from batchsvc.storage.workers import WorkerRegistry


@dataclass
class Services:
    settings: Settings

    @cached_property
    def redis(self) -> redis.Redis:
        return connect(self.settings)

    @cached_property
    def replication(self) -> ReplicaAck:
        return ReplicaAck(self.redis, self.keys, self.settings.replica_acks, self.settings.redis_replica_wait_ms)

    @cached_property
    def local(self) -> LocalCache:
        """What online requests and jobs read, kept in memory while a ChangeListener (API and worker processes) keeps
        it fresh."""
        return LocalCache()

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
    def ledger(self) -> ChunkLedger:
        return ChunkLedger(self.redis, self.keys)

    @cached_property
    def small_commit(self) -> SmallCommit:
        return SmallCommit(self.redis, self.keys)

    @cached_property
    def schedules(self) -> ScheduleStore:
        return ScheduleStore(self.redis, self.keys)

    @cached_property
    def registry(self) -> Registry:
        return Registry(self.redis, self.keys, self.data, self.local)

    @cached_property
    def api_keys(self) -> KeyStore:
        return KeyStore(self.redis, self.keys, self.local)

    @cached_property
    def deployments(self) -> DeploymentStore:
        return DeploymentStore(self.redis, self.keys, self.local)

    @cached_property
    def request_log(self) -> RequestLog:
        """Deployment request logs: written at once, or in batches once an API process starts it."""
        return RequestLog(self.deployments)

    @cached_property
    def deployment_keys(self) -> DeploymentKeys:
        return DeploymentKeys(self.redis, self.keys, self.tokens)

    @cached_property
    def tokens(self) -> TokenIssuer:
        return TokenIssuer(self.redis, self.keys, self.settings.token_ttl_s, self.settings.token_secret,
                           self.api_keys)

    @cached_property
    def idempotency(self) -> IdempotencyStore:
        return IdempotencyStore(self.redis, self.keys)

    @cached_property
    def uploads(self) -> UploadStore:
        return UploadStore(self.redis, self.keys)

    @cached_property
    def counters(self) -> Counters:
        return Counters(self.redis, self.keys)

    @cached_property
    def hooks(self) -> HookOutbox:
        return HookOutbox(self.redis, self.keys)

    @cached_property
    def captures(self) -> CaptureWriter:
        """Captured payloads: written at once, or in batches once an API process starts it."""
        return CaptureWriter()

    @cached_property
    def workers(self) -> WorkerRegistry:
        return WorkerRegistry(self.redis, self.keys)

    @cached_property
    def drift(self) -> DriftStore:
        """Chunk profiles and models' drift thresholds (storage/profiles.py)."""
        return DriftStore(self.redis, self.keys)


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
