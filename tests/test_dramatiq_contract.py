"""The private Dramatiq surface batchsvc/worker/wakeup.py builds on: fails when an upgrade changes it."""

import inspect
import threading
import uuid

import pytest
from dramatiq import Middleware
from dramatiq.broker import Consumer, MessageProxy
from dramatiq.brokers.redis import RedisBroker, _RedisConsumer
from dramatiq.message import Message

from batchsvc.storage.redis_keys import Keys
from batchsvc.storage.services import get_services
from batchsvc.worker.broker import make_broker
from batchsvc.worker.wakeup import WakingConsumer, WakingRedisBroker

NEVER_MS = 600_000  # a consumer timeout no test waits out: a wait that ends was ended by an event
LIVENESS_S = 30  # how long a woken thread may take to finish on a loaded machine (not a speed check)


def params(func) -> list[str]:
    return list(inspect.signature(func).parameters)


def test_the_private_consumer_keeps_the_names_and_signatures_we_call():
    assert issubclass(_RedisConsumer, Consumer)
    assert params(_RedisConsumer.__init__) == ["self", "broker", "queue_name", "prefetch", "timeout"]
    for method in ("ack", "nack"):
        assert params(getattr(_RedisConsumer, method)) == ["self", "message"], method
    assert params(_RedisConsumer.close) == ["self"]
    assert isinstance(inspect.getattr_static(_RedisConsumer, "outstanding_message_count"), property)


def test_the_private_consumer_sets_the_state_we_read():
    broker = object()  # __init__ only stores it
    consumer = _RedisConsumer(broker, "q", 3, 1000)
    assert (consumer.broker, consumer.queue_name, consumer.prefetch, consumer.timeout) == (broker, "q", 3, 1000)
    assert consumer.message_cache == [] and consumer.queued_message_ids == set()
    consumer.message_cache, consumer.queued_message_ids = [b"m1", b"m2"], {"id"}
    assert consumer.outstanding_message_count == 3  # in hand plus prefetched


def test_the_broker_hooks_we_override_or_call_are_there():
    assert isinstance(inspect.getattr_static(RedisBroker, "consumer_class"), property)
    assert params(RedisBroker.consume) == ["self", "queue_name", "prefetch", "timeout"]
    assert "__getattr__" in vars(RedisBroker)  # do_enqueue, do_fetch, do_ack, do_nack are dispatched through it
    assert "do_enqueue" not in vars(RedisBroker)  # so WakingRedisBroker.do_enqueue is the one enqueue() calls
    assert "self.do_enqueue(queue_name, message.options[\"redis_message_id\"], message.encode())" in \
        inspect.getsource(RedisBroker.enqueue)
    assert params(MessageProxy.__init__) == ["self", "message"] and callable(Message.decode)


def test_the_dispatch_arguments_enqueue_on_repeats_are_dramatiqs():
    # WakingRedisBroker._queue_enqueue sends the dispatch script (EVAL) with RedisBroker._dispatch's arguments
    source = inspect.getsource(RedisBroker._dispatch)
    source = source[source.index("args = ["):]
    order = ["command", "timestamp", "queue_name", "self.broker_id", "self.heartbeat_timeout",
             "self.dead_message_ttl", "self._should_do_maintenance(command)", "self._max_unpack_size()", "*args"]
    positions = [source.index(name + ",") for name in order]
    assert positions == sorted(positions), source
    assert params(RedisBroker._should_do_maintenance) == ["self", "command"]
    assert params(RedisBroker._max_unpack_size) == ["self"]


def test_no_middleware_of_the_service_broker_listens_to_after_enqueue(env):
    # enqueue_on's messages leave when the caller's transaction runs, and no after_enqueue is emitted for them
    broker = make_broker(get_services().settings)  # the broker every batchsvc process installs
    try:
        assert isinstance(broker, WakingRedisBroker)
        assert all(type(m).after_enqueue is Middleware.after_enqueue for m in broker.middleware)
    finally:
        broker.close()


@pytest.fixture
def broker(redis_server):
    """A WakingRedisBroker under a namespace of its own on the session's private Redis."""
    keys = Keys(f"contract-{uuid.uuid4().hex[:8]}")
    broker = WakingRedisBroker(keys=keys, url=redis_server.url, namespace=keys.dramatiq_namespace)
    broker.declare_queue("contract")
    yield broker
    broker.client.delete(*broker.client.keys(f"{keys.dramatiq_namespace}:*") or ["-"])
    broker.close()


