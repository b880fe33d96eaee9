"""Idle workers that wake when a message is enqueued, instead of polling Redis every few milliseconds.

Dramatiq's Redis consumer sleeps with backoff up to worker_timeout when a fetch finds nothing, and
again while all its prefetch slots are busy: that sleep is the floor of a small job's latency, and
shortening it means more fetches per second per idle consumer. Here an idle consumer waits on a
pub/sub channel that every enqueue publishes to (and a busy one on its own acks), so a message is
fetched within a millisecond or two of being sent while an idle worker asks Redis only once per
worker_timeout. The publish goes in the enqueue's own round trip, or in the transaction that stores
the job the message is for (enqueue_on).
"""

import threading
from uuid import uuid4

import redis
from dramatiq.broker import MessageProxy
from dramatiq.brokers.redis import RedisBroker, _RedisConsumer
from dramatiq.common import current_millis, q_name
from dramatiq.errors import ConnectionClosed
from dramatiq.message import Message
from redis.client import Pipeline

from batchsvc.storage.redis_keys import Keys


class WakingRedisBroker(RedisBroker):
    """A RedisBroker whose consumers sleep on a wake-up channel rather than a timer.

    after_enqueue is not emitted for a message sent with enqueue_on: no middleware of this broker listens to it
    (tests/test_dramatiq_contract.py checks that)."""

    def __init__(self, *, keys: Keys, **kwargs):
        super().__init__(**kwargs)
        self.keys = keys

    @property
    def consumer_class(self):
        return WakingConsumer

    def wakeup_channel(self, queue_name: str) -> str:
        """One channel per queue; the delay queue's consumer keeps its timer (retries are not urgent)."""
        return self.keys.queue_wakeup_channel(queue_name)

    def do_enqueue(self, queue_name: str, message_id: str, data: bytes) -> None:
        """RedisBroker.enqueue's write, and the wake-up, in one round trip."""
        with self.client.pipeline(transaction=False) as pipe:
            self._queue_enqueue(pipe, queue_name, message_id, data)
            pipe.execute()

    def enqueue_on(self, pipe: Pipeline, message: Message) -> Message:
        """Queue what enqueue(message) writes, and the wake-up, on `pipe` (a transaction the caller runs), so the
        message leaves with the rest of it or not at all."""
        message = message.copy(options={"redis_message_id": str(uuid4())})
        self.emit_before("enqueue", message, None)
        self._queue_enqueue(pipe, message.queue_name, message.options["redis_message_id"], message.encode())
        return message

    def _queue_enqueue(self, pipe: Pipeline, queue_name: str, message_id: str, data: bytes) -> None:
        """Dramatiq's dispatch script with its enqueue arguments (RedisBroker._dispatch), sent whole (EVAL, 8 KB):
        Redis runs its cached copy, and a Redis that lost its scripts (restarted) needs no second try, as a call
        by digest (EVALSHA) would; a pipeline that registered the script would ask whether it exists first."""
        args = ["enqueue", current_millis(), queue_name, self.broker_id, self.heartbeat_timeout,
                self.dead_message_ttl, self._should_do_maintenance("enqueue"), self._max_unpack_size(),
                message_id, data]
        pipe.eval(self.scripts["dispatch"].script, 1, self.namespace, *args)
        if queue_name == q_name(queue_name):  # not a delay queue: wake its idle consumers
            pipe.publish(self.wakeup_channel(queue_name), b"1")


class WakingConsumer(_RedisConsumer):
    """Dramatiq's Redis consumer with its backoff sleeps replaced by waits that end on events."""

    def __init__(self, broker: WakingRedisBroker, queue_name, prefetch, timeout):
        super().__init__(broker, queue_name, prefetch, timeout)
        self.timeout_s = timeout / 1000
        self.slot_freed = threading.Event()
        self.pubsub = broker.client.pubsub(ignore_subscribe_messages=True)
        try:
            self.pubsub.subscribe(broker.wakeup_channel(queue_name))
        except redis.ConnectionError as exc:
            raise ConnectionClosed(exc) from None

    def __next__(self):
        """The next message, or None after a wait (so the worker can check for shutdown)."""
        try:
            while True:
                if self.message_cache:
                    data = self.message_cache.pop(0)
                    if data is None:
                        continue
                    message = Message.decode(data)
                    self.queued_message_ids.add(message.message_id)
                    return MessageProxy(message)
                self.slot_freed.clear()
                free = self.prefetch - self.outstanding_message_count
                if free <= 0:
                    self.slot_freed.wait(self.timeout_s)
                    return None
                self._drain()  # wake-ups sent before this fetch are answered by it
                self.message_cache = self.broker.do_fetch(self.queue_name, free)
                if not self.message_cache:
                    self.pubsub.get_message(timeout=self.timeout_s)
                    return None
        except redis.ConnectionError as exc:
            raise ConnectionClosed(exc) from None

    def _drain(self) -> None:
        while self.pubsub.get_message(timeout=0) is not None:
            pass

    def ack(self, message):
        try:
            super().ack(message)
        finally:
            self.slot_freed.set()

    def nack(self, message):
        try:
            super().nack(message)
        finally:
            self.slot_freed.set()

    def close(self):
        try:
            self.pubsub.close()
        finally:
            super().close()
