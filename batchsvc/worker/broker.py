"""The Dramatiq Redis broker, configured for a scoring service; set before any actor is declared."""

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import CurrentMessage

from batchsvc.settings import Settings
from batchsvc.storage.connect import connect
from batchsvc.storage.redis_keys import Keys
from batchsvc.worker.in_flight import InFlight
from batchsvc.worker.wakeup import WakingRedisBroker


def make_broker(settings: Settings) -> RedisBroker:
    """heartbeat_timeout and maintenance_chance decide how fast a killed worker's chunk is redelivered.

    A shorter heartbeat redelivers sooner but risks redelivering the work of a live worker that
    stalls longer than it; with maintenance on every command the check costs one ZRANGEBYSCORE.
    """
    keys = Keys(settings.namespace)
    broker = WakingRedisBroker(keys=keys, client=connect(settings, decode=False), namespace=keys.dramatiq_namespace,
                               heartbeat_timeout=settings.heartbeat_timeout_ms,
                               maintenance_chance=settings.maintenance_chance)
    broker.add_middleware(CurrentMessage())
    broker.add_middleware(InFlight())
    return broker


def install_broker(settings: Settings) -> RedisBroker:
    broker = make_broker(settings)
    dramatiq.set_broker(broker)
    return broker
