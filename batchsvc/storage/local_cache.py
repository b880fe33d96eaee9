"""Process memory in front of Redis for what every online request reads (deployments, versions, API keys), kept
fresh by pub/sub: every write to those announces itself on one channel, and every process listening drops all it
keeps. The memory is used only while the subscription is live: off (every read goes to Redis) until subscribed,
and again as soon as the connection fails, so a missed announcement can never leave a stale value in use.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import redis

from batchsvc.storage.redis_keys import Keys

log = logging.getLogger(__name__)

MAX_ITEMS = 10_000  # values kept per process; past it everything is dropped and read again
LISTEN_POLL_S = 0.2  # how often the listener checks whether it was asked to stop
PING_EVERY_S = 1.0  # the listener pings its own connection this often...
DEAD_AFTER_S = 5.0  # ...and takes it for dead (memory off) with no answer for this long: a connection that
# fails outright (Redis restarted or stopped) is seen at once; this catches one that goes silent
RETRY_S = 0.5  # wait before subscribing again after a failure


class LocalCache:
    """Values by key, valid while `on`; a value read while a change was announced is not kept."""

    def __init__(self) -> None:
        self.on = False
        self._items: dict[Any, Any] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def read(self, key, load: Callable[[], Any]):
        """The kept value, else load() (kept if nothing changed meanwhile); errors are not kept."""
        with self._lock:
            if self.on and key in self._items:
                return self._items[key]
            generation = self._generation
        value = load()
        with self._lock:
            if self.on and generation == self._generation:
                if len(self._items) >= MAX_ITEMS:
                    self._items.clear()
                self._items[key] = value
        return value

    def drop(self, on: bool | None = None) -> None:
        """Forget every value (a change was announced); `on` switches the memory on or off as well."""
        with self._lock:
            self._generation += 1
            self._items.clear()
            if on is not None:
                self.on = on


def announce(client: redis.Redis, keys: Keys, what: str, cache: LocalCache) -> None:
    """Tell every API process that something it may keep changed (after the write itself); this process's own
    memory is dropped at once, so its next request never races the announcement."""
    cache.drop()
    client.publish(keys.changes_channel(), what)


class ChangeListener:
    """A daemon thread subscribed to the changes channel: drops the cache on every announcement, keeps it on
    only while subscribed."""

    def __init__(self, client: redis.Redis, keys: Keys, cache: LocalCache):
        self.client, self.channel, self.cache = client, keys.changes_channel(), cache
        self._stop = threading.Event()
        self._told = False  # a Redis that stays away is logged once, not at every retry
        self._thread = threading.Thread(target=self._run, name="change-listener", daemon=True)

    def start(self) -> "ChangeListener":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.cache.drop(on=False)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except (redis.RedisError, OSError) as exc:
                if not self._told:
                    log.warning("change listener lost Redis (%s); reading from Redis until it is back", exc)
                self._told = True
            self.cache.drop(on=False)
            self._stop.wait(RETRY_S)

    def _listen(self) -> None:
        with self.client.pubsub() as pubsub:
            pubsub.subscribe(self.channel)
            pinged = answered = time.monotonic()  # a subscription starts alive
            while not self._stop.is_set():
                message = pubsub.get_message(timeout=LISTEN_POLL_S)
                kind = message and message["type"]
                if kind == "subscribe":
                    self.cache.drop(on=True)
                    self._told = False
                elif kind == "message":
                    self.cache.drop()
                if message is not None:  # a ping's answer too (redis-py 8 shows it as type 'P', not 'pong')
                    answered = time.monotonic()
                if time.monotonic() - answered > DEAD_AFTER_S:
                    raise redis.ConnectionError("no answer to the listener's ping")
                if time.monotonic() - pinged > PING_EVERY_S:
                    pubsub.ping()
                    pinged = time.monotonic()