def test_an_idle_consumer_wakes_on_the_channel_fetches_the_message_and_acks_it(broker):
    # Given an idle consumer whose timer would not end its wait during the test
    consumer = broker.consume("contract", prefetch=2, timeout=NEVER_MS)
    assert isinstance(consumer, WakingConsumer)
    assert consumer.pubsub.parse_response(timeout=LIVENESS_S)[0] == b"subscribe"  # its confirmation, read here
    waiting, woke_by = spy_on_waits(consumer)
    idle = threading.Thread(target=lambda: woke_by.append(("next", next(consumer))), daemon=True)
    idle.start()
    assert waiting.wait(LIVENESS_S), "the consumer never waited on its wake-up channel"
    # When a message is enqueued
    sent = broker.enqueue(Message(queue_name="contract", actor_name="probe", args=(1,), kwargs={}, options={}))
    # Then the wait ends on the pub/sub message (the worker gets None and may check for shutdown)
    idle.join(LIVENESS_S)
    assert not idle.is_alive(), "the enqueue's publish did not wake the consumer"
    assert woke_by[0]["channel"] == broker.wakeup_channel("contract").encode() and woke_by[1] == ("next", None)
    # And the next call fetches the message, held in hand until acked
    fetched = next(consumer)
    assert fetched.message_id == sent.message_id and fetched.args == (1,)
    assert consumer.outstanding_message_count == 1
    consumer.ack(fetched)
    # Then Redis no longer holds it, and the slot it took is free again
    ns = broker.namespace
    assert broker.client.hlen(f"{ns}:contract.msgs") == 0 and broker.client.llen(f"{ns}:contract") == 0
    assert broker.client.scard(f"{ns}:__acks__.{broker.broker_id}.contract") == 0
    assert consumer.outstanding_message_count == 0 and consumer.slot_freed.is_set()
    consumer.close()


def test_a_message_queued_on_a_transaction_is_stored_as_enqueue_stores_it_and_wakes_the_consumer(broker):
    # Given an idle consumer waiting on its channel
    consumer = broker.consume("contract", prefetch=2, timeout=NEVER_MS)
    assert consumer.pubsub.parse_response(timeout=LIVENESS_S)[0] == b"subscribe"
    waiting, woke_by = spy_on_waits(consumer)
    idle = threading.Thread(target=lambda: woke_by.append(("next", next(consumer))), daemon=True)
    idle.start()
    assert waiting.wait(LIVENESS_S), "the consumer never waited on its wake-up channel"
    # When a message is queued on a transaction that also writes a key of the caller's, and the transaction runs
    marker = f"contract-marker-{uuid.uuid4().hex}"
    with broker.client.pipeline() as pipe:
        pipe.set(marker, b"1")
        sent = broker.enqueue_on(pipe, probe(2))
        pipe.execute()
    # Then the consumer wakes, fetches the message as enqueue() would have stored it, and the caller's key is written
    idle.join(LIVENESS_S)
    assert not idle.is_alive(), "the transaction's publish did not wake the consumer"
    fetched = next(consumer)
    assert fetched.message_id == sent.message_id and fetched.args == (2,)
    assert fetched.options["redis_message_id"] == sent.options["redis_message_id"]
    assert broker.client.get(marker) == b"1"
    consumer.ack(fetched)
    consumer.close()
    broker.client.delete(marker)


def test_an_enqueue_after_redis_lost_its_scripts_loads_them_and_is_fetched(broker):
    # Given a Redis that forgot every script (as after a restart)
    broker.client.script_flush()
    consumer = broker.consume("contract", prefetch=1, timeout=NEVER_MS)
    # When a message is enqueued
    sent = broker.enqueue(probe(3))
    # Then it is stored all the same, and fetched
    fetched = next(consumer) or next(consumer)  # the first call may only drain the wake-up
    assert fetched is not None and fetched.message_id == sent.message_id
    consumer.ack(fetched)
    consumer.close()


def probe(arg: int) -> Message:
    return Message(queue_name="contract", actor_name="probe", args=(arg,), kwargs={}, options={})


def spy_on_waits(consumer: WakingConsumer) -> tuple[threading.Event, list]:
    """An event set when the consumer starts a blocking wait on its channel, and a list of what ended the wait."""
    waiting, ended_by, real = threading.Event(), [], consumer.pubsub.get_message

    def get_message(timeout=0.0, **kwargs):
        if not timeout:
            return real(timeout=timeout, **kwargs)
        waiting.set()
        got = real(timeout=timeout, **kwargs)
        ended_by.append(got)
        return got

    consumer.pubsub.get_message = get_message
    return waiting, ended_by
